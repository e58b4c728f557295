/** Declares the node:test tests of the conformance suite for one backend (cpu here; webgpu reuses it). */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { SessionOptions } from '../../src/session/session.js';
import { formatTable, listConformanceCases, runConformanceCase, summarizeByOp, type CaseOutcome, type ConformanceCase } from './conformance.js';

export function defineConformanceSuite(label: string, options: SessionOptions, dir?: string): void {
  let cases: ConformanceCase[];
  try {
    cases = listConformanceCases(dir);
  } catch (error) {
    // A missing data directory fails the run (CI installs libonnx-testdata); it is never a skip.
    test(`ONNX node conformance (${label}): test data`, () => { throw error; });
    return;
  }
  const byOp = new Map<string, ConformanceCase[]>();
  for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);
  const outcomes: CaseOutcome[] = [];

  describe(`ONNX node conformance (${label})`, () => {
    for (const [op, opCases] of [...byOp].sort(([a], [b]) => a.localeCompare(b))) {
      test(op, async () => {
        const results: CaseOutcome[] = [];
        for (const c of opCases) results.push(await runConformanceCase(c, options));
        outcomes.push(...results);
        const failed = results.filter((r) => r.status === 'failed');
        assert.ok(failed.length === 0, `${failed.length} of ${results.length} ${op} cases failed:\n${failed.map((f) => `  ${f.name}: ${f.detail}`).join('\n')}`);
      });
    }
    after(() => {
      console.log(`ONNX node conformance (${label}), passed/total per op (excluded = out of scope, refused with a typed error; diverged = matches onnxruntime-node where it differs from the expected data):\n${formatTable(summarizeByOp(outcomes))}`);
    });
  });
}
