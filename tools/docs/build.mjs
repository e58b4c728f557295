// `npm run docs`: the API reference from the TSDoc comments into docs/api/, with TypeDoc under TypeScript 6 (this
// folder's own dependencies). Any warning fails the build: an undocumented export, a broken {@link}, a bad tag.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const typedoc = fileURLToPath(new URL('node_modules/typedoc/bin/typedoc', import.meta.url));
const result = spawnSync(process.execPath, [typedoc, '--options', 'typedoc.json', ...process.argv.slice(2)], { cwd: here, stdio: 'inherit' });
process.exit(result.status ?? 1);
