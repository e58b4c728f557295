/**
 * index cluster on a file that holds no results: an empty file (a run that failed before writing, `> out.ndjson`
 * from a failed command) or one with no complete line (a binary file such as an .igfx index, which has no newline)
 * is no results file: one line naming it, exit 1, rather than "0 faces, no clusters" and exit 0 as if the photos held
 * nobody. A file with its settings line alone (a run stopped before its first image) is a results file of no faces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { GOLDEN_320 } from './collection.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-cluster-file-'));

async function cluster(file: string): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(['index', 'cluster', file]));
  return { code: result, out };
}

describe('index cluster: a file with no results line', () => {
  const cases: [string, string | Uint8Array][] = [
    ['empty.ndjson', ''],
    ['blank.ndjson', '\n  \n'],
    ['people.igfx', new Uint8Array([0x49, 0x47, 0x46, 0x58, 1, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0])],
    ['torn.ndjson', '{"det_size":[640,640],"det_th'],
  ];
  for (const [name, bytes] of cases) {
    it(name, async () => {
      const file = path.join(work, name);
      writeFileSync(file, bytes);
      const { code, out } = await cluster(file);
      assert.equal(code, 1, out);
      const lines = out.trim().split('\n');
      assert.equal(lines.length, 1, out);
      assert.match(lines[0]!, new RegExp(`^insightgpu index cluster: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: holds no complete line: not a results file of analyze --ndjson or --json$`));
    });
  }

  it('a settings line alone is a results file of no faces (exit 0)', async () => {
    const { results: _results, ...header } = GOLDEN_320;
    const file = path.join(work, 'header-only.ndjson');
    writeFileSync(file, `${JSON.stringify(header)}\n`);
    const { code, out } = await cluster(file);
    assert.equal(code, 0, out);
    const parsed = JSON.parse(out) as { faces: number; clusters: unknown[]; noise: unknown[] };
    assert.deepEqual([parsed.faces, parsed.clusters.length, parsed.noise.length], [0, 0, 0]);
  });
});

describe("index cluster -: the results come on stdin (analyze --ndjson - | index cluster -)", () => {
  it('clusters the same faces as the file, and says the file is -', async () => {
    const { results, ...header } = GOLDEN_320;
    const text = `${[header, ...results].map((r) => JSON.stringify(r)).join('\n')}\n`;
    const file = path.join(work, 'golden.ndjson');
    writeFileSync(file, text);
    const fromFile = JSON.parse((await cluster(file)).out) as { file: string };
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'index', 'cluster', '-'], { cwd: repo, input: text, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const fromStdin = JSON.parse(run.stdout) as { file: string; faces: number };
    assert.ok(fromStdin.faces > 0, run.stdout);
    assert.deepEqual({ ...fromStdin, file: file }, fromFile);
    assert.equal(fromStdin.file, '-');
  });
});
