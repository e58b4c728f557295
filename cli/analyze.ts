import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FaceAnalysis, loadImage, PipelineOptionError, type MaxNumMetric, type Size } from '../src/pipeline/index.js';
import type { BackendName } from '../src/index.js';
import { parseDetSizes } from '../src/pipeline/detect-size.js';
import { lastValue, parseArgs, parseNumberOption } from './args.js';
import { writePng } from './encode-png.js';
import { faceRecord, type ResultsFile } from './results-format.js';

export const ANALYZE_USAGE = `insightgpu analyze [--models DIR|PACK (default buffalo_l)] [--det-size 640|WxH[,WxH…] (default 640)] [--det-thresh 0.5] [--max-num 0]
                   [--metric default|max] [--backend auto|webgpu|cpu] [--json OUT.json] [--draw OUTDIR] [--quiet] IMAGE…`;

export interface AnalyzeOptions {
  readonly models: string;
  readonly detSizes: readonly Size[];
  readonly detThresh: number;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  readonly backend: BackendName;
  readonly images: readonly string[];
  /** Folder for annotated PNGs. */
  readonly drawDir?: string;
  /** Called after each image (progress display). */
  readonly onImage?: (done: number, total: number, image: string) => void;
  readonly log?: (message: string) => void;
}

/** Runs the whole pipeline over the images and returns the results in the golden format. */
export async function runAnalyze(options: AnalyzeOptions): Promise<ResultsFile> {
  const app = await FaceAnalysis.create({ models: options.models, backend: options.backend, log: options.log });
  try {
    app.prepare({ detThresh: options.detThresh, detSize: options.detSizes });
    const sizes = app.detSize;
    const file: ResultsFile = {
      det_size: sizes.length === 1 ? [...sizes[0]!] : sizes.map((s) => [...s]),
      det_thresh: options.detThresh,
      max_num: options.maxNum,
      models: Object.fromEntries([...app.models.values()].map((m) => [m.taskname, m.file])),
      results: [],
    };
    if (options.drawDir) await mkdir(options.drawDir, { recursive: true });
    let done = 0;
    for (const imagePath of options.images) {
      const image = await loadImage(imagePath);
      const faces = await app.get(image, { maxNum: options.maxNum, metric: options.metric });
      file.results.push({ image: path.basename(imagePath), width: image.width, height: image.height, faces: faces.map(faceRecord) });
      if (options.drawDir) {
        const drawn = await app.drawOn(image, faces, { landmarks106: true });
        const name = path.basename(imagePath).replace(/\.[^.]*$/, '') + '.png';
        await writePng(drawn, path.join(options.drawDir, name));
      }
      options.onImage?.(++done, options.images.length, imagePath);
    }
    return file;
  } finally {
    await app.release();
  }
}

/** `insightgpu analyze …`: returns the exit code. */
export async function analyzeCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['models', 'det-size', 'det-thresh', 'max-num', 'metric', 'backend', 'json', 'draw'], ['quiet']);
  // As InsightFace's FaceAnalysis(): the installed buffalo_l unless told otherwise.
  const models = lastValue(args, 'models') ?? 'buffalo_l';
  const json = lastValue(args, 'json');
  if (args.positional.length === 0) throw new PipelineOptionError('IMAGE', 'give at least one image');
  const backend = (lastValue(args, 'backend') ?? 'auto') as BackendName;
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new PipelineOptionError('--backend', `'${backend}' is not auto, webgpu or cpu`);
  const metric = (lastValue(args, 'metric') ?? 'default') as MaxNumMetric;
  if (metric !== 'default' && metric !== 'max') throw new PipelineOptionError('--metric', `'${metric}' is not default or max`);
  const quiet = args.flags.has('quiet');
  const images = args.positional;
  const bar = !quiet && images.length > 1 && process.stderr.isTTY ? await createProgressBar(images.length) : undefined;
  try {
    const results = await runAnalyze({
      models,
      detSizes: parseDetSizes(lastValue(args, 'det-size') ?? '640'),
      detThresh: parseNumberOption(args, 'det-thresh', 0.5),
      maxNum: parseNumberOption(args, 'max-num', 0, true),
      metric,
      backend,
      images,
      drawDir: lastValue(args, 'draw'),
      onImage: (done, _total, image) => bar?.update(done, { image: path.basename(image) }),
      log: quiet ? undefined : (m) => { if (!bar) process.stderr.write(`${m}\n`); },
    });
    if (json) {
      await mkdir(path.dirname(path.resolve(json)), { recursive: true });
      await writeFile(json, JSON.stringify(results));
    } else {
      // No --json: the results go to stdout (messages stay on stderr), so `analyze photo.jpg > out.json` works too.
      process.stdout.write(`${JSON.stringify(results)}\n`);
    }
    if (!quiet) {
      const faces = results.results.reduce((s, r) => s + r.faces.length, 0);
      bar?.stop();
      process.stderr.write(`${results.results.length} image(s), ${faces} face(s) → ${json ?? 'stdout'}\n`);
    }
    return 0;
  } finally {
    bar?.stop();
  }
}

async function createProgressBar(total: number): Promise<{ update(done: number, payload: { image: string }): void; stop(): void }> {
  const { default: progress } = await import('cli-progress');
  const bar = new progress.SingleBar({ format: 'analyze [{bar}] {value}/{total} {image}', stream: process.stderr }, progress.Presets.shades_classic);
  bar.start(total, 0, { image: '' });
  return { update: (done, payload) => bar.update(done, payload), stop: () => bar.stop() };
}
