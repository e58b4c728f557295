/**
 * A keep_initializers_as_inputs export (every weight also a graph input, so from IR 4 on every weight a feed may
 * override) must cost nothing while no run feeds a weight: its plan is the plan of the same file without the
 * listing, the BatchNormalization folds included. A run that feeds some weights runs a variant where only those are
 * inputs, compiled once per set of fed names. Checked on tiny_genderage (Conv + BatchNormalization + PRelu blocks)
 * against onnxruntime-node; the plan is read from the profile of a run (one entry per executed step).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InferenceSession, Tensor } from '../../src/index.js';
import { seededRandom, sharedPath } from '../pipeline/helpers.js';
import { asPlainInputs, keepInitializersAsInputs, ortOutputs, ortRun, watchPlans } from './keep-initializers.js';

const cpu = { backend: 'cpu' } as const;
const PLAIN = new Uint8Array(readFileSync(sharedPath('models', 'tiny_genderage.onnx')));
const KEEP = keepInitializersAsInputs(PLAIN);
const DIMS = [1, 3, 96, 96];

function random(seed: number, count: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: count }, () => r() * 2 - 1);
}

const DATA = random(1, DIMS.reduce((a, b) => a * b, 1));
/** Overrides for two weights of the first block: its Conv's weights and its BatchNormalization's scale. */
const CONV0_W = random(2, 8 * 3 * 3 * 3);
const BN0_G = Float32Array.from([0.5, -1, 2, 0.25, 1.5, -0.75, 3, 1]);

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-4 * (1 + Math.abs(expected[i]!)), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

const data = (): Tensor => new Tensor('float32', DATA, DIMS);

/** The op types of the steps the last run executed. */
function steps(session: InferenceSession): string[] {
  return session.lastProfile()!.map((s) => s.opType);
}

describe('a keep_initializers_as_inputs file', () => {
  it('runs unfed on the plan of the same file without the listing, its BatchNormalizations folded', async () => {
    const plain = await InferenceSession.create(PLAIN, { ...cpu, profiling: true });
    await plain.run({ data: data() });
    const keep = await InferenceSession.create(KEEP, { ...cpu, profiling: true });
    assert.equal(keep.model.graph.overridableInputs?.length, keep.model.graph.initializers.size, 'every weight is overridable');
    const out = await keep.run({ data: data() });
    assert.deepEqual(steps(keep), steps(plain));
    assert.equal(steps(keep).filter((op) => op === 'BatchNormalization').length, 0, `BatchNormalization folded: ${steps(keep).join(' ')}`);
    close(out['fc1']!.data as Float32Array, await ortRun(KEEP, { data: [DATA, DIMS] }), 'fc1');
    await plain.release();
    await keep.release();
  });

  it('with a Resize whose scales are an initializer (SCRFD), runs unfed as the plain file does', async () => {
    // A feedable scales input is one this engine cannot plan ('scales must be known at load time'): every such
    // detector export would be refused if an overridable default were not a constant.
    const plainBytes = new Uint8Array(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')));
    const keepBytes = keepInitializersAsInputs(plainBytes);
    const dims = [1, 3, 64, 64];
    const input = random(3, 3 * 64 * 64);
    const plain = await InferenceSession.create(plainBytes, { ...cpu, profiling: true });
    await plain.run({ 'input.1': new Tensor('float32', input, dims) });
    const keep = await InferenceSession.create(keepBytes, { ...cpu, profiling: true });
    const out = await keep.run({ 'input.1': new Tensor('float32', input, dims) });
    assert.deepEqual(steps(keep), steps(plain));
    // onnxruntime-node refuses this rewritten file itself (its Resize shape inference meets a scales input it
    // cannot read): the plain file, which unfed runs must equal, is the reference.
    const expected = await ortOutputs(plainBytes, { 'input.1': [input, dims] });
    assert.deepEqual(Object.keys(out), Object.keys(expected));
    for (const [name, values] of Object.entries(expected)) close(out[name]!.data as Float32Array, values, name);
    await plain.release();
    await keep.release();
  });

  it('fed one weight, runs a variant where only that weight is an input, as onnxruntime computes it', async () => {
    const session = await InferenceSession.create(KEEP, { ...cpu, profiling: true });
    await session.run({ data: data() });
    const folded = steps(session);
    const fed = await session.run({ data: data(), bn0_g: new Tensor('float32', BN0_G, [8]) });
    // Only the fed BatchNormalization stays a step of its own; the other two still fold.
    assert.equal(steps(session).filter((op) => op === 'BatchNormalization').length, 1, steps(session).join(' '));
    close(fed['fc1']!.data as Float32Array, await ortRun(asPlainInputs(KEEP, ['bn0_g']), { data: [DATA, DIMS], bn0_g: [BN0_G, [8]] }), 'fc1 fed bn0_g');
    // Unfed again: back on the default plan and the defaults.
    const unfed = await session.run({ data: data() });
    assert.deepEqual(steps(session), folded);
    close(unfed['fc1']!.data as Float32Array, await ortRun(KEEP, { data: [DATA, DIMS] }), 'fc1 unfed');
    await session.release();
  });

  it('compiles one variant per set of fed names, once when its first runs come together', async () => {
    const session = await InferenceSession.create(KEEP, cpu);
    assert.equal(session.compileTimes.length, 1, 'the default plan, at create');
    const bn0g = new Tensor('float32', BN0_G, [8]);
    const conv0w = new Tensor('float32', CONV0_W, [8, 3, 3, 3]);
    const [a, b] = await Promise.all([session.run({ data: data(), bn0_g: bn0g }), session.run({ data: data(), bn0_g: bn0g })]);
    assert.equal(session.compileTimes.length, 2, 'two concurrent first runs feeding bn0_g compile one variant');
    assert.deepEqual(a['fc1']!.data, b['fc1']!.data);
    await session.run({ data: data(), bn0_g: new Tensor('float32', BN0_G.map((v) => -v), [8]) });
    assert.equal(session.compileTimes.length, 2, 'other values under the same name: the same variant');
    const both = await session.run({ conv0_w: conv0w, data: data(), bn0_g: bn0g });
    await session.run({ bn0_g: bn0g, data: data(), conv0_w: conv0w });
    assert.equal(session.compileTimes.length, 3, 'bn0_g and conv0_w, in either key order: one more variant');
    close(both['fc1']!.data as Float32Array, await ortRun(asPlainInputs(KEEP, ['bn0_g', 'conv0_w']), {
      data: [DATA, DIMS], bn0_g: [BN0_G, [8]], conv0_w: [CONV0_W, [8, 3, 3, 3]],
    }), 'fc1 fed bn0_g and conv0_w');
    await session.run({ data: data(), bn0_g: undefined as unknown as Tensor });
    assert.equal(session.compileTimes.length, 3, 'a name fed undefined is unfed: the default plan');
    await session.release();
  });

  it('release disposes the variants', async () => {
    const session = await InferenceSession.create(KEEP, cpu);
    const { made, disposed } = watchPlans(session);
    await session.run({ data: data(), bn0_g: new Tensor('float32', BN0_G, [8]) });
    await session.run({ data: data(), conv0_w: new Tensor('float32', CONV0_W, [8, 3, 3, 3]) });
    assert.equal(made.length, 2);
    assert.equal(disposed.size, 0);
    await session.release();
    assert.deepEqual(made.filter((p) => !disposed.has(p)), [], 'every variant disposed');
  });
});
