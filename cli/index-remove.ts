import { PipelineOptionError } from '../src/pipeline/index.js';
import { parseArgs } from './args.js';
import { CliError } from './module-command.js';
import { loadIndexFile, probeWritable, required, withFileLock } from './index-faces.js';

export const INDEX_REMOVE_USAGE = 'insightgpu index remove --index FILE ID…';

const HELP = `usage: ${INDEX_REMOVE_USAGE}
  Removes every embedding of each ID (an --all-faces enrolment's ids are NAME#0, NAME#1, …: name each one) and
  prints the ids removed with their embedding counts, and what FILE holds then, as JSON. An ID that FILE does not
  hold fails the command, naming every such ID, and removes nothing (exit 1): a typo never removes the others
  alone. FILE is written atomically under FILE.lock, as index add writes it, so a remove and an add at once keep
  each other's changes. An ID that starts with - goes after --.
  --index FILE            the index file`;

/** `insightgpu index remove …`: returns the exit code. */
export async function indexRemove(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['index'], ['help']);
  if (args.flags.has('help')) { process.stdout.write(`${HELP}\n`); return 0; }
  const file = required(args, 'index', 'the index file to remove identities from');
  const ids = [...new Set(args.positional)];
  if (ids.length === 0) throw new PipelineOptionError('ID', 'give at least one identity to remove');
  // The missing or damaged file, and a folder that cannot take the new one, fail before the lock is taken.
  (await loadIndexFile(file)).dispose();
  await probeWritable(file);
  const out = await withFileLock(file, async () => {
    // Read under the lock: an add that saved since the check above keeps its faces.
    const index = await loadIndexFile(file);
    try {
      const unknown = ids.filter((id) => !index.has(id));
      if (unknown.length > 0) {
        throw new CliError(`${file} holds no identity ${unknown.map((id) => JSON.stringify(id)).join(', ')}; nothing removed (index info lists the ids)`);
      }
      const removed = ids.map((id) => {
        const before = index.entries;
        index.remove(id);
        return { id, entries: before - index.entries };
      });
      await index.save(file);
      return { index: file, removed, identities: index.size, entries: index.entries };
    } finally {
      index.dispose();
    }
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return 0;
}
