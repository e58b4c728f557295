/**
 * Every valued option of every command takes one non-empty value: given twice it is a usage error (exit 1, one line
 * naming the option and both values), not a run with whichever came last, and so is `--name=` with nothing after
 * it. A boolean given twice still means what it means once; forge-models --only, which gathers names, repeats.
 * Each command is run with a models folder that does not exist, so a check made too late (or not at all) shows up
 * as another error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseArgs } from '../../cli/args.js';
import { main } from '../../cli/main.js';
import { parseForgeArgs } from '../../models/forge/cli.js';
import { DEFAULT_SEED } from '../../models/forge/index.js';
import { PipelineOptionError } from '../../src/pipeline/index.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-repeated-option-'));
const noModels = path.join(work, 'no-such-models');
const t1 = sharedPath('images', 't1.jpg');
const ndjson = path.join(work, 'faces.ndjson');
writeFileSync(ndjson, '');
after(() => rmSync(work, { recursive: true, force: true }));

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

describe('an empty value is refused, not read as the option left out, the default pack or the working folder', () => {
  // `--json=$OUT` with OUT unset used to write to stdout; `--models=` read the InsightFace root's models/ folder.
  for (const { words, valued, operands } of COMMANDS) {
    for (const name of valued) {
      const models = valued.includes('models') && name !== 'models' ? ['--models', noModels] : [];
      it(`${words.join(' ')} --${name}=`, async () => {
        const { code, out } = await run([...words, ...models, `--${name}=`, ...operands]);
        assert.equal(code, 1, out);
        assert.equal(out.trim(), `insightgpu ${words.join(' ')}: option --${name}: is empty; give a value (or leave the option out)`);
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

describe('fetch-models and forge-models: the same rule, and a usage error is one line', () => {
  // [argv, option, first, second]: forge-models checks each value as it comes, so its values are valid ones.
  const cases: [string[], string, string, string][] = [
    ...['root', 'base-url', 'manifest', 'timeout'].map((name): [string[], string, string, string] => [['fetch-models', `--${name}=first`, `--${name}`, 'second', 'buffalo_l'], `--${name}`, 'first', 'second']),
    [['forge-models', '--out=first', '--out', 'second', '--only', 'genderage'], '--out', 'first', 'second'],
    [['forge-models', '--out', work, '--seed=1', '--seed', '2', '--only', 'genderage'], '--seed', '1', '2'],
    [['forge-models', '--out', work, '--width=8', '--width', '16', '--only', 'inswapper_128'], '--width', '8', '16'],
  ];
  for (const [argv, option, first, second] of cases) {
    it(`${argv[0]} ${option}`, async () => {
      const { code, out } = await run(argv);
      assert.equal(code, 1, out);
      assert.equal(out.trim().split('\n').length, 1, out);
      assert.equal(out.trim(), `${argv[0]}: option ${option}: given twice ('${first}', then '${second}'); it takes one value (insightgpu ${argv[0]} --help shows the usage)`);
    });
  }

  it('other usage errors are one line too, not the whole usage text', async () => {
    for (const [argv, message] of [
      [['fetch-models', '--frob', 'buffalo_l'], "fetch-models: Unknown option '--frob' (insightgpu fetch-models --help shows the usage)"],
      [['fetch-models'], 'fetch-models: expected exactly one pack or model name, got 0 (insightgpu fetch-models --help shows the usage)'],
      [['forge-models', '--out', work, '--frob'], "forge-models: unknown argument '--frob' (insightgpu forge-models --help shows the usage)"],
    ] as const) {
      const { code, out } = await run([...argv]);
      assert.equal(code, 1, out);
      assert.equal(out.trim(), message);
    }
  });

  it('forge-models --out= (empty) is refused, not the working folder', async () => {
    const { code, out } = await run(['forge-models', '--out=', '--only', 'genderage']);
    assert.equal(code, 1, out);
    assert.equal(out.trim(), 'forge-models: --out needs a folder (insightgpu forge-models --help shows the usage)');
  });

  it('forge-models --only still gathers names from several --only', () => {
    assert.deepEqual(parseForgeArgs(['--out', 'd', '--only', 'genderage', '--only', '2d106det,det_10g']), { outDir: 'd', seed: DEFAULT_SEED, only: ['genderage', '2d106det', 'det_10g'] });
  });
});
