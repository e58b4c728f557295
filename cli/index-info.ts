import { stat } from 'node:fs/promises';
import { INDEX_VERSION, PipelineOptionError } from '../src/pipeline/index.js';
import { ROW_BOOKKEEPING_BYTES } from '../src/pipeline/identity/identity-rows.js';
import { loadIndexFile } from './index-faces.js';
import { parseArgs } from './args.js';

export const INDEX_INFO_USAGE = 'insightgpu index info FILE';

const HELP = `usage: ${INDEX_INFO_USAGE}
  Checks FILE (magic, version, sizes, checksum) and prints its format version, dim, identity and embedding counts,
  file bytes, the bytes a loaded index holds, and the ids, as JSON.`;

/** `insightgpu index info FILE`: returns the exit code. */
export async function indexInfo(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [], ['help']);
  if (args.flags.has('help')) { process.stdout.write(`${HELP}\n`); return 0; }
  if (args.positional.length !== 1) throw new PipelineOptionError('FILE', 'give exactly one index file');
  const file = args.positional[0]!;
  const index = await loadIndexFile(file);
  const info = {
    file,
    formatVersion: INDEX_VERSION,
    dim: index.dim,
    identities: index.size,
    entries: index.entries,
    fileBytes: (await stat(file)).size,
    // What the rows take once loaded (README: dim × 4 + 20 bytes per embedding): float32 rows plus their bookkeeping.
    rowBytes: index.entries * ((index.dim ?? 0) * 4 + ROW_BOOKKEEPING_BYTES),
    ids: index.identities(),
  };
  process.stdout.write(`${JSON.stringify(info, null, 1)}\n`);
  return 0;
}
