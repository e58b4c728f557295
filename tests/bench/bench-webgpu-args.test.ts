/**
 * `npm run bench -- --backend webgpu`'s command line: every bad flag or value is a BenchUsageError (exit 2 with the
 * usage text) before any device or model is touched, and the values it accepts reach the options unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BenchUsageError } from '../../bench/node/bench-args.js';
import { benchWebgpu, parseWebgpuBenchArgs } from '../../bench/node/bench-webgpu.js';
import { captureOutput } from '../pipeline/capture-output.js';

describe('bench --backend webgpu: command line', () => {
  it('takes its defaults and every flag it documents', () => {
    const plain = parseWebgpuBenchArgs(['--backend', 'webgpu']).options;
    assert.deepEqual([plain.runs, plain.warmup, plain.peer, plain.profile, plain.kernels, plain.replicasDir], [5, 1, true, false, undefined, undefined]);
    const { options: o, json } = parseWebgpuBenchArgs(['--', '--backend', 'webgpu', '--runs', '3', '--warmup', '0', '--models', 'a,b', '--models-dir', '/tmp/m',
      '--adapter', 'H200', '--no-peer', '--profile', '--replicas', '/tmp/r', '--kernels', 'generic', '--json', '/tmp/w.json']);
    assert.deepEqual([o.runs, o.warmup, o.models, o.modelsDir, o.adapterName, o.peer, o.profile, o.replicasDir, o.kernels, json],
      [3, 0, ['a', 'b'], '/tmp/m', 'H200', false, true, '/tmp/r', 'generic', '/tmp/w.json']);
  });
  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus'], /bogus/],
    ['a misspelt flag', ['--profiles'], /profiles/],
    ['a stray positional', ['det_10g'], /det_10g/],
    ['zero rounds', ['--runs', '0'], /--runs must be an integer ≥ 1/],
    ['an empty warm-up', ['--warmup', ''], /^--warmup is empty/],
    ['a blank warm-up', ['--warmup', ' '], /--warmup must be an integer ≥ 0/],
    // parseArgs alone keeps the last value: the run would measure 1 round under a line that says 9.
    ['a round count given twice', ['--runs', '9', '--models', 'a', '--runs', '1'], /^--runs given twice \('9', then '1'\); it takes one value$/],
    ['a JSON path given twice', ['--json=/tmp/a.json', '--json', '/tmp/b.json'], /--json given twice/],
    ['an empty JSON path', ['--json='], /^--json is empty/],
    ['a fractional warm-up', ['--warmup', '1.5'], /--warmup/],
    ['an unknown kernel tier', ['--kernels', 'fast'], /tiered, specialized, generic/],
    ['another backend', ['--backend', 'cpu'], /must be webgpu/],
  ];
  for (const [what, argv, message] of bad) {
    it(`refuses ${what} with a BenchUsageError`, () => {
      assert.throws(() => parseWebgpuBenchArgs(argv), (e: unknown) => e instanceof BenchUsageError && message.test(e.message));
    });
  }
  it('exits 2 with the usage text on a bad value, and 0 on --help, without opening a device', async () => {
    const refused = await captureOutput(() => benchWebgpu(['--backend', 'webgpu', '--runs', 'x']));
    assert.equal(refused.result, 2);
    assert.match(refused.out, /^bench --backend webgpu: --runs must be an integer ≥ 1, not 'x'\n\nusage: npm run bench -- --backend webgpu/);
    const help = await captureOutput(() => benchWebgpu(['--backend', 'webgpu', '--help']));
    assert.equal(help.result, 0);
    assert.match(help.out, /--kernels T {7}tiered \(default\), specialized or generic kernels/);
  });
});
