import { INDEX_ADD_USAGE, indexAdd } from './index-add.js';
import { INDEX_CLUSTER_USAGE, indexCluster } from './index-cluster.js';
import { INDEX_INFO_USAGE, indexInfo } from './index-info.js';
import { INDEX_REMOVE_USAGE, indexRemove } from './index-remove.js';
import { INDEX_SEARCH_USAGE, indexSearch } from './index-search.js';

/** The `index` command's one-line usage, for the command table in main.ts. */
export const INDEX_USAGE = 'insightgpu index add|remove|search|info|cluster …   enrol or remove people, identify faces, inspect an index, group faces';

const HELP = `usage: insightgpu index add|remove|search|info|cluster …
  ${INDEX_ADD_USAGE}
  ${INDEX_REMOVE_USAGE}
  ${INDEX_SEARCH_USAGE}
  ${INDEX_INFO_USAGE}
  ${INDEX_CLUSTER_USAGE}
Each sub-command takes --help. Index files are FaceIndex's single-file format (IGFX, checksummed, written atomically).`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  add: indexAdd,
  remove: indexRemove,
  search: indexSearch,
  info: indexInfo,
  cluster: indexCluster,
};

/**
 * The name an error of `insightgpu index ARGV…` is printed under: `index add`, `index search`, … for a sub-command
 * (a user running several of them in a script sees which one failed), `index` for anything else.
 */
export function indexCommandName(argv: readonly string[]): string {
  const sub = argv[0];
  return sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? `index ${sub}` : 'index';
}

/** `insightgpu index …`: dispatches to the sub-command; returns the exit code. */
export async function indexCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${HELP}\n`);
    // No sub-command is no command, as a bare `insightgpu` is: the usage, and exit 2 (a script that lost its
    // sub-command word must not read as success); asking for help is 0.
    return sub === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!run) {
    // An unknown command, as main's own: exit 2 with the usage (README: exit codes).
    process.stderr.write(`insightgpu index: unknown sub-command '${sub}' (add, remove, search, info or cluster)\n${HELP}\n`);
    return 2;
  }
  return run(rest);
}
