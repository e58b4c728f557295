#!/usr/bin/env node
// Entry point of the `insightgpu` command: runs the compiled CLI (dist/cli/main.js, built by `npm run build`).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('insightgpu: dist/cli/main.js is missing; run `npm run build` first (or use `npx tsx cli/main.ts …` from a checkout)\n');
  process.exit(1);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
