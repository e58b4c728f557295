/**
 * Tracker benchmark: plain per-frame `FaceAnalysis.get()` against `FaceTracker` (recognition every N frames) on a
 * synthetic pan-and-zoom clip over t1.jpg with known true tracks (bench/node/tracker-scenes.ts).
 *
 *   npm run bench -- --tracker [--frames 300] [--width 384] [--det-size 320] [--every 10] [--detect-every 1,2,3]
 *                    [--landmarks frame,recognition] [--pack A|det-rec] [--backend cpu|webgpu] [--models-dir DIR]
 *                    [--clip OUT.mp4] [--clip-only] [--json FILE]
 *
 * All run on the same frames, interleaved frame by frame (plain get, then one tracker per detectEvery K and
 * landmarksEvery setting), so a busy
 * machine slows them alike; the table gives frames/s, per-frame latency and the ratio to plain get, the id switches
 * of each tracker against the true tracks (goal 0), and where each tracker's frame time goes (its stage timings).
 * A benchmark, not a test: it never asserts on time. The pack is the test bed's pack A (SCRFD-2.5G, mobilefacenet and
 * the three tiny heads: 2d106, 3d68, genderage) or, with --pack det-rec, SCRFD-2.5G and mobilefacenet alone.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { FaceAnalysis, FaceTracker, type BgrImage, type LandmarkCadence, type StageTiming } from '../../src/index.js';
import { backendFlag, BenchUsageError, integerFlag, parseFlags, reportUsageError } from './bench-args.js';
import { formatMs, median } from './bench-util.js';
import { IdSwitchCounter, loadT1, panZoomFrame, SHARED_DIR, type Box } from './tracker-scenes.js';

export const TRACKER_USAGE = `usage: npm run bench -- --tracker [--frames 300] [--width 384] [--det-size 320] [--every 10] [--detect-every 1,2,3]
                        [--landmarks frame,recognition] [--pack A|det-rec] [--backend cpu|webgpu] [--models-dir DIR]
                        [--clip OUT.mp4] [--clip-only] [--json FILE]
  --frames N        clip length (default 300)
  --width W         frame width; the height keeps t1.jpg's aspect (default 384)
  --det-size N      detector input N×N (default 320)
  --every N         the tracker's recognizeEvery (default 10)
  --detect-every K  the tracker's detectEvery, or a list (one tracker each, same frames; default 1)
  --landmarks LIST  the tracker's landmarksEvery: frame, recognition or both (one tracker per K each; default both)
  --pack P          A: all five models of pack A (default); det-rec: SCRFD-2.5G and mobilefacenet only
  --clip FILE       also write the clip (ffmpeg, libx264) and FILE.truth.json (true boxes per frame)
  --clip-only       write the clip and stop`;

/** The model files of each --pack (TESTBED.md's pack A, or its detector and recognizer alone). */
const PACKS = {
  A: ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
  'det-rec': ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx'],
} as const;

interface Clip {
  readonly frames: BgrImage[];
  readonly truth: { face: number; box: Box }[][];
  readonly fps: number;
}

async function makeClip(frames: number, width: number): Promise<Clip> {
  const t1 = await loadT1();
  const height = Math.round((width * t1.image.height) / t1.image.width / 2) * 2;
  const clip: Clip = { frames: [], truth: [], fps: 30 };
  for (let k = 0; k < frames; k++) {
    const f = panZoomFrame(t1, k, frames, width, height);
    clip.frames.push(f.image);
    clip.truth.push(f.truth);
  }
  return clip;
}

async function writeClip(clip: Clip, file: string): Promise<void> {
  const { width, height } = clip.frames[0]!;
  const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', `${width}x${height}`, '-r', String(clip.fps), '-i', '-',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', file], { stdio: ['pipe', 'inherit', 'inherit'] });
  const done = once(ffmpeg, 'close');
  for (const f of clip.frames) if (!ffmpeg.stdin.write(f.data)) await once(ffmpeg.stdin, 'drain');
  ffmpeg.stdin.end();
  const [code] = (await done) as [number | null];
  if (code !== 0) throw new BenchUsageError(`ffmpeg exited with ${code} writing ${file} (apt-get install ffmpeg)`);
  writeFileSync(`${file}.truth.json`, JSON.stringify({ fps: clip.fps, width, height, truth: clip.truth }));
  console.log(`wrote ${clip.frames.length} frames (${width}×${height}, ${clip.fps} fps) to ${file} and the true tracks to ${file}.truth.json`);
}

const stats = (ms: readonly number[]): { fps: number; median: number; p95: number } => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { fps: (1000 * ms.length) / ms.reduce((a, b) => a + b, 0), median: median(ms), p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]! };
};

/** `npm run bench -- --tracker …`: returns the exit code. */
export async function benchTracker(argv: readonly string[]): Promise<number> {
  let values;
  try {
    values = parseFlags(argv, {
      tracker: { type: 'boolean' }, frames: { type: 'string', default: '300' }, width: { type: 'string', default: '384' },
      'det-size': { type: 'string', default: '320' }, every: { type: 'string', default: '10' }, 'detect-every': { type: 'string', default: '1' },
      backend: { type: 'string', default: 'cpu' }, 'models-dir': { type: 'string' }, clip: { type: 'string' }, 'clip-only': { type: 'boolean', default: false },
      landmarks: { type: 'string', default: 'frame,recognition' }, pack: { type: 'string', default: 'A' },
      json: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    });
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench --tracker', error, TRACKER_USAGE);
    throw error;
  }
  if (values.help) { console.log(TRACKER_USAGE); return 0; }
  const frames = integerFlag('frames', values.frames, 2);
  const width = integerFlag('width', values.width, 64);
  const det = integerFlag('det-size', values['det-size'], 32);
  const every = integerFlag('every', values.every, 1);
  const detectEvery = values['detect-every'].split(',').map((k) => integerFlag('detect-every', k, 1));
  const backend = backendFlag(values.backend);
  const cadences = values.landmarks.split(',').map((c) => {
    if (c !== 'frame' && c !== 'recognition') throw new BenchUsageError(`--landmarks: '${c}' is not frame or recognition`);
    return c as LandmarkCadence;
  });
  if (!(values.pack in PACKS)) throw new BenchUsageError(`--pack: '${values.pack}' is not ${Object.keys(PACKS).join(' or ')}`);
  const pack = PACKS[values.pack as keyof typeof PACKS];
  const modelsDir = values['models-dir'] ?? process.env.INSIGHTGPU_MODELS ?? path.join(SHARED_DIR, 'models');

  const clip = await makeClip(frames, width);
  if (values.clip) await writeClip(clip, values.clip);
  if (values['clip-only']) return 0;

  const files = Object.fromEntries(pack.map((n) => [n, readFileSync(path.join(modelsDir, n))]));
  const app = await FaceAnalysis.create({ models: { files }, backend });
  try {
    app.prepare({ detSize: [det, det] });
    const trackers = detectEvery.flatMap((k) => cadences.map((landmarks) => ({
      k, landmarks, name: `FaceTracker K=${k} landmarks/${landmarks}`, tracker: new FaceTracker(app, { recognizeEvery: every, detectEvery: k, landmarksEvery: landmarks, fps: clip.fps }),
      ms: [] as number[], switches: new IdSwitchCounter(), stages: new Map<string, number>(),
    })));
    // One untimed round of each first: the first runs pay for plan building and buffer allocation.
    await app.get(clip.frames[0]!);
    await new FaceTracker(app).track(clip.frames[0]!);
    const plain: number[] = [];
    const plainStages = new Map<string, number>();
    const plainFound = new IdSwitchCounter();
    for (let k = 0; k < frames; k++) {
      const plainTimings: StageTiming[] = [];
      let t = performance.now();
      const faces = await app.get(clip.frames[k]!, { timings: plainTimings });
      plain.push(performance.now() - t);
      for (const s of plainTimings) if (s.kind === 'forward') plainStages.set(s.stage, (plainStages.get(s.stage) ?? 0) + s.ms);
      // Detection quality of the plain pipeline on the same truth, so tracker misses can be told from detector misses.
      plainFound.add(clip.truth[k]!, faces.map((f, i) => ({ trackId: i, bbox: f.bbox })));
      for (const run of trackers) {
        const timings: StageTiming[] = [];
        t = performance.now();
        const out = await run.tracker.track(clip.frames[k]!, { timestamp: (k * 1000) / clip.fps, timings });
        run.ms.push(performance.now() - t);
        run.switches.add(clip.truth[k]!, out);
        for (const s of timings) run.stages.set(s.stage, (run.stages.get(s.stage) ?? 0) + s.ms);
      }
      if ((k + 1) % 50 === 0) process.stderr.write(`  ${k + 1}/${frames} frames\n`);
    }
    const p = stats(plain);
    const { width: w, height: h } = clip.frames[0]!;
    console.log(`tracker bench: ${frames} frames ${w}×${h}, det ${det}×${det}, backend ${backend}, pack ${values.pack} (${pack.join(', ')}), recognizeEvery ${every}; ratios against plain get() of the same run`);
    const rows = [
      ['', 'frames/s', 'ratio', 'median ms', 'p95 ms', 'id switches', 'misses', 'detector runs', 'recognitions'],
      ['plain get()', p.fps.toFixed(2), '1.00×', formatMs(p.median), formatMs(p.p95), '—', String(plainFound.misses), String(frames), String(plainFound.matched + plainFound.misses)],
      ...trackers.map((r) => {
        const q = stats(r.ms), st = r.tracker.stats;
        return [r.name, q.fps.toFixed(2), `${(q.fps / p.fps).toFixed(2)}×`, formatMs(q.median), formatMs(q.p95), String(r.switches.switches), String(r.switches.misses), String(st.detectorRuns), String(st.recognitions)];
      }),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    console.log(`id switches (goal 0) over ${plainFound.matched + plainFound.misses} true faces; misses: true faces with no returned box at IoU ≥ 0.5; plain get() recognises every detected face`);
    const plainTotal = plain.reduce((a, b) => a + b, 0);
    console.log(`plain get() model forwards: ${[...plainStages].map(([stage, ms]) => `${stage} ${((100 * ms) / plainTotal).toFixed(0)}% (${formatMs(ms / frames)}/frame)`).join(', ')}`);
    for (const r of trackers) {
      const total = r.ms.reduce((a, b) => a + b, 0);
      const parts = [...r.stages].map(([stage, ms]) => `${stage.replace('tracker.', '')} ${((100 * ms) / total).toFixed(0)}% (${formatMs(ms / frames)}/frame)`);
      const heads = Object.entries(r.tracker.stats.landmarkHeadRuns).map(([task, n]) => `${task} ${n}`).join(', ');
      console.log(`${r.name} frame time: ${parts.join(', ')}; landmark head runs (faces): ${heads || 'none'}`);
    }
    const reached = trackers.filter((r) => stats(r.ms).fps / p.fps >= 3).map((r) => `K=${r.k} landmarks/${r.landmarks}`);
    console.log(`≥ 3× plain get(): ${reached.length > 0 ? reached.join(', ') : 'none measured'}`);
    if (values.json) {
      const result = trackers.map((r) => ({ detectEvery: r.k, landmarksEvery: r.landmarks, tracker: stats(r.ms), ratioFps: stats(r.ms).fps / p.fps, idSwitches: r.switches.switches, misses: r.switches.misses, stats: r.tracker.stats, stageMs: Object.fromEntries(r.stages) }));
      writeFileSync(values.json, `${JSON.stringify({ frames, width: w, height: h, det, backend, pack: values.pack, every, plain: p, plainStageMs: Object.fromEntries(plainStages), plainMisses: plainFound.misses, trackers: result }, null, 2)}\n`);
    }
    return 0;
  } finally {
    await app.release();
  }
}
