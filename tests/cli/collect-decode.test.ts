import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { checkDistinctNames, collectImages, decodableSuffixes } from '../../cli/batch/collect-images.js';
import { decodeAhead } from '../../cli/batch/decode-ahead.js';
import { ImageListError } from '../../cli/batch/errors.js';
import { ImageError } from '../../src/pipeline/errors.js';
import { COLLECTION_ERRORS, COLLECTION_NAMES, makeCollection } from './collection.js';

describe('collecting and decoding a photo collection', () => {
  let root = '';
  let suffixes: readonly string[] = [];
  before(async () => {
    root = await makeCollection();
    suffixes = await decodableSuffixes();
  });

  it('knows the decoder\'s file types', () => {
    for (const s of ['.jpg', '.jpeg', '.png', '.webp', '.tif']) assert.ok(suffixes.includes(s), s);
    assert.ok(!suffixes.includes('.svg') && !suffixes.includes('.txt'));
  });

  it('walks a folder sorted, once per real folder (the sub/loop symlink to the root adds nothing), skipping other types', async () => {
    const entries = await collectImages([root], suffixes);
    assert.deepEqual(entries.map((e) => e.name), COLLECTION_NAMES);
    assert.deepEqual(entries.map((e) => e.file), COLLECTION_NAMES.map((n) => path.join(root, n)));
  });

  it('takes a file as given, whatever its type, named by its basename', async () => {
    const entries = await collectImages([path.join(root, 'notes.txt'), path.join(root, 'sub', 't1.jpg')], suffixes);
    assert.deepEqual(entries.map((e) => e.name), ['notes.txt', 't1.jpg']);
    await assert.rejects(collectImages([path.join(root, 'absent.jpg')], suffixes), ImageListError);
    assert.throws(() => checkDistinctNames([...entries, { file: path.join(root, 't1.jpg'), name: 't1.jpg' }]), ImageListError);
  });

  it('decodes ahead in order, with failures as values, whatever the number in flight', async () => {
    const entries = await collectImages([root], suffixes);
    for (const ahead of [0, 1, 3, 20]) {
      const seen: string[] = [];
      for await (const d of decodeAhead(entries, ahead)) {
        if (d.image) seen.push(`${d.entry.name} ${d.image.width}×${d.image.height}`);
        else {
          assert.ok(d.error instanceof ImageError, d.entry.name);
          seen.push(`${d.entry.name} error`);
        }
      }
      assert.deepEqual(seen, [...COLLECTION_ERRORS.map((n) => `${n} error`), 'sub/t1.jpg 1280×886', 't1.jpg 1280×886', 'tiny.png 1×1'], `ahead ${ahead}`);
    }
  });
});
