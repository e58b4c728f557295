/**
 * The ONNX project's operator ("node") tests from Debian's libonnx-testdata, run through InferenceSession on any
 * backend. The case list and runner are backend-independent so the WebGPU suite runs exactly the same cases.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { InsightGpuError, UnsupportedOpError } from '../../src/core/errors.js';
import type { DataType, TensorData } from '../../src/core/ir.js';
import { supportedOpTypes } from '../../src/ops/registry.js';
import { InferenceSession, type SessionOptions } from '../../src/session/session.js';
import { compareTensors } from './compare.js';
import { DIVERGENCES, EXCLUSIONS, type Divergence, type Exclusion } from './exclusions.js';
import { readTensorFile } from './tensor-file.js';

const { onnx } = onnxProto;

export const DEFAULT_TESTDATA_DIR = process.env['ONNX_TESTDATA_DIR'] ?? '/usr/share/libonnx-testdata/data/node';

/** The test data are a hard prerequisite: a missing directory is a setup failure, never a silent skip. */
export class TestDataMissingError extends Error {
  constructor(readonly dir: string) {
    super(`ONNX node test data not found at ${dir}: install Debian's libonnx-testdata ` +
      '(apt-get install libonnx-testdata; .ci/run does this) or point ONNX_TESTDATA_DIR at a copy of onnx/backend/test/data/node');
    this.name = 'TestDataMissingError';
  }
}

export interface ConformanceCase {
  /** Directory name, e.g. test_conv_with_strides_padding. */
  readonly name: string;
  readonly dir: string;
  /** The registry op type this case exercises. */
  readonly op: string;
  /** Every op type its model uses (all of them ours). */
  readonly opTypes: readonly string[];
  /** test_data_set_N directories. */
  readonly dataSets: readonly string[];
  /** Present when the case is out of scope; the runner then checks that it is refused with a typed error. */
  readonly exclusion: Exclusion | undefined;
  /** Present when the engine follows onnxruntime where it disagrees with the expected data; checked against both. */
  readonly divergence: Divergence | undefined;
}

/** Test-name spellings that differ from the op type (the name's leading words, underscores removed). */
const NAME_ALIASES: Readonly<Record<string, string>> = {
  batchnorm: 'BatchNormalization', lessequal: 'LessOrEqual', greaterequal: 'GreaterOrEqual',
};

/**
 * The op a case tests, from the test's leading words (test_hardswish_expanded → HardSwish); a single-op model whose
 * name spells the op differently (test_training_dropout, test_less_equal) is attributed to its only op. Returns
 * undefined for cases of ops we do not claim, e.g. test_celu_expanded or test_castlike_*_expanded, whose bodies
 * happen to use only our ops.
 */
function opOfCase(name: string, opTypes: readonly string[], ours: ReadonlySet<string>): string | undefined {
  const words = name.replace(/^test_/, '').replace(/_expanded$/, '').split('_');
  const byKey = new Map([...ours].map((op) => [op.toLowerCase(), op]));
  for (let k = words.length; k >= 1; k--) {
    const key = words.slice(0, k).join('').toLowerCase();
    const op = byKey.get(key) ?? NAME_ALIASES[key];
    // An expansion spells the op out in other ops, so only its name says which op it tests.
    if (op !== undefined && (opTypes.includes(op) || name.endsWith('_expanded'))) return op;
  }
  if (name.endsWith('_expanded') || opTypes.length !== 1) return undefined;
  return opTypes[0];
}

/** Op types of a model file, read with the protobuf decoder directly so a parser bug cannot hide a case. */
function modelOpTypes(path: string): string[] {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const types = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    const domain = node.domain ?? '';
    types.add(domain === '' || domain === 'ai.onnx' ? node.opType ?? '' : `${domain}.${node.opType}`);
  }
  return [...types];
}

/** Every node case whose model uses only ops in our registry, attributed to the op it tests. */
export function listConformanceCases(dir: string = DEFAULT_TESTDATA_DIR): ConformanceCase[] {
  if (!existsSync(dir)) throw new TestDataMissingError(dir);
  const ours = new Set(supportedOpTypes());
  const cases: ConformanceCase[] = [];
  for (const name of readdirSync(dir).sort()) {
    const caseDir = join(dir, name);
    const modelPath = join(caseDir, 'model.onnx');
    if (!existsSync(modelPath)) continue;
    const opTypes = modelOpTypes(modelPath);
    if (opTypes.length === 0 || !opTypes.every((t) => ours.has(t))) continue;
    const op = opOfCase(name, opTypes, ours);
    if (op === undefined) continue;
    const dataSets = readdirSync(caseDir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => join(caseDir, d));
    cases.push({ name, dir: caseDir, op, opTypes, dataSets, exclusion: EXCLUSIONS[name], divergence: DIVERGENCES[name] });
  }
  if (cases.length === 0) throw new TestDataMissingError(`${dir} (no usable cases in it)`);
  return cases;
}

export type CaseStatus =
  /** Every output of every data set matched. */
  | 'passed'
  /** An excluded case was refused with the expected typed error. */
  | 'excluded'
  /** A divergent case matched onnxruntime-node and still differs from the expected data. */
  | 'diverged'
  | 'failed';

export interface CaseOutcome {
  readonly name: string;
  readonly op: string;
  readonly status: CaseStatus;
  /** Why it failed, or the error an excluded case was refused with. */
  readonly detail: string;
  readonly ms: number;
}

/** `input_K.pb` files of a data set in K order. */
function numbered(dataSet: string, prefix: 'input' | 'output'): string[] {
  return readdirSync(dataSet)
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)))
    .map((f) => join(dataSet, f));
}

/**
 * Inputs the engine needs at load time because they decide shapes or select the formula (target shapes, axes,
 * scales/sizes, slice bounds, pads and Pad's fill, reduction axes, Clip bounds, Dropout's training flag). Real models
 * hold them as initializers or Constant outputs; many node tests feed them as graph inputs instead. The engine refuses
 * those models with UnsupportedOpError (checked), and the case is then run with those values moved into the model as
 * initializers.
 */
export const LOAD_TIME_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Squeeze: [1], Unsqueeze: [1], Slice: [1, 2, 3, 4], Resize: [1, 2, 3], Upsample: [1],
  Clip: [1, 2], ConstantOfShape: [0], Dropout: [1, 2], Pad: [1, 2, 3], Split: [1], Expand: [1], Tile: [1],
  // Reduce* take their axes as an input from opset 13 (ReduceSum) or 18 (the others).
  ...Object.fromEntries(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'SumSquare', 'L1', 'L2', 'LogSum', 'LogSumExp'].map((k) => [`Reduce${k}`, [1]])),
};

function loadTimeGraphInputs(model: OnnxTypes.ModelProto): Set<string> {
  const graphInputs = new Set((model.graph?.input ?? []).map((v) => v.name ?? ''));
  const names = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    for (const k of LOAD_TIME_INPUTS[node.opType ?? ''] ?? []) {
      const name = node.input?.[k];
      if (name && graphInputs.has(name)) names.add(name);
    }
  }
  return names;
}

/** The model with the named graph inputs turned into initializers holding this data set's values. */
function bakeInputs(model: OnnxTypes.ModelProto, values: ReadonlyMap<string, OnnxTypes.TensorProto>): Uint8Array {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph!;
  graph.input = (graph.input ?? []).filter((v) => !values.has(v.name ?? ''));
  graph.initializer = [...(graph.initializer ?? []), ...[...values].map(([name, proto]) => onnx.TensorProto.create({ ...proto, name }))];
  return onnx.ModelProto.encode(copy).finish();
}

class ConformanceMismatch extends Error {
  override readonly name = 'ConformanceMismatch';
}

/** onnxruntime-node's outputs for `bytes` and `feeds`, in the model's output order. */
async function onnxruntimeOutputs(bytes: Uint8Array, feeds: Readonly<Record<string, TensorData>>, names: readonly string[]): Promise<TensorData[]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims)]));
    const results = await session.run(ortFeeds);
    return names.map((n) => {
      const t = results[n]!;
      return { type: t.type as DataType, dims: [...t.dims], data: t.data } as TensorData;
    });
  } finally {
    await session.release();
  }
}

/**
 * Runs every data set of a case on `modelBytes`; with `bake`, those inputs become initializers per data set. A
 * divergent case's outputs must match onnxruntime-node's, and at least one must still differ from the expected data.
 */
async function runDataSets(c: ConformanceCase, model: OnnxTypes.ModelProto, modelBytes: Uint8Array, bake: ReadonlySet<string>, options: SessionOptions): Promise<void> {
  const inputOrder = (model.graph?.input ?? []).map((v) => v.name ?? '');
  // Load before reading any data file, so a model the engine refuses is reported as such.
  let shared = bake.size === 0 ? await InferenceSession.create(modelBytes, options) : undefined;
  let differsFromExpected = false;
  try {
    for (const dataSet of c.dataSets) {
      const feeds: Record<string, TensorData> = {};
      const baked = new Map<string, OnnxTypes.TensorProto>();
      numbered(dataSet, 'input').forEach((file, k) => {
        const { name, tensor, proto } = readTensorFile(file);
        // Files name their input; the position among the declared inputs is the fallback.
        const input = inputOrder.includes(name) ? name : inputOrder[k] ?? name;
        if (bake.has(input)) baked.set(input, proto);
        else feeds[input] = tensor;
      });
      const bytes = bake.size > 0 ? bakeInputs(model, baked) : modelBytes;
      const session = bake.size > 0 ? await InferenceSession.create(bytes, options) : (shared ??= await InferenceSession.create(bytes, options));
      try {
        const results = await session.run(feeds);
        const outputs = numbered(dataSet, 'output');
        if (outputs.length !== session.outputNames.length) {
          throw new ConformanceMismatch(`${outputs.length} expected outputs, the model declares ${session.outputNames.length}`);
        }
        const peer = c.divergence ? await onnxruntimeOutputs(bytes, feeds, session.outputNames) : undefined;
        outputs.forEach((file, k) => {
          const name = session.outputNames[k]!;
          const problem = compareTensors(results[name]!, readTensorFile(file).tensor);
          const where = `${dataSet.slice(c.dir.length + 1)} output '${name}'`;
          if (!peer) {
            if (problem) throw new ConformanceMismatch(`${where}: ${problem}`);
            return;
          }
          if (problem) differsFromExpected = true;
          const fromPeer = compareTensors(results[name]!, peer[k]!);
          if (fromPeer) throw new ConformanceMismatch(`${where} (diverges to onnxruntime: ${c.divergence!.reason}) differs from onnxruntime-node's: ${fromPeer}`);
        });
      } finally {
        if (session !== shared) await session.release();
      }
    }
    if (c.divergence && !differsFromExpected) {
      throw new ConformanceMismatch(`listed as diverging to onnxruntime (${c.divergence.reason}) but every output matches the expected data: remove it from DIVERGENCES`);
    }
  } finally {
    await shared?.release();
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs one case. Never throws: every problem becomes a 'failed' outcome with its reason. Cases whose load-time
 * inputs arrive as graph inputs must first be refused with UnsupportedOpError, then pass with them baked in.
 */
export async function runConformanceCase(c: ConformanceCase, options: SessionOptions): Promise<CaseOutcome> {
  const start = performance.now();
  const outcome = (status: CaseStatus, detail: string): CaseOutcome => ({ name: c.name, op: c.op, status, detail, ms: performance.now() - start });
  const modelBytes = readFileSync(join(c.dir, 'model.onnx'));
  const model = onnx.ModelProto.decode(modelBytes);
  const bake = loadTimeGraphInputs(model);
  let note = '';
  let error: unknown;
  try {
    try {
      await runDataSets(c, model, modelBytes, new Set(), options);
    } catch (refusal) {
      // Only a clean refusal of runtime load-time inputs earns a second run with them baked in.
      if (bake.size === 0 || !(refusal instanceof UnsupportedOpError)) throw refusal;
      note = ` [refused with ${[...bake].join(', ')} as runtime inputs; run with them baked in as initializers]`;
      await runDataSets(c, model, modelBytes, bake, options);
    }
  } catch (e) {
    error = e;
  }
  if (c.exclusion === undefined) {
    if (error !== undefined) return outcome('failed', describeError(error) + note);
    return c.divergence ? outcome('diverged', `matches onnxruntime-node, not the expected data (${c.divergence.reason})${note}`) : outcome('passed', note.trim());
  }
  if (error === undefined) return outcome('failed', `excluded (${c.exclusion.reason}) but it passes: remove it from the exclusion table`);
  const expected = c.exclusion.refusedWith === 'UnsupportedOpError' ? UnsupportedOpError : InsightGpuError;
  if (!(error instanceof expected)) {
    return outcome('failed', `excluded (${c.exclusion.reason}), so it must be refused with ${c.exclusion.refusedWith}; got ${describeError(error)}`);
  }
  return outcome('excluded', describeError(error) + note);
}

export async function runConformance(cases: readonly ConformanceCase[], options: SessionOptions): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  for (const c of cases) outcomes.push(await runConformanceCase(c, options));
  return outcomes;
}

export interface OpSummary {
  readonly op: string;
  readonly passed: number;
  readonly total: number;
  readonly excluded: number;
  readonly diverged: number;
  readonly failed: readonly CaseOutcome[];
}

export function summarizeByOp(outcomes: readonly CaseOutcome[]): OpSummary[] {
  const byOp = new Map<string, CaseOutcome[]>();
  for (const o of outcomes) byOp.set(o.op, [...(byOp.get(o.op) ?? []), o]);
  return [...byOp.keys()].sort().map((op) => {
    const list = byOp.get(op)!;
    return {
      op, total: list.length,
      passed: list.filter((o) => o.status === 'passed').length,
      excluded: list.filter((o) => o.status === 'excluded').length,
      diverged: list.filter((o) => o.status === 'diverged').length,
      failed: list.filter((o) => o.status === 'failed'),
    };
  });
}

/** "op: passed/total (excluded n)" per op, laid out in columns to keep the test log short. */
export function formatTable(summaries: readonly OpSummary[], columns = 3): string {
  const cells = summaries.map((s) => `${s.op}: ${s.passed}/${s.total}${s.excluded ? ` (excluded ${s.excluded})` : ''}${s.diverged ? ` (diverged ${s.diverged})` : ''}${s.failed.length ? ` FAILED ${s.failed.length}` : ''}`);
  const width = Math.max(...cells.map((c) => c.length)) + 2;
  const rows: string[] = [];
  const height = Math.ceil(cells.length / columns);
  for (let r = 0; r < height; r++) {
    const row: string[] = [];
    for (let col = 0; col < columns; col++) {
      const cell = cells[col * height + r];
      if (cell !== undefined) row.push(cell.padEnd(width));
    }
    rows.push(row.join('').trimEnd());
  }
  const total = summaries.reduce((a, s) => ({ p: a.p + s.passed, t: a.t + s.total, x: a.x + s.excluded, d: a.d + s.diverged }), { p: 0, t: 0, x: 0, d: 0 });
  rows.push(`all: ${total.p}/${total.t} passed, ${total.x} excluded (out of scope, refused with typed errors), `
    + `${total.d} diverged (match onnxruntime-node where it differs from the expected data), ${total.t - total.p - total.x - total.d} failed`);
  return rows.join('\n');
}
