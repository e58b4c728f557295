/**
 * A script that takes frames from readVideoFrames and then drops the reader (no break, no return()) ends by itself:
 * the ffmpeg behind it, blocked on a full pipe, no longer holds the process open; and once the dropped reader is
 * collected its ffmpeg is gone. Each runs in a real child node process. Needs Debian's ffmpeg.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
const NO_FFMPEG = hasFfmpeg ? false : 'ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg; .ci/run installs it)';
const ROOT = path.resolve(import.meta.dirname, '../../..');
const READER = pathToFileURL(path.join(ROOT, 'src/pipeline/tracking/video-frames.ts')).href;

const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-abandon-'));
const clip = path.join(dir, 'clip with spaces.mkv');

/** A 100-frame 320×240 clip: 23 MB of BGR, far more than a pipe holds, so ffmpeg blocks behind the reader. */
function makeClip(): void {
  if (existsSync(clip)) return;
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25', '-frames:v', '100', '-c:v', 'ffv1', clip]);
  assert.equal(made.status, 0, String(made.stderr));
}

/** Runs a script in a child node (tsx), killing it only if it has not exited after `limitMs`; its code, signal and output. */
function runChild(script: string, args: readonly string[], limitMs: number): Promise<{ code: number | null; killed: boolean; out: string }> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--import', 'tsx', file, clip], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += String(b); });
    child.stderr.on('data', (b: Buffer) => { out += String(b); });
    let killed = false;
    const guard = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, killed, out });
    });
  });
}

describe('readVideoFrames dropped without break or return()', () => {
  it('does not keep the process alive', { skip: NO_FFMPEG, timeout: 180_000 }, async () => {
    makeClip();
    const script = `
      import { readVideoFrames } from ${JSON.stringify(READER)};
      const frames = readVideoFrames(process.argv[2]);
      const first = await frames.next();
      const second = await frames.next();
      console.log('frames', first.value.index, second.value.index);
      // The reader is dropped here: the script has nothing left to do.
    `;
    // Generous: only a child that never exits by itself fails (before the fix it waited on ffmpeg for ever).
    const r = await runChild(script, [], 120_000);
    assert.equal(r.killed, false, `the script did not exit by itself: ${r.out}`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /frames 0 1/);
  });

  it('kills its decoder once the dropped reader is collected', { skip: NO_FFMPEG || (existsSync('/proc/self/task') ? false : 'needs Linux /proc'), timeout: 180_000 }, async () => {
    makeClip();
    // The process's own children, from /proc: ffmpeg is one while the reader lives (ffprobe has exited by then).
    const script = `
      import { readFileSync } from 'node:fs';
      import { readVideoFrames } from ${JSON.stringify(READER)};
      const children = () => readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').trim();
      await (async () => { const frames = readVideoFrames(process.argv[2]); await frames.next(); })();
      console.log('decoding', children() !== '');
      for (let i = 0; i < 300 && children() !== ''; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log('decoder left', children() !== '');
    `;
    const r = await runChild(script, ['--expose-gc'], 120_000);
    assert.equal(r.killed, false, r.out);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /decoding true/);
    assert.match(r.out, /decoder left false/);
  });
});
