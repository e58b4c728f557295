/**
 * --metric changes which faces --max-num keeps (t1.jpg at det 160, max 2: 'default' keeps the two nearest the
 * centre, 'max' the two largest), so it is one of the settings a results file records and a resume checks: a file
 * written with one metric is not continued with the other, and the error names the setting. With the default
 * metric (or no --max-num, where the metric changes nothing) the settings line is as before, the goldens' fields.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { packAFolder } from './collection.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-metric-'));
const t1 = sharedPath('images', 't1.jpg');

describe('analyze --metric is a setting of the results file (pack A, cpu, det 160, --max-num 2)', () => {
  let models = '';
  before(() => { models = packAFolder(); });
  const analyze = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const { result, out } = await captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--max-num', '2', ...args, t1]));
    return { code: result, out };
  };
  const header = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;

  it('a default-metric file is not resumed with --metric max, and the reverse', async () => {
    const plain = path.join(work, 'default.ndjson');
    const max = path.join(work, 'max.ndjson');
    assert.equal((await analyze('--ndjson', plain)).code, 0);
    assert.equal((await analyze('--metric', 'max', '--ndjson', max)).code, 0);
    // The two runs keep different faces: the setting matters.
    const boxes = (file: string): string => JSON.stringify((JSON.parse(readFileSync(file, 'utf8').split('\n')[1]!) as { faces: { bbox: number[] }[] }).faces.map((f) => f.bbox));
    assert.notEqual(boxes(plain), boxes(max));
    assert.deepEqual(Object.keys(header(plain)), ['det_size', 'det_thresh', 'max_num', 'models']);
    assert.equal(header(max)['det_metric'], 'max');
    for (const [file, args, pattern] of [
      [plain, ['--metric', 'max'], /det_metric: none in the file, "max" now/],
      [max, [], /det_metric: "max" in the file, none now/],
    ] as const) {
      const before = readFileSync(file);
      const { code, out } = await analyze(...args, '--ndjson', file, '--resume');
      assert.equal(code, 1, out);
      assert.match(out, /^insightgpu analyze: results file '.*': was written with other settings \(/);
      assert.match(out, pattern);
      assert.match(out, /--max-num and --metric$/m);
      assert.ok(readFileSync(file).equals(before), 'left as it was');
    }
    // The same metric resumes (nothing left to do).
    assert.equal((await analyze('--metric', 'max', '--ndjson', max, '--resume')).code, 0);
    // compare says why the two disagree.
    const { result, out } = await captureOutput(() => main(['compare', plain, max]));
    assert.equal(result, 1, out);
    assert.match(out, /^note: the files were made with different det_metric: "default" and "max"$/m);
  });
});
