/**
 * The zip reader on archives fflate writes (stored and deflated entries, folders) and on hostile names.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { extractZipEntry, openZip, packRelativeNames, type ZipEntry } from '../../models/fetch/zip-extract.js';
import { ArchiveError } from '../../models/fetch/errors.js';
import { sha256, tempRoot } from './pack-fixtures.js';

const dir = tempRoot();
after(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string): ZipEntry {
  return { name, isDirectory: name.endsWith('/'), method: 0, flags: 0, crc32: 0, compressedSize: 0, size: 0, localHeaderOffset: 0 };
}

describe('zip extraction', () => {
  it('reads stored, deflated and empty (deflated to 2 bytes) entries with their sizes and digests', async () => {
    const random = new Uint8Array(70_000).map((_, i) => (i * 2654435761) >>> 24);
    const text = new TextEncoder().encode('insightgpu '.repeat(10_000));
    const archive = join(dir, 'mixed.zip');
    writeFileSync(archive, zipSync({ 'a.bin': [random, { level: 0 }], 'sub/b.txt': [text, { level: 9 }], 'empty.onnx': new Uint8Array(0) }));
    const { file, entries } = await openZip(archive, 'mixed.zip');
    try {
      assert.deepEqual(entries.map((e) => [e.name, e.method, e.size]), [['a.bin', 0, 70_000], ['sub/b.txt', 8, text.length], ['empty.onnx', 8, 0]]);
      for (const [e, bytes] of [[entries[0], random], [entries[1], text], [entries[2], new Uint8Array(0)]] as const) {
        const out = join(dir, e.name.replace('/', '_'));
        const result = await extractZipEntry(file, e, out, 'mixed.zip');
        assert.deepEqual(result, { bytes: bytes.length, sha256: sha256(bytes) });
        assert.deepEqual(new Uint8Array(readFileSync(out)), bytes);
      }
    } finally {
      await file.close();
    }
  });

  // Written by Info-ZIP 3.0 from a folder antelopev2/ holding notes.txt (850 B) and the first 3000 bytes of
  // tiny_genderage.onnx: `zip -fz -r` (zip64 end record and extra fields) and `zip -r - | cat` (streamed, so
  // sizes and CRCs sit in data descriptors after the data; only the central directory has them up front).
  const infoZipFiles = [
    ['notes.txt', 850, '2eb10ddee3312259930c31fe277b815c07169bd7a55bf4a0ff93b045d8192dd6'],
    ['genderage.onnx', 3000, '53e60076cd4f7c9d506e190d7c6f28eee50ca2319f020fde156577733b1a5915'],
  ];
  for (const fixture of ['infozip-zip64-nested.zip', 'infozip-streamed-descriptors.zip']) {
    it(`reads archives from another zipper: ${fixture}`, async () => {
      const { file, entries } = await openZip(new URL(`fixtures/${fixture}`, import.meta.url).pathname, fixture);
      try {
        const names = packRelativeNames(entries, fixture);
        const extracted = [];
        for (const [e, name] of names) extracted.push([name, ...Object.values(await extractZipEntry(file, e, join(dir, `${fixture}-${name}`), fixture))]);
        assert.deepEqual(extracted, infoZipFiles);
      } finally {
        await file.close();
      }
    });
  }

  it('reports a truncated archive as missing its end record', async () => {
    const whole = zipSync({ 'a.onnx': new Uint8Array(5000).fill(7) });
    const archive = join(dir, 'cut.zip');
    writeFileSync(archive, whole.subarray(0, whole.length - 10));
    await assert.rejects(openZip(archive, 'cut.zip'), (e: unknown) => e instanceof ArchiveError && /end-of-central-directory/.test(e.message));
  });

  it('flattens one wrapping folder only when every file is inside it', () => {
    const wrapped = packRelativeNames([entry('antelopev2/'), entry('antelopev2/a.onnx'), entry('antelopev2/b.onnx'), entry('__MACOSX/antelopev2/._a.onnx')], 'z');
    assert.deepEqual([...wrapped.values()], ['a.onnx', 'b.onnx']);
    const flat = packRelativeNames([entry('a.onnx'), entry('extra/b.onnx')], 'z');
    assert.deepEqual([...flat.values()], ['a.onnx', 'extra/b.onnx']);
  });

  it('refuses a name that is a file and also the folder of another entry, in either order', () => {
    for (const list of [['extra', 'extra/b.onnx'], ['p/a/b/c.onnx', 'p/a/b'], ['p/a/b/c.onnx', 'p/a']]) {
      const expected = list.find((name) => list.some((other) => other.startsWith(`${name}/`)))!;
      for (const names of [list, [...list].reverse()]) {
        assert.throws(() => packRelativeNames(names.map(entry), 'z'), (e: unknown) => e instanceof ArchiveError && e.entry === expected && /is a file and also the folder of another entry/.test(e.message), names.join(' '));
      }
    }
    // A folder's own directory entry beside its files is no clash.
    assert.deepEqual([...packRelativeNames([entry('extra/'), entry('extra/b.onnx'), entry('a.onnx')], 'z').values()], ['extra/b.onnx', 'a.onnx']);
  });

  it('refuses names that would escape the pack folder', () => {
    for (const name of ['../evil.onnx', '/etc/passwd', 'a/../../b', 'C:/x.onnx', 'a\\b.onnx', 'a//b']) {
      assert.throws(() => packRelativeNames([entry(name)], 'z'), (e: unknown) => e instanceof ArchiveError && e.entry === name, name);
    }
  });
});
