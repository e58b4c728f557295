import { readFile } from 'node:fs/promises';
import { PipelineOptionError } from '../src/pipeline/index.js';
import { parseArgs } from './args.js';
import { ResultsFileError } from './batch/errors.js';
import { compareResults, formatComparison } from './compare-results.js';
import type { ResultsFile } from './results-format.js';

export const COMPARE_USAGE = 'insightgpu compare ACTUAL.json|.ndjson EXPECTED.json|.ndjson';

/** What `compare --help` prints below the usage line. */
export const COMPARE_HELP = `  Compares two results files field by field within the test bed's tolerances. Exit 0 within them, 1 outside them,
  2 when a file cannot be read or is no results file, or the command line is wrong (as diff and cmp exit).
  Each is a --json file (the goldens' format) or an --ndjson file (its settings line, then one line per image).
  Faces pair by box IoU whatever their order; an image name given twice pairs record by record; a value that is
  not a finite number (a NaN, which JSON writes as null) fails; an entry that is no image record is refused.`;

/** The settings that change what a run finds; runs that differ in them are not expected to agree. */
const SETTINGS = ['det_size', 'det_thresh', 'max_num', 'det_metric', 'models'] as const;

async function readResults(file: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ResultsFileError(`cannot be read (${(error as Error).message})`, file, { cause: error });
  }
  const parsed = parseJsonOrNdjson(text.startsWith('\ufeff') ? text.slice(1) : text, file);
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as ResultsFile).results)) {
    throw new ResultsFileError('is not a results file (neither a JSON document with a "results" array nor analyze --ndjson lines)', file);
  }
  const problem = recordsProblem((parsed as ResultsFile).results as unknown[]);
  if (problem !== undefined) throw new ResultsFileError(`is not a results file: ${problem}`, file);
  return parsed as ResultsFile;
}

/**
 * What makes a "results" array unusable (an entry that is not an image record, faces that are not a list of face
 * objects with a bbox), so a malformed file is refused by name instead of failing deep inside the comparison.
 */
function recordsProblem(results: readonly unknown[]): string | undefined {
  for (const [i, r] of results.entries()) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return `results[${i}] is ${JSON.stringify(r)}, not an image record`;
    const record = r as Record<string, unknown>;
    if (typeof record['image'] !== 'string') return `results[${i}] has no "image" name`;
    if (!Array.isArray(record['faces'])) return `results[${i}] ('${record['image']}') has no "faces" list`;
    for (const [k, f] of (record['faces'] as unknown[]).entries()) {
      if (f === null || typeof f !== 'object' || Array.isArray(f) || !Array.isArray((f as Record<string, unknown>)['bbox'])) {
        return `results[${i}] ('${record['image']}') face ${k} is not a face record with a "bbox"`;
      }
    }
  }
  return undefined;
}

/**
 * One JSON document, or NDJSON lines turned into one: the settings line plus the lines that hold faces. A lone
 * settings line is a run with no image done yet; an NDJSON file whose line does not parse is refused naming it.
 */
function parseJsonOrNdjson(text: string, file: string): unknown {
  try {
    const one = JSON.parse(text) as unknown;
    if (isSettingsLine(one) && !('results' in one)) return { ...one, results: [] };
    return one;
  } catch {
    const lines: unknown[] = [];
    const texts = text.split('\n');
    for (const [i, line] of texts.entries()) {
      if (line.trim() === '') continue;
      try {
        lines.push(JSON.parse(line));
      } catch {
        if (lines.length === 0 || !isSettingsLine(lines[0])) return undefined;
        // analyze appends a line at a time: a run killed mid-write leaves its last line torn.
        const last = texts.slice(i + 1).every((rest) => rest.trim() === '');
        throw new ResultsFileError(`line ${i + 1} is not JSON${last ? ' (the torn last line of a run that was stopped: complete it with analyze --resume)' : ''}`, file);
      }
    }
    const [header, ...records] = lines as Record<string, unknown>[];
    if (!isSettingsLine(header)) return undefined;
    const isRecord = (r: unknown): r is Record<string, unknown> => r !== null && typeof r === 'object';
    return {
      ...header,
      results: records.filter((r) => isRecord(r) && Array.isArray(r['faces'])),
      // Error lines, so an image missing from the results can say why.
      errors: records.filter((r) => isRecord(r) && typeof r['image'] === 'string' && isRecord(r['error'])),
    };
  }
}

/** analyze --ndjson's first line: the run's settings. */
function isSettingsLine(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'det_size' in value;
}

/** A line per setting the two files were made with differently (empty when they agree). */
function settingsNotes(a: ResultsFile, b: ResultsFile): string[] {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  // A file without det_metric was made with InsightFace's default one.
  const setting = (r: Record<string, unknown>, k: string): string => JSON.stringify(k === 'det_metric' ? r[k] ?? 'default' : r[k]);
  return SETTINGS.filter((k) => setting(ra, k) !== setting(rb, k))
    .map((k) => `note: the files were made with different ${k}: ${setting(ra, k)} and ${setting(rb, k)}`);
}

/** compare's exit code when it compared nothing: a file it cannot read, one that is no results file, a bad command line. */
export const COMPARE_TROUBLE_EXIT = 2;

/** `insightgpu compare A B`: prints the worst error per field; exit 1 when outside TESTBED tolerances (errors: main exits 2). */
export async function compareCommand(argv: readonly string[]): Promise<number> {
  // The commands' one parser: `--` ends the options, so a file named like one (-run.json) can be given after it.
  const files = parseArgs(argv, [], ['help']).positional;
  // Named as the other commands name their operands (option FILE: …), not as an option called 'compare'.
  if (files.length !== 2) throw new PipelineOptionError('ACTUAL EXPECTED', `give exactly two results files, got ${files.length} (usage: ${COMPARE_USAGE})`);
  const [a, b] = await Promise.all([readResults(files[0]!), readResults(files[1]!)]);
  const comparison = compareResults(a, b);
  const notes = settingsNotes(a, b);
  process.stdout.write(`${[...notes, formatComparison(comparison)].join('\n')}\n`);
  return comparison.ok ? 0 : 1;
}
