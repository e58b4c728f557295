import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis } from '../../src/pipeline/index.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { resolvePackFolder } from '../../src/pipeline/model-pack.js';

/** Rejects with a PipelineOptionError about `option` whose message names `file`. */
async function refusesAs(run: Promise<unknown>, option: string, file: string): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof PipelineOptionError, String(error));
    assert.equal(error.option, option);
    assert.ok(error.message.includes(`'${file}'`), error.message);
    return true;
  });
}

describe('an InsightFace root that is a file', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-root-file-'));
  const file = path.join(work, 'not-a-folder');
  const modelsFile = path.join(work, 'models-is-a-file');
  const saved = process.env['INSIGHTFACE_HOME'];
  before(() => {
    writeFileSync(file, 'x');
    mkdirSync(modelsFile);
    writeFileSync(path.join(modelsFile, 'models'), 'x');
  });
  after(() => {
    if (saved === undefined) delete process.env['INSIGHTFACE_HOME'];
    else process.env['INSIGHTFACE_HOME'] = saved;
  });

  it('is refused by name, as $INSIGHTFACE_HOME or root, when a pack is looked up', async () => {
    process.env['INSIGHTFACE_HOME'] = file;
    await refusesAs(resolvePackFolder('buffalo_l'), '$INSIGHTFACE_HOME', file);
    process.env['INSIGHTFACE_HOME'] = path.join(file, 'below');
    await refusesAs(resolvePackFolder('buffalo_l'), '$INSIGHTFACE_HOME', path.join(file, 'below'));
    delete process.env['INSIGHTFACE_HOME'];
    await refusesAs(resolvePackFolder('buffalo_l', file), 'root', file);
    await refusesAs(resolvePackFolder('buffalo_l', modelsFile), 'root', modelsFile);
  });

  it('is refused by FaceAnalysis.create before any download, under the name the caller gave', async () => {
    let downloads = 0;
    const downloader = async (): Promise<string> => { downloads++; return work; };
    await refusesAs(FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu', download: { root: file, downloader } }), 'download.root', file);
    process.env['INSIGHTFACE_HOME'] = file;
    await refusesAs(FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu', download: { downloader } }), '$INSIGHTFACE_HOME', file);
    await refusesAs(FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu' }), '$INSIGHTFACE_HOME', file);
    delete process.env['INSIGHTFACE_HOME'];
    assert.equal(downloads, 0);
  });
});
