import type { TensorData } from '../core/ir.js';
import type { ValueType } from '../ops/kernel/op-module.js';
import type { PlannedStep, StaticGraph } from './specialize.js';

/**
 * A mutable view of a StaticGraph for rewrite passes: steps can be replaced or removed, and consumer counts
 * are kept so a pass can tell whether a value has exactly one user.
 */
export class GraphEditor {
  readonly steps: (PlannedStep | null)[];
  readonly constants: Map<string, TensorData>;
  private readonly outputs: ReadonlySet<string>;
  /** Every value name the graph uses or a pass has added: a new value must not take one (see freshName). */
  private readonly taken: Set<string>;

  constructor(private readonly graph: StaticGraph) {
    this.steps = [...graph.steps];
    this.constants = new Map(graph.constants);
    this.outputs = new Set(graph.outputs);
    this.taken = new Set([...graph.types.keys(), ...graph.constants.keys(), ...graph.outputs, ...graph.inputs.map((v) => v.name)]);
    for (const s of graph.steps) for (const n of [...s.inputs, ...s.outputs]) if (n !== '') this.taken.add(n);
  }

  /**
   * `base`, or `base` with the first numeric suffix that is free: a name the file already uses for another value
   * (ONNX names are free text) would otherwise make the new value replace that one for all its readers.
   */
  freshName(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  isGraphOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  /** Indices of live steps reading `name`. */
  consumers(name: string): number[] {
    const found: number[] = [];
    this.steps.forEach((s, i) => { if (s && s.inputs.includes(name)) found.push(i); });
    return found;
  }

  /** The single live step reading `name`, when the value is read exactly once and is not a graph output. */
  soleConsumer(name: string): number | undefined {
    if (this.isGraphOutput(name)) return undefined;
    const c = this.consumers(name);
    return c.length === 1 ? c[0] : undefined;
  }

  producer(name: string): number | undefined {
    const i = this.steps.findIndex((s) => s !== null && s.outputs.includes(name));
    return i >= 0 ? i : undefined;
  }

  /** Replaces every read of `from` by `to` in live steps. */
  renameUses(from: string, to: string): void {
    this.steps.forEach((s, i) => {
      if (s && s.inputs.includes(from)) this.steps[i] = { ...s, inputs: s.inputs.map((n) => (n === from ? to : n)) };
    });
  }

  /** The type of a value: a constant's (added ones included) or the specialised graph's. */
  typeOf(name: string): ValueType | undefined {
    const t = this.constants.get(name);
    return t ? { type: t.type, dims: t.dims } : this.graph.types.get(name);
  }

  /** Adds a constant under a fresh name made from `base` (see freshName) and returns that name. */
  addConstant(base: string, value: TensorData): string {
    const name = this.freshName(base);
    this.constants.set(name, value);
    return name;
  }

  result(): StaticGraph {
    const types = new Map(this.graph.types);
    for (const [name, t] of this.constants) types.set(name, { type: t.type, dims: t.dims });
    return { ...this.graph, steps: this.steps.filter((s): s is PlannedStep => s !== null), constants: this.constants, types };
  }
}
