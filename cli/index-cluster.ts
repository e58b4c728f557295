import { readFile } from 'node:fs/promises';
import { clusterFaces, PipelineOptionError } from '../src/pipeline/index.js';
import { parseArgs, parseCountOption, parseNumberOption } from './args.js';
import { CliError } from './module-command.js';

export const INDEX_CLUSTER_USAGE = 'insightgpu index cluster RESULTS [--eps 0.48] [--min-samples 2]';

const HELP = `usage: ${INDEX_CLUSTER_USAGE}
  Groups the faces of a results file (analyze --ndjson: one {"image","width","height","faces":[…]} line per image;
  {"image","error":…} lines are skipped, and so is a torn last line; or analyze --json, whose "results" hold the
  same records; - reads it from stdin, as from analyze --ndjson -) into people: DBSCAN on cosine distance (1 − cosine similarity), as InsightFace's GUI. Prints the
  clusters, largest first, and the faces left as noise.
  --eps E                 largest distance between neighbours (default 0.48)
  --min-samples N         neighbours, the face included, that make a core face (default 2)`;

/** One face of the collection: its image, its number in that image's line, its bbox. */
interface FaceRef {
  image: string;
  face: number;
  bbox: number[];
}

interface ResultLine {
  image?: unknown;
  error?: unknown;
  faces?: unknown[];
}

/**
 * The faces with embeddings in a results file, and how many image lines were skipped as errors: an analyze --ndjson
 * file (a settings line, then one line per image), or an analyze --json file (the settings and a "results" array of
 * the same records), whose records are named results[i] in errors.
 */
export function readNdjsonFaces(text: string, file: string): { refs: FaceRef[]; embeddings: number[][]; errors: number; torn: boolean } {
  const refs: FaceRef[] = [];
  const embeddings: number[][] = [];
  let errors = 0;
  let torn = false;
  const record = (parsed: ResultLine | null, where: string): void => {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${where}: not a results line (needs "image" and "faces")`);
    if (parsed.error !== undefined) { errors++; return; }
    if (typeof parsed.image !== 'string' || !Array.isArray(parsed.faces)) throw new CliError(`${where}: not a results line (needs "image" and "faces")`);
    parsed.faces.forEach((f: unknown, i) => {
      // Checked here, so a damaged line is named by its line number rather than by a face count across the file.
      const at = `${where}: face ${i}`;
      if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new CliError(`${at} is not a face object`);
      const { embedding, bbox } = f as { embedding?: unknown; bbox?: unknown };
      if (!Array.isArray(embedding)) throw new CliError(`${at} has no embedding (run analyze with a recognition model)`);
      if (embedding.length === 0 || !embedding.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new CliError(`${at}: the embedding is not a list of finite numbers`);
      }
      if (embedding.every((v) => v === 0)) throw new CliError(`${at}: the embedding is all zeros (it has no direction)`);
      const dim = embeddings[0]?.length ?? embedding.length;
      if (embedding.length !== dim) throw new CliError(`${at}: a ${embedding.length}-d embedding among ${dim}-d ones (results of different recognizers?)`);
      refs.push({ image: parsed.image as string, face: i, bbox: Array.isArray(bbox) ? (bbox as number[]) : [] });
      embeddings.push(embedding as number[]);
    });
  };
  const whole = jsonDocument(text);
  if (whole !== undefined && isSettingsLine(whole) && 'results' in whole) {
    // analyze --json: its settings line would otherwise be skipped as the NDJSON header, with every face in it.
    const { results } = whole as { results: unknown };
    if (!Array.isArray(results)) throw new CliError(`${file}: "results" is not an array of results`);
    results.forEach((r, i) => record(r as ResultLine | null, `${file}: results[${i}]`));
    return { refs, embeddings, errors, torn };
  }
  const lines = text.split('\n');
  let complete = 0;
  lines.forEach((line, n) => {
    if (line.trim() === '') return;
    let parsed: ResultLine | null;
    try {
      parsed = JSON.parse(line) as ResultLine | null;
    } catch (cause) {
      // A killed writer may leave its last line unfinished (no newline after it); anything else is a bad file.
      if (n === lines.length - 1) { torn = true; return; }
      throw new CliError(`${file}:${n + 1}: not a JSON line`, { cause });
    }
    complete++;
    // analyze --ndjson starts with its settings line (det_size, det_thresh, max_num, models), which holds no faces.
    if (n === 0 && parsed !== null && typeof parsed === 'object' && isSettingsLine(parsed)) return;
    record(parsed, `${file}:${n + 1}`);
  });
  // An empty file, or one whose only "line" is no JSON (a binary file with no newline, such as an .igfx index),
  // would otherwise read as a torn line and cluster as a collection of nobody, exit 0.
  if (complete === 0) throw new CliError(`${file}: holds no complete line: not a results file of analyze --ndjson or --json`);
  return { refs, embeddings, errors, torn };
}

/** The text as one JSON object, or undefined when it is not one (NDJSON of several lines is not). */
function jsonDocument(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The first line analyze --ndjson writes: the run's settings, no "image". */
const isSettingsLine = (line: object): boolean => !('image' in line) && 'det_size' in line;

/** All of stdin as UTF-8 text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `insightgpu index cluster RESULTS …`: returns the exit code. */
export async function indexCluster(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['eps', 'min-samples'], ['help']);
  if (args.flags.has('help')) { process.stdout.write(`${HELP}\n`); return 0; }
  if (args.positional.length !== 1) throw new PipelineOptionError('RESULTS', 'give exactly one results file (analyze --ndjson or --json)');
  const file = args.positional[0]!;
  // Cosine distance lies in [0, 2]: an eps outside (0, 2] makes every face noise or one cluster of everything.
  const eps = parseNumberOption(args, 'eps', 0.48);
  if (!(eps > 0 && eps <= 2)) throw new PipelineOptionError('--eps', `${eps} is not in (0, 2] (a cosine distance)`);
  const minSamples = parseCountOption(args, 'min-samples', 2, 1);
  // '-' is stdin, so `analyze --ndjson - photos/ | insightgpu index cluster -` needs no file in between (analyze
  // writes '-' as stdout); a file named '-' goes as ./-.
  const text = await (file === '-' ? readStdin() : readFile(file, 'utf8')).catch((cause: unknown) => { throw new CliError(`cannot read ${file}: ${(cause as Error).message}`, { cause }); });
  const { refs, embeddings, errors, torn } = readNdjsonFaces(text, file);
  const labels = clusterFaces(embeddings, { eps, minSamples });
  const clusters: FaceRef[][] = [];
  const noise: FaceRef[] = [];
  labels.forEach((l, i) => { if (l < 0) noise.push(refs[i]!); else (clusters[l] ??= []).push(refs[i]!); });
  // Largest first; equal sizes keep the order of first appearance (a stable sort).
  const ordered = clusters.map((members, label) => ({ label, members })).sort((a, b) => b.members.length - a.members.length);
  const out = {
    file, eps, minSamples, faces: refs.length, skippedErrorLines: errors, tornLastLine: torn,
    clusters: ordered.map((c, i) => ({ cluster: i, size: c.members.length, members: c.members })),
    noise,
  };
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  return 0;
}
