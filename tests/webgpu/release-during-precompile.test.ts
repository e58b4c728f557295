/**
 * session.release() while a precompile is in flight waits for it before it destroys the device the session
 * acquired: the precompile settles as it would have (resolves), no pipeline is created on a destroyed device and no
 * rejection goes unhandled. SwiftShader, SCRFD-2.5G at 64×64 (seconds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
import { sharedPath } from '../pipeline/helpers.js';
import { refused } from '../robustness/refused.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('release during a precompile (SwiftShader)', () => {
  it('waits for the precompile, which resolves; nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    try {
      const session = await InferenceSession.create(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')), { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true } });
      const name = session.inputNames[0]!;
      const order: string[] = [];
      const precompiled = session.precompile({ [name]: [1, 3, 64, 64] }).finally(() => order.push('precompile'));
      const released = session.release().finally(() => order.push('release'));
      const [p, r] = await Promise.allSettled([precompiled, released]);
      assert.equal(p.status, 'fulfilled', `precompile: ${p.status === 'rejected' ? String(p.reason) : ''}`);
      assert.equal(r.status, 'fulfilled', `release: ${r.status === 'rejected' ? String(r.reason) : ''}`);
      assert.deepEqual(order, ['precompile', 'release'], 'release resolves only once the precompile has settled');
      assert.equal((await session.precompileTimes()).length, 1, 'the precompile finished its work');
      await refused(session.precompile({ [name]: [1, 3, 64, 64] }), InputError, /released/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled.map(String), []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
