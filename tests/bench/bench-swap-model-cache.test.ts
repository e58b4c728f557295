/**
 * bench-swap's cache of forged models (bench/node/bench-swap-model-cache.ts): a whole cached file is reused, a
 * truncated or changed one, or one without its digest (an older bench's, or one killed between the two writes), is
 * forged again. A small stand-in forge counts its calls.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cachedForgedModel, digestFile } from '../../bench/node/bench-swap-model-cache.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-swap-cache-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A forge of `size` bytes of a fixed pattern, counting its calls. */
function countingForge(size: number): { forge: () => Uint8Array; calls: () => number } {
  let calls = 0;
  return {
    forge: () => { calls += 1; return Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff); },
    calls: () => calls,
  };
}

describe('bench-swap forged-model cache', () => {
  it('forges a missing file into a missing folder, then reuses it without forging', async () => {
    const file = path.join(work, 'fresh', 'replicas', 'model.onnx');
    const f = countingForge(4096);
    assert.deepEqual(await cachedForgedModel(file, f.forge), { file, forged: true });
    assert.deepEqual(readFileSync(file), Buffer.from(f.forge()));
    assert.ok(existsSync(digestFile(file)));
    assert.deepEqual(await cachedForgedModel(file, f.forge), { file, forged: false });
    assert.equal(f.calls(), 2, 'one forge at the first call, one above for the comparison, none at the reuse');
    assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['model.onnx', 'model.onnx.sha256'], 'no temporary left');
  });

  it('forges again a truncated file with no digest, as a bench killed mid-write before this cache left it', async () => {
    const file = path.join(work, 'truncated.onnx');
    const f = countingForge(4096);
    writeFileSync(file, f.forge().subarray(0, 1000));
    assert.equal((await cachedForgedModel(file, f.forge)).forged, true);
    assert.equal(readFileSync(file).length, 4096);
  });

  it('forges again a file whose bytes no longer match its digest (truncated or changed after it was cached)', async () => {
    const file = path.join(work, 'changed.onnx');
    const f = countingForge(4096);
    await cachedForgedModel(file, f.forge);
    writeFileSync(file, readFileSync(file).subarray(0, 2048));
    assert.equal((await cachedForgedModel(file, f.forge)).forged, true);
    assert.equal(readFileSync(file).length, 4096);
    const bytes = readFileSync(file);
    bytes[100]! ^= 1;
    writeFileSync(file, bytes);
    assert.equal((await cachedForgedModel(file, f.forge)).forged, true);
    assert.deepEqual(readFileSync(file), Buffer.from(f.forge()));
  });
});
