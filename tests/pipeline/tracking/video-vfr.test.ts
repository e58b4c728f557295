/**
 * readVideoFrames on a variable-frame-rate video: one frame per stored frame, each at its own presentation time (not
 * duplicated up to the fastest rate, not spaced by the average rate). Needs Debian's ffmpeg.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
});
