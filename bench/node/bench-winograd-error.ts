/**
 * `tsx bench/node/bench-winograd-error.ts [--model r50|det|swap|all] [--oc N] [--chain-size S] [--no-chain] [--json F]`:
 * the float32 error of Winograd F(2×2, 3×3) and F(4×4, 3×3) against the direct float32 conv, at the real layer
 * shapes of w600k_r50, det_10g and inswapper, on the CPU with GPU-like rounding (src/ops/conv/winograd.ts).
 *
 * Each method's output is compared with a float64 direct conv of the same float32 inputs, as max|y − ref| / max|ref|
 * (the project's relative-error measure); the direct float32 row is the error any fp32 kernel (onnxruntime's
 * included) already has. Per layer: full input channels and planes; `--oc N` computes only the first N output
 * channels (each output's error depends on its own K = 9·IC sum, not on how many channels there are), so the large
 * layers fit a small machine. The chain runs w600k_r50's 48 stride-1-equivalent 3×3 convs in order, residual
 * blocks with a per-channel normalisation and PReLU between them, each method carrying its own float32 activations
 * from layer to layer, so the error it prints is what a whole forward accumulates.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Prng } from '../../models/forge/prng.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { F2X2_3X3, F4X4_3X3, winogradConvF32, winogradWeights, type WinogradTransform } from '../../src/ops/conv/winograd.js';

interface Layer { readonly name: string; readonly ic: number; readonly oc: number; readonly size: number; readonly relu: boolean }

// Distinct stride-1 3×3 layers (input channels, output channels, plane side). w600k_r50 is IResNet-50 at 112²
// (BN before each conv, so inputs are signed); det_10g is SCRFD-10G at 640² (ReLU before each conv); inswapper
// at its full width 1024 on a 128² input.
const LAYERS: Record<string, readonly Layer[]> = {
  r50: [
    { name: 'r50 64→64 @112', ic: 64, oc: 64, size: 112, relu: false },
    { name: 'r50 64→64 @56', ic: 64, oc: 64, size: 56, relu: false },
    { name: 'r50 64→128 @56', ic: 64, oc: 128, size: 56, relu: false },
    { name: 'r50 128→128 @28', ic: 128, oc: 128, size: 28, relu: false },
    { name: 'r50 128→256 @28', ic: 128, oc: 256, size: 28, relu: false },
    { name: 'r50 256→256 @14', ic: 256, oc: 256, size: 14, relu: false },
    { name: 'r50 256→512 @14', ic: 256, oc: 512, size: 14, relu: false },
    { name: 'r50 512→512 @7', ic: 512, oc: 512, size: 7, relu: false },
  ],
  det: [
    { name: 'det 28→28 @320', ic: 28, oc: 28, size: 320, relu: true },
    { name: 'det 28→56 @320', ic: 28, oc: 56, size: 320, relu: true },
    { name: 'det 56→56 @160', ic: 56, oc: 56, size: 160, relu: true },
    { name: 'det 88→88 @80', ic: 88, oc: 88, size: 80, relu: true },
    { name: 'det 88→88 @40', ic: 88, oc: 88, size: 40, relu: true },
    { name: 'det 224→224 @20', ic: 224, oc: 224, size: 20, relu: true },
    { name: 'det 56→80 @80', ic: 56, oc: 80, size: 80, relu: true },
    { name: 'det 80→80 @20', ic: 80, oc: 80, size: 20, relu: true },
  ],
  swap: [
    { name: 'swap 128→256 @128', ic: 128, oc: 256, size: 128, relu: true },
    { name: 'swap 1024→1024 @32', ic: 1024, oc: 1024, size: 32, relu: false },
    { name: 'swap 512→256 @128', ic: 512, oc: 256, size: 128, relu: true },
  ],
};

type Method = 'direct32' | 'F2x2' | 'F4x4';
const METHODS: readonly Method[] = ['direct32', 'F2x2', 'F4x4'];
const TRANSFORMS: Record<Exclude<Method, 'direct32'>, WinogradTransform> = { F2x2: F2X2_3X3, F4x4: F4X4_3X3 };

function params(ic: number, oc: number, size: number): ConvParams {
  return {
    group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], rank: 4,
    inDims: [1, ic, size, size], outDims: [1, oc, size, size], epilogue: { kind: 'none' },
  };
}

/** Direct 3×3 pad-1 conv, accumulated in `Acc` (Float64Array: the reference; Float32Array: GPU-like fp32). */
function direct(acc: Float32ArrayConstructor | Float64ArrayConstructor, p: ConvParams, x: ArrayLike<number>, w: Float32Array): Float64Array {
  const [, c, h, wd] = p.inDims;
  const oc = p.outDims[1];
  const out = new Float64Array(oc * h * wd);
  const row = new acc(h * wd);
  for (let o = 0; o < oc; o++) {
    row.fill(0);
    // K in the order the direct GPU kernel walks it (channel, then tap), so the float32 sum rounds as it does.
    for (let ch = 0; ch < c; ch++) {
      for (let tap = 0; tap < 9; tap++) {
        const wv = w[(o * c + ch) * 9 + tap]!;
        const dy = Math.floor(tap / 3) - 1;
        const dx = (tap % 3) - 1;
        for (let oy = 0; oy < h; oy++) {
          const iy = oy + dy;
          if (iy < 0 || iy >= h) continue;
          const src = (ch * h + iy) * wd + dx;
          const dst = oy * wd;
          for (let ox = Math.max(0, -dx); ox < Math.min(wd, wd - dx); ox++) row[dst + ox] += wv * x[src + ox]!;
        }
      }
    }
    out.set(row, o * h * wd);
  }
  return out;
}

function run(method: Method, p: ConvParams, x: Float32Array, w: Float32Array): Float64Array {
  if (method === 'direct32') return direct(Float32Array, p, x, w);
  const tr = TRANSFORMS[method];
  const y = new Float32Array(p.outDims[1] * p.outDims[2] * p.outDims[3]);
  winogradConvF32(tr, p, x, winogradWeights(tr, w, p.outDims[1], p.inDims[1]), undefined, y);
  return Float64Array.from(y);
}

function relError(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let peak = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(y[i]! - ref[i]!));
    peak = Math.max(peak, Math.abs(ref[i]!));
  }
  return diff / peak;
}

function randomLayer(prng: Prng, ic: number, oc: number, size: number, relu: boolean): { x: Float32Array; w: Float32Array } {
  const x = prng.fill(ic * size * size, 1);
  if (relu) for (let i = 0; i < x.length; i++) x[i] = Math.max(0, x[i]!);
  // He initialisation, the scale trained conv weights keep.
  return { x, w: prng.fill(oc * ic * 9, Math.sqrt(2 / (9 * ic))) };
}

interface Row { readonly layer: string; readonly outChannels: number; readonly errors: Record<Method, number> }

function layerRows(names: readonly string[], ocLimit: number): Row[] {
  const prng = new Prng(14);
  const rows: Row[] = [];
  for (const layer of names.flatMap((n) => LAYERS[n]!)) {
    const oc = Math.min(layer.oc, ocLimit);
    const p = params(layer.ic, oc, layer.size);
    const { x, w } = randomLayer(prng, layer.ic, oc, layer.size, layer.relu);
    const ref = direct(Float64Array, p, x, w);
    const errors = Object.fromEntries(METHODS.map((m) => [m, relError(run(m, p, x, w), ref)])) as Record<Method, number>;
    rows.push({ layer: layer.name, outChannels: oc, errors });
    console.log(`${layer.name.padEnd(22)} oc ${String(oc).padStart(4)}  ${METHODS.map((m) => `${m} ${errors[m].toExponential(2)}`).join('  ')}`);
  }
  return rows;
}

/** Per-channel affine to zero mean, unit variance (fitted on the reference, applied to every method alike), then PReLU 0.25. */
function normalise(ref: Float64Array, ys: Float64Array[], c: number, plane: number, prelu: boolean): void {
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let s2 = 0;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) { s += ref[i]!; s2 += ref[i]! * ref[i]!; }
    const mean = s / plane;
    const scale = 1 / Math.sqrt(Math.max(s2 / plane - mean * mean, 1e-12));
    for (const y of [ref, ...ys]) {
      for (let i = ch * plane; i < (ch + 1) * plane; i++) {
        const v = (y[i]! - mean) * scale;
        y[i] = prelu && v < 0 ? 0.25 * v : v;
      }
    }
  }
}

/** 2×2 average pooling, where IResNet's stride-2 conv halves the plane. */
function pool(y: Float64Array, c: number, size: number): Float64Array {
  const half = size >> 1;
  const out = new Float64Array(c * half * half);
  for (let ch = 0; ch < c; ch++) {
    for (let yy = 0; yy < half; yy++) {
      for (let xx = 0; xx < half; xx++) {
        const at = (dy: number, dx: number): number => y[(ch * size + 2 * yy + dy) * size + 2 * xx + dx]!;
        out[(ch * half + yy) * half + xx] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4;
      }
    }
  }
  return out;
}

/** w600k_r50's residual trunk: stages (64, 3), (128, 4), (256, 14), (512, 3) blocks of two 3×3 convs. */
function chain(size: number): Record<Method, number> {
  const prng = new Prng(50);
  const stages: [number, number][] = [[64, 3], [128, 4], [256, 14], [512, 3]];
  let c = 64;
  let s = size;
  let ref: Float64Array = Float64Array.from(prng.fill(c * s * s, 1));
  let ys: Float64Array[] = METHODS.map(() => Float64Array.from(ref));
  const conv = (ic: number, oc: number, side: number, input: Float64Array[], refIn: Float64Array): [Float64Array, Float64Array[]] => {
    const p = params(ic, oc, side);
    const w = prng.fill(oc * ic * 9, Math.sqrt(2 / (9 * ic)));
    // Each method reads its own activations, rounded to float32 as they are stored between layers.
    return [direct(Float64Array, p, refIn, w), METHODS.map((m, k) => run(m, p, Float32Array.from(input[k]!), w))];
  };
  for (const [width, blocks] of stages) {
    for (let b = 0; b < blocks; b++) {
      const skipRef = ref;
      const skip = ys;
      let [hRef, h] = conv(c, width, s, ys, ref);
      normalise(hRef, h, width, s * s, true);
      if (b === 0) { hRef = pool(hRef, width, s); h = h.map((v) => pool(v, width, s)); s >>= 1; }
      [hRef, h] = conv(width, width, s, h, hRef);
      normalise(hRef, h, width, s * s, false);
      if (b > 0) {
        for (let i = 0; i < hRef.length; i++) hRef[i] += skipRef[i]!;
        h.forEach((v, k) => { for (let i = 0; i < v.length; i++) v[i] += skip[k]![i]!; });
      }
      ref = hRef;
      ys = h;
      c = width;
    }
    const errs = METHODS.map((_, k) => relError(ys[k]!, ref).toExponential(2));
    console.log(`chain after ${width}-ch stage (plane ${s}²): ${METHODS.map((m, k) => `${m} ${errs[k]}`).join('  ')}`);
  }
  return Object.fromEntries(METHODS.map((m, k) => [m, relError(ys[k]!, ref)])) as Record<Method, number>;
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'all' }, oc: { type: 'string', default: '1024' }, 'chain-size': { type: 'string', default: '112' },
    'no-chain': { type: 'boolean', default: false }, json: { type: 'string' },
  },
});
const models = values.model === 'all' ? Object.keys(LAYERS) : [values.model!];
if (models.some((m) => !LAYERS[m])) throw new Error(`--model is one of ${Object.keys(LAYERS).join(', ')}, all`);
console.log('Relative error max|y − ref| / max|ref| against a float64 direct conv (CPU, float32 rounding as on a GPU)');
const rows = layerRows(models, Number(values.oc));
const chained = values['no-chain'] ? undefined : chain(Number(values['chain-size']));
if (chained) console.log(`w600k_r50 trunk, 48 convs chained at ${values['chain-size']}²: ${METHODS.map((m) => `${m} ${chained[m].toExponential(2)}`).join('  ')}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ rows, chained }, null, 2));
