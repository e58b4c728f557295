/**
 * Replicas forged once into `<repo>/.cache/replicas/v<forge version>-seed<seed>/` (git-ignored) and reused by
 * tests and the parity script. A changed builder bumps FORGE_VERSION, which moves to a fresh folder.
 */
import { access } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED, FORGE_VERSION, REPLICAS, forgeModels, selectReplicas, type ReplicaName } from './index.js';

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

export function replicaCacheDir(options: EnsureOptions = {}): string {
  const root = options.cacheRoot ?? path.join(repoRoot(), '.cache', 'replicas');
  return path.join(root, `v${FORGE_VERSION}-seed${options.seed ?? DEFAULT_SEED}`);
}

/**
 * Paths of the requested replicas (all five by default), forging the missing ones. Files are renamed into
 * place only when complete, so concurrent callers (parallel test files) at worst forge the same file twice.
 */
export async function ensureReplicas(names?: readonly string[], options: EnsureOptions = {}): Promise<Record<ReplicaName, string>> {
  const dir = replicaCacheDir(options);
  const wanted = selectReplicas(names);
  const missing: ReplicaName[] = [];
  const paths = {} as Record<ReplicaName, string>;
  for (const name of wanted) {
    const file = path.join(dir, REPLICAS[name].fileName);
    paths[name] = file;
    if (!(await access(file).then(() => true, () => false))) missing.push(name);
  }
  if (missing.length > 0) await forgeModels({ outDir: dir, only: missing, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  return paths;
}
