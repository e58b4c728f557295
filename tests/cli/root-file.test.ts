import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { doctorCommand } from '../../cli/doctor.js';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';

describe('analyze --models NAME and doctor with a root that is a file', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-cli-root-file-'));
  const file = path.join(work, 'home-file');
  writeFileSync(file, 'x');
  const saved = process.env['INSIGHTFACE_HOME'];
  after(() => {
    if (saved === undefined) delete process.env['INSIGHTFACE_HOME'];
    else process.env['INSIGHTFACE_HOME'] = saved;
  });

  it('analyze says $INSIGHTFACE_HOME is a file, naming it', async () => {
    process.env['INSIGHTFACE_HOME'] = file;
    const run = await captureOutput(() => main(['analyze', '--models', 'buffalo_l', '--backend', 'cpu', sharedPath('images', 't1.jpg')]));
    assert.equal(run.result, 1, run.out);
    assert.match(run.out, /^insightgpu analyze: option \$INSIGHTFACE_HOME: '[^']*home-file' is a file, not a folder/);
  });

  it('doctor reports the root as the option that chose it, not as the ENOTDIR of its models folder', async () => {
    process.env['INSIGHTFACE_HOME'] = file;
    const fromEnv = await captureOutput(() => doctorCommand(['--no-hash'], '0.0.0-test'));
    assert.equal(fromEnv.result, 0);
    assert.match(fromEnv.out, /packs in [^\n]*home-file\/models: none \(option \$INSIGHTFACE_HOME: '[^']*home-file' is a file, not a folder/);
    assert.doesNotMatch(fromEnv.out, /ENOTDIR/);
    delete process.env['INSIGHTFACE_HOME'];
    const fromFlag = await captureOutput(() => doctorCommand(['--root', file, '--no-hash'], '0.0.0-test'));
    assert.match(fromFlag.out, /packs in [^\n]*: none \(option --root: '[^']*home-file' is a file, not a folder/);
  });
});
