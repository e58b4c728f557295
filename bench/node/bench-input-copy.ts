/**
 * What get()'s per-call copy of an in-memory image (holdInput: raw pixels converted to BGR, a BgrImage cloned, encoded
 * bytes copied) costs against the whole get(), on the CPU backend with pack A (SCRFD-2.5G, mobilefacenet and the
 * three tiny heads of ../shared/models) at det size 640: t1.jpg's own size and 1920×1080, RGB, RGBA and BGR.
 * loadImage(original) is what analysing the caller's object directly would spend turning it into BGR;
 * loadImage(held) is what get spends after the copy. For raw pixels the copy is the BGR conversion (fromRawImage)
 * that get needs anyway, made at the call instead of at the call's turn, so it adds nothing; for a BgrImage and
 * encoded bytes it is a plain copy of the buffer.
 *
 *   node --import tsx bench/node/bench-input-copy.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { holdInput, loadImage, type ImageInput } from '../../src/pipeline/image-source.js';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const M = `${SHARED}models/`;
const files = Object.fromEntries(['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'].map((f) => [f, readFileSync(M + f)]));
const app = await FaceAnalysis.create({ models: { files }, backend: 'cpu' });
app.prepare({ detSize: [640, 640] });
const jpg = readFileSync(`${SHARED}images/t1.jpg`);
async function raw(width: number | undefined, height: number | undefined, channels: 3 | 4): Promise<{ data: Uint8Array; width: number; height: number }> {
  let s = sharp(jpg);
  if (width) s = s.resize(width, height, { fit: 'fill' });
  if (channels === 4) s = s.ensureAlpha(); else s = s.removeAlpha();
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
const swap = (rgb: Uint8Array): Uint8Array => { const o = new Uint8Array(rgb.length); for (let i = 0; i < rgb.length; i += 3) { o[i] = rgb[i + 2]!; o[i + 1] = rgb[i + 1]!; o[i + 2] = rgb[i]!; } return o; };
const inputs: [string, ImageInput][] = [];
inputs.push(['t1.jpg encoded bytes', new Uint8Array(jpg)]);
for (const [label, w, h] of [['t1 size', undefined, undefined], ['1920x1080', 1920, 1080]] as const) {
  const rgb = await raw(w, h, 3); const rgba = await raw(w, h, 4);
  inputs.push([`${label} ${rgb.width}x${rgb.height} rgb`, { ...rgb, format: 'rgb' }]);
  inputs.push([`${label} ${rgb.width}x${rgb.height} rgba`, { ...rgba, format: 'rgba' }]);
  inputs.push([`${label} ${rgb.width}x${rgb.height} BgrImage`, { data: swap(rgb.data), width: rgb.width, height: rgb.height }]);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (n: number, f: () => unknown): Promise<number> => { const t: number[] = []; for (let i = 0; i < n; i++) { const s = performance.now(); await f(); t.push(performance.now() - s); } return median(t); };
await app.get(inputs[0]![1]); // warm
console.log('input | holdInput ms (median of 30) | loadImage(original) ms | loadImage(held) ms | get ms (median of 5) | faces | holdInput share of get');
for (const [label, input] of inputs) {
  const hold = await time(30, () => holdInput(input));
  const direct = await time(10, () => loadImage(input));
  const held = holdInput(input);
  const afterHold = await time(10, () => loadImage(held));
  const get = await time(5, () => app.get(input));
  const faces = (await app.get(input)).length;
  console.log(`${label} | ${hold.toFixed(2)} | ${direct.toFixed(2)} | ${afterHold.toFixed(2)} | ${get.toFixed(0)} | ${faces} | ${(100 * hold / get).toFixed(2)}%`);
}
await app.release();
