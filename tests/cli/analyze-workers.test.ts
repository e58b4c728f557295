import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { NdjsonResultsFile } from '../../cli/batch/ndjson-file.js';
import { runPool } from '../../cli/batch/run-pool.js';
import { FaceAnalysisPool, WorkerError } from '../../src/node.js';
import { DECODE_GATE_SEATS } from '../../src/pipeline/decode-gate.js';
import { decodeSeatTaken, releaseDecodeSeat, reserveDecodeSeat } from '../../src/pipeline/decode-node.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { COLLECTION_NAMES, makeCollection, packAFolder, readNdjson } from './collection.js';
import { runAndKill } from './kill-after-lines.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(path.join(tmpdir(), 'insightgpu-workers-'));
// det 160 and the tiny heads keep an image to a fraction of a second on this 2-core box.
const settings = ['--backend', 'cpu', '--det-size', '160', '--quiet'];
let models = '';
let photos = '';
let clean = '';
let cleanRun = { result: -1, out: '' };

const analyze = (...args: string[]): Promise<{ result: number; out: string }> =>
  captureOutput(() => main(['analyze', '--models', models, ...settings, ...args]));

/** Spawns `analyze --workers 2` into `file` and SIGKILLs it once the file holds `lines` complete lines. */
const runAndKillAfter = (file: string, lines: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> =>
  runAndKill(['analyze', '--models', models, ...settings, '--workers', '2', '--ndjson', file, photos], file, lines, repoRoot);

/** How many seats of this thread's decode gate are lent to worker threads now. */
function seatsTaken(): number {
  const probe = reserveDecodeSeat()!;
  releaseDecodeSeat(probe);
  let count = 0;
  for (let seat = 1; seat < DECODE_GATE_SEATS; seat++) if (decodeSeatTaken({ buffer: probe.buffer, seat })) count++;
  return count;
}

/** Waits for the workers' 'exit' events, which come after terminate() resolves, to give their seats back. */
async function seatsAfterExit(expected: number): Promise<number> {
  for (let k = 0; k < 50 && seatsTaken() !== expected; k++) await new Promise((resolve) => setTimeout(resolve, 20));
  return seatsTaken();
}

describe('insightgpu analyze --workers (cpu, det 160)', () => {
  before(async () => {
    models = packAFolder();
    // The good and bad files of the collection test, and two more copies of t1.jpg after them, so a run
    // killed after the bad files' lines still has images in the workers.
    photos = await makeCollection();
    for (let k = 0; k < 2; k++) copyFileSync(sharedPath('images', 't1.jpg'), path.join(photos, `z${k}.jpg`));
    clean = path.join(out, 'one-worker.ndjson');
    cleanRun = await analyze('--ndjson', clean, '--json', path.join(out, 'one-worker.json'), '--draw', path.join(out, 'drawn-1'), photos);
  });

  it('--workers 2 writes the same NDJSON and --json bytes as --workers 1, draws the same pictures and exits 3', async () => {
    assert.equal(cleanRun.result, 3, cleanRun.out);
    const file = path.join(out, 'two-workers.ndjson');
    const json = path.join(out, 'two-workers.json');
    const run = await analyze('--workers', '2', '--ndjson', file, '--json', json, '--draw', path.join(out, 'drawn-2'), photos);
    assert.equal(run.result, 3, run.out);
    assert.match(run.out, /4 of 9 image\(s\) failed/);
    // The stderr summary differs only by the output files' names.
    const failures = (text: string): string => text.slice(text.indexOf(' failed:'));
    assert.equal(failures(run.out), failures(cleanRun.out));
    assert.equal(readFileSync(file, 'utf8'), readFileSync(clean, 'utf8'));
    assert.equal(readFileSync(json, 'utf8'), readFileSync(path.join(out, 'one-worker.json'), 'utf8'));
    const names = (readNdjson(file).slice(1) as { image: string }[]).map((l) => l.image);
    assert.deepEqual(names, [...COLLECTION_NAMES, 'z0.jpg', 'z1.jpg']);
    const drawn = readdirSync(path.join(out, 'drawn-1'), { recursive: true }).map(String).filter((f) => f.endsWith('.png')).sort();
    assert.equal(drawn.length, 5); // one per good image: sub/t1, t1, tiny, z0, z1
    for (const png of drawn) assert.ok(readFileSync(path.join(out, 'drawn-2', png)).equals(readFileSync(path.join(out, 'drawn-1', png))), png);
  });

  it('a --workers 2 run killed with SIGKILL and resumed with --workers 2 gives the clean run\'s file', async () => {
    const file = path.join(out, 'killed.ndjson');
    // Header + the 4 bad files + 1 good: the kill lands while the workers hold the other good images.
    const { signal, stderr } = await runAndKillAfter(file, 6);
    assert.equal(signal, 'SIGKILL', `the run ended before the kill: ${stderr}`);
    const killed = readFileSync(file, 'utf8');
    const complete = killed.slice(0, killed.lastIndexOf('\n') + 1);
    assert.ok(readFileSync(clean, 'utf8').startsWith(complete), 'the lines before the kill are the clean run\'s');
    assert.ok(complete.split('\n').length - 1 < 10, 'the run was killed before its last line');
    const resumed = await analyze('--workers', '2', '--ndjson', file, '--resume', photos);
    assert.equal(resumed.result, 3, resumed.out);
    assert.equal(readFileSync(file, 'utf8'), readFileSync(clean, 'utf8'));
  });

  it('refuses --workers with --backend webgpu or --batch, and a pack the workers cannot load, with exit 1', async () => {
    const webgpu = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'webgpu', '--workers', '2', photos]));
    assert.equal(webgpu.result, 1);
    assert.match(webgpu.out, /--workers.*CPU backend/);
    const batch = await analyze('--workers', '2', '--batch', '4', photos);
    assert.equal(batch.result, 1);
    assert.match(batch.out, /--batch/);
    // A folder without models: each worker's FaceAnalysis.create fails, and the run reports the one-worker run's error.
    const noModels = mkdtempSync(path.join(tmpdir(), 'insightgpu-nomodels-'));
    const inWorkers = await captureOutput(() => main(['analyze', '--models', noModels, ...settings, '--workers', '2', '--ndjson', path.join(out, 'never-2.ndjson'), photos]));
    const inProcess = await captureOutput(() => main(['analyze', '--models', noModels, ...settings, '--ndjson', path.join(out, 'never-1.ndjson'), photos]));
    assert.equal(inWorkers.result, 1, inWorkers.out);
    assert.equal(inProcess.result, 1, inProcess.out);
    assert.match(inWorkers.out, /model pack .*no \.onnx files/);
    assert.equal(inWorkers.out, inProcess.out);
  });

  it('a worker that exits mid-run ends the run with WorkerError, the lines before it written and valid', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-exiting-'));
    const names = ['a.jpg', 'b.jpg', 'c-exit-here.jpg', 'd.jpg', 'e.jpg'];
    for (const name of names) copyFileSync(sharedPath('images', 't1.jpg'), path.join(dir, name));
    const before = seatsTaken();
    const pool = await FaceAnalysisPool.create({
      size: 2, models, prepare: { detSize: [160, 160] }, workerScript: new URL('./fixtures/exiting-pool-worker.ts', import.meta.url),
    });
    // Each worker holds a seat at the decode gate, so a failed file's retry waits for decodes in every thread.
    assert.equal(seatsTaken(), before + 2);
    const file = path.join(out, 'exited.ndjson');
    const { out: writer } = await NdjsonResultsFile.open(file, { det_size: [160, 160], det_thresh: 0.5, max_num: 0, models: {} }, false);
    try {
      const entries = names.map((name) => ({ name, file: path.join(dir, name) }));
      await assert.rejects(runPool({ pool, entries, maxNum: 0, metric: 'default', onLine: (line) => writer.append(line) }),
        (error: unknown) => error instanceof WorkerError && /exited \(code 7\)/.test(error.message));
    } finally {
      writer.close();
      await pool.release();
    }
    assert.equal(await seatsAfterExit(before), before, 'the exited worker\'s seat and the released one\'s are given back');
    const written = (readNdjson(file).slice(1) as { image: string; faces: unknown[] }[]).map((l) => l.image);
    // The image before the exit point may or may not be done when the worker dies; nothing after it is written.
    assert.ok(written.length <= 2 && written.every((n, k) => n === names[k]), written.join(', '));
    assert.equal(readNdjson(file).length, written.length + 1);
  });

  it('a worker that runs out of memory is a WorkerError saying so, not a hang', { timeout: 60_000 }, async () => {
    // A 4 MB heap is far below what parsing the pack needs: V8 really stops the thread (ERR_WORKER_OUT_OF_MEMORY).
    await assert.rejects(FaceAnalysisPool.create({ size: 2, models, resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } }),
      (error: unknown) => error instanceof WorkerError && /memory limit/.test(error.message));
  });
});
