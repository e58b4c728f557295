/**
 * The buffalo_l benchmark's arithmetic and command line (bench/node/buffalo-work.ts), without running a model:
 * issue 14's formula (get − scrfd forward + det_10g forward, over det_10g + the heads' forwards), the batches a head's
 * forward alone mirrors (head-model's own batchSize), which precisions run, the targets' verdicts, and typed usage
 * errors for bad flags.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BenchUsageError } from '../../bench/node/bench-args.js';
import { buffaloWork, choosePrecisions, headBatches, parseBuffaloArgs, TARGETS, verdict } from '../../bench/node/buffalo-work.js';
import { batchSize, type HeadSpec } from '../../src/pipeline/head-model.js';

describe('buffalo_l work arithmetic', () => {
  it('swaps the detector forward and divides by the sum of the forwards', () => {
    // get 12 ms with scrfd 3 ms inside; det_10g 5 ms; heads 2 + 1 + 0.5 + 0.5 = 4 ms.
    const w = buffaloWork({ get: 12, scrfdForward: 3, det10gForward: 5, headForwards: [2, 1, 0.5, 0.5] });
    assert.equal(w.buffaloWorkMs, 14);
    assert.equal(w.forwardsSumMs, 9);
    assert.equal(w.ratio, 14 / 9);
    assert.equal(w.pipelineRatio, 12 / 7);
  });
  it('a pipeline that costs nothing beyond its forwards has ratio 1', () => {
    const w = buffaloWork({ get: 7, scrfdForward: 3, det10gForward: 5, headForwards: [4] });
    assert.equal(w.ratio, 1);
    assert.equal(w.pipelineRatio, 1);
  });
  it('refuses a negative or non-finite time', () => {
    assert.throws(() => buffaloWork({ get: -1, scrfdForward: 3, det10gForward: 5, headForwards: [] }), RangeError);
    assert.throws(() => buffaloWork({ get: 1, scrfdForward: 3, det10gForward: 5, headForwards: [NaN] }), /headForwards\[0\]/);
  });
});

describe('head batches mirror the pipeline', () => {
  const spec = (backendName: 'webgpu' | 'cpu', maxBatch = 32): HeadSpec => ({ session: { backendName }, maxBatch, dynamicBatch: true } as unknown as HeadSpec);
  it('6 faces on WebGPU run as one batch of 8 (power-of-two bucket), on the CPU as 6', () => {
    assert.deepEqual(headBatches(true, 6, (n) => batchSize(spec('webgpu'), n), 32), [8]);
    assert.deepEqual(headBatches(true, 6, (n) => batchSize(spec('cpu'), n), 32), [6]);
  });
  it('a crowd runs in chunks of maxBatch, the last one bucketed', () => {
    assert.deepEqual(headBatches(true, 40, (n) => batchSize(spec('webgpu'), n), 32), [32, 8]);
    assert.deepEqual(headBatches(true, 5, (n) => batchSize(spec('webgpu', 4), n), 4), [4, 1]);
  });
  it('a fixed-batch-1 head runs once per face', () => {
    assert.deepEqual(headBatches(false, 3, () => 99, 32), [1, 1, 1]);
  });
});

describe('precisions and verdicts', () => {
  it('the default measures fp16 only where the adapter has shader-f16', () => {
    assert.deepEqual(choosePrecisions(undefined, 'webgpu', true), { run: ['fp32', 'fp16'], notMeasured: [] });
    assert.deepEqual(choosePrecisions(undefined, 'webgpu', false), { run: ['fp32'], notMeasured: ['fp16: not measured (no shader-f16)'] });
    assert.deepEqual(choosePrecisions('both', 'cpu', false), { run: ['fp32'], notMeasured: ['fp16: not measured (cpu backend)'] });
    assert.deepEqual(choosePrecisions('fp32', 'webgpu', false), { run: ['fp32'], notMeasured: [] });
    assert.deepEqual(choosePrecisions('fp16', 'webgpu', false), { run: [], notMeasured: ['fp16: not measured (no shader-f16)'] });
  });
  it('a target is met at or under it, and judged only on a GPU', () => {
    assert.equal(verdict(TARGETS.fp32_ms, TARGETS.fp32_ms, 'gpu'), 'met');
    assert.equal(verdict(10.01, TARGETS.fp32_ms, 'gpu'), 'not met');
    assert.equal(verdict(1.05, TARGETS.ratio_to_forwards, 'gpu'), 'met');
    assert.equal(verdict(0.2, TARGETS.cold_ratio_to_peer, 'software adapter'), 'n/a (software adapter)');
    assert.equal(verdict(3, TARGETS.fp16_ms, 'cpu backend'), 'n/a (cpu backend)');
    assert.equal(verdict(undefined, TARGETS.fp16_ms, 'gpu'), 'not measured');
  });
});

describe('parseBuffaloArgs', () => {
  it('defaults: webgpu, det 640, 10 rounds after 2, peer and cold on, precision left to the adapter', () => {
    const o = parseBuffaloArgs(['--', '--buffalo'])!;
    assert.equal(o.backend, 'webgpu');
    assert.deepEqual(o.detSize, [640, 640]);
    assert.equal(o.runs, 10);
    assert.equal(o.warmup, 2);
    assert.equal(o.peer, true);
    assert.equal(o.cold, true);
    assert.equal(o.precision, undefined);
    assert.match(o.replicasDir, /replicas-buffalo$/);
  });
  it('reads every flag', () => {
    const o = parseBuffaloArgs(['--backend', 'cpu', '--det-size', '320x256', '--precision', 'fp32', '--runs', '1', '--warmup', '0', '--no-peer', '--no-cold',
      '--replicas', '/tmp/r', '--models', '/tmp/m', '--image', '/tmp/t1.jpg', '--json', '/tmp/b.json', '--adapter', 'H200'])!;
    assert.deepEqual([o.backend, o.detSize, o.precision, o.runs, o.warmup, o.peer, o.cold], ['cpu', [320, 256], 'fp32', 1, 0, false, false]);
    assert.deepEqual([o.replicasDir, o.modelsDir, o.image, o.json, o.adapterName], ['/tmp/r', '/tmp/m', '/tmp/t1.jpg', '/tmp/b.json', 'H200']);
  });
  it('--help asks for the usage text', () => {
    assert.equal(parseBuffaloArgs(['--buffalo', '--help']), undefined);
  });
  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus'], /bogus/],
    ['a precision that does not exist', ['--precision', 'fp8'], /fp32, fp16 or both/],
    ['fp16 on the cpu backend', ['--backend', 'cpu', '--precision', 'fp16'], /needs --backend webgpu/],
    ['an unknown backend', ['--backend', 'metal'], /cpu or webgpu/],
    ['a det size off SCRFD\'s stride', ['--det-size', '100'], /multiples of 32/],
    ['a malformed det size', ['--det-size', '640x'], /N or WxH/],
    ['zero rounds', ['--runs', '0'], /--runs must be an integer ≥ 1/],
    ['a negative warm-up', ['--warmup', '-1'], /--warmup/],
    ['both names of the models folder', ['--models', 'a', '--models-dir', 'b'], /pass one/],
  ];
  for (const [what, argv, message] of bad) {
    it(`refuses ${what} with a BenchUsageError`, () => {
      assert.throws(() => parseBuffaloArgs(argv), (e: unknown) => e instanceof BenchUsageError && message.test(e.message));
    });
  }
});
