/**
 * `npm run bench:browser -- --video`: the demo's live page (web/demo/live.html) in headless chromium, on the fake
 * camera playing a clip of t1.jpg panned and zoomed (ffmpeg), run once per configuration: FaceAnalysis on the
 * page's main thread or in the Worker, plain per-frame `get` or FaceTracker (when it is in the tree). Prints frames/s,
 * per-frame latency, detector and heads ms, and the main thread's long tasks ('longtask' entries, > 50 ms), with
 * ratios between configurations of the same run. A benchmark: it asserts nothing.
 *
 *   npm run bench:browser -- --video [--backends cpu,webgpu] [--frames 20] [--det 320] [--modules LIST]
 *                            [--detect-every K] [--landmarks LIST] [--configs LIST] [--clip-frames 300] [--json OUT.json]
 *                            [--screenshots DIR]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fakeCameraClip } from '../../web/server/fake-camera.js';
import { collectPageErrors, launchBrowser, REPO_ROOT, startWebServer } from '../../web/server/headless.js';
import { resolveAssetDirs } from '../../web/server/local-assets.js';
import type { LiveState } from '../../web/demo/live.js';
import type { LandmarkCadence } from '../../src/index.js';
import { BenchUsageError, integerFlag, parseFlags } from '../node/bench-args.js';
import { traceMainThread, type TracedTask } from './main-thread-trace.js';

export const VIDEO_USAGE = `usage: npm run bench:browser -- --video [--backends cpu,webgpu] [--frames N] [--det 320] [--modules LIST]
                                       [--detect-every K] [--landmarks LIST] [--configs LIST] [--clip-frames N] [--json OUT.json]
                                       [--screenshots DIR]

  --backends LIST   FaceAnalysis backends (default cpu; webgpu on SwiftShader takes tens of seconds a frame)
  --frames N        frames analysed per configuration (default 20; the first, which compiles, is left out of fps)
  --det N           detection size (default 320)
  --modules LIST    FaceAnalysis's allowedModules (default all of pack A)
  --detect-every K  FaceTracker's detectEvery in the tracked configurations (default 1)
  --landmarks LIST  FaceTracker's landmarksEvery, frame and/or recognition: each tracked configuration runs once per
                    value (default frame)
  --configs LIST    which of main,worker,worker-tracked,main-tracked run (default all, in that order)
  --trace           record a performance trace of each page and print its main thread's tasks over 50 ms
                    (wall time, time the thread ran, the longest events inside)
  --clip-frames N   length of the fake camera's clip (default 300)
  --json FILE       every configuration's numbers as JSON
  --screenshots DIR a screenshot of each configuration's page at its end`;

interface VideoOptions {
  backends: string[];
  frames: number;
  det: number;
  modules?: string;
  detectEvery: number;
  landmarks: readonly LandmarkCadence[];
  configs: readonly Config[];
  trace: boolean;
  clipFrames: number;
  json?: string;
  screenshots?: string;
}

const CONFIGS = ['main', 'worker', 'worker-tracked', 'main-tracked'] as const;
type Config = (typeof CONFIGS)[number];

export function parseVideoArgs(argv: readonly string[]): VideoOptions {
  const v = parseFlags(argv.filter((a) => a !== '--video'), {
    backends: { type: 'string', default: 'cpu' },
    frames: { type: 'string', default: '20' },
    det: { type: 'string', default: '320' },
    modules: { type: 'string' },
    'detect-every': { type: 'string', default: '1' },
    landmarks: { type: 'string', default: 'frame' },
    configs: { type: 'string', default: CONFIGS.join(',') },
    trace: { type: 'boolean', default: false },
    'clip-frames': { type: 'string', default: '300' },
    json: { type: 'string' },
    screenshots: { type: 'string' },
  });
  const backends = v.backends.split(',');
  for (const b of backends) if (!['cpu', 'webgpu', 'auto'].includes(b)) throw new BenchUsageError(`unknown backend '${b}'`);
  const landmarks = v.landmarks.split(',') as LandmarkCadence[];
  for (const l of landmarks) if (l !== 'frame' && l !== 'recognition') throw new BenchUsageError(`--landmarks: '${l}' is not frame or recognition`);
  const configs = v.configs.split(',') as Config[];
  for (const c of configs) if (!CONFIGS.includes(c)) throw new BenchUsageError(`unknown configuration '${c}' (${CONFIGS.join(', ')})`);
  return {
    backends, frames: integerFlag('frames', v.frames, 2), det: integerFlag('det', v.det, 32), modules: v.modules,
    detectEvery: integerFlag('detect-every', v['detect-every'], 1), landmarks, configs, trace: v.trace,
    clipFrames: integerFlag('clip-frames', v['clip-frames'], 2), json: v.json && resolve(v.json), screenshots: v.screenshots && resolve(v.screenshots),
  };
}

interface VideoRow {
  readonly backend: string;
  readonly where: string;
  readonly tracker: boolean;
  /** The tracker's landmarksEvery (tracked configurations only). */
  readonly landmarks?: LandmarkCadence;
  readonly frames: number;
  readonly fps?: number;
  readonly medianLatencyMs?: number;
  readonly p90LatencyMs?: number;
  readonly medianDetectorMs?: number;
  readonly medianHeadsMs?: number;
  readonly longTasks: number;
  readonly longestTaskMs: number;
  /** Long tasks by what the page was doing in them: count and longest ms. */
  readonly longTasksBy?: Record<string, { count: number; longestMs: number }>;
  readonly longTaskLog?: LiveState['longTaskLog'];
  readonly traced?: readonly TracedTask[];
  readonly medianCaptureMs?: number;
  readonly medianDrawMs?: number;
  readonly error?: string;
}

function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const f1 = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(1));

function formatRows(rows: readonly VideoRow[]): string {
  const head = ['backend', 'runs on', 'tracker', 'frames', 'frames/s', 'latency p50 ms', 'p90 ms', 'detector ms', 'heads ms', 'capture ms', 'draw ms', 'long tasks', 'longest task ms', 'long tasks during'];
  const tracker = (r: VideoRow): string => (r.tracker ? `landmarks/${r.landmarks ?? 'frame'}` : 'false');
  const body = rows.map((r) => r.error ? [r.backend, r.where, tracker(r), 'error', r.error] : [
    r.backend, r.where, tracker(r), String(r.frames), r.fps === undefined ? '—' : r.fps.toFixed(2), f1(r.medianLatencyMs), f1(r.p90LatencyMs),
    f1(r.medianDetectorMs), f1(r.medianHeadsMs), f1(r.medianCaptureMs), f1(r.medianDrawMs), String(r.longTasks), f1(r.longestTaskMs),
    Object.entries(r.longTasksBy ?? {}).map(([k, v]) => `${k} ${v.count}× ≤${f1(v.longestMs)}`).join(', ') || '—',
  ]);
  return [head, ...body].map((cols) => cols.join(' | ')).join('\n');
}

function ratios(rows: readonly VideoRow[]): string[] {
  const out: string[] = [];
  const find = (b: string, where: string, tracker: boolean): VideoRow | undefined => rows.find((r) => r.backend === b && r.where === where && r.tracker === tracker && !r.error);
  for (const b of new Set(rows.map((r) => r.backend))) {
    const main = find(b, 'main-thread', false);
    const worker = find(b, 'worker', false);
    const tracked = rows.filter((r) => r.backend === b && r.where === 'worker' && r.tracker && !r.error);
    if (main?.fps && worker?.fps) out.push(`${b}: Worker / main thread frames/s = ${(worker.fps / main.fps).toFixed(2)}; longest main-thread task ${f1(main.longestTaskMs)} ms without the Worker, ${f1(worker.longestTaskMs)} ms with it`);
    for (const t of tracked) if (worker?.fps && t.fps) out.push(`${b}: FaceTracker landmarks/${t.landmarks ?? 'frame'} / plain get frames/s (both in the Worker) = ${(t.fps / worker.fps).toFixed(2)}`);
  }
  return out;
}

function longTasksBy(log: LiveState['longTaskLog']): Record<string, { count: number; longestMs: number }> {
  const by: Record<string, { count: number; longestMs: number }> = {};
  for (const t of log) {
    const e = (by[t.during] ??= { count: 0, longestMs: 0 });
    e.count++;
    e.longestMs = Math.max(e.longestMs, t.ms);
  }
  return by;
}

export async function runVideoBench(o: VideoOptions): Promise<number> {
  const clip = fakeCameraClip(join(resolveAssetDirs(REPO_ROOT).images, 't1.jpg'), { frames: o.clipFrames });
  const hasTracker = existsSync(join(REPO_ROOT, 'src/pipeline/tracking/index.ts'));
  if (!hasTracker) process.stderr.write('FaceTracker (src/pipeline/tracking/) is not in this tree: the tracked configurations are not run\n');
  if (o.screenshots) mkdirSync(o.screenshots, { recursive: true });
  const [server, browser] = await Promise.all([startWebServer(), launchBrowser({ extraArgs: [`--use-file-for-fake-video-capture=${clip}`] })]);
  const rows: VideoRow[] = [];
  try {
    for (const backend of o.backends) {
      const chosen = o.configs.filter((c) => hasTracker || !c.endsWith('-tracked'));
      const runs = chosen.flatMap((c): (readonly [Config, LandmarkCadence | undefined])[] => (c.endsWith('-tracked') ? o.landmarks.map((l) => [c, l] as const) : [[c, undefined]]));
      for (const [worker, track, landmarks] of runs.map(([c, l]) => [c.startsWith('worker'), c.endsWith('-tracked'), l] as const)) {
        const where = worker ? 'worker' : 'main-thread';
        process.stderr.write(`  ${backend}, ${where}, ${track ? `FaceTracker landmarks/${landmarks}` : 'plain get'}: ${o.frames} frames…\n`);
        const page = await browser.context.newPage();
        const errors = collectPageErrors(page);
        const stopTrace = o.trace ? await traceMainThread(page) : undefined;
        const query = new URLSearchParams({ pack: 'packA', backend, det: String(o.det), worker: worker ? '1' : '0', track: track ? '1' : '0', frames: String(o.frames), detectEvery: String(o.detectEvery), ...(landmarks ? { landmarks } : {}), autorun: '1', ...(o.modules ? { modules: o.modules } : {}) });
        await page.goto(`${server.url}/web/demo/live.html?${query}`, { timeout: 300_000 });
        await page.waitForFunction(() => ['stopped', 'failed'].includes(window.insightgpuLive.state), null, { timeout: 3_600_000 });
        const live = (await page.evaluate(() => window.insightgpuLive)) as LiveState;
        const traced = await stopTrace?.();
        if (o.screenshots) await page.screenshot({ path: join(o.screenshots, `live-${backend}-${where}${track ? `-tracked-${landmarks}` : ''}.png`), fullPage: true });
        await page.close();
        // The first frame compiles kernels and warms caches: left out of the latency figures, as it is of fps.
        const steady = (a: readonly number[]): number[] => a.slice(1);
        rows.push(live.state === 'failed' ? { backend, where, tracker: track, landmarks, frames: live.frames, longTasks: 0, longestTaskMs: 0, error: live.error ?? errors.join('; ') } : {
          backend, where, tracker: track, landmarks, frames: live.frames, fps: live.fps,
          medianLatencyMs: quantile(steady(live.latencyMs), 0.5), p90LatencyMs: quantile(steady(live.latencyMs), 0.9),
          medianDetectorMs: quantile(steady(live.detectorMs), 0.5), medianHeadsMs: quantile(steady(live.headsMs), 0.5),
          longTasks: live.longTasks, longestTaskMs: live.longestTaskMs, longTasksBy: longTasksBy(live.longTaskLog), longTaskLog: live.longTaskLog, traced,
          medianCaptureMs: quantile(steady(live.captureMs), 0.5), medianDrawMs: quantile(steady(live.drawMs), 0.5),
        });
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  process.stdout.write(`fake camera: ${clip} (640×480, ${o.clipFrames} frames); pack A, detection ${o.det}×${o.det}${o.modules ? `, modules ${o.modules}` : ''}, tracker detectEvery ${o.detectEvery}, landmarksEvery ${o.landmarks.join(' and ')}\n\n${formatRows(rows)}\n\n${ratios(rows).join('\n')}\n`);
  for (const r of rows.filter((row) => row.traced)) {
    process.stdout.write(`\ntrace, ${r.backend} ${r.where}${r.tracker ? ` tracked landmarks/${r.landmarks ?? 'frame'}` : ''}: ${r.traced!.length} main-thread tasks over 50 ms (the page's load and model compile included)\n`);
    for (const t of r.traced!) process.stdout.write(`  ${f1(t.wallMs)} ms wall, ${f1(t.threadMs)} ms running: ${t.inside.join(', ')}\n`);
  }
  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ clip, det: o.det, modules: o.modules, detectEvery: o.detectEvery, landmarks: o.landmarks, rows }, null, 2)}\n`);
    process.stdout.write(`wrote ${o.json}\n`);
  }
  return rows.some((r) => r.error) ? 1 : 0;
}
