import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBgrImage, type BgrImage } from '../../src/pipeline/image.js';
import { Prng } from '../../models/forge/prng.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared test bed (../shared relative to the repo root, as in CI). */
export const SHARED = path.resolve(repoRoot, '../shared');
export const sharedPath = (...parts: string[]): string => path.join(SHARED, ...parts);

/** Deterministic pseudo-random numbers in [0, 1) (the forge's PRNG) so failures reproduce. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.uniform();
}

export function imageFrom(width: number, height: number, pixel: (x: number, y: number, c: number) => number): BgrImage {
  const img = createBgrImage(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) img.data[(y * width + x) * 3 + c] = pixel(x, y, c);
  return img;
}

export function px(img: BgrImage, x: number, y: number, c: number): number {
  return img.data[(y * img.width + x) * 3 + c]!;
}

/** Float64 bilinear sample with zero outside the image (the ideal that OpenCV's fixed point approximates). */
export function bilinearReference(img: BgrImage, x: number, y: number, c: number, clampEdges: boolean): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const at = (xx: number, yy: number): number => {
    if (clampEdges) {
      xx = Math.min(Math.max(xx, 0), img.width - 1);
      yy = Math.min(Math.max(yy, 0), img.height - 1);
    } else if (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height) return 0;
    return px(img, xx, yy, c);
  };
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** A function as a plain-JS caller sees it: arguments of any shape, which TypeScript would refuse. */
export type Loose = (...args: unknown[]) => unknown;
export const loose = (fn: unknown): Loose => fn as Loose;

/** Asserts an error of `type` whose message includes every part (so it says what to fix); for assert.throws/rejects. */
export function failsWith(type: new (...args: never[]) => Error, ...parts: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
    return true;
  };
}
