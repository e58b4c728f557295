/**
 * `npm run parity [-- --backend cpu|webgpu] [--small|--full] [--shared-only|--replicas-only] [--kernels specialized|generic|both] [--swap-full] [--float16|--float16-only]`:
 * prints model × output × max relative error for the shared models, the forged buffalo_l replicas (forged into
 * .cache/replicas when missing) and the INSwapper replica (../shared/swap); exits 1 above the bound. On webgpu both
 * kernel tiers run by default. `--swap-full` adds the full-size INSwapper replica (forged into .cache/replicas, 554 MB,
 * ~350 GFLOP a call: a minute or more on the CPU backend). `--float16` adds the float16 variants of mobilefacenet and
 * the INSwapper replica (tests/parity/float16.ts), held to their own bounds; `--float16-only` runs just those.
 */
import { defaultCases, formatRow, PARITY_BOUND, replicaCases, runParity } from './parity.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { forgeExtraModel } from '../../models/forge/index.js';
import { repoRoot } from './parity.js';
import { runSwapParity } from './swap.js';
import { FLOAT16_BOUNDS, formatFloat16Row, inswapperCase, mobilefacenetCase, rowsOutOfBounds, runFloat16Parity, type Float16Row } from './float16.js';

const args = process.argv.slice(2);
const backendArg = args[args.indexOf('--backend') + 1];
const backend = args.includes('--backend') ? backendArg : 'cpu';
if (backend !== 'cpu' && backend !== 'webgpu') {
  console.error(`unknown backend '${backendArg}' (use cpu or webgpu)`);
  process.exit(2);
}
if (backend === 'webgpu') process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
// SwiftShader is a CPU emulation of a GPU: full sizes take minutes there, so webgpu defaults to the small matrix.
const small = args.includes('--small') || (backend === 'webgpu' && !args.includes('--full'));
const float16Only = args.includes('--float16-only');
const cases = float16Only ? [] : [
  ...(args.includes('--replicas-only') ? [] : defaultCases({ small })),
  ...(args.includes('--shared-only') ? [] : await replicaCases(small ? 'small' : 'full')),
];
console.log(`parity vs onnxruntime-node, backend ${backend}${small ? ' (small sizes)' : ''}, bound ${PARITY_BOUND}`);
if (!float16Only) console.log(`${'model'.padEnd(18)} ${'dims'.padEnd(12)} ${'input'.padEnd(6)} ${'output'.padEnd(10)} ${'rel err'.padStart(9)} ${'ours ms'.padStart(9)}`);
const kernelsArg = args.includes('--kernels') ? args[args.indexOf('--kernels') + 1] : 'both';
if (kernelsArg !== 'specialized' && kernelsArg !== 'generic' && kernelsArg !== 'both') {
  console.error(`unknown --kernels '${kernelsArg}' (use specialized, generic or both)`);
  process.exit(2);
}
const tiers: readonly ('specialized' | 'generic')[] = backend === 'cpu' ? ['specialized'] : kernelsArg === 'both' ? ['specialized', 'generic'] : [kernelsArg];
const rows = [];
for (const kernels of tiers) {
  if (backend === 'webgpu') console.log(`-- ${kernels} kernels`);
  rows.push(...await runParity(cases, backend, (r) => console.log(formatRow(r)), kernels));
  // The INSwapper replica (two inputs, its own runner) at its real 128×128: ~20 s a run on SwiftShader.
  if (!args.includes('--shared-only') && !float16Only) rows.push(...await runSwapParity(backend, { kernels, onRow: (r) => console.log(formatRow(r)) }));
  if (args.includes('--swap-full')) {
    const file = path.join(repoRoot, '.cache/replicas/inswapper_128-w1024-seed1.onnx');
    if (!existsSync(file)) { mkdirSync(path.dirname(file), { recursive: true }); writeFileSync(file, forgeExtraModel('inswapper_128', 1)); }
    rows.push(...await runSwapParity(backend, { kernels, inputs: ['photo'], model: { label: 'inswapper_w1024', bytes: readFileSync(file) }, onRow: (r) => console.log(formatRow(r)) }));
  }
}
const worst = Math.max(...rows.map((r) => r.relError));
const failed = rows.filter((r) => !(r.relError <= PARITY_BOUND));
if (!float16Only) console.log(`${rows.length} outputs compared, worst ${worst.toExponential(2)}, ${failed.length} above ${PARITY_BOUND}`);
let float16Failed = 0;
if (args.includes('--float16') || float16Only) {
  const b = FLOAT16_BOUNDS;
  console.log(`float16 files: vs onnxruntime's float16 run rel ≤ ${b.versusOrtFloat16.relError} (cos ≥ ${b.versusOrtFloat16.cosine}), vs the float32 file rel ≤ ${b.versusFloat32.relError} (cos ≥ ${b.versusFloat32.cosine})`);
  const half: Float16Row[] = [];
  for (const kernels of tiers) {
    for (const c of [await mobilefacenetCase(), await inswapperCase()]) {
      for (const r of await runFloat16Parity(c, backend, kernels)) { console.log(formatFloat16Row(r)); half.push(r); }
    }
  }
  float16Failed = rowsOutOfBounds(half).length;
  console.log(`${half.length} float16 outputs compared, ${float16Failed} outside the bounds`);
}
process.exit(failed.length === 0 && float16Failed === 0 ? 0 : 1);
