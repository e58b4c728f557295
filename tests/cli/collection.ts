import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ResultsFile } from '../../cli/results-format.js';
import { sharedPath } from '../pipeline/helpers.js';

/** InsightFace's own results for pack A at det size 320 (t1.jpg): the oracle of the good lines. */
export const GOLDEN_320 = JSON.parse(readFileSync(sharedPath('golden', 'packA_det320.json'), 'utf8')) as ResultsFile;

/** Pack A's five files in a folder of their own (symlinks, or copies where links are refused). */
export function packAFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-packA-'));
  for (const file of Object.values(GOLDEN_320.models)) {
    try {
      symlinkSync(sharedPath('models', file), path.join(dir, file));
    } catch {
      copyFileSync(sharedPath('models', file), path.join(dir, file));
    }
  }
  return dir;
}

/** The record names of the collection's images, in the order a run lists them (sorted at each folder level). */
export const COLLECTION_ERRORS = ['bad/empty.jpg', 'bad/huge.png', 'bad/text.jpg', 'bad/truncated.jpg'];
export const COLLECTION_NAMES = [...COLLECTION_ERRORS, 'sub/t1.jpg', 't1.jpg', 'tiny.png'];

/**
 * A folder of good and bad images: t1.jpg, a mirrored copy in sub/ (same basename, another folder), a 1×1 PNG,
 * and under bad/ a truncated JPEG, an empty file, a text file named .jpg and a PNG whose header claims
 * 20000×20000 (beyond the decoder's pixel limit). A text file and a symlink back to the root (a loop) must be
 * passed over.
 */
export async function makeCollection(): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'insightgpu-collection-'));
  mkdirSync(path.join(root, 'sub'));
  mkdirSync(path.join(root, 'bad'));
  const t1 = sharedPath('images', 't1.jpg');
  copyFileSync(t1, path.join(root, 't1.jpg'));
  await sharp(t1).flop().jpeg({ quality: 92 }).toFile(path.join(root, 'sub', 't1.jpg'));
  await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toFile(path.join(root, 'tiny.png'));
  const jpeg = readFileSync(t1);
  writeFileSync(path.join(root, 'bad', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(path.join(root, 'bad', 'empty.jpg'), new Uint8Array(0));
  writeFileSync(path.join(root, 'bad', 'text.jpg'), 'this is not a JPEG\n');
  writeFileSync(path.join(root, 'bad', 'huge.png'), pngHeaderOnly(20000, 20000));
  writeFileSync(path.join(root, 'notes.txt'), 'not an image type\n');
  symlinkSync('..', path.join(root, 'sub', 'loop'));
  return root;
}

/** A valid PNG signature and IHDR for an RGB image of this size, with a token IDAT (the pixels are never read). */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The parsed lines of an NDJSON file (every line must be complete JSON). */
export function readNdjson(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(0, -1).map((line) => JSON.parse(line) as unknown);
}
