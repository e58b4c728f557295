import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { packAFolder } from './collection.js';
import { runAndKill } from './kill-after-lines.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(path.join(tmpdir(), 'insightgpu-resume-'));
const settings = ['--backend', 'cpu', '--det-size', '320', '--quiet'];
let models = '';
let photos = '';
let clean = '';

/** Seven photos: t1.jpg, its mirror, four crops of it, and one unreadable file (so error lines resume too). */
async function makePhotos(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-photos-'));
  const t1 = sharedPath('images', 't1.jpg');
  copyFileSync(t1, path.join(dir, 'a-t1.jpg'));
  await sharp(t1).flop().png().toFile(path.join(dir, 'b-mirror.png'));
  const crops = [[0, 0, 800, 600], [400, 200, 880, 686], [200, 100, 1000, 700], [480, 286, 800, 600]];
  for (const [k, [left, top, right, bottom]] of crops.entries()) {
    await sharp(t1).extract({ left: left!, top: top!, width: right! - left!, height: bottom! - top! }).png().toFile(path.join(dir, `c-crop${k}.png`));
  }
  mkdirSync(path.join(dir, 'd'));
  writeFileSync(path.join(dir, 'd', 'broken.jpg'), readFileSync(t1).subarray(0, 2000));
  return dir;
}

const analyze = (...args: string[]): Promise<{ result: number; out: string }> =>
  captureOutput(() => main(['analyze', '--models', models, ...settings, ...args]));

/** Spawns the CLI on `photos` into `file` and SIGKILLs it once the file holds `lines` complete lines. */
const runAndKillAfter = (file: string, lines: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> =>
  runAndKill(['analyze', '--models', models, ...settings, '--ndjson', file, photos], file, lines, repoRoot);

/** Equal files, reported by the first line that differs (whole files are a quarter of a megabyte). */
function assertSameLines(actual: string, expected: string): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const k = a.findIndex((line, i) => line !== e[i]);
  if (k >= 0) assert.fail(`line ${k + 1} of ${a.length} (${e.length} expected) differs:\n  got      ${a[k]!.slice(0, 400)}\n  expected ${(e[k] ?? '(no line)').slice(0, 400)}`);
  assert.equal(a.length, e.length);
}

describe('insightgpu analyze --resume (cpu, det 320)', () => {
  before(async () => {
    models = packAFolder();
    photos = await makePhotos();
    clean = path.join(out, 'clean.ndjson');
    const { result, out: text } = await analyze('--ndjson', clean, photos);
    assert.equal(result, 3, text);
  });

  it('a run killed with SIGKILL and resumed gives exactly the clean run\'s lines', async () => {
    const file = path.join(out, 'killed.ndjson');
    // Header + 2 image lines of 7: the kill lands while later images are being analysed (or written).
    const { signal, stderr } = await runAndKillAfter(file, 3);
    assert.equal(signal, 'SIGKILL', `the run ended before the kill: ${stderr}`);
    const killed = readFileSync(file, 'utf8');
    const complete = killed.slice(0, killed.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
    for (const line of complete) JSON.parse(line);
    assert.ok(complete.length >= 3 && complete.length < 8, `${complete.length} complete lines at the kill`);
    assert.ok(readFileSync(clean, 'utf8').startsWith(complete.join('\n')), 'the lines before the kill are the clean run\'s');
    const resumed = await analyze('--ndjson', file, '--resume', photos);
    assert.equal(resumed.result, 3, resumed.out);
    assertSameLines(readFileSync(file, 'utf8'), readFileSync(clean, 'utf8'));
  });

  it('repairs a torn last line and appends the rest', async () => {
    const text = readFileSync(clean, 'utf8');
    const lineStarts = [...text.matchAll(/\n/g)].map((m) => m.index + 1);
    // Cut in the middle of the fourth image's line (line 5 of 8).
    const cut = lineStarts[3]! + Math.floor((lineStarts[4]! - lineStarts[3]!) / 2);
    const file = path.join(out, 'torn.ndjson');
    writeFileSync(file, text.slice(0, cut));
    const { result, out: message } = await analyze('--ndjson', file, '--resume', '--batch', '2', photos);
    assert.equal(result, 3, message);
    assertSameLines(readFileSync(file, 'utf8'), text);
  });

  it('resuming a finished file analyses nothing, changes nothing and still reports its failure', async () => {
    const file = path.join(out, 'finished.ndjson');
    writeFileSync(file, readFileSync(clean));
    const { result, out: message } = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '320', '--ndjson', file, '--resume', photos]));
    // Exit 3 as for the clean run: the results hold a failed image, whichever run wrote its line.
    assert.equal(result, 3, message);
    assert.match(message, /0 image\(s\), 0 face\(s\) .*\(7 already in/);
    assert.match(message, /1 of 7 image\(s\) failed:\n {2}d\/broken\.jpg: ImageError/);
    assertSameLines(readFileSync(file, 'utf8'), readFileSync(clean, 'utf8'));
  });
});
