import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { toNumbers, type Model, type Node } from '../../src/core/ir.js';
import { probeNormalisation, routeModel } from '../../src/pipeline/model-router.js';
import { ensureReplicas, replicaCacheDir, type EnsureOptions } from '../../models/forge/cache.js';
import { InputError } from '../../src/core/errors.js';
import { forgeModelsCommand, parseForgeArgs } from '../../models/forge/cli.js';
import { REPLICAS, REPLICA_NAMES, forgeModel, forgeModels, type ReplicaName } from '../../models/forge/index.js';
import { convGemmMacs, floatParameterCount, opInventory } from '../../models/forge/inventory.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const paths = await ensureReplicas();
const models = new Map<ReplicaName, Model>();
for (const name of REPLICA_NAMES) models.set(name, parseModel(await readFile(paths[name])));

/** models.md's table of what InsightFace prints per file: (mean, std) the class derives from the graph. */
const EXPECTED_NORMALISATION: Record<ReplicaName, { mean: number; std: number }> = {
  det_10g: { mean: 127.5, std: 128 }, '2d106det': { mean: 0, std: 1 }, '1k3d68': { mean: 0, std: 1 },
  genderage: { mean: 0, std: 1 }, w600k_r50: { mean: 127.5, std: 127.5 },
};

const producerOf = (m: Model, value: string): Node | undefined => m.graph.nodes.find((n) => n.outputs.includes(value));
const floatAttr = (n: Node, name: string): number | undefined => {
  const a = n.attributes.get(name);
  return a?.kind === 'float' ? a.value : undefined;
};
const intsAttr = (n: Node, name: string): readonly number[] | undefined => {
  const a = n.attributes.get(name);
  return a?.kind === 'ints' ? a.value : undefined;
};

describe('replica files', () => {
  for (const name of REPLICA_NAMES) {
    const spec = REPLICAS[name].spec;
    describe(name, () => {
      it('is byte-identical when forged again with the same seed', () => {
        // The cached file was forged by an earlier ensureReplicas call (possibly another process or run).
        return readFile(paths[name]).then((cached) => assert.equal(sha256(forgeModel(name)), sha256(cached)));
      });

      it("has the spec's input and output names and shapes", () => {
        const g = models.get(name)!.graph;
        assert.deepEqual(g.inputs.map((v) => [v.name, v.type, v.shape]), [[spec.inputName, 'float32', spec.inputShape]]);
        assert.deepEqual(g.outputs.map((v) => v.name), spec.outputNames);
        for (const o of g.outputs) assert.equal(o.shape?.length, 2, `${o.name} is 2-D`);
      });

      it("has the spec's op inventory, parameter count and MACs (within 1%)", () => {
        const m = models.get(name)!;
        assert.deepEqual(opInventory(m), spec.ops);
        const params = floatParameterCount(m);
        assert.ok(Math.abs(params / spec.params - 1) <= 0.01, `params ${params} vs spec ${spec.params}`);
        const macs = convGemmMacs(m, spec.macsInput);
        assert.ok(Math.abs(macs / spec.macs - 1) <= 0.01, `MACs ${macs} vs spec ${spec.macs}`);
        assert.equal(m.irVersion, 6);
        assert.equal(m.opsetImports.get(''), 11);
      });

      it('routes to its InsightFace class and normalisation, as the real file does', () => {
        const g = models.get(name)!.graph;
        const session = {
          outputNames: g.outputs.map((o) => o.name),
          inputMetadata: g.inputs.map((v) => ({ name: v.name, isTensor: true as const, type: v.type, shape: (v.shape ?? []).map((d) => d ?? '') })),
        };
        const cls = routeModel(session);
        assert.equal(cls, spec.task);
        assert.deepEqual(probeNormalisation(g.nodes, cls!), EXPECTED_NORMALISATION[name]);
      });
    });
  }

  it('a different seed gives different weights but the same graph', () => {
    const a = parseModel(forgeModel('genderage', 1));
    const b = parseModel(forgeModel('genderage', 2));
    assert.deepEqual(a.graph.nodes.map((n) => n.name), b.graph.nodes.map((n) => n.name));
    assert.notDeepEqual(a.graph.initializers.get('fc1_weight')!.data, b.graph.initializers.get('fc1_weight')!.data);
  });
});

describe('export patterns', () => {
  it('det_10g: Resize(nearest, asymmetric, floor) on empty roi/scales with sizes from Shape/Gather/Unsqueeze/Slice/Concat', () => {
    const m = models.get('det_10g')!;
    const resizes = m.graph.nodes.filter((n) => n.opType === 'Resize');
    assert.equal(resizes.length, 2);
    for (const r of resizes) {
      assert.deepEqual([...r.attributes].map(([k, v]) => [k, v.kind === 'string' || v.kind === 'float' ? v.value : null]),
        [['coordinate_transformation_mode', 'asymmetric'], ['cubic_coeff_a', -0.75], ['mode', 'nearest'], ['nearest_mode', 'floor']]);
      for (const i of [1, 2]) assert.deepEqual(m.graph.initializers.get(r.inputs[i]!)!.dims, [0]);
      const concat = producerOf(m, r.inputs[3]!)!;
      assert.equal(concat.opType, 'Concat');
      assert.deepEqual(concat.inputs.map((v) => producerOf(m, v)!.opType), ['Slice', 'Unsqueeze', 'Unsqueeze']);
      const slice = producerOf(m, concat.inputs[0]!)!;
      assert.equal(producerOf(m, slice.inputs[0]!)!.opType, 'Shape');
      assert.deepEqual(slice.inputs.slice(1).map((v) => toNumbers(m.graph.initializers.get(v)!)), [[0], [2], [0]]);
      for (const u of concat.inputs.slice(1)) {
        const gather = producerOf(m, producerOf(m, u)!.inputs[0]!)!;
        assert.equal(gather.opType, 'Gather');
        assert.equal(producerOf(m, gather.inputs[0]!)!.opType, 'Shape');
      }
    }
  });

  it('det_10g: outputs come from Transpose [2,3,0,1] → Reshape [-1,k] (+ Sigmoid for scores; box conv × 0-d scale)', () => {
    const m = models.get('det_10g')!;
    m.graph.outputs.forEach((o, i) => {
      const k = [1, 4, 10][Math.floor(i / 3)]!;
      let node = producerOf(m, o.name)!;
      if (k === 1) {
        assert.equal(node.opType, 'Sigmoid');
        node = producerOf(m, node.inputs[0]!)!;
      }
      assert.equal(node.opType, 'Reshape');
      assert.deepEqual(toNumbers(m.graph.initializers.get(node.inputs[1]!)!), [-1, k]);
      const transpose = producerOf(m, node.inputs[0]!)!;
      assert.deepEqual(intsAttr(transpose, 'perm'), [2, 3, 0, 1]);
      const before = producerOf(m, transpose.inputs[0]!)!;
      assert.equal(before.opType, k === 4 ? 'Mul' : 'Conv');
      if (k === 4) assert.deepEqual(m.graph.initializers.get(before.inputs[1]!)!.dims, []);
    });
    assert.ok(m.graph.nodes.filter((n) => n.opType === 'Conv').every((n) => n.inputs.length === 3), 'every conv has a (folded) bias');
  });

  it('w600k_r50: BN before each block conv, PRelu slopes [C,1,1], Gemm transB 25088→512, final BN gives 683', () => {
    const m = models.get('w600k_r50')!;
    const bns = m.graph.nodes.filter((n) => n.opType === 'BatchNormalization');
    assert.ok(bns.every((n) => Math.abs(floatAttr(n, 'epsilon')! - 1e-5) < 1e-12));
    const blockBns = bns.slice(0, 24);
    for (const bn of blockBns) assert.ok(m.graph.nodes.some((n) => n.opType === 'Conv' && n.inputs[0] === bn.outputs[0]), `${bn.name} feeds a conv`);
    for (const p of m.graph.nodes.filter((n) => n.opType === 'PRelu')) {
      const slope = m.graph.initializers.get(p.inputs[1]!)!;
      assert.deepEqual(slope.dims.slice(1), [1, 1]);
    }
    const gemm = m.graph.nodes.find((n) => n.opType === 'Gemm')!;
    assert.deepEqual(m.graph.initializers.get(gemm.inputs[1]!)!.dims, [512, 25088]);
    assert.deepEqual(gemm.attributes.get('transB'), { kind: 'int', value: 1 });
    const last = producerOf(m, '683')!;
    assert.equal(last.opType, 'BatchNormalization');
    assert.equal(last.inputs[0], gemm.outputs[0]);
    assert.ok(m.graph.nodes.slice(0, 8).every((n) => !/^(Sub|Mul|_minus|_mul)/.test(n.name)), 'PyTorch names must not trip the normalisation probe');
  });

  it('MXNet stand-ins: _minusscalar0/_mulscalar0 (or bn_data) first, bias-free convs, BN eps 2e-5, depthwise convs, fc1 Gemm', () => {
    for (const name of ['2d106det', 'genderage', '1k3d68'] as const) {
      const m = models.get(name)!;
      const first = m.graph.nodes.slice(0, 2).map((n) => `${n.name}:${n.opType}`);
      if (name === '1k3d68') assert.equal(first[0], 'bn_data:BatchNormalization');
      else assert.deepEqual(first, ['_minusscalar0:Sub', '_mulscalar0:Mul']);
      const convs = m.graph.nodes.filter((n) => n.opType === 'Conv');
      assert.ok(convs.every((n) => n.inputs.length === 2), `${name}: convs carry no bias`);
      const eps = m.graph.nodes.filter((n) => n.opType === 'BatchNormalization').map((n) => floatAttr(n, 'epsilon'));
      assert.ok(eps.every((e) => e === Math.fround(2e-5)), `${name}: BN epsilon 2e-5`);
      const depthwise = convs.filter((n) => {
        const group = n.attributes.get('group');
        return group?.kind === 'int' && group.value !== 1;
      });
      assert.equal(depthwise.length, name === '1k3d68' ? 0 : 13);
      const fc = m.graph.nodes.at(-1)!;
      assert.deepEqual([fc.name, fc.opType, fc.outputs[0]], ['fc1', 'Gemm', 'fc1']);
      assert.deepEqual(m.graph.nodes.slice(-3, -1).map((n) => n.opType), ['GlobalAveragePool', 'Flatten']);
    }
  });
});

describe('forge-models command', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('parses --out, --seed and --only (several names, comma lists, --flag=value)', () => {
    assert.deepEqual(parseForgeArgs(['--out', 'd', '--seed', '7', '--only', 'genderage', '2d106det']), { outDir: 'd', seed: 7, only: ['genderage', '2d106det'] });
    assert.deepEqual(parseForgeArgs(['--only=det_10g,w600k_r50', '--out=x']), { outDir: 'x', seed: 20240601, only: ['det_10g', 'w600k_r50'] });
    assert.match(parseForgeArgs(['--seed', '7']) as string, /--out is required/);
    assert.match(parseForgeArgs(['--out', 'd', '--seed', '-1']) as string, /--seed/);
    assert.match(parseForgeArgs(['--out', 'd', '--bogus']) as string, /unknown argument/);
  });

  it('writes the chosen replicas (the same bytes as forgeModel) and rejects unknown names', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'forge-cli-'));
    assert.equal(await forgeModelsCommand(['--out', dir, '--seed', '7', '--only', 'genderage']), 0);
    assert.equal(sha256(await readFile(path.join(dir, 'genderage.onnx'))), sha256(forgeModel('genderage', 7)));
    // A usage error exits 1, as a bad option of every other command (2 is an unknown command's).
    assert.equal(await forgeModelsCommand(['--out', dir, '--only', 'det_11g']), 1);
    assert.equal(await forgeModelsCommand(['--out', dir, '--frob']), 1);
  });

  it('a replica that cannot be written leaves no temporary and is named; a symlinked replica is written through', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'forge-write-'));
    try {
      // A folder where the file goes: the write used to leave its 900 kB `.partial-PID` beside it, and name that.
      await mkdir(path.join(out, 'genderage.onnx'));
      await assert.rejects(forgeModels({ outDir: out, only: ['genderage'] }), (error: Error) => {
        assert.equal(error.message, `cannot write '${path.join(out, 'genderage.onnx')}': EISDIR: illegal operation on a directory`);
        return true;
      });
      assert.deepEqual(await readdir(out), ['genderage.onnx'], 'no temporary left');
      // A link (a replica kept elsewhere) stays a link; the file it points to is the one written.
      await rm(path.join(out, 'genderage.onnx'), { recursive: true });
      await symlink(path.join('kept', 'genderage.onnx'), path.join(out, 'genderage.onnx'));
      await mkdir(path.join(out, 'kept'));
      await forgeModels({ outDir: out, only: ['genderage'], seed: 3 });
      assert.ok((await lstat(path.join(out, 'genderage.onnx'))).isSymbolicLink(), 'the link stays a link');
      assert.equal(sha256(await readFile(path.join(out, 'kept', 'genderage.onnx'))), sha256(forgeModel('genderage', 3)));
      assert.deepEqual((await readdir(out)).sort(), ['genderage.onnx', 'kept']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('replica cache', () => {
  it('refuses a bad seed, cacheRoot or options object before making any folder', async () => {
    const cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'forge-cache-'));
    try {
      for (const seed of [-1, 1.5, Number.NaN, 'x']) {
        await assert.rejects(ensureReplicas(['genderage'], { cacheRoot, seed: seed as number }), (error: unknown) => error instanceof InputError && /seed must be/.test(error.message), `seed ${String(seed)}`);
      }
      assert.deepEqual(await readdir(cacheRoot), [], 'no cache folder is made for a refused seed');
      await assert.rejects(ensureReplicas(['genderage'], { cacheRoot: 5 as unknown as string }), (error: unknown) => error instanceof InputError && /cacheRoot must be/.test(error.message));
      await assert.rejects(ensureReplicas(['genderage'], null as unknown as EnsureOptions), InputError);
    } finally {
      await rm(cacheRoot, { recursive: true, force: true });
    }
  });

  it('forges missing replicas once, under a folder keyed by forge version and seed, and reuses them', async () => {
    const cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'forge-cache-'));
    try {
      // Two concurrent callers: the lock makes the second wait for the first's files.
      const [a, b] = await Promise.all([ensureReplicas(['genderage'], { cacheRoot, seed: 9 }), ensureReplicas(['genderage'], { cacheRoot, seed: 9 })]);
      assert.equal(a.genderage, b.genderage);
      assert.equal(path.dirname(a.genderage), replicaCacheDir({ cacheRoot, seed: 9 }));
      assert.match(path.basename(path.dirname(a.genderage)), /^v\d+-seed9$/);
      assert.equal(sha256(await readFile(a.genderage)), sha256(forgeModel('genderage', 9)));
      const before = (await stat(a.genderage)).mtimeMs;
      await ensureReplicas(['genderage'], { cacheRoot, seed: 9 });
      assert.equal((await stat(a.genderage)).mtimeMs, before, 'an existing replica is not re-forged');
      assert.deepEqual(await readdir(path.dirname(a.genderage)), ['genderage.onnx'], 'no lock or partial files left behind');
    } finally {
      await rm(cacheRoot, { recursive: true, force: true });
    }
  });
});
