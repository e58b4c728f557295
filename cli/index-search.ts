import { PipelineOptionError } from '../src/pipeline/index.js';
import { optionValue, parseArgs, parseNumberOption, parseRangeOption } from './args.js';
import { failureSummary } from './analyze.js';
import type { ErrorRecord } from './batch/records.js';
import { backendOption, checkImageFiles, checkIndexMatchesModels, FACE_OPTIONS, FACE_OPTIONS_HELP, facesOrError, loadIndexFile, openRecognizer, required, roundBox } from './index-faces.js';

export const INDEX_SEARCH_USAGE = 'insightgpu index search --index FILE --models DIR [--k 5] [--threshold 0.3] IMAGE…';

const HELP = `usage: ${INDEX_SEARCH_USAGE}
  Prints, as one JSON document, every face of each image (left to right) with its bbox and its k best identities
  scoring at least the threshold (cosine similarity of normed embeddings, as compute_sim), best first.
  Every IMAGE path is checked before the index and the models are opened. An image that cannot be read (corrupt,
  not an image) gets {"image","error":{"type","message"}} in place of its faces and the others are searched.
  Exit codes: 0 every image searched; 3 some images failed (their entries say why, a summary goes to stderr); 1 a
  usage, model or index error.
  --k N                   matches per face (default 5)
  --threshold T           least score of a match (default 0.3)
${FACE_OPTIONS_HELP}`;

/** `insightgpu index search …`: returns the exit code. */
export async function indexSearch(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [...FACE_OPTIONS, 'k', 'threshold'], ['help']);
  if (args.flags.has('help')) { process.stdout.write(`${HELP}\n`); return 0; }
  const file = required(args, 'index', 'the index file to search');
  const k = parseNumberOption(args, 'k', 5, true);
  if (k < 1) throw new PipelineOptionError('--k', `must be at least 1, got ${k}`);
  // Scores are cosine similarities, so a threshold outside [-1, 1] would match everything or nothing.
  const threshold = parseRangeOption(args, 'threshold', 0.3, -1, 1);
  if (args.positional.length === 0) throw new PipelineOptionError('IMAGE', 'give at least one image');
  checkImageFiles(args.positional);
  const index = await loadIndexFile(file, backendOption(args));
  const app = await openRecognizer(args);
  try {
    checkIndexMatchesModels(index, app, file, optionValue(args, 'models')!);
  } catch (error) {
    await app.release();
    throw error;
  }
  const results: unknown[] = [];
  const failed: ErrorRecord[] = [];
  try {
    for (const image of args.positional) {
      const read = await facesOrError(app, image);
      if ('error' in read) {
        results.push(read);
        failed.push(read);
        continue;
      }
      const { faces, width, height } = read;
      const matches = await index.searchManyAsync(faces, { k, threshold });
      results.push({
        image, width, height,
        faces: faces.map((f, i) => ({ bbox: roundBox(f), det_score: f.det_score, matches: matches[i] })),
      });
    }
  } finally {
    await app.release();
    index.dispose();
  }
  process.stdout.write(`${JSON.stringify({ index: file, k, threshold, results }, null, 1)}\n`);
  if (failed.length === 0) return 0;
  process.stderr.write(failureSummary(failed, args.positional.length));
  return 3;
}
