/**
 * Each full-image step a raw or BGR image in memory takes on the CPU path of get() before the models run, at t1.jpg's
 * size (1280×886) and 1920×1080: holdInput (the copy at the call; for raw pixels the BGR conversion), loadImage of
 * the held image, and the detector's letterbox to 640×640 (resize into the zero canvas) with its blob. Median, min
 * and max of 30 runs after 5 warm-ups, one process per run of this script; pass another checkout's src/ folder to
 * time that code instead, and alternate the two in fresh processes on a shared box.
 *
 *   node --import tsx bench/node/bench-input-path.ts [path/to/src]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BgrImage, RawImage } from '../../src/pipeline/image.js';
import type { ImageInput } from '../../src/pipeline/image-source.js';

const root = process.argv[2] ? pathToFileURL(`${process.argv[2].replace(/\/$/, '')}/`).href : new URL('../../src/', import.meta.url).href;
const { holdInput, loadImage } = (await import(`${root}pipeline/image-source.js`)) as { holdInput: (i: ImageInput) => ImageInput; loadImage: (i: ImageInput) => Promise<BgrImage> };
const { letterbox } = (await import(`${root}pipeline/preprocess/letterbox.js`)) as { letterbox: (i: BgrImage, s: readonly [number, number]) => { image: BgrImage } };
const { blobFromImages } = (await import(`${root}pipeline/preprocess/blob.js`)) as { blobFromImages: (i: BgrImage[], n: { mean: number; std: number }) => unknown };

const stats = (t: number[]): string => {
  const s = [...t].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(2)} (${s[0]!.toFixed(2)}–${s[s.length - 1]!.toFixed(2)})`;
};
async function time(f: () => unknown): Promise<string> {
  for (let i = 0; i < 5; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < 30; i++) { const s = performance.now(); await f(); t.push(performance.now() - s); }
  return stats(t);
}

console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ms median (min–max)`);
console.log('input | holdInput | loadImage(held) | letterbox 640 | blob 640');
for (const [w, h] of [[1280, 886], [1920, 1080]] as const) {
  for (const format of ['rgb', 'rgba', 'bgr', 'BgrImage'] as const) {
    const channels = format === 'rgba' ? 4 : 3;
    const data = new Uint8Array(w * h * channels);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const input: ImageInput = format === 'BgrImage' ? { data, width: w, height: h } : ({ data, width: w, height: h, format } satisfies RawImage);
    const hold = await time(() => holdInput(input));
    const held = holdInput(input);
    const load = await time(() => loadImage(held));
    const image = await loadImage(held);
    const box = await time(() => letterbox(image, [640, 640]));
    const boxed = letterbox(image, [640, 640]).image;
    const blob = await time(() => blobFromImages([boxed], { mean: 127.5, std: 128 }));
    console.log(`${w}x${h} ${format} | ${hold} | ${load} | ${box} | ${blob}`);
  }
}
