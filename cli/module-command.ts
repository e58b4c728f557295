import { access } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

/** A CLI-level failure that is not an engine error (e.g. a sub-command whose module is not installed). */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

type Command = (argv: readonly string[]) => Promise<number | void> | number | void;

/**
 * Loads `<repo>/<modulePath>` lazily and calls its exported command, so `analyze` never loads the fetcher, the
 * forge or the benchmarks. Looks for compiled JavaScript beside this file first, then the TypeScript source
 * (under tsx); the benchmarks ship with the repository only, not with the package.
 */
export async function runModuleCommand(modulePath: string, exportName: string, argv: readonly string[]): Promise<number> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // cli/ under the repo (tsx) or dist/cli/ (compiled): try the sibling tree, then the repo root's sources.
  const roots = [path.resolve(here, '..'), path.resolve(here, '..', '..')];
  const candidates = roots.flatMap((root) => [`${path.join(root, modulePath)}.js`, `${path.join(root, modulePath)}.ts`]);
  let found: string | undefined;
  for (const file of candidates) {
    if (await access(file).then(() => true, () => false)) {
      found = file;
      break;
    }
  }
  if (!found) throw new CliError(`this command needs ${modulePath}.ts, which this installation does not include (it ships with the repository)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(found).href)) as Record<string, unknown>;
  } catch (error) {
    // Plain node cannot load TypeScript; say how to run it instead of surfacing the loader's error.
    if ((error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new CliError(`${modulePath} is only available as TypeScript; run it with \`npx tsx cli/main.ts ${argvCommand(modulePath)}\``, { cause: error });
    }
    throw error;
  }
  const command = mod[exportName];
  if (typeof command !== 'function') throw new CliError(`${modulePath} does not export ${exportName}()`);
  const code = await (command as Command)(argv);
  return typeof code === 'number' ? code : 0;
}

function argvCommand(modulePath: string): string {
  return modulePath.startsWith('bench') ? 'bench' : modulePath.includes('forge') ? 'forge-models' : 'fetch-models';
}
