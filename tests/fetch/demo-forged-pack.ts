/**
 * Full-size demonstration (not part of `npm test`: it moves ~600 MB through the disk): the five forged
 * buffalo_l replicas (models/forge, ~317 MB) are zipped with deflate, served from 127.0.0.1, and fetched by a
 * cold `fetch-models` in a child process, which reports its wall time and peak resident memory (the fetcher
 * streams, so the peak should stay far below the pack's size).
 *
 *   node --import tsx tests/fetch/demo-forged-pack.ts [workdir]
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate } from 'fflate';
import { ensureReplicas } from '../../models/forge/cache.js';

const work = process.argv[2] ?? '/tmp/insightgpu-forged-demo';
const zipPath = join(work, 'buffalo_l.zip');
const root = join(work, 'root');
mkdirSync(work, { recursive: true });
rmSync(root, { recursive: true, force: true });

if (!existsSync(zipPath)) {
  const replicas = await ensureReplicas();
  const out = createWriteStream(`${zipPath}.tmp`);
  const zip = new Zip((error, chunk, final) => {
    if (error) throw error;
    out.write(chunk);
    if (final) out.end();
  });
  for (const path of Object.values(replicas).sort()) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const entry = new ZipDeflate(name, { level: 1 });
    zip.add(entry);
    entry.push(new Uint8Array(await readFile(path)), true);
  }
  zip.end();
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
  const { rename } = await import('node:fs/promises');
  await rename(`${zipPath}.tmp`, zipPath);
}
const size = statSync(zipPath).size;
process.stderr.write(`serving ${zipPath} (${size} bytes)\n`);

const server = createServer((req, res) => {
  if (req.url !== '/v0.7/buffalo_l.zip') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(size) });
  createReadStream(zipPath).pipe(res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.7`;

// The forged files differ from the real ones, so a manifest without digests stands in for buffalo_l.
const manifest = join(work, 'manifest.json');
const { PACKS } = await import('../../models/manifest.js');
const spec = { ...PACKS.buffalo_l, zip: {}, files: PACKS.buffalo_l.files.map(({ name, task }) => ({ name, task })) };
const { writeFileSync } = await import('node:fs');
writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: baseUrl, packs: { buffalo_l: spec } }));

const cli = fileURLToPath(new URL('../../models/fetch/cli.ts', import.meta.url));
const script = `const m = await import(${JSON.stringify(cli)}); const t = performance.now();
process.exitCode = await m.fetchModelsCommand(process.argv.slice(1));
process.stderr.write('child: ' + ((performance.now() - t) / 1000).toFixed(1) + ' s, peak RSS ' + (process.resourceUsage().maxRSS / 1024).toFixed(0) + ' MiB\\n');`;
const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', 'buffalo_l', '--root', root, '--base-url', baseUrl, '--manifest', manifest], {
  stdio: 'inherit',
});
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
server.close();
process.stderr.write(`fetch-models exited with ${code}\n`);
process.exitCode = code ?? 1;
