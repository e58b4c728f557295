/**
 * Small forged stand-ins for single-file models (inswapper_128.onnx is 554 MB; tests serve ~100 KB under its
 * name) and specs or manifest documents describing them with the stand-in's size instead of the real one.
 */
import type { SingleModelSpec } from '../../models/manifest.js';

/** 100,003 deterministic bytes; different `seed`s give different bytes of the same size. */
export function forgedModel(seed: number, length = 100_003): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed * 2_654_435_761 >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** inswapper_128's entry with the stand-in's size (and no digest: it is learned on first download). */
export function modelSpecFor(bytes: Uint8Array, name = 'inswapper_128'): SingleModelSpec {
  return { name, url: `http://unused.invalid/${name}.onnx`, file: { name: `${name}.onnx`, bytes: bytes.length } };
}
