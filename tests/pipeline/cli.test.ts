import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { captureOutput } from './capture-output.js';
import { main } from '../../cli/main.js';
import { compareResults } from '../../cli/compare-results.js';
import type { ResultsFile } from '../../cli/results-format.js';
import { parseDetSizes } from '../../src/pipeline/detect-size.js';
import { drawFaces } from '../../src/pipeline/draw.js';
import { Face } from '../../src/pipeline/face.js';
import { createBgrImage } from '../../src/pipeline/image.js';
import { sharedPath } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-cli-'));
const golden = JSON.parse(readFileSync(sharedPath('golden', 'packA_det320.json'), 'utf8')) as ResultsFile;

function writeVariant(name: string, change: (r: ResultsFile) => void): string {
  const copy = structuredClone(golden);
  change(copy);
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(copy));
  return file;
}

/** Runs main() with stdout/stderr captured (the compare report is a few lines). */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

describe('insightgpu compare', () => {
  const same = writeVariant('same.json', () => undefined);

  it('passes a file against itself', async () => {
    const { code, out } = await run(['compare', same, sharedPath('golden', 'packA_det320.json')]);
    assert.equal(code, 0, out);
    assert.match(out, /within tolerance/);
  });

  it('fails just outside each tolerance and passes just inside', async () => {
    const face = (r: ResultsFile) => r.results[0]!.faces[0]!;
    const cases: [string, (r: ResultsFile, inside: boolean) => void][] = [
      ['bbox', (r, i) => { face(r).bbox[0]! += i ? 1.9 : 2.1; }],
      ['kps', (r, i) => { face(r).kps![2]![1]! += i ? 1.9 : 2.1; }],
      ['det_score', (r, i) => { face(r).det_score += i ? 0.019 : 0.021; }],
      ['landmark_2d_106', (r, i) => { face(r).landmark_2d_106![50]![0]! -= i ? 2.9 : 3.1; }],
      ['landmark_3d_68 z', (r, i) => { face(r).landmark_3d_68![10]![2]! += i ? 4.9 : 5.1; }],
      ['pose', (r, i) => { face(r).pose![1]! += i ? 2.9 : 3.1; }],
      ['age', (r, i) => { face(r).age! += i ? 2 : 3; }],
      ['gender', (r, i) => { if (!i) face(r).gender = 1 - face(r).gender!; }],
      ['embedding', (r, i) => { const e = face(r).embedding!; for (let k = 0; k < (i ? 0 : 40); k++) e[k] = -e[k]!; }],
    ];
    for (const [what, change] of cases) {
      const inside = compareResults(JSON.parse(readFileSync(writeVariant(`${what}-in.json`, (r) => change(r, true)), 'utf8')), golden);
      assert.ok(inside.ok, `${what} inside: ${inside.failures.join('; ')}`);
      const file = writeVariant(`${what}-out.json`, (r) => change(r, false));
      const { code, out } = await run(['compare', file, sharedPath('golden', 'packA_det320.json')]);
      assert.equal(code, 1, `${what} outside should fail:\n${out}`);
    }
  });

  it('fails on a missing face or image', async () => {
    const fewer = writeVariant('fewer.json', (r) => { r.results[0]!.faces.pop(); });
    assert.equal((await run(['compare', fewer, same])).code, 1);
    const noImage = writeVariant('no-image.json', (r) => { r.results = []; });
    assert.equal((await run(['compare', noImage, same])).code, 1);
  });

  it('fails on a NaN written as null, in either file, where reading it as 0 would pass', async () => {
    // One of 128 embedding values: its cosine stays above 0.995, so only the value itself can fail it.
    const nan = writeVariant('nan-embedding.json', (r) => { (r.results[0]!.faces[0]!.embedding as (number | null)[])[5] = null; });
    for (const [a, b] of [[nan, same], [same, nan]]) {
      const { code, out } = await run(['compare', a!, b!]);
      assert.equal(code, 1, out);
      assert.match(out, /face 0: (actual|expected) embedding\[5\] is null \(not a finite number/);
    }
    const pose = writeVariant('nan-pose.json', (r) => { (r.results[0]!.faces[0]!.pose as (number | null)[])[0] = null; });
    assert.match((await run(['compare', pose, same])).out, /actual pose\[0\] is null/);
  });

  it('names lists of different lengths (a 512-d recognizer\'s run against a 128-d one\'s)', async () => {
    const wider = writeVariant('wider.json', (r) => { for (const f of r.results[0]!.faces) f.embedding = [...f.embedding!, ...f.embedding!]; });
    const { code, out } = await run(['compare', wider, same]);
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`face 0: embedding has ${2 * golden.results[0]!.faces[0]!.embedding!.length} values, expected ${golden.results[0]!.faces[0]!.embedding!.length}`));
  });

  it('pairs faces in any order, and repeated image names record by record', async () => {
    const reordered = writeVariant('reordered.json', (r) => { r.results[0]!.faces.reverse(); r.results.reverse(); });
    assert.equal((await run(['compare', reordered, same])).code, 0);
    // A --json run over a/t1.jpg and b/t1.jpg records both as t1.jpg: the second one was dropped unseen.
    const twice = writeVariant('twice.json', (r) => { r.results.push(structuredClone(r.results[0]!)); });
    const extra = await run(['compare', twice, same]);
    assert.equal(extra.code, 1, extra.out);
    assert.match(extra.out, /FAIL t1\.jpg: not in the expected results/);
    const both = await run(['compare', twice, twice]);
    assert.equal(both.code, 0, both.out);
    assert.match(both.out, new RegExp(`${2 * golden.results[0]!.faces.length + golden.results.slice(1).reduce((n, r) => n + r.faces.length, 0)} face\\(s\\) compared`));
  });

  it('refuses a results array whose entries are not image records, naming the entry, in one line', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['null-entry.json', null, /results\[1\] is null, not an image record/],
      ['no-faces.json', { image: 'x.jpg', width: 1, height: 1 }, /results\[1\] \('x\.jpg'\) has no "faces" list/],
      ['bad-face.json', { image: 'x.jpg', width: 1, height: 1, faces: [null] }, /results\[1\] \('x\.jpg'\) face 0 is not a face record/],
    ];
    for (const [name, entry, message] of cases) {
      const file = writeVariant(name, (r) => { (r.results as unknown[]).splice(1, 0, entry); });
      for (const argv of [['compare', file, same], ['compare', same, file]]) {
        const { code, out } = await run(argv);
        assert.equal(code, 2, out); // compared nothing: 2, not the 1 of files that differ
        assert.match(out, message);
        assert.equal(out.trim().split('\n').length, 1, out);
      }
    }
  });
});

describe('insightgpu command line', () => {
  it('rejects bad invocations with a message and a non-zero code', async () => {
    // Without --models, analyze reads the installed buffalo_l; in an empty InsightFace root the error says how to fetch it.
    const home = process.env['INSIGHTFACE_HOME'];
    process.env['INSIGHTFACE_HOME'] = mkdtempSync(path.join(tmpdir(), 'no-packs-'));
    const missing = await run(['analyze', '--json', path.join(dir, 'x.json'), sharedPath('images', 't1.jpg')]).finally(() => {
      if (home === undefined) delete process.env['INSIGHTFACE_HOME']; else process.env['INSIGHTFACE_HOME'] = home;
    });
    assert.equal(missing.code, 1);
    assert.match(missing.out, /insightgpu fetch-models buffalo_l/);
    const unknown = await run(['analyze', '--model', 'x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /unknown option/);
    assert.equal((await run(['frobnicate'])).code, 2);
    assert.equal((await run(['compare', 'only-one.json'])).code, 2); // compare's trouble code, as diff's
    const badImage = await run(['analyze', '--models', sharedPath('models'), '--backend', 'cpu', '--json', path.join(dir, 'y.json'), path.join(dir, 'missing.jpg')]);
    assert.equal(badImage.code, 1);
    assert.match(badImage.out, /missing\.jpg/);
  });

  it('parses --det-size forms', () => {
    assert.deepEqual(parseDetSizes('640'), [[640, 640]]);
    assert.deepEqual(parseDetSizes('640x480,320'), [[640, 480], [320, 320]]);
    assert.throws(() => parseDetSizes('640x'));
  });
});

describe('drawFaces', () => {
  it('draws the box in red, the left eye in green and the label above the box', () => {
    const img = createBgrImage(100, 100);
    const face = new Face(new Float32Array([20.7, 30.2, 60.9, 80.5]), new Float32Array([30, 45, 50, 45, 40, 55, 32, 65, 48, 65]), 0.9);
    face.gender = 1;
    face.age = 42;
    drawFaces(img, [face]);
    const at = (x: number, y: number): number[] => Array.from(img.data.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
    assert.deepEqual(at(20, 50), [0, 0, 255], 'left edge (x1 truncated to 20)');
    assert.deepEqual(at(40, 80), [0, 0, 255], 'bottom edge');
    assert.deepEqual(at(30, 45), [0, 255, 0], 'left eye');
    assert.deepEqual(at(50, 45), [0, 0, 255], 'right eye');
    assert.deepEqual(at(40, 60), [0, 0, 0], 'inside stays untouched');
    let labelPixels = 0;
    for (let y = 10; y < 27; y++) for (let x = 15; x < 70; x++) if (at(x, y)[1] === 255) labelPixels++;
    assert.ok(labelPixels > 20, `label drawn above the box (${labelPixels} px)`);
  });
});

describe('insightgpu --help and --version', () => {
  for (const command of ['analyze', 'compare', 'swap', 'fetch-models', 'forge-models']) {
    it(`${command} --help prints its usage and exits 0`, async () => {
      const { code, out } = await run([command, '--help']);
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`usage: insightgpu ${command}`, 'i'));
    });
  }

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const { code, out } = await run(['--version']);
    assert.equal(code, 0);
    assert.equal(out.trim(), `insightgpu ${version}`);
  });
});

