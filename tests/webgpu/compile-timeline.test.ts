/**
 * FaceAnalysis.compileTimeline: one timeline for the whole pack's create, the detector included (its kernels are
 * precompiled at create, its plan made at the first get()). Ordering only, no durations: SwiftShader, SCRFD-2.5G
 * with the tiny genderage head, a 64×64 image at det size 64 (seconds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis, type ModelCompileTimeline, type PackCompileTimeline, type TimeSpan } from '../../src/pipeline/index.js';
import { imageFrom, sharedPath } from '../pipeline/helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const files = (...names: string[]) => ({ files: Object.fromEntries(names.map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))])) });

const within = (inner: TimeSpan, outer: TimeSpan, what: string): void => {
  assert.ok(outer.from <= inner.from && inner.from <= inner.to && inner.to <= outer.to, `${what}: ${JSON.stringify(inner)} inside ${JSON.stringify(outer)}`);
};

/** A plan's phases in order: requested ≤ ready, and the upload a non-empty span after the request. */
const planOrdered = (m: ModelCompileTimeline, at: number): void => {
  const t = m.plans[at]?.timeline;
  assert.ok(t, `${m.taskname}: plan ${at} has a timeline`);
  assert.ok(t.requested <= t.pipelinesReady, `${m.taskname}: requested ≤ ready`);
  assert.ok(t.requested <= t.uploadStart && t.uploadStart <= t.uploadEnd, `${m.taskname}: upload after the request`);
};

describe('FaceAnalysis.compileTimeline (SwiftShader)', () => {
  let app: FaceAnalysis;
  let atCreate: PackCompileTimeline;
  before(async () => {
    app = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps', 'tiny_genderage'), backend: 'webgpu', sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
    atCreate = await app.compileTimeline();
  });
  after(() => app?.release());

  it('has every model, each parsed inside create, in load order', () => {
    assert.deepEqual(atCreate.models.map((m) => m.taskname), ['detection', 'genderage']);
    let previous = atCreate.create.from;
    for (const m of atCreate.models) {
      within(m.parse, atCreate.create, `${m.taskname} parse`);
      assert.ok(previous <= m.parse.from, 'files parse in order');
      previous = m.parse.to;
    }
  });

  it('the detector precompiles at create: passes, lowering, pipelines requested then ready, after its parse', () => {
    const det = atCreate.models.find((m) => m.taskname === 'detection')!;
    assert.equal(det.plans.length, 0, 'a dynamic-size detector makes no plan at create');
    assert.equal(det.precompiles.length, 1);
    const p = det.precompiles[0]!;
    assert.deepEqual(Object.values(p.shapes), [[1, 3, 640, 640]]);
    assert.ok(det.parse.to <= p.started && p.started <= p.passesEnd && p.passesEnd <= p.requested && p.requested <= p.pipelinesReady, JSON.stringify(p));
    assert.ok(p.started <= atCreate.create.to, 'requested during create');
  });

  it('a static head compiles its plan during create, its upload inside create', () => {
    const head = atCreate.models.find((m) => m.taskname === 'genderage')!;
    planOrdered(head, 0);
    const t = head.plans[0]!.timeline!;
    assert.ok(head.parse.to <= t.requested && t.uploadEnd <= atCreate.create.to);
  });

  it('after the first get(), the detector\'s plan joins the timeline, made after create', async () => {
    app.prepare({ detSize: [64, 64] });
    await app.get(imageFrom(64, 64, (x, y, c) => (x * 3 + y * 5 + c * 40) % 256));
    const later = await app.compileTimeline();
    const det = later.models.find((m) => m.taskname === 'detection')!;
    assert.equal(det.plans.length, 1);
    planOrdered(det, 0);
    assert.ok(det.plans[0]!.timeline!.requested >= atCreate.create.to);
    assert.deepEqual(det.precompiles, atCreate.models[0]!.precompiles, 'the precompile entries stay');
  });
});
