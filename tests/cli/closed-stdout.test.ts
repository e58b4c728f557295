/**
 * Output on stdout through a real pipe: a bash pipeline into a child that reads one line and exits. A reader that
 * goes away early (`insightgpu … | head -1`): the CLI ends with 141 (128 + SIGPIPE, as a Unix tool killed by
 * SIGPIPE) and prints nothing, instead of an unhandled 'write EPIPE' with a stack trace and exit 1. analyze's
 * --ndjson - and --json - write to stdout, not to a file named '-'.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeIndex } from '../../src/pipeline/identity/index-file.js';
import { sharedPath } from '../pipeline/helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-closed-stdout-'));
/** Reads up to its first newline, then exits: the pipe closes while the CLI still has output to write. */
const READ_ONE_LINE = `const seen = []; process.stdin.on('data', (c) => { seen.push(c); if (c.includes(10)) { const all = Buffer.concat(seen); process.stdin.pause(); process.stdout.write(all.subarray(0, all.indexOf(10) + 1), () => process.exit(0)); } })`;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `insightgpu ARGS [2>&1] | reader`: the CLI's exit status, what the reader printed, the CLI's own stderr. */
function pipeToOneLineReader(args: readonly string[], stderrToo = false): { code: number; line: string; stderr: string } {
  const errFile = path.join(dir, 'stderr.txt');
  const cli = [process.execPath, '--import', 'tsx', 'cli/main.ts', ...args].map(quote).join(' ');
  const script = `${cli} ${stderrToo ? '2>&1' : `2>${quote(errFile)}`} | ${quote(process.execPath)} -e ${quote(READ_ONE_LINE)}; echo "status \${PIPESTATUS[0]}" >&2`;
  writeFileSync(errFile, '');
  const run = spawnSync('bash', ['-c', script], { cwd: repo, encoding: 'utf8' });
  const status = /status (\d+)/.exec(run.stderr);
  assert.ok(status, run.stderr);
  return { code: Number(status[1]), line: run.stdout, stderr: readFileSync(errFile, 'utf8') };
}

describe('a reader that closes the pipe early', () => {
  it('index info of a large index | one line: exit 141, no error printed', () => {
    // 100k ids, one per line of the JSON: some 2 MB, far more than a pipe holds, so the writes meet the closed pipe.
    const n = 100_000;
    const file = path.join(dir, 'many.igfx');
    const ids = Array.from({ length: n }, (_, i) => `person-${i}`);
    writeFileSync(file, encodeIndex({ dim: 1, ids, meta: ids.map(() => undefined), owner: Int32Array.from(ids, (_, i) => i), rows: new Float32Array(n).fill(1) }));
    const { code, line, stderr } = pipeToOneLineReader(['index', 'info', file]);
    assert.equal(line, '{\n');
    assert.equal(stderr, '', 'nothing printed');
    assert.equal(code, 141);
  });

  // Four copies of t1.jpg: their results are some 190 kB, more than the pipe and the reader's one read hold.
  const images = path.join(dir, 'photos');
  mkdirSync(images);
  for (const name of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']) copyFileSync(sharedPath('images', 't1.jpg'), path.join(images, name));
  const analyze = ['analyze', '--models', sharedPath('models'), '--backend', 'cpu', '--det-size', '320'];

  it('analyze 2>&1 | one line: the run stops with 141 (its messages and results meet the closed pipe)', () => {
    const { code, line } = pipeToOneLineReader([...analyze, images], true);
    assert.match(line, /^backend: cpu/);
    assert.doesNotMatch(line, /EPIPE/);
    assert.equal(code, 141);
  });

  it('analyze --ndjson - | one line: the settings line arrives on stdout (no file named -), then exit 141', () => {
    const stray = path.join(repo, '-');
    try {
      const { code, line, stderr } = pipeToOneLineReader([...analyze, '--ndjson', '-', images]);
      assert.equal(existsSync(stray), false, 'no file named - in the working folder');
      assert.deepEqual(Object.keys(JSON.parse(line) as object), ['det_size', 'det_thresh', 'max_num', 'models']);
      assert.doesNotMatch(stderr, /EPIPE/);
      assert.equal(code, 141);
    } finally {
      rmSync(stray, { force: true });
    }
  });

  it('analyze --json - | one line: the whole document on stdout, no file named -', () => {
    const stray = path.join(repo, '-');
    try {
      const { code, line, stderr } = pipeToOneLineReader([...analyze, '--json', '-', images]);
      assert.equal(existsSync(stray), false, 'no file named - in the working folder');
      assert.equal((JSON.parse(line) as { results: unknown[] }).results.length, 4);
      assert.match(stderr, /4 image\(s\), 24 face\(s\) → stdout/);
      assert.equal(code, 0, 'the reader took the one line there is');
    } finally {
      rmSync(stray, { force: true });
    }
  });
});
