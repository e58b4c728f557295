/**
 * Emits nodes the way PyTorch 1.8's ONNX exporter names them, which the real SCRFD and ArcFace files show:
 * nodes are `<OpType>_<k>` with k counting traced nodes (folded Constants leave gaps); values are numbers from
 * one trace counter; a Conv with a folded BatchNorm gets a fresh number after the last traced value for its
 * output, weight and bias; constants become initializers named by their number and identical ones are shared.
 *
 * Names are placeholders while building and resolved by `finish()`, because the real files pin some numbers
 * (det_10g's outputs 448…500, w600k_r50's `683`) that depend on everything traced before them.
 */
import type { AttrValue, ElemType, OnnxGraphBuilder } from './onnx-writer.js';
import { GraphError } from '../../src/core/errors.js';

const TRACED = '\u0001t';
const FOLDED = '\u0001f';

export class TorchExportStyle {
  private traced = 0;
  private folded = 0;
  private nodeIndex = 0;
  private readonly constantsByContent = new Map<string, string>();
  private pin: { token: string; value: number } | undefined;
  /** After `finish()`: the resolved names of folded parameters and of traced constants. */
  readonly foldedNames = new Set<string>();
  readonly constantNames = new Set<string>();
  private readonly constantTokens = new Set<string>();

  constructor(readonly graph: OnnxGraphBuilder) {}

  /** A fresh traced value number (placeholder). */
  tracedValue(): string {
    return `${TRACED}${this.traced++}`;
  }

  /** Skips trace numbers taken by values the exporter later removed (e.g. a conv's output before BN folding). */
  skipTraced(count: number): void {
    this.traced += count;
  }

  /** A name from the folded-parameter counter (numbered after the last traced value). */
  foldedValue(): string {
    return `${FOLDED}${this.folded++}`;
  }

  /** Skips a node index (a Constant node the exporter folded into an initializer). */
  skipNode(): void {
    this.nodeIndex++;
  }

  /** Emits `<opType>_<k>` and returns its single output. */
  node(opType: string, inputs: string[], attributes?: Record<string, AttrValue>, output = this.tracedValue(), elemType: ElemType = 'float32'): string {
    this.graph.addNode({ name: `${opType}_${this.nodeIndex++}`, opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    // The real exports carry no value_info for Resize outputs (their shape inference skipped them).
    if (opType !== 'Resize') this.graph.addValueInfo(output, elemType);
    return output;
  }

  /** A traced Constant folded into an initializer: takes a value number and a node index, shares identical data. */
  constant(type: ElemType, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const token = this.tracedValue();
    this.skipNode();
    const key = `${type}[${dims.join(',')}]:${Array.from(data as ArrayLike<number | bigint>, String).join(',')}`;
    const existing = this.constantsByContent.get(key);
    if (existing !== undefined) return existing;
    this.constantsByContent.set(key, token);
    this.constantTokens.add(token);
    return this.graph.addInitializer(token, type, dims, data);
  }

  /** Asks `finish()` to number the trace so that `token` becomes `value`. */
  pinTraced(token: string, value: number): void {
    this.pin = { token, value };
  }

  /** Resolves placeholder names to numbers and drops value_info of graph outputs. */
  finish(): void {
    let base = 0;
    if (this.pin) {
      if (!this.pin.token.startsWith(TRACED)) throw new GraphError(`pinned value '${this.pin.token}' is not a traced value`);
      base = this.pin.value - Number(this.pin.token.slice(TRACED.length));
    }
    if (base < 0) throw new GraphError('pinned numbering would need negative value numbers');
    const foldedBase = base + this.traced;
    this.graph.renameValues((name) => {
      if (name.startsWith(TRACED)) {
        const resolved = String(base + Number(name.slice(TRACED.length)));
        if (this.constantTokens.has(name)) this.constantNames.add(resolved);
        return resolved;
      }
      if (name.startsWith(FOLDED)) {
        const resolved = String(foldedBase + Number(name.slice(FOLDED.length)));
        this.foldedNames.add(resolved);
        return resolved;
      }
      return name;
    });
    const outputs = new Set(this.graph.outputs.map((o) => o.name));
    const kept = this.graph.valueInfo.filter((v) => !outputs.has(v.name));
    this.graph.valueInfo.length = 0;
    this.graph.valueInfo.push(...kept);
  }

  /**
   * Puts initializers in the exporter's order: named parameters (in the order `namedRank` gives), then folded
   * parameters, then constants, numbers ascending. Call after `finish()`.
   */
  sortInitializers(namedRank: (name: string) => number): void {
    const group = (name: string): number => (this.foldedNames.has(name) ? 1 : this.constantNames.has(name) ? 2 : 0);
    this.graph.sortInitializers((a, b) => {
      const ga = group(a.name);
      const gb = group(b.name);
      if (ga !== gb) return ga - gb;
      if (ga === 0) return namedRank(a.name) - namedRank(b.name);
      return Number(a.name) - Number(b.name);
    });
  }
}
