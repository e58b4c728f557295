/**
 * readVideoFrames on a variable-frame-rate video: one frame per stored frame, each at its own presentation time (not
 * duplicated up to the fastest rate, not spaced by the average rate). Needs Debian's ffmpeg.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readVideoFrames } from '../../../src/pipeline/index.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
const NO_FFMPEG = hasFfmpeg ? false : 'ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg; .ci/run installs it)';

describe('readVideoFrames on a variable-frame-rate video', { skip: NO_FFMPEG }, () => {
  it('yields each stored frame once, at its own time', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-vfr-'));
    const clip = path.join(dir, 'vfr.mkv');
    // 1 s at 5 fps then 0.4 s at 25 fps, 16×16: 5 + 10 stored frames, kept as they are (-vsync vfr).
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=16x16:r=5:d=1', '-f', 'lavfi', '-i', 'color=blue:s=16x16:r=25:d=0.4',
      '-filter_complex', '[0][1]concat=n=2:v=1[v]', '-map', '[v]', '-vsync', 'vfr', '-c:v', 'ffv1', clip]);
    assert.equal(made.status, 0, made.stderr.toString());
    const times: number[] = [];
    for await (const frame of readVideoFrames(clip)) times.push(frame.time);
    const want = [0, 200, 400, 600, 800, 1000, 1040, 1080, 1120, 1160, 1200, 1240, 1280, 1320, 1360];
    assert.equal(times.length, want.length, `times ${times.map((t) => t.toFixed(0)).join(' ')}`);
    // The container's time base (1 ms in Matroska) rounds each time: within 1 ms.
    times.forEach((t, i) => assert.ok(Math.abs(t - want[i]!) <= 1, `frame ${i} at ${t} ms, want ${want[i]}`));
  });

  it('gives a stream-copied cut its shown frames\' times, not the cut-away frames\'', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-vfr-'));
    const whole = path.join(dir, 'whole.mp4');
    const cut = path.join(dir, 'cut.mp4');
    // 2 s at 5 fps then 0.4 s at 25 fps, a keyframe every 8 frames; cut at 0.5 s without re-encoding: the cut file
    // starts at the keyframe at 0 s and its edit list hides the frames at 0, 0.2 and 0.4 s (packets flagged discard).
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=16x16:r=5:d=2', '-f', 'lavfi', '-i', 'color=blue:s=16x16:r=25:d=0.4',
      '-filter_complex', '[0][1]concat=n=2:v=1[v]', '-map', '[v]', '-vsync', 'vfr', '-c:v', 'mpeg4', '-enc_time_base', '1:100', '-g', '8', whole]);
    assert.equal(made.status, 0, made.stderr.toString());
    const copied = spawnSync('ffmpeg', ['-v', 'error', '-y', '-ss', '0.5', '-i', whole, '-c', 'copy', cut]);
    assert.equal(copied.status, 0, copied.stderr.toString());
    const times: number[] = [];
    for await (const frame of readVideoFrames(cut)) times.push(frame.time);
    // The decoded frames' own times (ffprobe decodes the file), from the first shown one: 0 … 1200 ms at 5 fps,
    // then 25 fps; not the hidden frames' 0, 200 and 400 ms.
    const probed = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', cut]);
    const shown = probed.stdout.toString().split('\n').map((line) => Number.parseFloat(line)).filter((t) => Number.isFinite(t));
    const want = shown.map((t) => (t - shown[0]!) * 1000);
    assert.deepEqual(want.slice(0, 9).map(Math.round), [0, 200, 400, 600, 800, 1000, 1200, 1400, 1440]);
    assert.equal(times.length, want.length, `times ${times.map((t) => t.toFixed(0)).join(' ')}`);
    // Both lists are ffprobe's decimal seconds (6 digits) turned into ms: within 1 ms.
    times.forEach((t, i) => assert.ok(Math.abs(t - want[i]!) <= 1, `frame ${i} at ${t} ms, want ${want[i]}`));
  });

  it('gives increasing times to two streams joined byte for byte, each restarting its clock', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-vfr-'));
    const parts = ['64x48', '80x60'].map((size, k) => {
      const part = path.join(dir, `part${k}.ts`);
      const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=${size}:r=5:d=1`, '-c:v', 'mpeg2video', part]);
      assert.equal(made.status, 0, made.stderr.toString());
      return readFileSync(part);
    });
    // `cat part0.ts part1.ts`: the second part's packets carry the first part's times again.
    const joined = path.join(dir, 'joined.ts');
    writeFileSync(joined, Buffer.concat(parts));
    const times: number[] = [];
    for await (const frame of readVideoFrames(joined)) times.push(frame.time);
    assert.ok(times.length >= 5, `${times.length} frame(s)`);
    times.forEach((t, i) => assert.ok(i === 0 || t > times[i - 1]!, `frame ${i} at ${t} ms after ${times[i - 1]} ms: ${times.map((x) => x.toFixed(0)).join(' ')}`));
  });

  it('reads a URL whose stream does not end (a live feed) without waiting for its end', async () => {
    // A live feed: each request gets an MPEG-TS stream that ffmpeg makes at real time (-re) and never ends, as a
    // camera's does. Reading every packet's time before the first frame would wait for an end that never comes.
    const feeds = new Set<ChildProcess>();
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp2t' });
      const feed = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=s=64x48:r=10', '-c:v', 'mpeg2video', '-f', 'mpegts', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
      feeds.add(feed);
      feed.stdout.pipe(response);
      response.on('close', () => feed.kill());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.ts`;
      const times: number[] = [];
      for await (const frame of readVideoFrames(url)) {
        times.push(frame.time);
        if (times.length === 5) break;
      }
      // A URL keeps index / fps times (10 fps here).
      assert.deepEqual(times, [0, 100, 200, 300, 400]);
    } finally {
      for (const feed of feeds) feed.kill();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
