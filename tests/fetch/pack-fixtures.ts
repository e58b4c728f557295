/**
 * Small stand-in packs for the fetcher tests: the shared tiny ONNX models copied under a pack's file names
 * and zipped with fflate, plus PackSpecs describing them with or without digests.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import type { PackSpec } from '../../models/manifest.js';

const SHARED = new URL('../../../shared/models/', import.meta.url);
const tiny = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, SHARED)));

/** buffalo_l's five names over the three tiny models (contents are opaque to the fetcher). */
export function buffaloLFiles(): Record<string, Uint8Array> {
  return {
    '1k3d68.onnx': tiny('tiny_3d68.onnx'),
    '2d106det.onnx': tiny('tiny_2d106.onnx'),
    'det_10g.onnx': tiny('tiny_2d106.onnx'),
    'genderage.onnx': tiny('tiny_genderage.onnx'),
    'w600k_r50.onnx': tiny('tiny_genderage.onnx'),
  };
}

/** Zips `files`, optionally inside one top folder as antelopev2's zip is. */
export function zipPack(files: Record<string, Uint8Array>, topFolder?: string): Uint8Array {
  const entries: Zippable = {};
  for (const [name, bytes] of Object.entries(files)) entries[topFolder === undefined ? name : `${topFolder}/${name}`] = bytes;
  return zipSync(entries, { level: 6 });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A spec named `name` listing `files`; digests are included only when `withDigests` (else learned on first use). */
export function specFor(name: string, files: Record<string, Uint8Array>, zip: Uint8Array | undefined, withDigests: boolean): PackSpec {
  const tasks = ['landmark_3d_68', 'landmark_2d_106', 'detection', 'genderage', 'recognition'] as const;
  return {
    name,
    url: `http://unused.invalid/${name}.zip`,
    zip: withDigests && zip !== undefined ? { bytes: zip.length, sha256: sha256(zip) } : {},
    files: Object.entries(files).map(([fileName, bytes], index) => ({
      name: fileName,
      task: tasks[index % tasks.length],
      ...(withDigests ? { bytes: bytes.length, sha256: sha256(bytes) } : {}),
    })),
    confirmed: true,
  };
}

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'insightgpu-fetch-'));
}

/** Every name under `<root>/models`, to prove failures leave no partial files behind. */
export function listModelsDir(root: string): string[] {
  try {
    return readdirSync(join(root, 'models')).sort();
  } catch {
    return [];
  }
}
