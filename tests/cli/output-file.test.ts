/**
 * The CLI's output plumbing (cli/output-file.ts, on src/core/files-node.ts): where an output goes when its path is a
 * symbolic link, a FIFO or an existing private file, what a killed run's temporary becomes, and a folder that cannot
 * be made under /proc. Real files, real child processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OutputFileError, prepareOutputFile, writeFileAtomically } from '../../cli/output-file.js';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { packAFolder } from './collection.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-output-file-'));
const posix = process.platform !== 'win32';
after(() => rmSync(work, { recursive: true, force: true }));

/** The pid of a process that has exited (its own child, waited for). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.equal(child.status, 0);
  return child.pid;
}

describe('writeFileAtomically', () => {
  it('keeps the permissions of the file it replaces (a private results file stays private)', { skip: !posix }, async () => {
    const file = path.join(work, 'private.json');
    writeFileSync(file, '{"old":true}');
    chmodSync(file, 0o600);
    await writeFileAtomically(file, '{"new":true}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), '{"new":true}');
  });

  it('writes a FIFO in place, and it stays a FIFO', { skip: !posix }, async () => {
    const fifo = path.join(work, 'results.fifo');
    spawnSync('mkfifo', [fifo]);
    const reader = await open(fifo, 'r+'); // a reader at once, without a blocking open
    try {
      await writeFileAtomically(fifo, 'hello');
      assert.ok(lstatSync(fifo).isFIFO());
      const got = Buffer.alloc(5);
      for (let at = 0; at < 5;) at += (await reader.read(got, at, 5 - at)).bytesRead;
      assert.equal(got.toString(), 'hello');
    } finally {
      await reader.close();
    }
  });

  it('writes /dev/stdout in place when it is a pipe (a link to a link to a pipe no path names)', { skip: !existsSync('/dev/stdout') }, () => {
    // A shell pipe: Node's own child stdio is a socket, which /proc/self/fd/1 cannot open (ENXIO, as for a shell).
    const script = path.join(work, 'to-stdout.mts');
    writeFileSync(script, `import { prepareOutputFile, writeFileAtomically } from ${JSON.stringify(path.join(repo, 'cli', 'output-file.ts'))};
await prepareOutputFile('/dev/stdout');
await writeFileAtomically('/dev/stdout', 'to the pipe');
`);
    const child = spawnSync('sh', ['-c', '"$0" --import tsx "$1" | cat', process.execPath, script], { cwd: repo, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'to the pipe');
    assert.equal(child.stderr, '');
  });

  it('through a dangling symbolic link makes the file it names; the link stays', async () => {
    const dir = mkdtempSync(path.join(work, 'dangling-'));
    const link = path.join(dir, 'out.json');
    symlinkSync(path.join('results', 'run.json'), link);
    await prepareOutputFile(link); // makes the folder of the link's target, as for any output's missing folder
    await writeFileAtomically(link, '{}');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), path.join('results', 'run.json'));
    assert.equal(readFileSync(path.join(dir, 'results', 'run.json'), 'utf8'), '{}');
  });

  it('a loop of links is an OutputFileError, and nothing is written', async () => {
    const dir = mkdtempSync(path.join(work, 'loop-'));
    symlinkSync('b', path.join(dir, 'a'));
    symlinkSync('a', path.join(dir, 'b'));
    await assert.rejects(prepareOutputFile(path.join(dir, 'a')), (e: unknown) => e instanceof OutputFileError && /ELOOP/.test(e.message));
    await assert.rejects(writeFileAtomically(path.join(dir, 'a'), '{}'), (e: unknown) => e instanceof OutputFileError && /ELOOP/.test(e.message));
    assert.ok(lstatSync(path.join(dir, 'a')).isSymbolicLink());
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'b']);
  });

  it('removes the temporaries of that file a killed run left, never a live run\'s or another file\'s', async () => {
    const dir = mkdtempSync(path.join(work, 'stale-'));
    const dead = deadPid();
    const stale = `.out.json.${dead}.0123abcd.tmp`;
    const live = `.out.json.${process.ppid}.0badcafe.tmp`; // the test runner's: alive
    const other = `.other.json.${dead}.0123abcd.tmp`;
    for (const name of [stale, live, other]) writeFileSync(path.join(dir, name), 'half');
    await writeFileAtomically(path.join(dir, 'out.json'), '{}');
    assert.deepEqual(readdirSync(dir).sort(), [live, other, 'out.json'].sort());
  });
});

describe('an output folder under /proc fails at once with the system\'s error', { skip: !existsSync('/proc/self/status') }, () => {
  // Node's recursive mkdir spins forever there (/proc/self refuses a child with ENOENT while it exists); the run is
  // a child process so that a spin shows as a failed test instead of a hung one (SIGKILL: a spinning run never gets
  // to its SIGTERM handler).
  const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  for (const option of ['--json', '--ndjson', '--draw']) {
    it(`analyze ${option} /proc/self/x/y`, () => {
      const result = cli('analyze', '--models', path.join(work, 'no-models'), '--backend', 'cpu', option, '/proc/self/x/y', sharedPath('images', 't1.jpg'));
      assert.equal(result.signal, null, 'the run was stopped: it hung');
      assert.equal(result.status, 1, String(result.stderr));
      assert.match(String(result.stderr), /^insightgpu analyze: cannot write '\/proc\/self\/x\/y': its folder cannot be made \(ENOENT: [^\n]*mkdir '\/proc\/self\/x'\)\n$/);
    });
  }
});

describe('analyze --json through a dangling symbolic link (pack A, cpu, det 160)', () => {
  it('writes the results where the link points, and the link stays', async () => {
    const dir = mkdtempSync(path.join(work, 'analyze-link-'));
    mkdirSync(path.join(dir, 'kept'));
    const link = path.join(dir, 'latest.json');
    symlinkSync(path.join('kept', 'run1.json'), link);
    const models = packAFolder();
    after(() => rmSync(models, { recursive: true, force: true }));
    const { result, out } = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--json', link, sharedPath('images', 't1.jpg')]));
    assert.equal(result, 0, out);
    assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
    const written = JSON.parse(readFileSync(path.join(dir, 'kept', 'run1.json'), 'utf8')) as { results: { image: string }[] };
    assert.deepEqual(written.results.map((r) => r.image), ['t1.jpg']);
    assert.deepEqual(readdirSync(path.join(dir, 'kept')), ['run1.json']);
  });
});

describe('analyze --draw where an image\'s subfolder is a file (pack A, cpu, det 160)', () => {
  it('fails in one line naming the folder that cannot be made, not "EEXIST: file already exists, mkdir"', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-sub-'));
    mkdirSync(path.join(dir, 'photos', 'trip'), { recursive: true });
    writeFileSync(path.join(dir, 'photos', 'trip', 't1.jpg'), readFileSync(sharedPath('images', 't1.jpg')));
    mkdirSync(path.join(dir, 'drawn'));
    writeFileSync(path.join(dir, 'drawn', 'trip'), 'a file where photos/trip/t1.jpg\'s drawing folder goes');
    const models = packAFolder();
    after(() => rmSync(models, { recursive: true, force: true }));
    const { result, out } = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--draw', path.join(dir, 'drawn'), path.join(dir, 'photos')]));
    assert.equal(result, 1, out);
    assert.match(out, new RegExp(`^insightgpu analyze: cannot write '${path.join(dir, 'drawn', 'trip').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': it is a file, not a folder\n`, 'm'));
    assert.deepEqual(readdirSync(path.join(dir, 'drawn')), ['trip'], 'nothing else written');
  });
});

describe('analyze --draw makes an image\'s subfolder only when its drawing is written (pack A, cpu, det 160)', () => {
  it('a subfolder of only unreadable images gets no folder in DIR; a drawn one does', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-lazy-'));
    mkdirSync(path.join(dir, 'photos', 'good'), { recursive: true });
    mkdirSync(path.join(dir, 'photos', 'broken', 'deeper'), { recursive: true });
    writeFileSync(path.join(dir, 'photos', 'good', 't1.jpg'), readFileSync(sharedPath('images', 't1.jpg')));
    writeFileSync(path.join(dir, 'photos', 'broken', 'deeper', 'cut.jpg'), readFileSync(sharedPath('images', 't1.jpg')).subarray(0, 200));
    const models = packAFolder();
    after(() => rmSync(models, { recursive: true, force: true }));
    const drawn = path.join(dir, 'drawn');
    const { result, out } = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--draw', drawn, path.join(dir, 'photos')]));
    assert.equal(result, 3, out); // the cut image failed, the other was analysed
    assert.deepEqual(readdirSync(drawn, { recursive: true }).map(String).sort(), ['good', path.join('good', 't1.png')], 'no folder for the failed image');
  });

  it('a subfolder that cannot be made under a file is still refused before the models load', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-lazy-blocked-'));
    mkdirSync(path.join(dir, 'photos', 'trip', 'day1'), { recursive: true });
    writeFileSync(path.join(dir, 'photos', 'trip', 'day1', 't1.jpg'), readFileSync(sharedPath('images', 't1.jpg')));
    mkdirSync(path.join(dir, 'drawn'));
    writeFileSync(path.join(dir, 'drawn', 'trip'), 'a file where the drawing folders go');
    // No models there: a check that came after the models load would fail on them instead.
    const { result, out } = await captureOutput(() => main(['analyze', '--models', path.join(dir, 'no-models'), '--backend', 'cpu', '--quiet', '--draw', path.join(dir, 'drawn'), path.join(dir, 'photos')]));
    assert.equal(result, 1, out);
    const sub = path.join(dir, 'drawn', 'trip', 'day1').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(out, new RegExp(`^insightgpu analyze: cannot write '${sub}': its folder cannot be made \\(ENOTDIR: not a directory, mkdir '.*trip'\\)\n`, 'm'));
    assert.deepEqual(readdirSync(path.join(dir, 'drawn')), ['trip']);
  });
});
