/** `insightgpu forge-models --out DIR [--seed N] [--only NAME…]`: writes the replicas with a progress bar and a summary. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { InsightGpuError } from '../../src/core/errors.js';
import { DEFAULT_SEED, EXTRA_REPLICA_NAMES, INSWAPPER_WIDTH, REPLICA_NAMES, forgeModels, selectForgeNames } from './index.js';

const USAGE = `usage: insightgpu forge-models --out DIR [--seed N] [--only NAME…] [--width N]
  Forges architecture replicas of buffalo_l's models (seeded random weights, not trained).
  --out DIR     folder to write into (created when missing)
  --seed N      non-negative integer seed (default ${DEFAULT_SEED}); the same seed gives byte-identical files
  --only NAME…  a subset of: ${REPLICA_NAMES.join(', ')} (default: all five); also ${EXTRA_REPLICA_NAMES.join(', ')}
  --width N     inswapper_128's channel width, a multiple of 8 (default ${INSWAPPER_WIDTH}, the real model's; 128 is a cheap test variant)`;

interface ForgeArgs {
  readonly outDir: string;
  readonly seed: number;
  readonly only: string[];
  /** inswapper_128's width, when given. */
  readonly width?: number;
}

/** Parses the flags; returns a message string on a usage error. */
export function parseForgeArgs(argv: readonly string[]): ForgeArgs | string {
  let outDir: string | undefined;
  let seed = DEFAULT_SEED;
  const only: string[] = [];
  let width: number | undefined;
  /** The value each of --out, --seed and --width was given: one each, where a second would silently win. */
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
    // --only gathers names (several after it, or --only again); the others take one value.
    const text = flag === '--out' || flag === '--seed' || flag === '--width' ? value() : undefined;
    if (text !== undefined) {
      const earlier = given.get(flag);
      if (earlier !== undefined) return `option ${flag}: given twice ('${earlier}', then '${text}'); it takes one value`;
      given.set(flag, text);
    }
    if (flag === '--out') {
      // An empty --out= would write into the working folder, which nobody asked for.
      if (text === undefined || text === '') return '--out needs a folder';
      outDir = text;
    } else if (flag === '--seed') {
      if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return `--seed needs a non-negative integer, got ${text ?? 'nothing'}`;
      seed = Number(text);
    } else if (flag === '--width') {
      if (text === undefined || !/^\d+$/.test(text) || Number(text) < 8 || Number(text) % 8 !== 0) return `--width needs a positive multiple of 8, got ${text ?? 'nothing'}`;
      width = Number(text);
    } else if (flag === '--only') {
      if (inline !== undefined) only.push(...inline.split(','));
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) only.push(...argv[++i]!.split(','));
      if (only.length === 0) return '--only needs at least one name';
    } else {
      return `unknown argument '${arg}'`;
    }
  }
  if (outDir === undefined) return '--out is required';
  const names = only.filter((n) => n !== '');
  if (width !== undefined && !names.includes('inswapper_128')) return '--width applies to inswapper_128; name it with --only';
  return { outDir, seed, only: names, ...(width !== undefined ? { width } : {}) };
}

export async function forgeModelsCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseForgeArgs(argv);
  if (typeof args === 'string') {
    // One line, as every other command's usage error, saying where the usage is.
    console.error(`forge-models: ${args} (insightgpu forge-models --help shows the usage)`);
    return 1;
  }
  let names: string[];
  try {
    names = selectForgeNames(args.only);
  } catch (error) {
    console.error(`forge-models: ${(error as Error).message}`);
    return 1;
  }
  const bar = new cliProgress.SingleBar({
    format: 'forging {bar} {value}/{total} {name}', stream: process.stderr, hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  bar.start(names.length, 0, { name: '' });
  try {
    const files = await forgeModels({
      outDir: args.outDir, seed: args.seed, only: names, width: args.width,
      onProgress: (p) => (p.phase === 'start' ? bar.update(p.index, { name: `${p.name}…` }) : bar.update(p.index + 1, { name: p.name })),
    });
    bar.stop();
    const rows = await Promise.all(files.map(async (f) => [
      f.name, f.file, f.bytes.toLocaleString('en-US'), (f.milliseconds / 1000).toFixed(1),
      createHash('sha256').update(await readFile(f.file)).digest('hex').slice(0, 16),
    ]));
    printTable(['replica', 'file', 'bytes', 'seconds', 'sha256 (prefix)'], rows);
    console.log(`seed ${args.seed}: ${files.length} replica(s) written to ${args.outDir} (seeded random weights, not trained models)`);
    return 0;
  } catch (error) {
    bar.stop();
    console.error(`forge-models: ${error instanceof InsightGpuError || error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
