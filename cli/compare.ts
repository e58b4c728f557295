import { readFile } from 'node:fs/promises';
import { PipelineOptionError } from '../src/pipeline/index.js';
import { compareResults, formatComparison } from './compare-results.js';
import type { ResultsFile } from './results-format.js';

export const COMPARE_USAGE = 'insightgpu compare ACTUAL.json EXPECTED.json';

async function readResults(file: string): Promise<ResultsFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new PipelineOptionError(file, `cannot read results: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as ResultsFile).results)) {
    throw new PipelineOptionError(file, 'not a results file (no "results" array)');
  }
  return parsed as ResultsFile;
}

/** `insightgpu compare A B`: prints the worst error per field; exit 1 when outside TESTBED tolerances. */
export async function compareCommand(argv: readonly string[]): Promise<number> {
  if (argv.length !== 2) throw new PipelineOptionError('compare', `needs two files: ${COMPARE_USAGE}`);
  const [a, b] = await Promise.all([readResults(argv[0]!), readResults(argv[1]!)]);
  const comparison = compareResults(a, b);
  process.stdout.write(`${formatComparison(comparison)}\n`);
  return comparison.ok ? 0 : 1;
}
