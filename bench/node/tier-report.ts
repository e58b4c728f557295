/**
 * Whether the specialised kernel tier pays, per model and per step, from three files `bench/device/run-gpu.sh`
 * writes under its output folder (issue 14: "the specialised tier is kept only where a GPU measurement shows it
 * pays"):
 * - webgpu.json: the default tiered kernels, warm on the specialised ones, with each step's GPU time (--profile);
 * - webgpu-generic.json: `--kernels generic --profile`, warm on the generic ones, each step's GPU time;
 * - webgpu-specialized.json: `--kernels specialized`, the cold start of a plan that compiles only the specialised
 *   kernels.
 *
 *   node --import tsx bench/node/tier-report.ts OUTDIR [--markdown FILE]
 *
 * It measures nothing: it reads what the benchmarks wrote, so it runs anywhere. A software adapter's rows are shown
 * and never judged: SwiftShader's relative kernel costs say nothing about a GPU's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SOFTWARE_ADAPTER } from './gpu-targets.js';

/**
 * A specialised kernel pays when it is at least this much faster than the generic one. Warm medians of ten runs on
 * one quiet GPU repeat within a few percent, so a smaller saving is not told apart from noise; and below it the
 * specialised tier's cost (one pipeline per layer shape to compile, the CPU time that takes) buys nothing visible.
 */
export const PAYS_FRACTION = 0.05;
/** ...and by at least this many milliseconds per step: the timestamp queries' resolution on a real GPU is ~1 µs. */
export const PAYS_MIN_STEP_MS = 0.001;

export interface StepComparison {
  readonly node: string;
  readonly op: string;
  readonly genericMs: number;
  readonly specializedMs: number;
  readonly pays: boolean;
}

export interface TierRow {
  readonly model: string;
  readonly adapter: string;
  /** Warm medians: the generic-only run, and the tiered run (on the specialised kernels). */
  readonly warmGenericMs?: number;
  readonly warmSpecializedMs?: number;
  readonly gpuGenericMs?: number;
  readonly gpuSpecializedMs?: number;
  /** Cold starts: the tiered plan's first result (from the generic kernels), and a specialised-only plan's. */
  readonly coldTieredMs?: number;
  readonly coldSpecializedMs?: number;
  /** How long after its first result the tiered plan took the specialised kernels. */
  readonly specializeMs?: number;
  /** Steps matched by name between the two profiles; empty without both. */
  readonly steps: readonly StepComparison[];
  /** Names of profiled steps found in one run only. */
  readonly unmatched: readonly string[];
  readonly verdict: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (o: Obj | undefined, key: string): number | undefined => {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

const FILES = { tiered: 'webgpu.json', generic: 'webgpu-generic.json', specialized: 'webgpu-specialized.json' } as const;
type Source = keyof typeof FILES;

export interface TierInputs {
  readonly rows: Readonly<Record<Source, readonly Obj[]>>;
  /** Why a file gave nothing: missing, or its parse error. */
  readonly problems: Readonly<Partial<Record<Source, string>>>;
}

export function readTierInputs(dir: string): TierInputs {
  const rows: Record<Source, Obj[]> = { tiered: [], generic: [], specialized: [] };
  const problems: Partial<Record<Source, string>> = {};
  for (const [key, file] of Object.entries(FILES) as [Source, string][]) {
    const path = join(dir, file);
    if (!existsSync(path)) { problems[key] = `${file} missing`; continue; }
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      rows[key] = (Array.isArray(parsed) ? parsed : []).filter(isObj);
    } catch (error) {
      problems[key] = `${file} unreadable (${(error as Error).message})`;
    }
  }
  return { rows, problems };
}

const stepsOf = (row: Obj | undefined): { node: string; op: string; ms: number }[] =>
  (Array.isArray(row?.['gpu_steps']) ? row['gpu_steps'] as unknown[] : []).filter(isObj).flatMap((s) => {
    const ms = num(s, 'ms');
    return typeof s['node'] === 'string' && ms !== undefined ? [{ node: s['node'], op: String(s['op'] ?? ''), ms }] : [];
  });

/** Whether a specialised step or model time `specialized` beats the generic `generic` by the margin that counts. */
export function pays(generic: number, specialized: number, minMs = 0): boolean {
  return generic - specialized >= Math.max(PAYS_FRACTION * generic, minMs);
}

/** The two profiles' steps side by side, matched by node name (each plan lists every step once, in order). */
export function compareSteps(generic: Obj | undefined, specialized: Obj | undefined): { steps: StepComparison[]; unmatched: string[] } {
  const g = new Map(stepsOf(generic).map((s) => [s.node, s]));
  const s = stepsOf(specialized);
  const steps = s.flatMap((step) => {
    const other = g.get(step.node);
    return other ? [{ node: step.node, op: step.op, genericMs: other.ms, specializedMs: step.ms, pays: pays(other.ms, step.ms, PAYS_MIN_STEP_MS) }] : [];
  });
  const seen = new Set(steps.map((c) => c.node));
  const unmatched = [...s.map((x) => x.node), ...g.keys()].filter((n) => !seen.has(n));
  return { steps, unmatched: [...new Set(unmatched)] };
}

/** One row per model of the tiered run (and any model found only in the generic run). */
export function tierRows(inputs: TierInputs): TierRow[] {
  const by = (source: Source): Map<string, Obj> => new Map(inputs.rows[source].map((r) => [String(r['model'] ?? ''), r]));
  const [tiered, generic, specialized] = [by('tiered'), by('generic'), by('specialized')];
  const models = [...new Set([...tiered.keys(), ...generic.keys()])].filter(Boolean);
  return models.map((model) => {
    const t = tiered.get(model);
    const g = generic.get(model);
    const sp = specialized.get(model);
    const adapter = String(t?.['adapter'] ?? g?.['adapter'] ?? '-');
    const { steps, unmatched } = compareSteps(g, t);
    const warmGenericMs = num(g, 'ours_ms');
    const warmSpecializedMs = num(t, 'ours_ms');
    let verdict: string;
    if (warmGenericMs === undefined || warmSpecializedMs === undefined) {
      const missing = warmGenericMs === undefined ? inputs.problems.generic ?? `no ${model} row in ${FILES.generic}` : inputs.problems.tiered ?? `no ${model} row in ${FILES.tiered}`;
      verdict = `not measured (${missing})`;
    } else if (SOFTWARE_ADAPTER.test(adapter)) {
      verdict = 'not judged (software adapter)';
    } else if (pays(warmGenericMs, warmSpecializedMs)) {
      verdict = `specialised pays (${(100 * (1 - warmSpecializedMs / warmGenericMs)).toFixed(0)}% faster warm)`;
    } else {
      verdict = `generic alone (specialised saves ${(100 * (1 - warmSpecializedMs / warmGenericMs)).toFixed(1)}% warm, under ${100 * PAYS_FRACTION}%)`;
    }
    return {
      model, adapter, warmGenericMs, warmSpecializedMs, gpuGenericMs: num(g, 'gpu_ms'), gpuSpecializedMs: num(t, 'gpu_ms'),
      coldTieredMs: num(t, 'cold_ours_ms'), coldSpecializedMs: num(sp, 'cold_ours_ms'), specializeMs: num(t, 'specialize_ms'), steps, unmatched, verdict,
    };
  });
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ms`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b <= 0 ? '-' : `${(a / b).toFixed(2)}×`);

/** The rows as markdown: the model table, then each model's steps whose specialised kernel does not pay. */
export function formatTierReport(rows: readonly TierRow[], problems: TierInputs['problems'] = {}): string {
  const head = ['model', 'warm generic', 'warm specialised', 'spec / gen', 'GPU generic', 'GPU specialised', 'steps that pay',
    'cold tiered (first result)', 'cold specialised-only', 'tiered takes over after', 'verdict', 'adapter'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const paying = r.steps.filter((s) => s.pays).length;
    lines.push(`| ${[r.model, ms(r.warmGenericMs), ms(r.warmSpecializedMs), ratio(r.warmSpecializedMs, r.warmGenericMs), ms(r.gpuGenericMs),
      ms(r.gpuSpecializedMs), r.steps.length ? `${paying} / ${r.steps.length}` : '-', ms(r.coldTieredMs), ms(r.coldSpecializedMs), ms(r.specializeMs),
      r.verdict, r.adapter].join(' | ')} |`);
  }
  for (const [source, why] of Object.entries(problems)) lines.push('', `${source}: ${why}`);
  for (const r of rows) {
    const idle = r.steps.filter((s) => !s.pays);
    if (!idle.length && !r.unmatched.length) continue;
    const spent = idle.reduce((a, s) => a + s.specializedMs, 0);
    lines.push('', `${r.model}: ${idle.length} of ${r.steps.length} steps' specialised kernels save under ${100 * PAYS_FRACTION}% (${ms(spent)} of GPU time on them)` +
      (idle.length ? `; the costliest: ${[...idle].sort((a, b) => b.specializedMs - a.specializedMs).slice(0, 8)
        .map((s) => `${s.node} (${s.op}) ${(1000 * s.genericMs).toFixed(1)} → ${(1000 * s.specializedMs).toFixed(1)} µs`).join(', ')}` : '') +
      (r.unmatched.length ? `; in one profile only: ${r.unmatched.slice(0, 8).join(', ')}` : ''));
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { markdown: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    parsed = undefined;
    console.error(`tier-report: ${(error as Error).message}`);
  }
  const dir = parsed?.positionals[0];
  if (!parsed || !dir || parsed.positionals.length > 1) {
    console.error('usage: node --import tsx bench/node/tier-report.ts OUTDIR [--markdown FILE]');
    process.exitCode = 2;
  } else {
    const inputs = readTierInputs(dir);
    const report = formatTierReport(tierRows(inputs), inputs.problems);
    console.log(report);
    if (parsed.values.markdown) writeFileSync(parsed.values.markdown, `${report}\n`);
  }
}
