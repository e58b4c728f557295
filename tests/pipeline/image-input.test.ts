import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ImageError } from '../../src/pipeline/errors.js';
import { fromRawImage, type RawImage } from '../../src/pipeline/image.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { sharedPath } from './helpers.js';

describe('raw pixel inputs', () => {
  it('converts RGB, RGBA, BGRA and grey to BGR (alpha dropped, grey replicated)', () => {
    const rgb = fromRawImage({ data: new Uint8Array([1, 2, 3, 4, 5, 6]), width: 2, height: 1, format: 'rgb' });
    assert.deepEqual(Array.from(rgb.data), [3, 2, 1, 6, 5, 4]);
    const rgba = fromRawImage({ data: new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 255]), width: 2, height: 1, format: 'rgba' });
    assert.deepEqual(Array.from(rgba.data), [3, 2, 1, 6, 5, 4]);
    const bgra = fromRawImage({ data: new Uint8Array([1, 2, 3, 9]), width: 1, height: 1, format: 'bgra' });
    assert.deepEqual(Array.from(bgra.data), [1, 2, 3]);
    const gray = fromRawImage({ data: new Uint8Array([7, 8]), width: 1, height: 2, format: 'gray' });
    assert.deepEqual(Array.from(gray.data), [7, 7, 7, 8, 8, 8]);
  });

  it('honours a row stride', () => {
    const img = fromRawImage({ data: new Uint8Array([1, 2, 3, 99, 4, 5, 6, 99]), width: 1, height: 2, format: 'bgr', stride: 4 });
    assert.deepEqual(Array.from(img.data), [1, 2, 3, 4, 5, 6]);
  });

  it('refuses empty, short and unknown inputs with ImageError', () => {
    assert.throws(() => fromRawImage({ data: new Uint8Array(0), width: 0, height: 0, format: 'rgb' }), ImageError);
    assert.throws(() => fromRawImage({ data: new Uint8Array(5), width: 2, height: 1, format: 'rgb' }), ImageError);
    assert.throws(() => fromRawImage({ data: new Uint8Array(3), width: 1.5, height: 1, format: 'rgb' }), ImageError);
    assert.throws(() => fromRawImage({ data: new Uint8Array(3), width: 70000, height: 70000, format: 'rgb' }), ImageError);
  });
});

/** The plain per-pixel loop fromRawImage must match byte for byte. */
function referenceBgr(raw: RawImage): Uint8Array {
  const ch = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, gray: 1 }[raw.format];
  const stride = raw.stride ?? raw.width * ch;
  const [b, g, r] = raw.format === 'rgb' || raw.format === 'rgba' ? [2, 1, 0] : raw.format === 'gray' ? [0, 0, 0] : [0, 1, 2];
  const out = new Uint8Array(raw.width * raw.height * 3);
  for (let y = 0; y < raw.height; y++) {
    for (let x = 0; x < raw.width; x++) {
      const s = y * stride + x * ch;
      const d = (y * raw.width + x) * 3;
      out[d] = raw.data[s + b]!; out[d + 1] = raw.data[s + g]!; out[d + 2] = raw.data[s + r]!;
    }
  }
  return out;
}

describe('raw pixel conversion matches the reference loop', () => {
  const formats = ['rgb', 'rgba', 'bgr', 'bgra', 'gray'] as const;
  // 1×1, widths not a multiple of 4 (the word paths' tail), odd sizes, and one wide enough for many 4-pixel groups.
  const sizes: [number, number][] = [[1, 1], [2, 1], [3, 3], [5, 2], [7, 5], [4, 4], [33, 7], [1920, 3]];
  for (const format of formats) {
    it(`${format}: tight, padded rows, an unaligned view and Uint8ClampedArray`, () => {
      const ch = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, gray: 1 }[format];
      for (const [w, h] of sizes) {
        for (const pad of [0, 1, 5]) {
          for (const offset of [0, 1, 4]) {
            const stride = w * ch + pad;
            const bytes = new Uint8Array(offset + stride * h);
            for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
            const data = new Uint8Array(bytes.buffer, offset, stride * h);
            const raw: RawImage = { data, width: w, height: h, format, ...(pad ? { stride } : {}) };
            const want = referenceBgr(raw);
            assert.deepEqual(fromRawImage(raw).data, want, `${format} ${w}×${h} pad ${pad} offset ${offset}`);
            const clamped: RawImage = { ...raw, data: new Uint8ClampedArray(bytes.buffer, offset, stride * h) };
            assert.deepEqual(fromRawImage(clamped).data, want, `${format} ${w}×${h} pad ${pad} offset ${offset} clamped`);
          }
        }
      }
    });
  }
});

describe('encoded inputs (sharp, like cv2.imread)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-img-'));

  it('decodes the shared photos at their sizes', async () => {
    const t1 = await loadImage(sharedPath('images', 't1.jpg'));
    assert.deepEqual([t1.width, t1.height], [1280, 886]);
    const hanks = await loadImage(sharedPath('images', 'Tom_Hanks_54745.png'));
    assert.deepEqual([hanks.width, hanks.height], [112, 112]);
  });

  it('PNG: RGBA drops alpha, grey and grey+alpha replicate, 16-bit keeps the high byte', async () => {
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    assert.deepEqual(Array.from((await loadImage(rgba)).data), [30, 20, 10, 60, 50, 40]);
    const grey = await sharp(Buffer.from([5, 250]), { raw: { width: 1, height: 2, channels: 1 } }).png().toBuffer();
    assert.deepEqual(Array.from((await loadImage(grey)).data), [5, 5, 5, 250, 250, 250]);
    const greyAlpha = await sharp(Buffer.from([77, 0, 99, 255]), { raw: { width: 2, height: 1, channels: 2 } }).png().toBuffer();
    assert.deepEqual(Array.from((await loadImage(greyAlpha)).data), [77, 77, 77, 99, 99, 99]);
    const sixteen = await sharp(new Uint16Array([0x1234, 0xabcd, 0xff00]), { raw: { width: 1, height: 1, channels: 3 } })
      .toColourspace('rgb16').png().toBuffer();
    const decoded = await loadImage(sixteen);
    for (const [i, expected] of [0x12, 0xab, 0xff].entries()) assert.ok(Math.abs(decoded.data[2 - i]! - expected) <= 1, `channel ${i}`);
  });

  it('applies the EXIF orientation', async () => {
    // 16×8: left half red, right half blue; orientation 6 = rotate 90° clockwise to display → red on top.
    const raw = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) raw.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await loadImage(jpeg);
    assert.deepEqual([img.width, img.height], [8, 16]);
    const at = (x: number, y: number): number[] => Array.from(img.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    assert.ok(at(4, 2)[2]! > 200 && at(4, 2)[0]! < 60, `top should be red (BGR ${at(4, 2)})`);
    assert.ok(at(4, 13)[0]! > 200 && at(4, 13)[2]! < 60, `bottom should be blue (BGR ${at(4, 13)})`);
  });

  it('refuses a header that claims a huge image before allocating it', async () => {
    const chunk = (type: string, data: Buffer): Buffer => {
      const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([len, body, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(60000, 0);
    ihdr.writeUInt32BE(60000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
    const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
    await assert.rejects(loadImage(png), ImageError);
  });

  it('1×1 images decode', async () => {
    const one = await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer();
    assert.deepEqual(Array.from((await loadImage(one)).data), [3, 2, 1]);
  });

  it('empty, corrupt, truncated and missing inputs give ImageError', async () => {
    await assert.rejects(loadImage(new Uint8Array(0)), ImageError);
    await assert.rejects(loadImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), ImageError);
    const png = await sharp(Buffer.alloc(64 * 64 * 3, 9), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    await assert.rejects(loadImage(png.subarray(0, png.length >> 1)), ImageError);
    const garbage = path.join(dir, 'not-an-image.jpg');
    writeFileSync(garbage, 'hello');
    await assert.rejects(loadImage(garbage), ImageError);
    await assert.rejects(loadImage(path.join(dir, 'missing.png')), ImageError);
    await assert.rejects(loadImage(''), ImageError);
    await assert.rejects(loadImage({ nonsense: true } as never), ImageError);
  });

  it('says a folder or an empty file is one, rather than an unsupported image format', async () => {
    await assert.rejects(loadImage(dir), (e: unknown) => e instanceof ImageError && e.source === dir && /is a folder, not an image file/.test(e.message));
    const empty = path.join(dir, 'empty.jpg');
    writeFileSync(empty, '');
    await assert.rejects(loadImage(empty), (e: unknown) => e instanceof ImageError && e.source === empty && /the file is empty/.test(e.message));
  });

  it('a failed decode reports the same message when other decodes run beside it', async () => {
    // libvips shares one error buffer per process: without the lone retry about a quarter of these runs read
    // "Unknown error" (or another file's message) for the truncated JPEG. 40 rounds of six decodes in flight.
    const t1 = sharedPath('images', 't1.jpg');
    const broken = path.join(dir, 'broken.jpg');
    writeFileSync(broken, readFileSync(t1).subarray(0, 2000));
    const good = await sharp(t1).resize(200).png().toBuffer();
    const alone = await loadImage(broken).then(() => 'decoded', (error: Error) => error.message);
    assert.match(alone, /premature end of JPEG/);
    const messages = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const inFlight = [loadImage(good), loadImage(t1), loadImage(broken), loadImage(good), loadImage(t1), loadImage(good)];
      const settled = await Promise.allSettled(inFlight);
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      const failure = settled[2] as PromiseRejectedResult;
      assert.ok(failure.reason instanceof ImageError);
      messages.add((failure.reason as Error).message);
    }
    assert.deepEqual([...messages], [alone]);
  });
});
