// A det size the detector cannot run at (its pooling needs more, or its feature maps do not fit InsightFace's anchor
// grid) is refused by prepare, naming the option, instead of failing at the first get; every size that runs passes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { getModel } from '../../src/pipeline/model-zoo.js';
import type { ScrfdDetector } from '../../src/pipeline/scrfd.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import { createBgrImage } from '../../src/pipeline/image.js';
import type { Size } from '../../src/pipeline/preprocess/letterbox.js';
import { sharedPath } from './helpers.js';

const t1 = sharedPath('images', 't1.jpg');
const model = (name: string): Uint8Array => readFileSync(sharedPath('models', name));

function refusedSize(...parts: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof PipelineOptionError, `expected PipelineOptionError, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
    return true;
  };
}

describe('det sizes checked against the detector at prepare', () => {
  let app: FaceAnalysis;
  before(async () => {
    app = await FaceAnalysis.create({ models: { files: { 'scrfd_2.5g_bnkps.onnx': model('scrfd_2.5g_bnkps.onnx') } }, backend: 'cpu' });
  });
  after(async () => app.release());

  it('FaceAnalysis.prepare refuses 31×31 (a stride-8 map of 4×4 cells for a 3×3 grid) and 16×16 (too small to pool), keeping its settings', async () => {
    app.prepare({ detSize: [160, 160] });
    assert.throws(() => app.prepare({ detSize: [31, 31] }), refusedSize('detSize', '31×31', 'stride 8'));
    assert.throws(() => app.prepare({ detSize: [[160, 160], [16, 16]] }), refusedSize('detSize', '16×16', 'Pool'));
    assert.deepEqual(app.detSize, [[160, 160]]);
    assert.equal((await app.get(t1)).length, 6);
  });

  it('accepts sizes that are not multiples of 32 but run (33×65, 321×321)', async () => {
    app.prepare({ detSize: [33, 65] });
    await app.get(t1);
    app.prepare({ detSize: [321, 321] });
    assert.equal((await app.get(t1)).length, 6);
  });

  it("ScrfdDetector's prepare and detect refuse such a size under inputSize; a fixed-size model ignores the size, as InsightFace does", async () => {
    assert.throws(() => app.detector.prepare({ inputSize: [31, 31] }), refusedSize('inputSize', '31×31'));
    await assert.rejects(app.detector.detect(t1, { inputSize: [8, 8] }), refusedSize('inputSize', '8×8'));
    const fixed = (await getModel(model('scrfd_500m_bnkps.onnx'), { backend: 'cpu' })) as ScrfdDetector;
    try {
      fixed.prepare({ inputSize: [31, 31] });
      assert.deepEqual(fixed.inputSize, [[640, 640]]);
    } finally {
      await fixed.release();
    }
  });

  it("the check's verdict is the run's for every size of a sweep (none that runs is refused)", async () => {
    const image = createBgrImage(64, 64);
    const pre = new CpuPreprocessor();
    const sides = [1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65, 97];
    let ran = 0;
    for (const w of sides) {
      for (const h of sides) {
        const size: Size = [w, h];
        let accepted = true;
        try { app.detector.checkSizes([size], 'detSize'); } catch { accepted = false; }
        let runs = true;
        // detectRows is the detection get() runs, with no size check of its own.
        try { await app.detector.detectRows(image, pre, { sizes: [size], threshold: 0.5, maxNum: 0, metric: 'default' }); } catch { runs = false; }
        assert.equal(accepted, runs, `${w}×${h}: prepare ${accepted ? 'accepts' : 'refuses'} it, detection ${runs ? 'runs' : 'fails'}`);
        if (runs) ran++;
      }
    }
    assert.ok(ran > 10 && ran < sides.length ** 2, `the sweep holds sizes of both kinds (${ran} ran)`);
  });
});
