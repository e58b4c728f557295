/**
 * Replicas forged once into `<repo>/.cache/replicas/v<forge version>-seed<seed>/` (git-ignored) and reused by
 * tests and the parity script. A changed builder bumps FORGE_VERSION, which moves to a fresh folder.
 */
import { access, open, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED, FORGE_VERSION, REPLICAS, forgeModels, selectReplicas, type ReplicaName } from './index.js';
import { checkSeed } from './forge.js';
import { makeFolder, processIsAlive } from '../../src/core/files-node.js';
import { InputError } from '../../src/core/errors.js';
import { describeValue } from '../../src/core/option-shape.js';

export interface EnsureOptions {
  readonly seed?: number;
  /** Folder holding the versioned cache folders; default `<repo>/.cache/replicas`. */
  readonly cacheRoot?: string;
}

/** The repository root: the nearest folder above this module with a package.json (works from src and dist). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/**
 * The cache folder for `options`' seed. The options are checked here, before any path is built from them: a seed of
 * -1 or 'x' made `v1-seed-1` (`v1-seedx`), which ensureReplicas created before forgeModels refused the seed, leaving an
 * empty folder per refused call.
 */
export function replicaCacheDir(options: EnsureOptions = {}): string {
  if (options === null || typeof options !== 'object') throw new InputError(`the replica cache's options must be an object, got ${describeValue(options)}`);
  if (options.cacheRoot !== undefined && (typeof options.cacheRoot !== 'string' || options.cacheRoot === '')) {
    throw new InputError(`cacheRoot must be a folder path, got ${describeValue(options.cacheRoot)}`);
  }
  if (options.seed !== undefined) checkSeed(options.seed);
  const root = options.cacheRoot ?? path.join(repoRoot(), '.cache', 'replicas');
  return path.join(root, `v${FORGE_VERSION}-seed${options.seed ?? DEFAULT_SEED}`);
}

/**
 * Paths of the requested replicas (all five by default), forging the missing ones. Files are renamed into
 * place only when complete; a lock file makes concurrent callers (test files, the parity script) wait for
 * one forge instead of each forging the same files.
 */
export async function ensureReplicas(names?: readonly string[], options: EnsureOptions = {}): Promise<Record<ReplicaName, string>> {
  const dir = replicaCacheDir(options);
  const wanted = selectReplicas(names);
  const paths = {} as Record<ReplicaName, string>;
  for (const name of wanted) paths[name] = path.join(dir, REPLICAS[name].fileName);
  const missing = async (): Promise<ReplicaName[]> => {
    const absent: ReplicaName[] = [];
    for (const name of wanted) if (!(await access(paths[name]).then(() => true, () => false))) absent.push(name);
    return absent;
  };
  if ((await missing()).length === 0) return paths;
  await makeFolder(dir);
  await withLock(path.join(dir, '.forge.lock'), async () => {
    const absent = await missing();
    if (absent.length > 0) await forgeModels({ outDir: dir, only: absent, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  });
  return paths;
}

/** Runs `fn` holding an exclusive lock file that records our pid; a lock whose process is gone is taken over. */
async function withLock(lockFile: string, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      try {
        await handle.writeFile(String(process.pid));
        await handle.close();
        await fn();
      } finally {
        await rm(lockFile, { force: true });
      }
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
      if (Number.isSafeInteger(holder) && holder > 0 && !processIsAlive(holder)) await rm(lockFile, { force: true });
      else await sleep(250);
    }
  }
}
