/**
 * Who runs a CLI child in the permission tests, and why those tests would skip. Permission bits do not stop root,
 * so under root the child runs as the user nobody (uid 65534); that needs the checkout readable by nobody, which a
 * clone under a private home (/root, mode 700) is not: then the tests skip, saying so, rather than fail for a
 * reason that is not the CLI's.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');
const uid = process.getuid?.();

/** spawn options: empty (this user), or nobody's uid and gid under root. */
export const asUser: { readonly uid?: number; readonly gid?: number } = uid === 0 ? { uid: 65534, gid: 65534 } : {};

/** A skip reason, or false when the permission tests can run here. */
export const noPermissionTests: string | false = ((): string | false => {
  if (uid === undefined) return 'no POSIX permissions on this platform';
  if (uid !== 0) return false;
  const needed = [path.join(repo, 'cli', 'main.ts'), path.join(repo, 'node_modules', 'tsx', 'package.json')];
  const probe = spawnSync(process.execPath, ['-e', `for (const f of ${JSON.stringify(needed)}) require('node:fs').accessSync(f, require('node:fs').constants.R_OK)`], { ...asUser, encoding: 'utf8' });
  return probe.status === 0 ? false : `this checkout (${repo}) is not readable by uid 65534, whom these tests run the CLI as under root`;
})();
