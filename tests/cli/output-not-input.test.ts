/**
 * analyze never writes over what it reads or what it has just written: a --json file or a --draw PNG that is one of
 * the input images, two images whose drawings would share one PNG (a.jpg and a.png, or t1.jpg of two folders), and
 * a --json file that is the --ndjson file (the JSON written at the end would replace the lines) are refused before
 * the models load (a models folder that does not exist shows a check made too late), and every file is left as it was.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-not-input-'));
const noModels = path.join(work, 'no-such-models');
const t1 = sharedPath('images', 't1.jpg');
const tom = sharedPath('images', 'Tom_Hanks_54745.png');

/** Runs analyze with a models folder that does not exist; returns the exit code and the one line it printed. */
async function analyze(...args: string[]): Promise<{ code: number; line: string }> {
  const { result, out } = await captureOutput(() => main(['analyze', '--models', noModels, '--backend', 'cpu', '--quiet', ...args]));
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${out}`);
  return { code: result, line: lines[0]! };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('analyze: an output never overwrites an input or another drawing', () => {
  it('--json naming the input photo (and a link to it) is refused, the photo left as it was', async () => {
    const dir = mkdtempSync(path.join(work, 'json-'));
    const photo = path.join(dir, 'photo.jpg');
    copyFileSync(t1, photo);
    symlinkSync(photo, path.join(dir, 'link.json'));
    for (const json of [photo, path.join(dir, 'link.json')]) {
      const { code, line } = await analyze('--json', json, photo);
      assert.equal(code, 1, line);
      assert.match(line, new RegExp(`^insightgpu analyze: cannot write '${escape(json)}': it is the input image ${escape(photo)}; `));
    }
    assert.ok(readFileSync(photo).equals(readFileSync(t1)));
  });

  it('--draw into the folder of the images, where a drawing would replace a PNG photo', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-in-place-'));
    copyFileSync(tom, path.join(dir, 'tom.png'));
    const { code, line } = await analyze('--draw', dir, dir);
    assert.equal(code, 1, line);
    assert.match(line, new RegExp(`^insightgpu analyze: cannot write '${escape(path.join(dir, 'tom.png'))}': it is the input image ${escape(path.join(dir, 'tom.png'))}; `));
    assert.ok(readFileSync(path.join(dir, 'tom.png')).equals(readFileSync(tom)));
  });

  it('a.jpg and a.png of one folder, whose drawings would both be a.png', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-same-stem-'));
    mkdirSync(path.join(dir, 'photos'));
    copyFileSync(t1, path.join(dir, 'photos', 'a.jpg'));
    copyFileSync(tom, path.join(dir, 'photos', 'a.png'));
    const drawn = path.join(dir, 'drawn');
    const { code, line } = await analyze('--draw', drawn, path.join(dir, 'photos'));
    assert.equal(code, 1, line);
    assert.match(line, new RegExp(`cannot write '${escape(path.join(drawn, 'a.png'))}': the images ${escape(path.join(dir, 'photos', 'a.jpg'))} and ${escape(path.join(dir, 'photos', 'a.png'))} would both be drawn there`));
    assert.equal(existsSync(path.join(drawn, 'a.png')), false);
  });

  it('two given files of one name from different folders', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-same-name-'));
    for (const sub of ['x', 'y']) {
      mkdirSync(path.join(dir, sub));
      copyFileSync(t1, path.join(dir, sub, 't1.jpg'));
    }
    const { code, line } = await analyze('--draw', path.join(dir, 'drawn'), path.join(dir, 'x', 't1.jpg'), path.join(dir, 'y', 't1.jpg'));
    assert.equal(code, 1, line);
    assert.match(line, new RegExp(`cannot write '${escape(path.join(dir, 'drawn', 't1.png'))}': the images ${escape(path.join(dir, 'x', 't1.jpg'))} and ${escape(path.join(dir, 'y', 't1.jpg'))} would both be drawn there`));
  });

  it('--json and --ndjson naming one file (or a link to it, dangling until the run makes it)', async () => {
    const dir = mkdtempSync(path.join(work, 'json-ndjson-'));
    const out = path.join(dir, 'results.out');
    symlinkSync(out, path.join(dir, 'link.json'));
    for (const json of [out, path.join(dir, 'link.json')]) {
      const { code, line } = await analyze('--json', json, '--ndjson', out, t1);
      assert.equal(code, 1, line);
      assert.match(line, new RegExp(`^insightgpu analyze: cannot write '${escape(json)}': it is also the --ndjson file; `));
    }
    assert.equal(existsSync(out), false, 'nothing written');
  });
});
