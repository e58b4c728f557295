/**
 * The webgpu backend (SwiftShader where there is no GPU) against onnxruntime-node on the buffalo_l replicas,
 * batch 1, on the photo each model is fed in the pipeline.
 *
 * Budget (measured on the shared 2-core box, another SwiftShader job running): 200 s for the file; genderage and
 * 2d106det 32 s together, the IResNet below 144 s. The full w600k_r50 (6.3 GMAC) takes 210–380 s per run on
 * SwiftShader even with its plan compiled (measured: 380 s first run, 223 s second), so it runs in `npm run parity --
 * --backend webgpu` only; here it is represented by the same builder at depth [2, 2, 2, 2]: every distinct layer
 * of w600k_r50 (stem, each stage's strided projection block and identity block, bn2, the 25088→512 Gemm and the
 * BatchNorm1d) at 112×112 with the replica's seed and weight recipe, at ~40% of the compute.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SEED, encodeReplica } from '../../models/forge/forge.js';
import { ensureReplicas } from '../../models/forge/cache.js';
import { layerSignatures } from '../../models/forge/inventory.js';
import { buildIResNet } from '../../models/forge/iresnet.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { Prng, hashString } from '../../models/forge/prng.js';
import { relativeError, runOrt, runOurs } from '../forge/helpers.js';
import { formatRow, letterboxedPhoto, PARITY_BOUND, replicaCases, runParity, sharedDir } from './parity.js';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

test('webgpu backend matches onnxruntime-node on the genderage and 2d106det replicas (batch 1, photo)', { timeout: 10 * 60_000 }, async () => {
  const cases = (await replicaCases('small', ['photo'])).filter((c) => c.model === 'genderage' || c.model === '2d106det');
  const rows = await runParity(cases, 'webgpu');
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.deepEqual(rows.map((r) => r.model).sort(), ['2d106det', 'genderage']);
});

test('webgpu backend matches onnxruntime-node on every distinct layer of w600k_r50 (IResNet at depth 2-2-2-2, batch 1, photo)', { timeout: 15 * 60_000 }, async () => {
  // Same builder, weight recipe and PRNG stream as the w600k_r50 replica; only the repeats of identical blocks are fewer.
  const bytes = encodeReplica('w600k_r50', buildIResNet(new Prng(DEFAULT_SEED, hashString('w600k_r50')), [2, 2, 2, 2]));
  const dims = [1, 3, 112, 112];
  // The claim this stand-in rests on, checked: the same set of (op, attributes, input shapes) as the full replica.
  const full = layerSignatures(parseModel(await readFile((await ensureReplicas(['w600k_r50'])).w600k_r50)), dims);
  assert.deepEqual(layerSignatures(parseModel(bytes), dims), full);
  const input = await letterboxedPhoto(path.join(sharedDir, 'images/Tom_Hanks_54745.png'), 112, 112, 127.5, 127.5);
  const reference = await runOrt(bytes, 'input.1', dims, input);
  const started = performance.now();
  const ours = await runOurs(bytes, 'input.1', dims, input, 'webgpu');
  const error = relativeError(ours['683']!.data, reference['683']!.data);
  console.log(`w600k_r50 layer set [2,2,2,2] 1x3x112x112 photo 683: rel err ${error.toExponential(2)}, ours ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.deepEqual(ours['683']!.dims, [1, 512]);
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.ok(error <= PARITY_BOUND, `relative error ${error}`);
});
