/**
 * A bad root is named as the caller wrote it: `--root` by fetch-models and doctor (the flag typed), `download.root`
 * by FaceAnalysis.create (the nested option given), and `root` by fetchPack / fetchModelFile (their own option).
 */
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { fetchModelsCommand } from '../../models/fetch/cli.js';
import { fetchPack } from '../../models/fetch/fetch-pack.js';
import { fetchModelFile } from '../../models/fetch/fetch-model-file.js';
import { doctorCommand } from '../../cli/doctor.js';
import { FaceAnalysis, PipelineOptionError } from '../../src/node.js';
import { renameRootOption } from '../../src/pipeline/insightface-root.js';

/** Roots no call may take: an empty one (the working folder), and a ~user /etc/passwd lacks. */
const BAD_ROOTS = [['', /is empty/], ['~no-such-user-fxfetch', /no user 'no-such-user-fxfetch'/]] as const;
/** Nothing listens here: a call that got past the root would fail on the download instead. */
const NOWHERE = 'http://127.0.0.1:9';

async function fetchModelsStderr(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const sink = (append: (text: string) => void): Writable => new Writable({ write: (chunk: Buffer, _encoding, done) => (append(chunk.toString()), done()) });
  const code = await fetchModelsCommand(args, { stdout: sink(() => undefined), stderr: sink((text) => (stderr += text)) });
  return { code, stderr };
}

const optionError = (name: string, why: RegExp) => (error: unknown): boolean =>
  error instanceof PipelineOptionError && error.option === name && error.message.startsWith(`option ${name}: `) && why.test(error.message);

describe('a bad root names the option the caller used', () => {
  for (const [root, why] of BAD_ROOTS) {
    it(`fetch-models and doctor: --root ${JSON.stringify(root)} reads "option --root"`, async () => {
      for (const name of ['buffalo_l', 'inswapper_128']) {
        const run = await fetchModelsStderr([name, '--root', root, '--base-url', NOWHERE]);
        assert.equal(run.code, 1);
        assert.match(run.stderr, /^fetch-models failed \[PIPELINE_OPTION\]: option --root: /, name);
        assert.match(run.stderr, why, name);
      }
      await assert.rejects(doctorCommand(['--root', root, '--no-hash'], '0.0.0-test'), optionError('--root', why));
    });

    it(`FaceAnalysis.create: download.root ${JSON.stringify(root)} reads "option download.root"; fetchPack and fetchModelFile say "option root"`, async () => {
      await assert.rejects(FaceAnalysis.create({ models: 'buffalo_l', download: { root, baseUrl: NOWHERE } }), optionError('download.root', why));
      await assert.rejects(fetchPack('buffalo_l', { root, baseUrl: NOWHERE }), optionError('root', why));
      await assert.rejects(fetchModelFile('inswapper_128', { root, baseUrl: NOWHERE }), optionError('root', why));
    });
  }
});

describe('renameRootOption', () => {
  it('keeps the original error\'s cause and stack frames, with only the option renamed', () => {
    const cause = new Error('passwd unreadable');
    const original = new PipelineOptionError('root', "'~x': no user 'x'");
    // Set as a property, as the constructor of any version gives it: the rename must carry it whatever made it.
    Object.defineProperty(original, 'cause', { value: cause, configurable: true, writable: true });
    const renamed = renameRootOption(original, '--root');
    assert.ok(renamed instanceof PipelineOptionError);
    assert.equal(renamed.option, '--root');
    assert.equal(renamed.message, "option --root: '~x': no user 'x'");
    assert.equal(renamed.cause, cause);
    const frames = (stack: string | undefined): string[] => (stack ?? '').split('\n').slice(1);
    assert.ok(frames(original.stack).length > 0);
    assert.deepEqual(frames(renamed.stack), frames(original.stack));
    assert.match(renamed.stack ?? '', /^PipelineOptionError: option --root: /);
    // Without a cause the renamed error has none either (no `cause: undefined` property).
    assert.equal(Object.hasOwn(renameRootOption(new PipelineOptionError('root', 'is empty'), 'download.root') as object, 'cause'), false);
    // Other errors pass through as they are.
    const other = new PipelineOptionError('detSize', 'bad');
    assert.equal(renameRootOption(other, '--root'), other);
  });
});

describe('a root that is a file is the option\'s error, named as the caller wrote it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'insightgpu-rootfile-'));
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const isFile = /'.*not-a-folder' is a file, not a folder/;

  it('fetchPack and fetchModelFile with root: a file', async () => {
    await assert.rejects(fetchPack('buffalo_l', { root: file, baseUrl: NOWHERE }), optionError('root', isFile));
    await assert.rejects(fetchModelFile('inswapper_128', { root: file, baseUrl: NOWHERE }), optionError('root', isFile));
  });

  it('fetch-models with --root or $INSIGHTFACE_HOME a file', async () => {
    for (const name of ['buffalo_l', 'inswapper_128']) {
      const run = await fetchModelsStderr([name, '--root', file, '--base-url', NOWHERE]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^fetch-models failed \[PIPELINE_OPTION\]: option --root: /, name);
      assert.match(run.stderr, isFile, name);
    }
    const home = process.env['INSIGHTFACE_HOME'];
    process.env['INSIGHTFACE_HOME'] = file;
    try {
      for (const name of ['buffalo_l', 'inswapper_128']) {
        const run = await fetchModelsStderr([name, '--base-url', NOWHERE]);
        assert.equal(run.code, 1);
        assert.match(run.stderr, /^fetch-models failed \[PIPELINE_OPTION\]: option \$INSIGHTFACE_HOME: /, name);
        assert.match(run.stderr, isFile, name);
      }
      await assert.rejects(fetchPack('buffalo_l', { baseUrl: NOWHERE }), optionError('$INSIGHTFACE_HOME', isFile));
    } finally {
      if (home === undefined) delete process.env['INSIGHTFACE_HOME'];
      else process.env['INSIGHTFACE_HOME'] = home;
    }
  });
});
