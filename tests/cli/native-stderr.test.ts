/**
 * README: the CLI "keeps the GPU drivers' own messages off stderr; --verbose lets them through". Dawn, the Vulkan
 * loader and Mesa write from native code straight to fd 2 (a refused driver with its source path, "XDG_RUNTIME_DIR
 * is invalid or not set", "Found no drivers!"), so only a child process's captured stderr shows whether they reach
 * the user. The environment is a container's: no XDG_RUNTIME_DIR, and no Vulkan driver chosen by the caller.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sharedPath } from '../pipeline/helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The lines analyze itself writes to stderr without a TTY (its log, summary and error lines). */
const OWN_LINE = [/^backend: /, /^find model: /, /^model ignored: /, /^\d+ image\(s\), \d+ face\(s\) → /, /^insightgpu analyze: /];

function foreignLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !OWN_LINE.some((re) => re.test(l)));
}

function quietEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['XDG_RUNTIME_DIR', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'INSIGHTGPU_DEBUG']) delete env[name];
  return env;
}

function analyze(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'analyze', ...args, sharedPath('images', 't1.jpg')],
      { cwd: repo, env, timeout: 240_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr }));
  });
}

// The detector alone at 160: the webgpu run compiles one model's kernels, on SwiftShader too.
const detectorOnly = mkdtempSync(path.join(os.tmpdir(), 'insightgpu-stderr-'));
symlinkSync(sharedPath('models', 'scrfd_500m_bnkps.onnx'), path.join(detectorOnly, 'scrfd_500m_bnkps.onnx'));
after(() => rmSync(detectorOnly, { recursive: true, force: true }));

describe('analyze keeps the drivers\' messages off stderr', { concurrency: true }, () => {
  for (const backend of ['auto', 'webgpu'] as const) {
    it(`--backend ${backend}: only the CLI's own lines`, { timeout: 300_000 }, async () => {
      const models = backend === 'auto' ? sharedPath('models') : detectorOnly;
      const { code, stderr } = await analyze(['--models', models, '--det-size', '160', '--backend', backend], quietEnv());
      // 0, or 1 where this machine has no WebGPU at all (then its one error line says so).
      assert.ok(code === 0 || code === 1, `exit ${code}\n${stderr}`);
      assert.match(stderr, code === 0 ? /^backend: /m : /^insightgpu analyze: /m, stderr);
      assert.deepEqual(foreignLines(stderr), [], stderr);
    });
  }

  it('--backend auto with the caller\'s own VK_ICD_FILENAMES naming a missing file: only the CLI\'s own lines', {
    timeout: 300_000,
  }, async () => {
    // The loader's "Failed to open JSON file" / "Found no drivers!" for that list stay in the adapter probe's child.
    const env = { ...quietEnv(), VK_ICD_FILENAMES: path.join(detectorOnly, 'no_such_icd.json') };
    const { stderr } = await analyze(['--models', sharedPath('models'), '--det-size', '160', '--backend', 'auto'], env);
    assert.deepEqual(foreignLines(stderr), [], stderr);
  });

  it('--verbose lets them through (the check above sees them where this machine has any)', { timeout: 300_000 }, async (t) => {
    const { stderr } = await analyze(['--verbose', '--models', sharedPath('models'), '--det-size', '160', '--backend', 'auto'], quietEnv());
    const foreign = foreignLines(stderr);
    if (foreign.length === 0) {
      t.skip('this machine\'s drivers print nothing, even with --verbose');
      return;
    }
    assert.match(stderr, /^backend: /m, stderr);
  });
});
