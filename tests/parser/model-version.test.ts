/**
 * A file newer than the engine (IR version, ai.onnx opset) is refused at load with ModelVersionError, as
 * onnxruntime refuses it; the real genderage head re-encoded with only its version fields changed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { ModelVersionError } from '../../src/core/errors.js';
import { MAX_AI_ONNX_OPSET, MAX_IR_VERSION, parseModel } from '../../src/parser/decode-model.js';
import { getModel } from '../../src/pipeline/model-zoo.js';
import { InferenceSession } from '../../src/session/session.js';

const { onnx } = onnxProto;
const FILE = new URL('../../../shared/models/tiny_genderage.onnx', import.meta.url);
const original = readFileSync(FILE);

/** The file with its IR version and/or opset imports replaced, everything else as it was. */
function reencoded(change: { irVersion?: number; opsets?: Record<string, number> }): Uint8Array {
  const proto = onnx.ModelProto.decode(original);
  if (change.irVersion !== undefined) proto.irVersion = change.irVersion;
  if (change.opsets) proto.opsetImport = Object.entries(change.opsets).map(([domain, version]) => onnx.OperatorSetIdProto.create({ domain, version }));
  return onnx.ModelProto.encode(proto).finish();
}

function refusal(domain: string, version: number, supported: number): (error: unknown) => boolean {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ModelVersionError, String(error));
    assert.equal(error.code, 'MODEL_VERSION');
    assert.equal(error.domain, domain);
    assert.equal(error.version, version);
    assert.equal(error.supported, supported);
    // The message names the model (its graph name as the file gives it), the domain, the version and our maximum.
    const graphName = parseModel(original).graph.name;
    assert.ok(graphName !== '' && error.message.includes(`'${graphName}'`), error.message);
    assert.ok(error.message.includes(String(version)) && error.message.includes(String(supported)), error.message);
    if (domain !== 'ir_version') assert.ok(error.message.includes(domain), error.message);
    return true;
  };
}

describe('model versions newer than the engine', () => {
  test('the original file and the newest supported versions load', async () => {
    assert.equal(parseModel(original).graph.nodes.length > 0, true);
    const newest = reencoded({ irVersion: MAX_IR_VERSION, opsets: { '': MAX_AI_ONNX_OPSET } });
    const model = parseModel(newest);
    assert.equal(model.irVersion, MAX_IR_VERSION);
    assert.equal(model.opsetImports.get(''), MAX_AI_ONNX_OPSET);
    const session = await InferenceSession.create(newest, { backend: 'cpu' });
    await session.release();
  });

  test('ai.onnx opset 99 is refused by parseModel, InferenceSession.create and getModel', async () => {
    const bytes = reencoded({ opsets: { '': 99 } });
    assert.throws(() => parseModel(bytes), refusal('ai.onnx', 99, MAX_AI_ONNX_OPSET));
    await assert.rejects(InferenceSession.create(bytes, { backend: 'cpu' }), refusal('ai.onnx', 99, MAX_AI_ONNX_OPSET));
    await assert.rejects(getModel(bytes, { backend: 'cpu' }), refusal('ai.onnx', 99, MAX_AI_ONNX_OPSET));
  });

  test('the default domain spelt ai.onnx, and the first opset past the bound, are refused too', () => {
    assert.throws(() => parseModel(reencoded({ opsets: { 'ai.onnx': 99 } })), refusal('ai.onnx', 99, MAX_AI_ONNX_OPSET));
    assert.throws(() => parseModel(reencoded({ opsets: { '': MAX_AI_ONNX_OPSET + 1 } })), refusal('ai.onnx', MAX_AI_ONNX_OPSET + 1, MAX_AI_ONNX_OPSET));
  });

  test('IR version 99 is refused', async () => {
    const bytes = reencoded({ irVersion: 99 });
    assert.throws(() => parseModel(bytes), refusal('ir_version', 99, MAX_IR_VERSION));
    await assert.rejects(InferenceSession.create(bytes, { backend: 'cpu' }), refusal('ir_version', 99, MAX_IR_VERSION));
    assert.throws(() => parseModel(reencoded({ irVersion: MAX_IR_VERSION + 1 })), refusal('ir_version', MAX_IR_VERSION + 1, MAX_IR_VERSION));
  });

  test('a high opset of another domain is left to the op check (no op of it runs here)', () => {
    const model = parseModel(reencoded({ opsets: { '': 11, 'com.example': 99 } }));
    assert.equal(model.opsetImports.get('com.example'), 99);
  });
});
