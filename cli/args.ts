import { PipelineOptionError } from '../src/pipeline/index.js';

export interface ParsedArgs {
  /** Each valued option given, with its one value. */
  readonly options: Map<string, string>;
  readonly flags: Set<string>;
  readonly positional: string[];
}

/**
 * Minimal GNU-style parsing: `--name value`, `--name=value`, boolean `--flag` for names in `booleans`,
 * `--` ends options. Unknown names, and single-dash words other than `-h` and `-`, are rejected so typos do not
 * silently change a run; so is a `--word` where a value should follow (a value starting with `--` takes `=`), and
 * a valued option given twice: every one takes a single value, and `--det-size 320 … --det-size 640` (a script's
 * default and the user's override, two lines of a long command) would otherwise run with whichever came last,
 * unsaid. A boolean given twice means what it means once. An empty value (`--json=`) is refused too.
 */
export function parseArgs(argv: readonly string[], valued: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' && booleans.includes('help')) {
      flags.add('help');
      continue;
    }
    // A lone '-' is a name; '-x' is a mistyped option (a file whose name starts with '-' goes after '--').
    if (arg.startsWith('-') && !arg.startsWith('--') && arg !== '-') throw new PipelineOptionError(arg, 'unknown option (options start with --; put a file named like this after --)');
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleans.includes(name)) {
      if (eq >= 0) throw new PipelineOptionError(`--${name}`, 'takes no value');
      flags.add(name);
      continue;
    }
    if (!valued.includes(name)) throw new PipelineOptionError(`--${name}`, 'unknown option');
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new PipelineOptionError(`--${name}`, 'needs a value');
    // `--models --quiet IMG` is a value left out, not a pack named '--quiet'; '-' (stdout) and '-1' stay values.
    if (eq < 0 && value.startsWith('--')) {
      throw new PipelineOptionError(`--${name}`, `needs a value (got the option ${value}; a value that starts with -- goes as --${name}=VALUE)`);
    }
    // `--json=$OUT` with OUT unset: an empty value would mean "not given" (stdout), '' (the default pack's folder for
    // --models) or the working folder, each unsaid; no option takes an empty value.
    if (value === '') throw new PipelineOptionError(`--${name}`, 'is empty; give a value (or leave the option out)');
    const earlier = options.get(name);
    if (earlier !== undefined) {
      throw new PipelineOptionError(`--${name}`, `given twice ('${earlier}', then '${value}'); it takes one value`);
    }
    options.set(name, value);
  }
  return { options, flags, positional };
}

/** The words before `--`: after it every word is an operand, a file named `--help` or `--verbose` included. */
export function optionWords(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** Whether the command line asks for help (`--help` or `-h` among the options, not after `--`). */
export function asksForHelp(argv: readonly string[]): boolean {
  const words = optionWords(argv);
  return words.includes('--help') || words.includes('-h');
}

/** The value of a valued option (parseArgs allows one), or undefined when it is not given. */
export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name);
}

/** A decimal number as a user types one: `0.5`, `-1`, `.5`, `320`, `1e-3`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function parseNumberOption(args: ParsedArgs, name: string, fallback: number, integer = false): number {
  const text = optionValue(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  // Number() also reads '0x1', '0b11', '0o7' and ' 5 ': `--det-thresh 0x1` would run at 1, unsaid. A CLI number is
  // written in decimal (an exponent allowed), nothing around it.
  if (!DECIMAL.test(text) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new PipelineOptionError(`--${name}`, `'${text}' is not ${integer ? 'an integer' : 'a number'}`);
  }
  return value;
}

/** A number option within [min, max] (both inclusive), e.g. a threshold; `fallback` when it is not given. */
export function parseRangeOption(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const value = parseNumberOption(args, name, fallback);
  if (value < min || value > max) throw new PipelineOptionError(`--${name}`, `${value} is not in [${min}, ${max}]`);
  return value;
}

/** An integer option of at least `min`; `fallback` when it is not given. */
export function parseCountOption(args: ParsedArgs, name: string, fallback: number, min: number): number {
  const value = parseNumberOption(args, name, fallback, true);
  if (value < min) throw new PipelineOptionError(`--${name}`, `${value} is less than ${min}`);
  return value;
}
