/**
 * The one op registry is derived from the op families. Every op type the engine accepts must run on the GPU or be
 * marked CPU-only with a reason, so a new op cannot fall back to the CPU between GPU segments unnoticed.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ENGINE_DOMAIN } from '../../src/ops/kernel/op-module.js';
import { OP_FAMILIES, findGpuKernel, findOpModule, opSupport, supportedOpTypes } from '../../src/ops/registry.js';

test('every accepted op type has a GPU kernel or an explicit CPU-only mark', () => {
  const neither = opSupport().filter((s) => s.gpu === undefined && s.cpuOnly === undefined).map((s) => `${s.family}/${s.opType}`);
  assert.deepEqual(neither, []);
  for (const s of opSupport()) if (s.cpuOnly !== undefined) assert.ok(s.cpuOnly.length > 10, `${s.opType}: the CPU-only mark says why`);
});

test('each op type is declared by one family only, and the lookups follow the families', () => {
  const named = (op: string, domain: string): string => (domain === '' ? op : `${domain}.${op}`);
  const declared = OP_FAMILIES.flatMap((f) => f.implementations.flatMap((i) => i.module.opTypes.map((op) => named(op, i.module.domain ?? ''))));
  assert.equal(new Set(declared).size, declared.length, 'an op type declared twice');
  assert.deepEqual([...declared].sort(), supportedOpTypes());
  for (const family of OP_FAMILIES) {
    for (const impl of family.implementations) {
      const domain = impl.module.domain ?? '';
      for (const op of impl.module.opTypes) {
        assert.equal(findOpModule(op, domain), impl.module);
        const cpuOnly = impl.cpuOnly?.opTypes.includes(op) ?? false;
        assert.equal(findGpuKernel(op, domain), cpuOnly ? undefined : impl.gpu, op);
      }
    }
  }
  // A CPU-only mark names op types of its own module.
  for (const impl of OP_FAMILIES.flatMap((f) => f.implementations)) for (const op of impl.cpuOnly?.opTypes ?? []) assert.ok(impl.module.opTypes.includes(op), op);
});

test('ops of other domains are not claimed', () => {
  assert.equal(findOpModule('Conv', 'com.microsoft'), undefined);
  assert.equal(findGpuKernel('Conv', 'com.microsoft'), undefined);
  assert.notEqual(findOpModule('Conv', 'ai.onnx'), undefined);
});

test("the engine's own ops answer only in the engine's domain, so a file cannot name them", () => {
  assert.notEqual(findOpModule('RoundToFloat16', ENGINE_DOMAIN), undefined);
  assert.notEqual(findGpuKernel('RoundToFloat16', ENGINE_DOMAIN), undefined);
  assert.equal(findOpModule('RoundToFloat16'), undefined);
  assert.equal(findOpModule('RoundToFloat16', 'ai.onnx'), undefined);
  assert.equal(findGpuKernel('RoundToFloat16'), undefined);
});
