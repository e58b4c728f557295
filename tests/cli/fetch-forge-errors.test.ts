/**
 * fetch-models and forge-models on bad input: an unknown name, a mirror that is no URL, a destination that cannot
 * be written. Each is one line on stderr and exit 1, no stack trace, and a mirror refused makes nothing on disk.
 * A read-only folder does not stop root, so under root the commands run as the user nobody (uid 65534).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { asUser, noPermissionTests } from './permission-user.js';

const repo = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-fetch-forge-errors-'));
const readOnly = path.join(work, 'read-only');
mkdirSync(readOnly);
after(() => {
  chmodSync(readOnly, 0o755);
  rmSync(work, { recursive: true, force: true });
});


async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

/** The CLI as a child process under `asUser` (a test runner's own stderr stays out of it). */
function child(args: readonly string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, HOME: work }, ...asUser });
  assert.equal(r.error, undefined, String(r.error));
  return { code: r.status, stderr: r.stderr };
}

function assertOneLine(code: number | null, out: string, pattern: RegExp): void {
  assert.equal(code, 1, out);
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, out);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(out, /\n\s+at /);
}

describe('fetch-models --base-url that is no mirror: one line, before anything is made', () => {
  const cases: [string, RegExp][] = [
    // It was joined with the file name into http:/buffalo_sc.zip and "downloaded" from the host buffalo_sc.zip.
    ['http://', /^fetch-models failed \[PIPELINE_OPTION\]: option --base-url: 'http:\/\/' is not a valid URL$/],
    ['https://exa mple.com/', /option --base-url: 'https:\/\/exa mple\.com\/' is not a valid URL$/],
    ['http://[::1', /option --base-url: 'http:\/\/\[::1' is not a valid URL$/],
    ['ftp://example.com/', /option --base-url: 'ftp:\/\/example\.com\/': a mirror is an http: or https: URL, a file: URL or a folder; not ftp:$/],
    ['file://elsewhere/models', /option --base-url: 'file:\/\/elsewhere\/models' is not a file of this machine/],
    // It was the working folder.
    ['', /option --base-url: is empty; give a URL or a folder/],
  ];
  for (const [url, pattern] of cases) {
    it(`--base-url '${url}'`, async () => {
      const root = path.join(work, `root-${cases.findIndex(([u]) => u === url)}`);
      const { code, out } = await run(['fetch-models', 'buffalo_sc', '--root', root, '--base-url', url]);
      assertOneLine(code, out, pattern);
      assert.equal(existsSync(root), false, 'nothing made under --root');
    });
  }

  it("--timeout '0x10' is refused (Number() read it as 16 s)", async () => {
    const root = path.join(work, 'timeout-hex');
    const { code, out } = await run(['fetch-models', 'buffalo_sc', '--root', root, '--base-url', path.join(work, 'no-mirror'), '--timeout', '0x10']);
    assertOneLine(code, out, /--timeout must be a positive, finite number of seconds, got '0x10' /);
    assert.equal(existsSync(root), false, 'nothing made under --root');
  });
  it('an unknown pack or model name is one line naming the known ones', async () => {
    const { code, out } = await run(['fetch-models', 'bufalo_l', '--root', path.join(work, 'unknown')]);
    assertOneLine(code, out, /^fetch-models failed \[MANIFEST\]: manifest: unknown pack or model 'bufalo_l'; known packs: buffalo_l, /);
  });
});

describe('a destination that cannot be written', { skip: noPermissionTests }, () => {
  chmodSync(work, 0o755);
  chmodSync(readOnly, 0o555);

  it('fetch-models --root in a read-only folder: the system\'s line alone (no download began, so no word of one)', () => {
    const { code, stderr } = child(['fetch-models', 'buffalo_sc', '--root', path.join(readOnly, 'home'), '--base-url', path.join(work, 'no-mirror')]);
    assertOneLine(code, stderr, /^fetch-models failed \[EACCES\]: EACCES: permission denied, mkdir '.*read-only\/home'$/);
    assert.deepEqual(readdirSync(readOnly), []);
  });

  it('forge-models --out in a read-only folder', () => {
    const { code, stderr } = child(['forge-models', '--out', readOnly, '--only', 'genderage']);
    assertOneLine(code, stderr, /^forge-models: cannot write '.*read-only\/genderage\.onnx': EACCES: permission denied$/);
    assert.deepEqual(readdirSync(readOnly), []);
  });
});
