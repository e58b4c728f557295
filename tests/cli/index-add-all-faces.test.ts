/**
 * index add --all-faces onto an index that already holds NAME#0, NAME#1, … from an earlier run: the new photo's
 * leftmost face is whoever sits there in it, so adding it to NAME#0 would give one id two people's embeddings, as two
 * photos of one NAME in one run would (which is refused). It is refused before the models load (a models folder
 * that does not exist shows a check made too late), naming the ids, and the file is left byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { FaceIndex } from '../../src/pipeline/index.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-all-faces-'));
const noModels = path.join(work, 'no-such-models');

const t1 = sharedPath('images', 't1.jpg');

/** An index file holding these ids (128-d, pack A's recognizer), and its bytes. */
async function indexWith(name: string, ids: readonly string[]): Promise<{ file: string; bytes: Buffer }> {
  const file = path.join(work, name);
  const index = new FaceIndex({ dim: 128 });
  ids.forEach((id, k) => index.add(id, Float32Array.from({ length: 128 }, (_, i) => Math.sin(i + k + 1))));
  await index.save(file);
  return { file, bytes: readFileSync(file) };
}

describe('index add --all-faces onto ids an earlier --all-faces run made', () => {
  const cases: [string, string[], string[], string][] = [
    ['--id team, the index holding team#0…team#2 (and teammate, another id)', ['team#0', 'team#1', 'team#2', 'teammate'], ['--id', 'team', t1], 'team#0, team#1, team#2'],
    ['the file stem t1, the index holding t1#0', ['t1#0', 'alice'], [t1], 't1#0'],
  ];
  for (const [label, ids, args, named] of cases) {
    it(label, async () => {
      const { file, bytes } = await indexWith(`${ids[0]!.replace('#', '-')}.igfx`, ids);
      const { result, out } = await captureOutput(() => main(['index', 'add', '--index', file, '--models', noModels, '--backend', 'cpu', '--all-faces', ...args]));
      assert.equal(result, 1, out);
      const lines = out.trim().split('\n');
      assert.equal(lines.length, 1, out);
      assert.match(lines[0]!, new RegExp(`^insightgpu index add: option --all-faces: .*\\.igfx already holds ${named} from an earlier --all-faces run; `));
      assert.ok(readFileSync(file).equals(bytes), 'the index is left as it was');
    });
  }
});
