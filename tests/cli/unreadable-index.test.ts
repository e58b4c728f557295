/**
 * An index file that is there but cannot be read (write-only, or in a folder this user may not search) is an error
 * for index add and index remove: one line naming the file, exit 1, and the file left byte for byte and mode for
 * mode as it was. Only a file that does not exist (ENOENT) is a new index. Permissions do not bind root, so under
 * root the CLI runs as the user nobody (uid 65534); the checks are skipped, and reported so, where there are no
 * POSIX permissions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceIndex } from '../../src/pipeline/index.js';
import { sharedPath } from '../pipeline/helpers.js';
import { asUser, noPermissionTests } from './permission-user.js';

const repo = path.resolve(import.meta.dirname, '../..');

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-unreadable-index-'));
after(() => {
  // 'locked' exists only when the checks ran (a skipped suite makes nothing).
  for (const dir of [work, path.join(work, 'locked')]) if (existsSync(dir)) chmodSync(dir, 0o755);
  rmSync(work, { recursive: true, force: true });
});

/** The CLI as a child process under `asUser`; its exit code and stderr. */
function cli(args: readonly string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, HOME: work }, ...asUser });
  assert.equal(r.error, undefined, String(r.error));
  return { code: r.status, stderr: r.stderr };
}

describe('index add and index remove on an index file that cannot be read', { skip: noPermissionTests }, () => {
  const writeOnly = path.join(work, 'write-only.igfx');
  const locked = path.join(work, 'locked');
  const hidden = path.join(locked, 'hidden.igfx');
  const folder = path.join(work, 'a-folder.igfx');
  const noModels = path.join(work, 'no-such-models');
  const image = sharedPath('images', 't1.jpg');

  before(async () => {
    // A real index: one identity, so "left as it is" means its bytes.
    const index = new FaceIndex();
    index.add('alice', Float32Array.from({ length: 128 }, (_, i) => Math.sin(i + 1)));
    mkdirSync(locked);
    await index.save(writeOnly);
    await index.save(hidden);
    index.dispose();
    mkdirSync(folder);
    chmodSync(work, 0o755);
    chmodSync(writeOnly, 0o200);
    // Readable and writable, not searchable: the file in it cannot even be looked at (stat: EACCES).
    chmodSync(locked, 0o600);
  });

  /**
   * What must not change: the modes of everything, the names in each folder, the bytes of both index files. Read
   * by opening the two locked things for a moment (their owner may, root or not) and closing them again.
   */
  function snapshot(): string {
    const modes = [work, locked, writeOnly, folder].map((f) => statSync(f).mode);
    chmodSync(locked, 0o700);
    chmodSync(writeOnly, 0o600);
    try {
      const names = [work, locked, folder].map((dir) => readdirSync(dir).sort());
      const bytes = [writeOnly, hidden].map((f) => readFileSync(f).toString('base64'));
      return JSON.stringify({ modes, hiddenMode: statSync(hidden).mode, names, bytes });
    } finally {
      chmodSync(locked, 0o600);
      chmodSync(writeOnly, 0o200);
    }
  }

  const cases: [string, string[], RegExp][] = [
    ['index add, a write-only file', ['index', 'add', '--index', writeOnly, '--models', noModels, '--id', 'bob', image], /^insightgpu index add: cannot read index file '.*write-only\.igfx': EACCES: permission denied \(left as it is\)$/],
    ['index remove, a write-only file', ['index', 'remove', '--index', writeOnly, 'alice'], /^insightgpu index remove: cannot read index file '.*write-only\.igfx': EACCES: permission denied \(left as it is\)$/],
    ['index add, a file in a folder that cannot be searched', ['index', 'add', '--index', hidden, '--models', noModels, '--id', 'bob', image], /^insightgpu index add: cannot read index file '.*hidden\.igfx': EACCES: permission denied \(left as it is\)$/],
    // It used to say "no such index file (index add creates one)": an add would then have saved a new index over it.
    ['index remove, a file in a folder that cannot be searched', ['index', 'remove', '--index', hidden, 'alice'], /^insightgpu index remove: cannot read index file '.*hidden\.igfx': EACCES: permission denied \(left as it is\)$/],
    ['index add, a folder', ['index', 'add', '--index', folder, '--models', noModels, '--id', 'bob', image], /^insightgpu index add: cannot write '.*a-folder\.igfx': it is a folder/],
    ['index remove, a folder', ['index', 'remove', '--index', folder, 'alice'], /^insightgpu index remove: .*a-folder\.igfx: is a folder, not an index file$/],
  ];
  for (const [name, args, pattern] of cases) {
    it(`${name}: one line, exit 1, nothing changed`, () => {
      const was = snapshot();
      const { code, stderr } = cli(args);
      assert.equal(code, 1, stderr);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, pattern);
      assert.equal(snapshot(), was);
    });
  }
});
