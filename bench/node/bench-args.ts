/**
 * Command lines of the benchmarks: node:util's parseArgs in strict mode (an unknown or misspelt flag stops the run
 * instead of being ignored), plus the value checks they share. A usage error is a BenchUsageError; the entry points
 * print it with their usage text and exit with code 2, as the other CLIs do.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/**
 * Strict parseArgs without positionals. '--' tokens are dropped, wherever they are: `npx tsx bench.ts -- --runs 3`
 * and scripts that forward npm's separator have always been accepted.
 *
 * A single-valued flag given twice is refused, as the CLI refuses it: parseArgs alone keeps the last value, so
 * `--runs 9 … --runs 1` would measure one round under a command line that says nine. An empty value (`--json=$OUT`
 * with OUT unset) is refused too: no benchmark flag means anything by ''.
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(argv: readonly string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv.filter((a) => a !== '--'), options, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const seen = new Map<string, string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    const flag = `--${token.name}`;
    if (token.value === '') throw new BenchUsageError(`${flag} is empty; give a value (or leave the flag out)`);
    if (options[token.name]?.multiple === true) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) throw new BenchUsageError(`${flag} given twice ('${earlier}', then '${token.value}'); it takes one value`);
    seen.set(token.name, token.value);
  }
  return parsed.values;
}

/** The integer value of `--name`, at least `least`. */
export function integerFlag(name: string, value: string, least: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < least) throw new BenchUsageError(`--${name} must be an integer ≥ ${least}, not '${value}'`);
  return n;
}

/** `--det-size`: N or WxH, both sides multiples of 32 (SCRFD's largest stride); returns [W, H]. */
export function detSizeFlag(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value);
  const [w, h] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [NaN, NaN];
  if (!(w >= 32 && h >= 32 && w % 32 === 0 && h % 32 === 0)) throw new BenchUsageError(`--det-size must be N or WxH with sides multiples of 32, not '${value}'`);
  return [w, h];
}

export type BenchBackend = 'cpu' | 'webgpu';

export function backendFlag(value: string): BenchBackend {
  if (value !== 'cpu' && value !== 'webgpu') throw new BenchUsageError(`--backend must be cpu or webgpu, not '${value}'`);
  return value;
}

/** Prints a usage error and the usage text to stderr; returns the exit code for it. */
export function reportUsageError(program: string, error: BenchUsageError, usage: string): number {
  process.stderr.write(`${program}: ${error.message}\n\n${usage}\n`);
  return 2;
}
