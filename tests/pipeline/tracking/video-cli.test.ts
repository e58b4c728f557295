/**
 * `insightgpu video` on a 12-frame pan over t1.jpg made with ffmpeg: one NDJSON line per frame, and track ids
 * that stay with the true faces (the golden t1 boxes carried through the known pan). Needs Debian's ffmpeg
 * (.ci/run installs it); without it only the missing-decoder and --help checks run and the rest says why it skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../cli/main.js';
import { FaceIndex, PipelineOptionError, probeVideo, readVideoFrames, VideoError } from '../../../src/pipeline/index.js';
import { IdSwitchCounter, loadT1, type Box } from '../../../bench/node/tracker-scenes.js';
import { captureOutput } from '../capture-output.js';
import { sharedPath, SHARED } from '../helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
const NO_FFMPEG = hasFfmpeg ? false : 'ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg; .ci/run installs it)';

const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-video-'));
// The clip: a 640×443 window panning 10 px per frame across t1.jpg from (0, 100), shown at half size, 12 fps.
const CLIP = { frames: 12, fps: 12, x0: 0, y0: 100, step: 10, w: 640, h: 443, scale: 0.5 };

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

describe('insightgpu video', () => {
  it('names the package when ffmpeg is missing', async () => {
    const { code, out } = await run(['video', sharedPath('images', 't1.jpg'), '--models', sharedPath('models'), '--ndjson', path.join(dir, 'x.ndjson'), '--ffmpeg', '/nonexistent/bin/ffmpeg']);
    assert.equal(code, 1);
    // The user typed only --ffmpeg: the line says where the ffprobe name comes from.
    assert.match(out, /'\/nonexistent\/bin\/ffprobe' was not found \(ffprobe is looked for beside the ffmpeg given, '\/nonexistent\/bin\/ffmpeg'\).*apt-get install ffmpeg/);
  });

  it('prints its usage with --help', async () => {
    const { code, out } = await run(['video', '--help']);
    assert.equal(code, 0);
    assert.match(out, /insightgpu video IN\.mp4 --models DIR --ndjson OUT/);
    // --max-frames 0 is every frame here, while readVideoFrames' maxFrames refuses 0: the help says which.
    assert.match(out, /^ {2}--max-frames N +stop after the first N frames \(default 0: every frame\)$/m);
  });

  it('checks the decoder on the first frame before the models load: a program that is not an ffmpeg, a video with no frames', { skip: NO_FFMPEG }, async () => {
    const clip = path.join(dir, 'four.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=64x48:r=4', '-frames:v', '4', '-c:v', 'ffv1', clip]);
    assert.equal(made.status, 0, made.stderr.toString());
    // "ffmpeg" that exits 0 without a byte, beside the real ffprobe (which --ffmpeg's folder supplies).
    const bin = path.join(dir, 'not-ffmpeg');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'ffmpeg'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(bin, 'ffmpeg'), 0o755);
    symlinkSync(spawnSync('sh', ['-c', 'command -v ffprobe']).stdout.toString().trim(), path.join(bin, 'ffprobe'));
    // A models folder that does not exist: the decoder's error must come first, not the pack's after loading.
    const noModels = path.join(dir, 'no-models');
    const fake = path.join(dir, 'fake.ndjson');
    let r = await run(['video', clip, '--models', noModels, '--ndjson', fake, '--backend', 'cpu', '--ffmpeg', path.join(bin, 'ffmpeg')]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /not-ffmpeg\/ffmpeg decoded no frames/);
    assert.equal(existsSync(fake), false, 'no output file for a run that never had a frame');
    // An AVI with a stream and no frames: ffprobe reads it, ffmpeg fails on it.
    const empty = path.join(dir, 'empty.avi');
    assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=black:s=64x48:r=5', '-t', '0', empty]).status, 0);
    r = await run(['video', empty, '--models', noModels, '--ndjson', path.join(dir, 'empty.ndjson'), '--backend', 'cpu']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /video '.*empty\.avi': ffmpeg (exited with|decoded no frames)/);
    assert.doesNotMatch(r.out, /model pack/);
    // A bare program name that is not on PATH (ffprobe then comes from PATH, so only decoding can find it missing).
    r = await run(['video', clip, '--models', noModels, '--ndjson', path.join(dir, 'bare.ndjson'), '--backend', 'cpu', '--ffmpeg', 'no-such-ffmpeg-here']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /'no-such-ffmpeg-here' was not found/);
  });

  it('refuses an index made with another recognizer before the first frame, not at the first face', { skip: NO_FFMPEG }, async () => {
    const clip = path.join(dir, 'gray.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=64x48:r=4', '-frames:v', '3', '-c:v', 'ffv1', clip]);
    assert.equal(made.status, 0, made.stderr.toString());
    const models = mkdtempSync(path.join(dir, 'models-'));
    for (const name of ['scrfd_500m_bnkps.onnx', 'mobilefacenet.onnx']) symlinkSync(sharedPath('models', name), path.join(models, name));
    // A 512-d index (buffalo_l's recognizer) against mobilefacenet's 128-d embeddings; the clip has no face at all.
    const index = new FaceIndex({ dim: 512 });
    index.add('someone', Float32Array.from({ length: 512 }, (_, i) => Math.cos(i)));
    const file = path.join(dir, 'other-512.igfx');
    await index.save(file);
    const out = path.join(dir, 'index-mismatch.ndjson');
    const r = await run(['video', clip, '--models', models, '--ndjson', out, '--det-size', '160', '--backend', 'cpu', '--quiet', '--index', file]);
    assert.equal(r.code, 1, r.out);
    // The flag typed and the file it named, as index add and index search say it.
    assert.match(r.out, /^insightgpu video: option --index: .*other-512\.igfx holds 512-d embeddings, but the recognizer makes 128-d ones/m);
    assert.equal(existsSync(out), false, 'no frame was tracked');
  });

  it('says so when OUT cannot be written mid-run (a full disk), exit 1, instead of exiting 13 with no message', { skip: NO_FFMPEG || (existsSync('/dev/full') ? false : 'no /dev/full') }, async () => {
    const clip = path.join(dir, 'gray3.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=64x48:r=4', '-frames:v', '3', '-c:v', 'ffv1', clip]);
    assert.equal(made.status, 0, made.stderr.toString());
    const models = mkdtempSync(path.join(dir, 'models-'));
    symlinkSync(sharedPath('models', 'scrfd_500m_bnkps.onnx'), path.join(models, 'scrfd_500m_bnkps.onnx'));
    // /dev/full: empty to stat, so it passes the non-empty check, and every write fails with ENOSPC.
    const r = await run(['video', clip, '--models', models, '--ndjson', '/dev/full', '--det-size', '160', '--backend', 'cpu', '--quiet']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /cannot write '\/dev\/full': ENOSPC/);
  });

  it('writes one line per frame with track ids that follow the true faces', { skip: NO_FFMPEG }, async () => {
    const clip = path.join(dir, 'pan.mp4');
    const crop = `crop=${CLIP.w}:${CLIP.h}:x='${CLIP.x0}+n*${CLIP.step}':y=${CLIP.y0},scale=${CLIP.w * CLIP.scale}:${Math.round(CLIP.h * CLIP.scale)}`;
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', String(CLIP.fps), '-i', sharedPath('images', 't1.jpg'),
      '-vf', crop, '-frames:v', String(CLIP.frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '12', '-pix_fmt', 'yuv420p', clip]);
    assert.equal(made.status, 0, made.stderr.toString());
    const models = mkdtempSync(path.join(dir, 'models-'));
    for (const name of ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx']) symlinkSync(sharedPath('models', name), path.join(models, name));
    const ndjson = path.join(dir, 'pan.ndjson');
    const { code, out } = await run(['video', clip, '--models', models, '--ndjson', ndjson, '--det-size', '320', '--every', '5', '--detect-every', '2', '--backend', 'cpu', '--no-smoothing']);
    assert.equal(code, 0, out);
    const lines = readFileSync(ndjson, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { frame: number; time: number; faces: { trackId: number; bbox: number[]; kps: number[][]; embedding: number[] }[] });
    assert.deepEqual(lines.map((l) => l.frame), [...Array(CLIP.frames).keys()]);
    lines.forEach((l, k) => assert.ok(Math.abs(l.time - k / CLIP.fps) < 1e-9));
    assert.ok(lines.every((l) => l.faces.every((f) => Number.isInteger(f.trackId) && f.bbox.length === 4 && f.kps.length === 5 && f.embedding.length === 128)));
    // Truth: the golden boxes through the pan, for faces wholly inside the frame.
    const t1 = await loadT1(SHARED);
    const counter = new IdSwitchCounter();
    lines.forEach((l, k) => {
      const ox = CLIP.x0 + k * CLIP.step;
      const truth = t1.faces.map((b, face) => ({ face, box: [(b[0] - ox) * CLIP.scale, (b[1] - CLIP.y0) * CLIP.scale, (b[2] - ox) * CLIP.scale, (b[3] - CLIP.y0) * CLIP.scale] as Box }))
        .filter(({ box }) => box[0] >= 0 && box[1] >= 0 && box[2] <= CLIP.w * CLIP.scale && box[3] <= Math.round(CLIP.h * CLIP.scale));
      counter.add(truth, l.faces);
    });
    assert.ok(counter.matched >= 2 * CLIP.frames, `only ${counter.matched} true faces matched`);
    assert.deepEqual({ switches: counter.switches, misses: counter.misses }, { switches: 0, misses: 0 });
  });
});

describe('readVideoFrames', () => {
  it('reads fixed-size BGR frames, stops the decoder when the loop ends early, and refuses a non-video', { skip: NO_FFMPEG }, async () => {
    const file = path.join(dir, 'flat.mkv');
    // 8 frames of 64×48 where frame k is BGR (10k, 80, 120) everywhere, stored losslessly so the bytes come back exactly.
    const raw = path.join(dir, 'flat.bgr');
    writeFileSync(raw, Uint8Array.from({ length: 8 * 64 * 48 * 3 }, (_, i) => [10 * Math.floor(i / (64 * 48 * 3)), 80, 120][i % 3]!));
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', '64x48', '-r', '8', '-i', raw, '-c:v', 'ffv1', '-pix_fmt', 'bgr0', file]);
    assert.equal(made.status, 0, made.stderr.toString());
    const info = await probeVideo(file);
    assert.deepEqual({ w: info.width, h: info.height, fps: info.fps }, { w: 64, h: 48, fps: 8 });
    const seen: number[] = [];
    for await (const frame of readVideoFrames(file)) {
      assert.equal(frame.image.data.length, 64 * 48 * 3);
      assert.deepEqual(Array.from(frame.image.data.subarray(-3)), [10 * frame.index, 80, 120]);
      assert.equal(frame.time, frame.index * 125);
      seen.push(frame.index);
      if (frame.index === 2) break;
    }
    assert.deepEqual(seen, [0, 1, 2]);
    const all: number[] = [];
    for await (const frame of readVideoFrames(file, { maxFrames: 5 })) all.push(frame.index);
    assert.deepEqual(all, [0, 1, 2, 3, 4]);
    const text = path.join(dir, 'not-a-video.txt');
    writeFileSync(text, 'hello');
    await assert.rejects(probeVideo(text), VideoError);
    // Named .mp4, ffprobe complains on two lines (the MP4 reader's, then its own); they come back as one line.
    const named = path.join(dir, 'not-a-video.mp4');
    writeFileSync(named, 'hello');
    await assert.rejects(probeVideo(named), (e: unknown) => e instanceof VideoError && /ffprobe exited with 1: .+; .+/.test(e.message) && !e.message.includes('\n'));
  });

  it('reads a video cut off mid-stream as a VideoError after the frames it holds, not as a shorter video', { skip: NO_FFMPEG }, async () => {
    // 20 frames with the index (moov) first, so a cut keeps the header that states 20 and loses the later frames.
    const whole = path.join(dir, 'whole.mp4');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '10', '-i', sharedPath('images', 't1.jpg'), '-vf', 'scale=160:-2',
      '-frames:v', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', whole]);
    assert.equal(made.status, 0, made.stderr.toString());
    const bytes = readFileSync(whole);
    const cut = path.join(dir, 'cut.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    assert.equal((await probeVideo(cut)).frames, 20);
    const seen: number[] = [];
    await assert.rejects((async () => { for await (const frame of readVideoFrames(cut)) seen.push(frame.index); })(), (e: unknown) => e instanceof VideoError && /decoded \d+ of the 20 frames the file states/.test(e.message));
    assert.ok(seen.length > 0 && seen.length < 20, `${seen.length} frames before the error`);
    let all = 0;
    for await (const _ of readVideoFrames(whole)) all++;
    assert.equal(all, 20);
  });

  it('decodes the video stream that probeVideo measured when a file has two of different sizes', { skip: NO_FFMPEG }, async () => {
    // Stream 0: 64×48 red; stream 1: 128×96 blue and marked default, which ffmpeg would pick on its own.
    const file = path.join(dir, 'two-streams.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=64x48:r=5', '-f', 'lavfi', '-i', 'color=c=blue:s=128x96:r=5',
      '-map', '0:v', '-map', '1:v', '-frames:v', '5', '-c:v', 'ffv1', '-disposition:v:0', '0', '-disposition:v:1', 'default', file]);
    assert.equal(made.status, 0, made.stderr.toString());
    const info = await probeVideo(file);
    assert.deepEqual([info.width, info.height], [64, 48]);
    const frames: number[][] = [];
    for await (const frame of readVideoFrames(file)) frames.push([frame.image.width, frame.image.height, ...frame.image.data.subarray(-3)]);
    // Red in BGR; ffv1 is lossless but the lavfi colour goes through YUV, so allow a level or two.
    assert.equal(frames.length, 5);
    for (const [w, h, b, g, r] of frames) {
      assert.deepEqual([w, h], [64, 48]);
      assert.ok(b! < 8 && g! < 8 && r! > 245, `BGR ${b} ${g} ${r} is not red`);
    }
  });

  it('gives a video with rotation metadata (a phone clip) upright, as players show it and FFmpeg decodes it by default', { skip: NO_FFMPEG }, async () => {
    // 64×48 stored: top half red, bottom half blue; tagged to be shown turned by 90°, i.e. 48×64 with the halves side by side.
    const raw = path.join(dir, 'halves.bgr');
    writeFileSync(raw, Uint8Array.from({ length: 4 * 64 * 48 * 3 }, (_, i) => (Math.floor((i % (64 * 48 * 3)) / (64 * 3)) < 24 ? [0, 0, 255] : [255, 0, 0])[i % 3]!));
    const stored = path.join(dir, 'stored.mp4');
    const file = path.join(dir, 'rotated.mp4');
    let made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', '64x48', '-r', '4', '-i', raw, '-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-qp', '0', stored]);
    assert.equal(made.status, 0, made.stderr.toString());
    made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', stored, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', file]);
    assert.equal(made.status, 0, made.stderr.toString());
    const info = await probeVideo(file);
    assert.deepEqual([info.width, info.height], [48, 64]);
    // FFmpeg's own decode of the first frame, rotated as its display matrix says.
    const shown = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-']).stdout;
    assert.equal(shown.length, 48 * 64 * 3);
    let n = 0;
    for await (const frame of readVideoFrames(file)) {
      assert.deepEqual([frame.image.width, frame.image.height], [48, 64]);
      if (n === 0) assert.ok(Buffer.from(frame.image.data).equals(shown), 'the first frame is not the one FFmpeg shows');
      n++;
    }
    assert.equal(n, 4);
  });

  it('widens a video with non-square pixels (sample aspect ratio 2:1) to the size players show', { skip: NO_FFMPEG }, async () => {
    // 32×24 stored, left half red and right half blue, each pixel meant to be shown twice as wide: 64×24 on screen.
    const raw = path.join(dir, 'narrow.bgr');
    writeFileSync(raw, Uint8Array.from({ length: 3 * 32 * 24 * 3 }, (_, i) => (Math.floor(i / 3) % 32 < 16 ? [0, 0, 255] : [255, 0, 0])[i % 3]!));
    const file = path.join(dir, 'anamorphic.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', '32x24', '-r', '3', '-i', raw, '-vf', 'setsar=2/1', '-c:v', 'ffv1', '-pix_fmt', 'bgr0', file]);
    assert.equal(made.status, 0, made.stderr.toString());
    const info = await probeVideo(file);
    assert.deepEqual([info.width, info.height], [64, 24]);
    let n = 0;
    for await (const frame of readVideoFrames(file)) {
      assert.deepEqual([frame.image.width, frame.image.height], [64, 24]);
      // Row 12: columns 0–29 red and 34–63 blue (the scaler blends the few pixels at the seam).
      const at = (x: number): number[] => Array.from(frame.image.data.subarray((12 * 64 + x) * 3, (12 * 64 + x) * 3 + 3));
      for (const x of [0, 15, 29]) assert.deepEqual(at(x), [0, 0, 255], `column ${x}`);
      for (const x of [34, 48, 63]) assert.deepEqual(at(x), [255, 0, 0], `column ${x}`);
      n++;
    }
    assert.equal(n, 3);
  });

  it('refuses an audio file with cover art as having no video stream, not as one frame at 90000 fps', { skip: NO_FFMPEG }, async () => {
    const file = path.join(dir, 'song.m4a');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-f', 'lavfi', '-i', 'color=red:s=32x32:d=1', '-map', '0', '-map', '1', '-frames:v', '1',
      '-c:a', 'aac', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic', file]);
    assert.equal(made.status, 0, made.stderr.toString());
    await assert.rejects(probeVideo(file), (e: unknown) => e instanceof VideoError && e.why === 'no video stream');
    await assert.rejects(readVideoFrames(file).next(), (e: unknown) => e instanceof VideoError && e.why === 'no video stream');
  });

  it('reads a relative file whose name starts with a dash or holds a colon (FFmpeg took them for an option, a protocol)', { skip: NO_FFMPEG }, async () => {
    const cwd = process.cwd();
    for (const name of ['-dash.mkv', 'cam1:0930.mkv']) {
      const file = path.join(dir, name);
      const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=32x24:r=4', '-frames:v', '2', '-c:v', 'ffv1', file]);
      assert.equal(made.status, 0, made.stderr.toString());
      // Relative, as `insightgpu video -- -dash.mkv` passes it.
      process.chdir(dir);
      try {
        assert.deepEqual([(await probeVideo(name)).width], [32], name);
        let n = 0;
        for await (const _ of readVideoFrames(name)) n++;
        assert.equal(n, 2, name);
      } finally {
        process.chdir(cwd);
      }
    }
  });

  it('refuses bad options before starting a decoder', async () => {
    const file = sharedPath('images', 't1.jpg');
    const drain = async (options: unknown): Promise<void> => { for await (const _ of readVideoFrames(file, options as never)) { /* none read */ } };
    for (const maxFrames of [0, -1, 1.5, '2', Number.NaN]) await assert.rejects(drain({ maxFrames }), PipelineOptionError, `maxFrames ${String(maxFrames)}`);
    for (const options of [null, 5, 'ffmpeg']) await assert.rejects(drain(options), PipelineOptionError);
    await assert.rejects(drain({ ffmpeg: 7 }), PipelineOptionError);
    await assert.rejects(probeVideo(file, null as never), PipelineOptionError);
    // A folder for the program (the folder ffmpeg is in) is named as such, not reported as FFmpeg missing.
    await assert.rejects(probeVideo(file, { ffmpeg: dir }), /option ffmpeg: '.*' is a folder; give the program itself/);
    await assert.rejects(drain({ ffprobe: dir }), /option ffprobe: '.*' is a folder/);
  });
});
