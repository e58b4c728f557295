/**
 * A child process for the save-lock test, doing what `insightgpu index add` does at its save: under the index file's
 * lock it reads the file, says "locked" on stdout, waits for a line on stdin, then reports whether the file changed
 * meanwhile ("unchanged" / "changed"), adds argv[3] and saves (inside the lock, so that save takes no second lock).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FaceIndex } from '../../../src/pipeline/identity/index.js';
import { withIndexFileLock } from '../../../src/pipeline/identity/index-file-node.js';

const [file, id] = [process.argv[2]!, process.argv[3]!];
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await withIndexFileLock(file, async () => {
  const before = readFileSync(file);
  const index = await FaceIndex.load(file); // as index add reads it: the save below replaces the version it read
  process.stdout.write('locked\n');
  await lines.next();
  process.stdout.write(readFileSync(file).equals(before) ? 'unchanged\n' : 'changed\n');
  index.add(id, [0, 1, 0]);
  await index.save(file);
});
process.stdout.write('done\n');
process.exit(0);
