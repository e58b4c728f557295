/**
 * `npm run bench:browser`: opens the benchmark page in headless chromium (WebGPU; SwiftShader without a GPU),
 * lets it run, and prints the same table as the page. Models are served from the test bed's models folder
 * (INSIGHTGPU_MODELS to use another) and/or forged in the page (--replicas: buffalo_l replicas, seeded weights).
 *
 *   npm run bench:browser -- [--models a.onnx,b.onnx] [--replicas genderage,w600k_r50] [--seed N]
 *                            [--sizes 320,640] [--backends insightgpu-webgpu,ort-webgpu,…]
 *                            [--warmup 1] [--runs 5] [--json OUT.json] [--screenshot OUT.png] [--timeout-min 60]
 *                            [--row-timeout-s 900]
 *
 * With --video it benchmarks the live page instead (frames/s, latency, main-thread blocking): see video-bench.ts.
 *
 * A benchmark, not a test: it reports times and never asserts on them. It exits non-zero only when the page itself
 * fails (no adapter, a page error, a timeout); a backend that cannot run a model is an 'error' row in the table.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { adapterLabel } from '../../web/lib/gpu-info.js';
import { collectPageErrors, launchBrowser, probeWebGpu, startWebServer } from '../../web/server/headless.js';
import type { BenchPageState } from './main.js';
import { describeSettings, formatTextTable } from './table.js';
import { BACKENDS, isBackendId } from './runners.js';
import { BenchUsageError, integerFlag, parseFlags, reportUsageError } from '../node/bench-args.js';

export interface HeadlessBenchOptions {
  models: string;
  /** Replicas the page forges itself (comma-separated; '' for none). */
  replicas: string;
  seed?: number;
  sizes: string;
  backends: string;
  warmup: number;
  runs: number;
  json?: string;
  screenshot?: string;
  timeoutMin: number;
  rowTimeoutS: number;
}

const DEFAULTS: HeadlessBenchOptions = {
  models: 'scrfd_2.5g_bnkps.onnx,scrfd_500m_bnkps.onnx,mobilefacenet.onnx,tiny_2d106.onnx,tiny_3d68.onnx,tiny_genderage.onnx',
  // 320 keeps a SwiftShader run in minutes; on a real GPU ask for 640 too.
  replicas: '',
  sizes: '320',
  backends: BACKENDS.join(','),
  warmup: 1,
  runs: 5,
  timeoutMin: 60,
  rowTimeoutS: 900,
};

export const HEADLESS_USAGE = `usage: npm run bench:browser -- [--models a.onnx,b.onnx] [--replicas genderage,w600k_r50] [--seed N]
                               [--sizes 320,640] [--backends ${BACKENDS.join(',')}]
                               [--warmup N] [--runs N] [--json OUT.json] [--screenshot OUT.png] [--timeout-min N]
                               [--row-timeout-s N]

  --models LIST        model files from the test bed's models folder ($INSIGHTGPU_MODELS to use another)
                       (default ${DEFAULTS.models})
  --replicas LIST      buffalo_l replicas the page forges itself, seeded weights (default none)
  --seed N             the replicas' seed (default the forge's own)
  --sizes LIST         detector input sides (default ${DEFAULTS.sizes}; ask for 640 too on a real GPU)
  --backends LIST      which engines run (default all)
  --warmup N           untimed runs per row (default ${DEFAULTS.warmup})
  --runs N             timed runs per row (default ${DEFAULTS.runs})
  --json FILE          also write the page's report as JSON
  --screenshot FILE    a full-page screenshot when done
  --timeout-min N      give up on the whole page after N minutes (default ${DEFAULTS.timeoutMin})
  --row-timeout-s N    give up on one row after N seconds, 0 for never (default ${DEFAULTS.rowTimeoutS})
  -h, --help           this text`;

/** The options, or undefined when --help asked for the usage text instead. */
export function parseHeadlessArgs(argv: readonly string[]): HeadlessBenchOptions | undefined {
  const values = parseFlags(argv, {
    models: { type: 'string', default: DEFAULTS.models },
    replicas: { type: 'string', default: DEFAULTS.replicas },
    seed: { type: 'string' },
    sizes: { type: 'string', default: DEFAULTS.sizes },
    backends: { type: 'string', default: DEFAULTS.backends },
    warmup: { type: 'string', default: String(DEFAULTS.warmup) },
    runs: { type: 'string', default: String(DEFAULTS.runs) },
    json: { type: 'string' },
    screenshot: { type: 'string' },
    'timeout-min': { type: 'string', default: String(DEFAULTS.timeoutMin) },
    'row-timeout-s': { type: 'string', default: String(DEFAULTS.rowTimeoutS) },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return undefined;
  for (const b of values.backends.split(',')) if (!isBackendId(b)) throw new BenchUsageError(`unknown backend '${b}' (known: ${BACKENDS.join(', ')})`);
  return {
    models: values.models,
    replicas: values.replicas,
    seed: values.seed === undefined ? undefined : integerFlag('seed', values.seed, 0),
    sizes: values.sizes,
    backends: values.backends,
    warmup: integerFlag('warmup', values.warmup, 0),
    runs: integerFlag('runs', values.runs, 1),
    json: values.json === undefined ? undefined : resolve(values.json),
    screenshot: values.screenshot === undefined ? undefined : resolve(values.screenshot),
    timeoutMin: integerFlag('timeout-min', values['timeout-min'], 1),
    rowTimeoutS: integerFlag('row-timeout-s', values['row-timeout-s'], 0),
  };
}

export async function runHeadlessBench(o: HeadlessBenchOptions): Promise<number> {
  const [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  try {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    const query = new URLSearchParams({ models: o.models, replicas: o.replicas, ...(o.seed !== undefined ? { seed: String(o.seed) } : {}), sizes: o.sizes, backends: o.backends, warmup: String(o.warmup), runs: String(o.runs), rowTimeout: String(o.rowTimeoutS), autorun: '1' });
    await page.goto(`${server.url}/bench/web/?${query}`, { timeout: 300_000 });
    const gpu = await probeWebGpu(page);
    if (!gpu.ok) process.stderr.write(`warning: ${gpu.why}; WebGPU rows will fail\n`);
    let last = '';
    const poll = setInterval(() => {
      page.textContent('#status').then((s) => {
        if (s && s !== last) process.stderr.write(`  ${(last = s)}\n`);
      }, () => undefined);
    }, 2000);
    try {
      await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuBench.state), null, { timeout: o.timeoutMin * 60_000 });
    } finally {
      clearInterval(poll);
    }
    const state = (await page.evaluate(() => window.insightgpuBench)) as BenchPageState;
    if (o.screenshot) await page.screenshot({ path: o.screenshot, fullPage: true });
    if (state.state !== 'done' || !state.report) {
      process.stderr.write(`benchmark page failed: ${state.error}\n${errors.join('\n')}\n`);
      return 1;
    }
    const report = state.report;
    for (const f of state.forged ?? []) process.stdout.write(`forged in the page: ${f.replica} (seed ${f.seed}) ${f.bytes.toLocaleString('en-US')} bytes in ${(f.milliseconds / 1000).toFixed(1)} s, sha256 ${f.sha256.slice(0, 16)}…\n`);
    process.stdout.write(`adapter: ${adapterLabel(report.adapter)}\n${report.userAgent}\n\n${formatTextTable(report)}\n\n${describeSettings(report)}\n`);
    // onnxruntime-web logs its own warnings through console.error ("[W:onnxruntime:…] Some nodes were not assigned…").
    const ortWarnings = errors.filter((e) => e.includes('[W:onnxruntime:'));
    const pageErrors = errors.filter((e) => !e.includes('[W:onnxruntime:'));
    if (pageErrors.length) process.stderr.write(`page errors:\n${pageErrors.join('\n')}\n`);
    if (ortWarnings.length) process.stderr.write(`onnxruntime-web warnings (its own log):\n${ortWarnings.join('\n')}\n`);
    if (o.json) {
      writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`wrote ${o.json}\n`);
    }
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The --video benchmark (video-bench.ts), or the model table. */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--video')) {
    const { parseVideoArgs, runVideoBench, VIDEO_USAGE } = await import('./video-bench.js');
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${VIDEO_USAGE}\n`);
      return 0;
    }
    return runVideoBench(parseVideoArgs(argv));
  }
  const options = parseHeadlessArgs(argv);
  if (options) return runHeadlessBench(options);
  process.stdout.write(`${HEADLESS_USAGE}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof BenchUsageError) process.exitCode = reportUsageError('bench:browser', e, HEADLESS_USAGE);
    else {
      process.stderr.write(`bench:browser: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
