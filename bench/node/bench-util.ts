/** Timing and comparison helpers for the benchmark, and where the test bed is. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepTiming } from '../../src/backends/plan.js';
import type { InferenceSession } from '../../src/session/session.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The test bed folder holding `sub`: $INSIGHTGPU_SHARED (the GPU machine's copy, .devassets), ../shared beside the
 * checkout (this box, CI), or shared/ inside it (a copied checkout); the first that exists, else the first named.
 */
export function testBedPath(sub: string): string {
  const env = process.env['INSIGHTGPU_SHARED'];
  const candidates = [...(env ? [resolve(env, sub)] : []), resolve(REPO, '../shared', sub), resolve(REPO, 'shared', sub)];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/**
 * A profiled session's summed step time (its dispatches' GPU timestamp durations) per run: one run, the switch to
 * the specialised kernels (nothing to switch for a generic-only session), then `runs` timed ones. Returns each
 * run's total, each run's steps and the last run's steps.
 */
export async function profiledRuns(session: InferenceSession, run: () => Promise<unknown>, runs = 3): Promise<{
  readonly totals: number[];
  readonly runs: readonly (readonly StepTiming[])[];
  readonly last: readonly StepTiming[];
}> {
  await run();
  await session.specialized();
  const profiles: (readonly StepTiming[])[] = [];
  for (let i = 0; i < runs; i++) {
    await run();
    profiles.push(session.lastProfile() ?? []);
  }
  return { totals: profiles.map((steps) => steps.reduce((a, p) => a + p.ms, 0)), runs: profiles, last: profiles.at(-1) ?? [] };
}

export interface Measurement {
  readonly first: number;
  readonly median: number;
  readonly min: number;
  readonly samples: readonly number[];
}

/**
 * Measures several engines round-robin: each timed round runs every engine once, so load that drifts during the
 * benchmark (a shared machine) lands on all of them alike instead of on whichever ran last.
 */
export async function measureInterleaved(fns: readonly (() => Promise<void>)[], warmup: number, runs: number): Promise<Measurement[]> {
  const firsts = fns.map(() => NaN);
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < warmup + runs; i++) {
    for (let f = 0; f < fns.length; f++) {
      const t = performance.now();
      await fns[f]!();
      const ms = performance.now() - t;
      if (i === 0) firsts[f] = ms;
      if (i >= warmup) samples[f]!.push(ms);
    }
  }
  return samples.map((s, f) => ({ first: firsts[f]!, median: median(s), min: Math.min(...s), samples: s }));
}

/** Runs `fn` `warmup` times untimed (JIT, caches, lazy compilation), then `runs` times timed. */
export async function measure(fn: () => Promise<void>, warmup: number, runs: number): Promise<Measurement> {
  let first = NaN;
  for (let i = 0; i < warmup; i++) {
    const t = performance.now();
    await fn();
    if (i === 0) first = performance.now() - t;
  }
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  if (Number.isNaN(first)) first = samples[0]!;
  return { first, median: median(samples), min: Math.min(...samples), samples };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

/** Worst, over outputs present in both, of max|a−b| / max|b| (the project's fp32 parity measure). */
export function maxRelativeError(ours: ReadonlyMap<string, Float32Array>, reference: ReadonlyMap<string, Float32Array>): number {
  let worst = 0;
  for (const [name, b] of reference) {
    const a = ours.get(name);
    if (!a || a.length !== b.length) return Infinity;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    worst = Math.max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}
