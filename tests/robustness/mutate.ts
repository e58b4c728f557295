/**
 * Seeded mutations of an ONNX file. Byte-level ones (truncation, byte/bit flips, corrupted length prefixes and
 * varints, inserted/deleted chunks) mostly exercise the protobuf decoder; tree-level ones re-encode consistently so
 * the file still decodes and the damage reaches the parser's checks and the ops' resolve functions (zeroed, negative or
 * inflated dims, wrong dtypes, odd attribute values, swapped op types, rewired or deleted nodes and initializers).
 * Mutations aim at the file's structure, not only its weights, which are >95% of the bytes but rarely matter.
 */
import { encodeVarint, encodeWire, parseWire, walk, type WireNode, type WireSites } from './wire.js';

/** mulberry32: small, fast, good enough for choosing mutations; the seed makes every case reproducible. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Mutant {
  readonly bytes: Uint8Array;
  /** What was done, for the failure message of a case that breaks. */
  readonly description: string;
}

type Message = WireNode & { kind: 'message' };

/** The original file, parsed once; every mutant starts from it. */
export class Mutator {
  private readonly root: Message;
  private readonly sites: WireSites;
  /** [start, end) ranges of the file outside weight payloads, and their total length. */
  private readonly structure: [number, number][] = [];
  private readonly structureBytes: number;
  private readonly messages: { node: Message; parent: Message }[] = [];
  private readonly leaves: { node: WireNode; parent: Message }[] = [];
  private readonly valueNames: string[];

  private readonly original: Uint8Array;

  constructor(file: Uint8Array, private readonly opTypes: readonly string[]) {
    // A plain Uint8Array copy: Buffer#slice returns a view, which would let one mutant corrupt the next.
    const original = new Uint8Array(file);
    this.original = original;
    const { root, sites } = parseWire(original);
    this.root = root;
    this.sites = sites;
    let cursor = 0;
    for (const [start, end] of [...sites.payloads].sort((a, b) => a[0] - b[0])) {
      if (start > cursor) this.structure.push([cursor, start]);
      cursor = Math.max(cursor, end);
    }
    if (cursor < original.length) this.structure.push([cursor, original.length]);
    this.structureBytes = this.structure.reduce((a, [s, e]) => a + e - s, 0);
    for (const entry of walk(root)) {
      if (entry.node.kind === 'message') this.messages.push({ node: entry.node, parent: entry.parent });
      else this.leaves.push(entry);
    }
    const names = new Set<string>();
    for (const { node, parent } of this.leaves) {
      if (node.kind === 'bytes' && parent.type === 'Node' && (node.field === 1 || node.field === 2)) names.add(text(node.bytes));
    }
    this.valueNames = [...names].filter((n) => n !== '');
  }

  /** Mutant number `index` of the stream seeded by `seed` (independent of the other indices). */
  mutate(seed: number, index: number): Mutant {
    const rng = createRng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const kinds: [number, (r: () => number) => Mutant | undefined][] = [
      [8, (r) => this.truncate(r)],
      [8, (r) => this.flipBytes(r)],
      [5, (r) => this.flipBits(r)],
      [8, (r) => this.corruptLength(r)],
      [6, (r) => this.corruptVarint(r)],
      [4, (r) => this.spliceChunk(r)],
      [12, (r) => this.editDim(r)],
      [6, (r) => this.editDataType(r)],
      [12, (r) => this.editAttribute(r)],
      [8, (r) => this.swapOpType(r)],
      [8, (r) => this.rewireInput(r)],
      [8, (r) => this.deleteChild(r)],
      [3, (r) => this.editOpset(r)],
      [4, (r) => this.damagePayload(r)],
    ];
    const total = kinds.reduce((a, [w]) => a + w, 0);
    for (let attempt = 0; attempt < 8; attempt++) {
      let pick = rng() * total;
      for (const [weight, make] of kinds) {
        pick -= weight;
        if (pick < 0) {
          const m = make(rng);
          if (m) return m;
          break;
        }
      }
    }
    return this.truncate(rng);
  }

  // ---- byte level ----

  /** A position inside the structure 80% of the time, anywhere otherwise. */
  private position(r: () => number): number {
    if (r() < 0.2 || this.structureBytes === 0) return Math.floor(r() * this.original.length);
    let k = Math.floor(r() * this.structureBytes);
    for (const [s, e] of this.structure) {
      if (k < e - s) return s + k;
      k -= e - s;
    }
    return 0;
  }

  private truncate(r: () => number): Mutant {
    const at = r() < 0.5 ? Math.floor(r() * this.original.length) : this.position(r);
    return { bytes: this.original.slice(0, at), description: `truncated to ${at} of ${this.original.length} bytes` };
  }

  private flipBytes(r: () => number): Mutant {
    const bytes = this.original.slice();
    const n = 1 + Math.floor(r() * 4);
    const at: number[] = [];
    for (let i = 0; i < n; i++) { const p = this.position(r); at.push(p); bytes[p] = Math.floor(r() * 256); }
    return { bytes, description: `random bytes at ${at.join(', ')}` };
  }

  private flipBits(r: () => number): Mutant {
    const bytes = this.original.slice();
    const n = 1 + Math.floor(r() * 3);
    const at: string[] = [];
    for (let i = 0; i < n; i++) { const p = this.position(r); const bit = Math.floor(r() * 8); bytes[p]! ^= 1 << bit; at.push(`${p}.${bit}`); }
    return { bytes, description: `bit flips at ${at.join(', ')}` };
  }

  private splice(start: number, end: number, replacement: ArrayLike<number>): Uint8Array {
    const out = new Uint8Array(this.original.length - (end - start) + replacement.length);
    out.set(this.original.subarray(0, start), 0);
    out.set(replacement, start);
    out.set(this.original.subarray(end), start + replacement.length);
    return out;
  }

  private corruptLength(r: () => number): Mutant | undefined {
    const prefixes = this.sites.lengthPrefixes;
    if (prefixes.length === 0) return undefined;
    const [start, end] = prefixes[Math.floor(r() * prefixes.length)]!;
    let old = 0n;
    for (let p = end - 1; p >= start; p--) old = (old << 7n) | BigInt(this.original[p]! & 0x7f);
    const choices = [0n, old + 1n, old - 1n, old + BigInt(1 + Math.floor(r() * 64)), old * 2n, old / 2n, 0x7fffffffn, 0x100000005n, (1n << 64n) - 1n, BigInt(Math.floor(r() * 2 ** 40))];
    const value = BigInt.asUintN(64, choices[Math.floor(r() * choices.length)]!);
    return { bytes: this.splice(start, end, encodeVarint(value)), description: `length prefix at ${start}: ${old} → ${value}` };
  }

  private corruptVarint(r: () => number): Mutant | undefined {
    const varints = this.sites.varints;
    if (varints.length === 0) return undefined;
    const [start, end] = varints[Math.floor(r() * varints.length)]!;
    if (r() < 0.3) {
      // Unterminated: set the continuation bit on it and the bytes after it.
      const bytes = this.original.slice();
      const n = Math.min(bytes.length - start, end - start + Math.floor(r() * 12));
      for (let p = start; p < start + n; p++) bytes[p]! |= 0x80;
      return { bytes, description: `unterminated varint at ${start} (${n} bytes with the continuation bit)` };
    }
    const value = [0n, 1n, (1n << 64n) - 1n, 1n << 63n, BigInt(Math.floor(r() * 2 ** 32)), BigInt(Math.floor(r() * 300))][Math.floor(r() * 6)]!;
    return { bytes: this.splice(start, end, encodeVarint(value)), description: `varint at ${start} replaced by ${value}` };
  }

  private spliceChunk(r: () => number): Mutant {
    const start = this.position(r);
    const length = 1 + Math.floor(r() * 32);
    if (r() < 0.5) return { bytes: this.splice(start, Math.min(this.original.length, start + length), []), description: `deleted ${length} bytes at ${start}` };
    const chunk = Array.from({ length }, () => Math.floor(r() * 256));
    return { bytes: this.splice(start, start, chunk), description: `inserted ${length} random bytes at ${start}` };
  }

  // ---- tree level: edit in place, encode, restore ----

  private withEdit(apply: () => () => void, description: string): Mutant {
    const restore = apply();
    try {
      return { bytes: encodeWire(this.root), description };
    } finally {
      restore();
    }
  }

  private pickLeaf(r: () => number, accept: (n: WireNode, parent: Message) => boolean): { node: WireNode; parent: Message } | undefined {
    const matches = this.leaves.filter(({ node, parent }) => accept(node, parent));
    return matches.length ? matches[Math.floor(r() * matches.length)] : undefined;
  }

  /** Sets a varint leaf (or one element of a packed leaf) with a given role. */
  private editVarint(r: () => number, roles: readonly string[], values: (old: bigint) => bigint[], what: string): Mutant | undefined {
    const hit = this.pickLeaf(r, (n) => (n.kind === 'varint' || n.kind === 'packed') && roles.includes(n.role));
    if (!hit) return undefined;
    const node = hit.node as WireNode & { kind: 'varint' | 'packed' };
    const slot = node.kind === 'packed' ? Math.floor(r() * Math.max(1, node.values.length)) : 0;
    const old = node.kind === 'varint' ? node.value : node.values[slot] ?? 0n;
    const options = values(BigInt.asIntN(64, old));
    const value = options[Math.floor(r() * options.length)]!;
    return this.withEdit(() => {
      if (node.kind === 'varint') { node.value = BigInt.asUintN(64, value); return () => { node.value = old; }; }
      const saved = [...node.values];
      if (node.values.length === 0) node.values.push(BigInt.asUintN(64, value));
      else node.values[slot] = BigInt.asUintN(64, value);
      return () => { node.values = saved; };
    }, `${what} ${BigInt.asIntN(64, old)} → ${value} (in ${hit.parent.type})`);
  }

  private editDim(r: () => number): Mutant | undefined {
    return this.editVarint(r, ['dim'], (old) => [0n, 1n, -1n, -7n, old * 2n, old + 1n, old * 1000n, 1n << 20n, 1n << 31n, 1n << 40n, 1n << 62n], 'dim');
  }

  private editDataType(r: () => number): Mutant | undefined {
    return this.editVarint(r, ['data-type', 'elem-type', 'attr-type', 'data-location'], () => [0n, 1n, 2n, 6n, 7n, 8n, 9n, 10n, 11n, 14n, 16n, 17n, 25n, 1000n], 'type code');
  }

  private editAttribute(r: () => number): Mutant | undefined {
    if (r() < 0.3) {
      // A float attribute (alpha, epsilon, scales…): fixed32 leaves inside an Attribute.
      const hit = this.pickLeaf(r, (n, p) => n.kind === 'fixed' && p.type === 'Attribute' && n.wire === 5);
      if (hit) {
        const node = hit.node as WireNode & { kind: 'fixed' };
        const value = [NaN, Infinity, -Infinity, 0, -1, 1e30, -1e-30, 3.5][Math.floor(r() * 8)]!;
        const old = node.bytes;
        return this.withEdit(() => {
          const b = new Uint8Array(4);
          new DataView(b.buffer).setFloat32(0, value, true);
          node.bytes = b;
          return () => { node.bytes = old; };
        }, `float attribute → ${value}`);
      }
    }
    if (r() < 0.2) {
      const hit = this.pickLeaf(r, (n, p) => n.kind === 'bytes' && p.type === 'Attribute' && (n.field === 1 || n.field === 4));
      if (hit) return this.replaceBytes(hit.node as WireNode & { kind: 'bytes' }, ['', 'pads', 'axis', 'NOTSET', 'SAME_LOWER', 'VALID', 'cubic', 'bogus', '\u0000\uffff'][Math.floor(r() * 9)]!, `attribute ${hit.node.field === 1 ? 'name' : 'string'}`);
    }
    return this.editVarint(r, ['attr-int', 'attr-ints'], (old) => [0n, 1n, -1n, 2n, 3n, 7n, -2n, old + 1n, old - 1n, old * 100n, 1n << 31n, -(1n << 62n), 1n << 40n], 'int attribute');
  }

  private replaceBytes(node: WireNode & { kind: 'bytes' }, value: string, what: string): Mutant {
    const old = node.bytes;
    return this.withEdit(() => { node.bytes = new TextEncoder().encode(value); return () => { node.bytes = old; }; }, `${what} '${text(old)}' → '${value}'`);
  }

  private swapOpType(r: () => number): Mutant | undefined {
    const hit = this.pickLeaf(r, (n, p) => n.kind === 'bytes' && p.type === 'Node' && n.field === 4);
    if (!hit) return undefined;
    const choices = [...this.opTypes, 'NotAnOp', 'Loop', 'If', ''];
    return this.replaceBytes(hit.node as WireNode & { kind: 'bytes' }, choices[Math.floor(r() * choices.length)]!, 'op_type');
  }

  private rewireInput(r: () => number): Mutant | undefined {
    const hit = this.pickLeaf(r, (n, p) => n.kind === 'bytes' && p.type === 'Node' && (n.field === 1 || (n.field === 2 && r() < 0.3)));
    if (!hit) return undefined;
    const name = r() < 0.2 ? `missing_${Math.floor(r() * 1000)}` : r() < 0.1 ? '' : this.valueNames[Math.floor(r() * this.valueNames.length)] ?? '';
    return this.replaceBytes(hit.node as WireNode & { kind: 'bytes' }, name, `node ${hit.node.field === 1 ? 'input' : 'output'}`);
  }

  private deleteChild(r: () => number): Mutant | undefined {
    const parents = this.messages.filter(({ node }) => node.children.length > 0);
    if (parents.length === 0) return undefined;
    // Prefer the graph's own lists (nodes, initializers, inputs, outputs): deleting those breaks the most wiring.
    const graphs = parents.filter(({ node }) => node.type === 'Graph');
    const pool = r() < 0.5 && graphs.length > 0 ? graphs : parents;
    const { node: parent } = pool[Math.floor(r() * pool.length)]!;
    const i = Math.floor(r() * parent.children.length);
    const removed = parent.children[i]!;
    return this.withEdit(() => {
      parent.children.splice(i, 1);
      return () => { parent.children.splice(i, 0, removed); };
    }, `deleted field ${removed.field} (${removed.kind === 'message' ? removed.type : removed.kind}) #${i} of a ${parent.type}`);
  }

  private editOpset(r: () => number): Mutant | undefined {
    return this.editVarint(r, ['opset'], () => [0n, 1n, 6n, 9n, 10n, 12n, 13n, 18n, 99n, -1n], 'opset version');
  }

  /** Makes a weight payload disagree with its dims (drops or adds bytes). */
  private damagePayload(r: () => number): Mutant | undefined {
    const hit = this.pickLeaf(r, (n) => n.kind === 'bytes' && n.role === 'raw-data' && n.bytes.length > 0);
    if (!hit) return undefined;
    const node = hit.node as WireNode & { kind: 'bytes' };
    const delta = [-1, -4, 4, 3, -node.bytes.length][Math.floor(r() * 5)]!;
    const old = node.bytes;
    return this.withEdit(() => {
      const next = new Uint8Array(Math.max(0, old.length + delta));
      next.set(old.subarray(0, Math.min(old.length, next.length)));
      node.bytes = next;
      return () => { node.bytes = old; };
    }, `raw_data of ${old.length} bytes resized by ${delta}`);
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
