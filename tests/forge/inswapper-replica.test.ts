/**
 * The forged inswapper_128 follows the topology of the test bed's replica (../shared/tools/make_inswapper.py, whose
 * width-128 output is ../shared/swap/inswapper_w128_seed1.onnx): same I/O, op inventory, initializer shapes in file
 * order with `emap` last and unused. At full width it is within 1% of the real file's size and parameter count.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import type { Model } from '../../src/core/ir.js';
import { forgeExtraModel, selectForgeNames } from '../../models/forge/index.js';
import { parseForgeArgs } from '../../models/forge/cli.js';
import { floatParameterCount, opInventory } from '../../models/forge/inventory.js';

const SHARED = path.resolve(import.meta.dirname, '../../../shared');
/** The real inswapper_128.onnx (../shared/spec/inswapper.md): bytes and float parameters. */
const REAL_BYTES = 554_253_681;
const REAL_PARAMS = 138.6e6;

const shapeList = (m: Model): string[] => [...m.graph.initializers.values()].map((t) => `${t.type}[${t.dims.join(',')}]`);

describe('inswapper_128 replica', () => {
  const ours = parseModel(forgeExtraModel('inswapper_128', 1, { width: 128 }));

  it('has the test-bed replica topology at width 128', async () => {
    const bed = parseModel(await readFile(path.join(SHARED, 'swap/inswapper_w128_seed1.onnx')));
    assert.deepEqual(opInventory(ours), opInventory(bed));
    assert.deepEqual(ours.graph.inputs.map((v) => [v.name, v.type, v.shape]), bed.graph.inputs.map((v) => [v.name, v.type, v.shape]));
    assert.deepEqual(ours.graph.outputs.map((v) => [v.name, v.shape]), bed.graph.outputs.map((v) => [v.name, v.shape]));
    assert.deepEqual(shapeList(ours), shapeList(bed));
    assert.deepEqual(ours.graph.nodes.map((n) => n.opType), bed.graph.nodes.map((n) => n.opType));
    assert.equal(ours.opsetImports.get(''), 11);
  });

  it('keeps emap as the last initializer, used by no node', () => {
    const names = [...ours.graph.initializers.keys()];
    const last = names[names.length - 1]!;
    assert.deepEqual(ours.graph.initializers.get(last)!.dims, [512, 512]);
    assert.ok(ours.graph.nodes.every((n) => !n.inputs.includes(last)));
  });

  it('is deterministic in (seed, width) and differs across seeds', () => {
    const a = forgeExtraModel('inswapper_128', 1, { width: 8 });
    assert.deepEqual(forgeExtraModel('inswapper_128', 1, { width: 8 }), a);
    assert.notDeepEqual(forgeExtraModel('inswapper_128', 2, { width: 8 }), a);
  });

  it('is within 1% of the real file at full width', () => {
    const bytes = forgeExtraModel('inswapper_128', 1);
    assert.ok(Math.abs(bytes.length / REAL_BYTES - 1) < 0.01, `${bytes.length} bytes vs ${REAL_BYTES}`);
    const params = floatParameterCount(parseModel(bytes));
    assert.ok(Math.abs(params / REAL_PARAMS - 1) < 0.01, `${params} params vs ${REAL_PARAMS}`);
  });

  it('is forged only when named, and --width is checked', () => {
    assert.ok(!selectForgeNames().includes('inswapper_128'));
    assert.deepEqual(selectForgeNames(['inswapper_128.onnx']), ['inswapper_128']);
    assert.throws(() => forgeExtraModel('inswapper_128', 1, { width: 12 }), /multiple of 8/);
    assert.match(String(parseForgeArgs(['--out', 'x', '--only', 'inswapper_128', '--width', '7'])), /multiple of 8/);
    assert.match(String(parseForgeArgs(['--out', 'x', '--width', '128'])), /applies to inswapper_128/);
    assert.deepEqual(parseForgeArgs(['--out', 'x', '--only', 'inswapper_128', '--width', '128']), { outDir: 'x', seed: 20240601, only: ['inswapper_128'], width: 128 });
  });
});
