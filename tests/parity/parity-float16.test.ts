/**
 * Float16 model files on the cpu backend: the forge's float16 variants of mobilefacenet and the INSwapper replica
 * have onnxconverter-common's keep_io_types layout, and run within FLOAT16_BOUNDS of onnxruntime's run of the same
 * file and of the float32 file (~9 s of CPU time, 30 s wall on the shared 2-core box at load 20; most of it the
 * INSwapper's three engines).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { toFloat16Model } from '../../models/forge/float16.js';
import { formatFloat16Row, inswapperCase, mobilefacenetCase, rowsOutOfBounds, runFloat16Parity, type Float16Case } from './float16.js';

/**
 * Checks the float16 file's layout: float32 I/O, a Cast to FLOAT16 after each input, to FLOAT before each output, and
 * float16 weights. That every intermediate value is float16 follows, and onnxruntime checks it: loading the file
 * type-checks every node (a Conv of float16 data with a float32 weight would be refused).
 */
function checkLayout(c: Float16Case, float32Only: readonly string[]): void {
  const conversion = toFloat16Model(c.float32);
  const before = parseModel(c.float32).graph;
  const after = parseModel(conversion.bytes).graph;
  assert.deepEqual(after.inputs.map((v) => `${v.name}:${v.type}`), before.inputs.map((v) => `${v.name}:float32`));
  assert.deepEqual(after.outputs.map((v) => `${v.name}:${v.type}`), before.outputs.map((v) => `${v.name}:float32`));
  const toType = (n: { attributes: ReadonlyMap<string, { kind: string; value?: unknown }> }): unknown => n.attributes.get('to')?.value;
  for (const input of after.inputs) {
    const readers = after.nodes.filter((n) => n.inputs.includes(input.name));
    assert.deepEqual(readers.map((n) => `${n.opType}→${String(toType(n))}`), ['Cast→10'], input.name);
  }
  for (const output of after.outputs) {
    const writer = after.nodes.find((n) => n.outputs.includes(output.name))!;
    assert.equal(`${writer.opType}→${String(toType(writer))}`, 'Cast→1', output.name);
  }
  const float32Left = [...after.initializers].filter(([, t]) => t.type === 'float32').map(([name]) => name);
  assert.deepEqual(float32Left.sort(), [...float32Only].sort(), 'only float32-only inputs keep float32 constants');
  const floatBefore = [...before.initializers.values()].filter((t) => t.type === 'float32').length;
  assert.equal(conversion.initializers, floatBefore - float32Only.length);
  assert.equal(conversion.casts, after.inputs.length + after.outputs.length);
}

describe('float16 model files on the cpu backend', () => {
  it('mobilefacenet: keep_io_types layout, and embeddings within the float16 bounds of onnxruntime and of the float32 model', { timeout: 120_000 }, async () => {
    const c = await mobilefacenetCase();
    checkLayout(c, []);
    const rows = await runFloat16Parity(c, 'cpu');
    console.log(rows.map(formatFloat16Row).join('\n'));
    assert.equal(rows.length, 2);
    assert.deepEqual(rowsOutOfBounds(rows), []);
  });

  it('the INSwapper replica: Resize scales stay float32, and the output is within the float16 bounds', { timeout: 300_000 }, async () => {
    const c = await inswapperCase();
    const resizeScales = parseModel(c.float32).graph.nodes.filter((n) => n.opType === 'Resize').flatMap((n) => n.inputs.slice(1, 3)).filter((n) => n !== '');
    const initializers = parseModel(c.float32).graph.initializers;
    checkLayout(c, [...new Set(resizeScales.filter((n) => initializers.get(n)?.type === 'float32'))]);
    const rows = await runFloat16Parity(c, 'cpu');
    console.log(rows.map(formatFloat16Row).join('\n'));
    assert.equal(rows.length, 2);
    assert.deepEqual(rowsOutOfBounds(rows), []);
  });
});
