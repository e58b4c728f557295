/**
 * Every valued option of every command takes one value: given twice it is a usage error (exit 1, one line naming
 * the option and both values), not a run with whichever came last. A boolean given twice still means what it means
 * once. Each command is run with a models folder that does not exist, so a duplicate noticed too late (or not at
 * all) shows up as another error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseArgs } from '../../cli/args.js';
import { main } from '../../cli/main.js';
import { PipelineOptionError } from '../../src/pipeline/index.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-repeated-option-'));
const noModels = path.join(work, 'no-such-models');
const t1 = sharedPath('images', 't1.jpg');
const ndjson = path.join(work, 'faces.ndjson');
writeFileSync(ndjson, '');

/** Each command (its words before the options), its valued options, and the operands it needs after them. */
const COMMANDS: readonly { words: string[]; valued: string[]; operands: string[] }[] = [
  { words: ['analyze'], valued: ['models', 'det-size', 'det-thresh', 'max-num', 'metric', 'backend', 'json', 'ndjson', 'draw', 'batch', 'concurrency', 'workers'], operands: [t1] },
  { words: ['swap'], valued: ['models', 'swapper', 'source', 'source-face', 'source-embedding', 'out', 'target-face', 'det-size', 'backend'], operands: [t1] },
  { words: ['video'], valued: ['models', 'ndjson', 'every', 'detect-every', 'det-size', 'det-thresh', 'backend', 'index', 'max-frames', 'ffmpeg'], operands: [path.join(work, 'clip.mp4')] },
  { words: ['index', 'add'], valued: ['index', 'models', 'backend', 'det-size', 'det-thresh', 'id'], operands: [t1] },
  { words: ['index', 'search'], valued: ['index', 'models', 'backend', 'det-size', 'det-thresh', 'k', 'threshold'], operands: [t1] },
  { words: ['index', 'remove'], valued: ['index'], operands: ['alice'] },
  { words: ['index', 'cluster'], valued: ['eps', 'min-samples'], operands: [ndjson] },
  { words: ['doctor'], valued: ['root'], operands: [] },
];

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

describe('a valued option given twice is a usage error', () => {
  for (const { words, valued, operands } of COMMANDS) {
    for (const name of valued) {
      // A command that takes --models gets one that does not exist, unless --models is the option given twice.
      const models = valued.includes('models') && name !== 'models' ? ['--models', noModels] : [];
      // The first value spelled --name=VALUE, the second --name VALUE: both spellings count.
      const argv = [...words, ...models, `--${name}=first`, `--${name}`, 'second', ...operands];
      it(`${words.join(' ')} --${name}`, async () => {
        const { code, out } = await run(argv);
        assert.equal(code, 1, out);
        const lines = out.trim().split('\n');
        assert.equal(lines.length, 1, out);
        assert.equal(lines[0], `insightgpu ${words.join(' ')}: option --${name}: given twice ('first', then 'second'); it takes one value`);
      });
    }
  }
});

describe('what stays as it was', () => {
  it('a boolean given twice means what it means once (the run goes on to the models)', async () => {
    const { code, out } = await run(['analyze', '--models', noModels, '--quiet', '--quiet', '--backend', 'cpu', t1]);
    assert.equal(code, 1, out);
    assert.match(out, /^insightgpu analyze: .*no-such-models/);
    assert.doesNotMatch(out, /given twice/);
  });

  it('parseArgs names the option in a typed error, after -- a repeated word is an operand', () => {
    assert.throws(() => parseArgs(['--k', '1', '--k=2'], ['k']), (error: unknown) => error instanceof PipelineOptionError && error.option === '--k');
    assert.deepEqual(parseArgs(['--k', '1', '--', '--k', '2'], ['k']).positional, ['--k', '2']);
    assert.equal(parseArgs(['--k', '1'], ['k']).options.get('k'), '1');
  });
});
