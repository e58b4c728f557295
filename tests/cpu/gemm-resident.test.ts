/**
 * Gemm with a constant B on the cpu backend keeps B strip-packed in a WebAssembly memory of its own and runs the
 * packed kernel of its row count (M = 1…3 a gemv, M ≥ 4 in 4-row panels plus the rest). Checked here: the kernel
 * against a float64 reference and, bit for bit, against the copy-per-call path it replaces; whole Gemm nodes
 * against onnxruntime-node for M = 1…5, K not a multiple of 4, N not a multiple of 8, both transB, alpha/beta/C
 * variants, constant and fed B; one layout per constant, reused by later runs, none shared between sessions, and
 * each dropped when its session is released.
 *
 * Tolerances: vs float64, max|a−b| / max|b| ≤ 1e-5 (float32 sums of ≤ 1000 products of [-1, 1) values in k order,
 * blocked by 256, err ≲ 256·2⁻²⁴ relative to the largest partial, well under 1e-5 of max|y| here); vs
 * onnxruntime-node the same 1e-5 as gemm-trans-b.test.ts (its own summation order; the model-level bound is 1e-4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { gemmAccumulate, gemmResidentAccumulate, RESIDENT_MIN_FLOATS, residentB, residentLayoutStats } from '../../src/ops/tiled-gemm/cpu.js';
import { buildModel, DT, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';
import { maxRelativeError, seededUniform } from '../parity/parity.js';

const TOLERANCE = 1e-5;
// K not a multiple of 4 (nor of the 256-step blocks), N not a multiple of 8; K·N above RESIDENT_MIN_FLOATS.
const [K, N] = [517, 45];

function reference64(a: Float32Array, b: Float32Array, transB: boolean, c: Float32Array, m: number, k: number, n: number): Float32Array {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let sum = c[i * n + j]!;
    for (let p = 0; p < k; p++) sum += a[i * k + p]! * b[transB ? j * k + p : p * n + j]!;
    y[i * n + j] = sum;
  }
  return y;
}

describe('the resident-B packed kernel', () => {
  it('covers K·N at the threshold only', () => {
    assert.ok(K * N >= RESIDENT_MIN_FLOATS, 'the shapes below take the resident path');
    assert.equal(residentB({}, new Float32Array(RESIDENT_MIN_FLOATS - 1), false, 1, RESIDENT_MIN_FLOATS - 1), null, 'a small B is left to the copy path');
  });

  for (const m of [1, 2, 3, 4, 5, 9]) {
    for (const transB of [false, true]) {
      it(`M = ${m}, transB ${transB ? 1 : 0}: the float64 result, and bit for bit the copy path's`, () => {
        const a = seededUniform(m * K, 100 + m, -1, 1);
        const b = seededUniform(K * N, 200 + m, -1, 1);
        const row = new Float32Array(K * N);
        if (transB) for (let p = 0; p < K; p++) for (let j = 0; j < N; j++) row[p * N + j] = b[j * K + p]!;
        else row.set(b);
        const c = seededUniform(m * N, 300 + m, -1, 1);
        const viaCopy = c.slice();
        gemmAccumulate(a, 0, K, row, 0, N, viaCopy, 0, N, m, N, K);
        const rb = residentB({}, b, transB, K, N);
        assert.ok(rb, 'SIMD is available here, so B is laid out');
        const got = c.slice();
        gemmResidentAccumulate(rb, a, 0, K, got, 0, N, m);
        const err = maxRelativeError(got, reference64(a, b, transB, c, m, K, N));
        assert.ok(err <= TOLERANCE, `relative error ${err} > ${TOLERANCE}`);
        assert.deepEqual(got, viaCopy, 'the same sums in the same order as gemmAccumulate');
      });
    }
  }

  it('reads A and writes C through offsets and row strides, leaving the rest of C alone', () => {
    const [m, lda, ldc] = [3, K + 7, N + 5];
    const a = seededUniform(2 + m * lda, 11, -1, 1);
    const b = seededUniform(K * N, 12, -1, 1);
    const c = seededUniform(4 + m * ldc, 13, -1, 1);
    const want = c.slice();
    const dense = new Float32Array(m * K);
    for (let i = 0; i < m; i++) dense.set(a.subarray(2 + i * lda, 2 + i * lda + K), i * K);
    const cDense = new Float32Array(m * N);
    for (let i = 0; i < m; i++) cDense.set(c.subarray(4 + i * ldc, 4 + i * ldc + N), i * N);
    const y = reference64(dense, b, false, cDense, m, K, N);
    for (let i = 0; i < m; i++) want.set(y.subarray(i * N, (i + 1) * N), 4 + i * ldc);
    gemmResidentAccumulate(residentB({}, b, false, K, N)!, a, 2, lda, c, 4, ldc, m);
    for (let i = 0; i < c.length; i++) {
      const inRow = i >= 4 && (i - 4) % ldc < N && i < 4 + m * ldc;
      if (!inRow) assert.equal(c[i], want[i], `C[${i}] outside the product is untouched`);
    }
    assert.ok(maxRelativeError(c, want) <= TOLERANCE);
  });

  it('keys each layout to its constant: the same key and shape reuse it, another shape or transB does not', () => {
    const key = {};
    const b = seededUniform(K * N, 14, -1, 1);
    const first = residentB(key, b, false, K, N);
    assert.equal(residentB(key, b, false, K, N), first);
    assert.equal(residentB(key, b, true, N, K), null, 'the same data read transposed is not served the other layout');
  });
});

interface GemmCase {
  readonly m: number;
  readonly transB: boolean;
  readonly alpha?: number;
  readonly beta?: number;
  /** C's dims; undefined: no C. */
  readonly c?: readonly number[];
}

function gemmModel(t: GemmCase, constantB: Float32Array | undefined, cValues: Float32Array | undefined): Uint8Array {
  const attributes: Record<string, AttrValue> = { transB: { i: t.transB ? 1 : 0 } };
  if (t.alpha !== undefined) attributes['alpha'] = { f: t.alpha };
  if (t.beta !== undefined) attributes['beta'] = { f: t.beta };
  const bDims = t.transB ? [N, K] : [K, N];
  const initializers = [];
  if (constantB) initializers.push(tensor('b', 'float32', bDims, [...constantB]));
  if (t.c && cValues) initializers.push(tensor('c', 'float32', [...t.c], [...cValues]));
  return buildModel({
    nodes: [node('Gemm', t.c ? ['a', 'b', 'c'] : ['a', 'b'], ['y'], attributes)],
    inputs: [valueInfo('a', DT.FLOAT, [t.m, K]), ...(constantB ? [] : [valueInfo('b', DT.FLOAT, bDims)])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers,
    opsets: { '': 13 },
  });
}

async function onnxruntime(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
    return (await session.run(ortFeeds))['y']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('Gemm over a constant or fed B matches onnxruntime-node', () => {
  const cases: GemmCase[] = [];
  for (const m of [1, 2, 3, 4, 5]) for (const transB of [false, true]) cases.push({ m, transB, c: [N] });
  cases.push(
    { m: 1, transB: true }, { m: 3, transB: false },
    { m: 2, transB: true, c: [2, N] }, { m: 1, transB: true, c: [1, N] },
    { m: 3, transB: true, alpha: 0.5, c: [N] }, { m: 1, transB: false, beta: 2, c: [N] },
    { m: 5, transB: true, alpha: 1.5, beta: 0.25, c: [5, 1] }, { m: 4, transB: false, beta: 0, c: [N] },
  );
  for (const t of cases) {
    for (const fed of [false, true]) {
      const label = `M = ${t.m}, transB ${t.transB ? 1 : 0}, ${t.c ? `C ${JSON.stringify(t.c)}` : 'no C'}${t.alpha !== undefined ? `, alpha ${t.alpha}` : ''}${t.beta !== undefined ? `, beta ${t.beta}` : ''}, ${fed ? 'fed' : 'constant'} B`;
      it(label, async () => {
        const bDims = t.transB ? [N, K] : [K, N];
        const b = seededUniform(K * N, 31 + t.m, -1, 1);
        const cValues = t.c ? seededUniform(t.c.reduce((x, d) => x * d, 1), 32, -1, 1) : undefined;
        const bytes = gemmModel(t, fed ? undefined : b, cValues);
        const session = await InferenceSession.create(bytes, { backend: 'cpu' });
        try {
          const made = residentLayoutStats().made;
          // Two runs with different A: the second must not see the first's A or C in the kept memory.
          for (const seed of [1, 2]) {
            const a = seededUniform(t.m * K, seed, -1, 1);
            const feeds = { a: { data: a, dims: [t.m, K] }, ...(fed ? { b: { data: b, dims: bDims } } : {}) };
            const ourFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', v.data, v.dims)]));
            const got = (await session.run(ourFeeds))['y']!.data as Float32Array;
            const err = maxRelativeError(got, await onnxruntime(bytes, feeds));
            assert.ok(err <= TOLERANCE, `seed ${seed}: relative error ${err} > ${TOLERANCE}`);
          }
          assert.equal(residentLayoutStats().made - made, fed ? 0 : 1, fed ? 'a fed B is never kept' : 'one layout, made on the first run and reused');
        } finally {
          await session.release();
        }
      });
    }
  }
});

describe('resident layouts across sessions', () => {
  it('two sessions of same-shaped models with different weights each get their own B', async () => {
    const t: GemmCase = { m: 1, transB: true, c: [N] };
    const cValues = seededUniform(N, 40, -1, 1);
    const models = [seededUniform(K * N, 41, -1, 1), seededUniform(K * N, 42, -1, 1)].map((b) => gemmModel(t, b, cValues));
    const sessions = await Promise.all(models.map((bytes) => InferenceSession.create(bytes, { backend: 'cpu' })));
    const made = residentLayoutStats().made;
    try {
      const a = seededUniform(K, 43, -1, 1);
      const want = await Promise.all(models.map((bytes) => onnxruntime(bytes, { a: { data: a, dims: [1, K] } })));
      // Interleaved, twice: each session reads its own weights, never the other's kept layout.
      for (let round = 0; round < 2; round++) {
        for (let s = 0; s < 2; s++) {
          const got = (await sessions[s]!.run({ a: new Tensor('float32', a, [1, K]) }))['y']!.data as Float32Array;
          const err = maxRelativeError(got, want[s]!);
          assert.ok(err <= TOLERANCE, `round ${round}, session ${s}: relative error ${err} > ${TOLERANCE}`);
        }
      }
      assert.equal(residentLayoutStats().made - made, 2, 'one layout per session\'s constant');
      // Releasing one drops its layout (its plan's dispose) and leaves the other's working.
      const released = residentLayoutStats().released;
      await sessions[0]!.release();
      assert.equal(residentLayoutStats().released - released, 1, 'the released session\'s layout is dropped with its plan');
      const got = (await sessions[1]!.run({ a: new Tensor('float32', a, [1, K]) }))['y']!.data as Float32Array;
      assert.ok(maxRelativeError(got, want[1]!) <= TOLERANCE);
      assert.equal(residentLayoutStats().made - made, 2, 'the open session still reuses its layout');
    } finally {
      for (const s of sessions) await s.release();
    }
  });
});

describe('MatMul over a constant 2-D B keeps it resident too, and matches onnxruntime-node', () => {
  /** A's dims and B's (B constant when `constant`); B's last two dims are K×N. */
  const cases: { readonly a: readonly number[]; readonly b: readonly number[]; readonly constant: boolean; readonly resident: boolean }[] = [
    { a: [1, K], b: [K, N], constant: true, resident: true },
    { a: [5, K], b: [K, N], constant: true, resident: true },
    { a: [2, 3, K], b: [K, N], constant: true, resident: true }, // batch dims on A only: one B for every batch
    { a: [K], b: [K, N], constant: true, resident: true }, // a 1-D A is one row
    { a: [2, 3, K], b: [2, K, N], constant: true, resident: false }, // a batched B stays on the copy path
    { a: [3, K], b: [K, N], constant: false, resident: false },
  ];
  for (const t of cases) {
    it(`A ${JSON.stringify(t.a)} × ${t.constant ? 'constant' : 'fed'} B ${JSON.stringify(t.b)}${t.resident ? ', resident' : ''}`, async () => {
      const b = seededUniform(t.b.reduce((x, d) => x * d, 1), 51, -1, 1);
      const bytes = buildModel({
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
        inputs: [valueInfo('a', DT.FLOAT, [...t.a]), ...(t.constant ? [] : [valueInfo('b', DT.FLOAT, [...t.b])])],
        outputs: [valueInfo('y', DT.FLOAT, undefined)],
        initializers: t.constant ? [tensor('b', 'float32', [...t.b], [...b])] : [],
        opsets: { '': 13 },
      });
      const session = await InferenceSession.create(bytes, { backend: 'cpu' });
      try {
        const made = residentLayoutStats().made;
        for (const seed of [1, 2]) {
          const a = seededUniform(t.a.reduce((x, d) => x * d, 1), 60 + seed, -1, 1);
          const feeds = { a: { data: a, dims: [...t.a] }, ...(t.constant ? {} : { b: { data: b, dims: [...t.b] } }) };
          const ourFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', v.data, v.dims)]));
          const got = (await session.run(ourFeeds))['y']!.data as Float32Array;
          const err = maxRelativeError(got, await onnxruntime(bytes, feeds));
          assert.ok(err <= TOLERANCE, `seed ${seed}: relative error ${err} > ${TOLERANCE}`);
        }
        assert.equal(residentLayoutStats().made - made, t.resident ? 1 : 0, t.resident ? 'one layout, made on the first run and reused' : 'no layout kept');
      } finally {
        await session.release();
      }
    });
  }
});
