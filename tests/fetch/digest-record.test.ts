/**
 * digests.json's read-modify-write: two processes recording different packs at once keep every digest (the lock),
 * and temporaries left by older versions (no pid in their names) are swept once they are an hour old.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readDigestRecord, recordPackDigests, OLD_TEMP_AGE_MS } from '../../models/fetch/digest-record.js';
import { tempRoot } from './pack-fixtures.js';

const roots: string[] = [];
after(() => { for (const root of roots) rmSync(root, { recursive: true, force: true }); });
function modelsDir(): string {
  const root = tempRoot();
  roots.push(root);
  const dir = join(root, 'models');
  mkdirSync(dir);
  return dir;
}

/** Runs record-digests-child.ts: `count` packs named `<prefix>-<i>` recorded into `dir`. */
function recordInChild(dir: string, prefix: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'record-digests-child.ts'), dir, prefix, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${prefix} exited ${code}: ${stderr}`))));
  });
}

const digest = { bytes: 1, sha256: '0'.repeat(64) };
const pack = { zip: digest, files: { 'model.onnx': digest }, recordedAt: new Date(0).toISOString(), source: 'http://127.0.0.1/p.zip' };

describe('digests.json under concurrent fetches', () => {
  it('keeps every pack two processes record into one root at once', async () => {
    const dir = modelsDir();
    // 40 writes each: without the lock, runs here kept 40 of the 80 packs (each process read before the other wrote).
    await Promise.all([recordInChild(dir, 'a', 40), recordInChild(dir, 'b', 40)]);
    const record = await readDigestRecord(dir);
    assert.equal(Object.keys(record.packs).length, 80);
    assert.deepEqual(readdirSync(dir), ['digests.json']); // the lock is gone
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dir = modelsDir();
    writeFileSync(join(dir, 'digests.json.lock'), '2147483646'); // above Linux's pid_max: no such process
    await recordPackDigests(dir, 'p', pack);
    assert.deepEqual(Object.keys((await readDigestRecord(dir)).packs), ['p']);
    assert.equal(existsSync(join(dir, 'digests.json.lock')), false);
  });
});

describe('digests.json: older versions\' temporaries', () => {
  it('sweeps a digests.json.<hex>.tmp older than an hour and keeps a recent one', async () => {
    const dir = modelsDir();
    const old = join(dir, 'digests.json.0a1b2c3d.tmp');
    const recent = join(dir, 'digests.json.4e5f6a7b.tmp');
    writeFileSync(old, '{');
    writeFileSync(recent, '{');
    const past = (Date.now() - OLD_TEMP_AGE_MS - 60_000) / 1000;
    utimesSync(old, past, past);
    await recordPackDigests(dir, 'p', pack);
    assert.deepEqual(readdirSync(dir).sort(), ['digests.json', 'digests.json.4e5f6a7b.tmp']);
  });
});
