import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { compareResults } from '../../cli/compare-results.js';
import type { ImageRecord, ResultsFile } from '../../cli/results-format.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { COLLECTION_ERRORS, COLLECTION_NAMES, GOLDEN_320, makeCollection, packAFolder, readNdjson } from './collection.js';

const out = mkdtempSync(path.join(tmpdir(), 'insightgpu-analyze-'));
let models = '';
let collection = '';
/** The clean one-at-a-time NDJSON run of the collection, shared by the checks below. */
let clean = '';
let cleanRun = { code: -1, out: '' };

const analyze = (...args: string[]): Promise<{ result: number; out: string }> =>
  captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '320', '--quiet', ...args]));

/** A one-image results file holding `record`, with the golden's settings, for compareResults. */
const asResults = (record: ImageRecord): ResultsFile => ({ ...GOLDEN_320, results: [record] });

/** Box IoU. */
function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const area = (r: readonly number[]): number => (r[2]! - r[0]!) * (r[3]! - r[1]!);
  return (w * h) / (area(a) + area(b) - w * h);
}

describe('insightgpu analyze over a photo collection (cpu, det 320)', () => {
  before(async () => {
    models = packAFolder();
    collection = await makeCollection();
    clean = path.join(out, 'clean.ndjson');
    const { result, out: text } = await analyze('--ndjson', clean, collection);
    cleanRun = { code: result, out: text };
  });

  it('writes the settings, then one line per image in sorted order, and exits 3 with a summary', () => {
    assert.equal(cleanRun.code, 3, cleanRun.out);
    assert.match(cleanRun.out, /4 of 7 image\(s\) failed/);
    const [header, ...lines] = readNdjson(clean) as [Omit<ResultsFile, 'results'>, ...({ image: string })[]];
    assert.deepEqual(header, { det_size: GOLDEN_320.det_size, det_thresh: GOLDEN_320.det_thresh, max_num: GOLDEN_320.max_num, models: GOLDEN_320.models });
    // notes.txt is not an image type; the symlink loop sub/loop → .. is walked once, so nothing repeats.
    assert.deepEqual(lines.map((l) => l.image), COLLECTION_NAMES);
  });

  it('gives every bad file an error line naming it', () => {
    const lines = readNdjson(clean) as { image: string; error?: { type: string; message: string } }[];
    for (const name of COLLECTION_ERRORS) {
      const line = lines.find((l) => l.image === name);
      assert.equal(line?.error?.type, 'ImageError', name);
      assert.ok(line.error.message.includes(path.join(collection, name)), line.error.message);
      assert.deepEqual(Object.keys(line), ['image', 'error']);
    }
    assert.match(lines.find((l) => l.image === 'bad/huge.png')!.error!.message, /pixel limit/);
  });

  it('gives the good images InsightFace\'s results', () => {
    const lines = readNdjson(clean) as ImageRecord[];
    const t1 = lines.find((l) => l.image === 't1.jpg')!;
    const comparison = compareResults(asResults(t1), GOLDEN_320);
    assert.ok(comparison.ok, comparison.failures.join('; '));
    // The mirrored, re-encoded copy: the golden's boxes mirrored. SCRFD is not exactly flip-equivariant and the copy
    // went through JPEG again, so the match is IoU ≥ 0.85 (measured 0.908-0.961), not the golden's 0.9.
    const mirrored = lines.find((l) => l.image === 'sub/t1.jpg')!;
    assert.equal(mirrored.faces.length, GOLDEN_320.results[0]!.faces.length);
    for (const face of GOLDEN_320.results[0]!.faces) {
      const [x1, y1, x2, y2] = face.bbox as [number, number, number, number];
      const best = Math.max(...mirrored.faces.map((f) => iou(f.bbox, [t1.width - x2, y1, t1.width - x1, y2])));
      assert.ok(best >= 0.85, `mirrored face IoU ${best}`);
    }
    assert.deepEqual(lines.find((l) => l.image === 'tiny.png'), { image: 'tiny.png', width: 1, height: 1, faces: [] });
  });

  it('--batch 3 --concurrency 2 writes byte-identical lines', async () => {
    const batched = path.join(out, 'batched.ndjson');
    const { result, out: text } = await analyze('--ndjson', batched, '--batch', '3', '--concurrency', '2', collection);
    assert.equal(result, 3, text);
    assert.equal(readFileSync(batched, 'utf8'), readFileSync(clean, 'utf8'));
  });

  it('--json keeps the good results when a file is bad, lists the failure under "errors" and exits 3', async () => {
    const json = path.join(out, 'mixed.json');
    const { result, out: text } = await analyze('--json', json, path.join(collection, 't1.jpg'), path.join(collection, 'bad', 'text.jpg'));
    assert.equal(result, 3, text);
    const file = JSON.parse(readFileSync(json, 'utf8')) as ResultsFile & { errors: { image: string; error: { type: string } }[] };
    const comparison = compareResults({ ...file, results: file.results }, GOLDEN_320);
    assert.ok(comparison.ok, comparison.failures.join('; '));
    assert.deepEqual(file.errors.map((e) => [e.image, e.error.type]), [['text.jpg', 'ImageError']]);
    // The NDJSON → --json conversion the README gives (header + good lines) yields the same results.
    const lines = readNdjson(clean) as (ImageRecord & { error?: unknown })[];
    const converted = { ...(lines[0] as object), results: lines.slice(1).filter((l) => l.faces) } as ResultsFile;
    assert.deepEqual(converted.results.find((r) => r.image === 't1.jpg'), file.results[0]);
  });

  it('refuses to overwrite a results file without --resume, and to resume one written with other settings', async () => {
    const before = readFileSync(clean, 'utf8');
    const exists = await analyze('--ndjson', clean, collection);
    assert.equal(exists.result, 1);
    assert.match(exists.out, /exists; pass --resume/);
    const other = await analyze('--ndjson', clean, '--resume', '--det-thresh', '0.6', collection);
    assert.equal(other.result, 1);
    assert.match(other.out, /other settings/);
    assert.equal(readFileSync(clean, 'utf8'), before, 'nothing changed');
  });

  it('refuses a file whose complete line is not a record, changing nothing', async () => {
    const broken = path.join(out, 'broken.ndjson');
    const text = readFileSync(clean, 'utf8').split('\n');
    text[2] = '{"not":"a record"}';
    writeFileSync(broken, text.join('\n'));
    const before = readFileSync(broken, 'utf8');
    const { result, out: message } = await analyze('--ndjson', broken, '--resume', collection);
    assert.equal(result, 1);
    assert.match(message, /line 3 is not an image's result line/);
    assert.equal(readFileSync(broken, 'utf8'), before);
  });

  it('refuses two images with one record name, and a PATH that does not exist', async () => {
    const twice = await analyze('--ndjson', path.join(out, 'twice.ndjson'), path.join(collection, 't1.jpg'), path.join(collection, 'sub', 't1.jpg'));
    assert.equal(twice.result, 1);
    assert.match(twice.out, /both record as 't1\.jpg'/);
    const missing = await analyze('--ndjson', path.join(out, 'missing.ndjson'), path.join(collection, 'nope'));
    assert.equal(missing.result, 1);
    assert.match(missing.out, /nope.*does not exist/);
  });

  it('rejects bad --batch, --concurrency, --resume without --ndjson and --resume with --json', async () => {
    const ndjson = path.join(out, 'x.ndjson');
    for (const args of [['--batch', '0'], ['--batch', '1.5'], ['--concurrency', '-1'], ['--resume'], ['--resume', '--ndjson', ndjson]]) {
      const { result, out: text } = await analyze('--json', path.join(out, 'x.json'), ...args, collection);
      assert.equal(result, 1, `${args.join(' ')}: ${text}`);
      assert.match(text, /option --(batch|concurrency|resume|json)/);
    }
  });
});
