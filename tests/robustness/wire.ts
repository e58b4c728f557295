/**
 * A minimal protobuf wire-format walker for ONNX files, used only to aim mutations: it knows which fields are
 * messages (Model → Graph → Node/Tensor/ValueInfo → …), records where every varint and length prefix sits, and can
 * re-serialise an edited tree with consistent lengths (so a semantic edit, such as an inflated dim, stays decodable).
 */

export type WireNode =
  | { kind: 'varint'; field: number; value: bigint; role: string }
  | { kind: 'fixed'; field: number; wire: 1 | 5; bytes: Uint8Array }
  | { kind: 'bytes'; field: number; bytes: Uint8Array; role: string }
  | { kind: 'packed'; field: number; values: bigint[]; role: string }
  | { kind: 'message'; field: number; type: string; children: WireNode[] };

/** Message types and, per field number, what the field holds. Unlisted fields are kept as opaque leaves. */
const SCHEMA: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  Model: { 7: 'Graph', 8: 'OpsetId' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 5: 'Attribute' },
  Attribute: { 3: 'varint:attr-int', 5: 'Tensor', 6: 'Graph', 8: 'packed:attr-ints', 10: 'Tensor', 20: 'varint:attr-type' },
  Tensor: { 1: 'packed:dim', 2: 'varint:data-type', 5: 'packed:int32-data', 7: 'packed:int64-data', 9: 'bytes:raw-data', 14: 'varint:data-location' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TensorType' },
  TensorType: { 1: 'varint:elem-type', 2: 'Shape' },
  Shape: { 1: 'Dim' },
  Dim: { 1: 'varint:dim' },
  OpsetId: { 2: 'varint:opset' },
};

class WireError extends Error {}

function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= bytes.length) throw new WireError('truncated varint');
    const b = bytes[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, value), pos];
  }
  throw new WireError('varint too long');
}

/** Byte offsets of interest in the original file, for byte-level mutations. */
export interface WireSites {
  /** [start, end) of every varint that is a length prefix. */
  readonly lengthPrefixes: [number, number][];
  /** [start, end) of every other varint (values and tags). */
  readonly varints: [number, number][];
  /** [start, end) of large opaque payloads (weights); the rest of the file is "structure". */
  readonly payloads: [number, number][];
}

export function parseWire(bytes: Uint8Array): { root: WireNode & { kind: 'message' }; sites: WireSites } {
  const sites: WireSites = { lengthPrefixes: [], varints: [], payloads: [] };
  const root = { kind: 'message' as const, field: 0, type: 'Model', children: parseMessage(bytes, 0, bytes.length, 'Model', sites) };
  return { root, sites };
}

function parseMessage(bytes: Uint8Array, start: number, end: number, type: string, sites: WireSites): WireNode[] {
  const schema = SCHEMA[type] ?? {};
  const out: WireNode[] = [];
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    sites.varints.push([tagStart, afterTag]);
    pos = afterTag;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    const what = schema[field] ?? '';
    if (wire === 0) {
      const [value, next] = readVarint(bytes, pos);
      sites.varints.push([pos, next]);
      pos = next;
      const role = what.includes(':') ? what.split(':')[1]! : 'other';
      out.push({ kind: 'varint', field, value, role });
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > end) throw new WireError('truncated fixed field');
      out.push({ kind: 'fixed', field, wire, bytes: bytes.subarray(pos, pos + size) });
      pos += size;
    } else if (wire === 2) {
      const [length, payloadStart] = readVarint(bytes, pos);
      sites.lengthPrefixes.push([pos, payloadStart]);
      const payloadEnd = payloadStart + Number(length);
      if (payloadEnd > end) throw new WireError('length beyond the enclosing message');
      pos = payloadEnd;
      if (what.startsWith('packed:')) {
        const values: bigint[] = [];
        for (let p = payloadStart; p < payloadEnd;) {
          const [v, next] = readVarint(bytes, p);
          sites.varints.push([p, next]);
          values.push(v);
          p = next;
        }
        out.push({ kind: 'packed', field, values, role: what.slice(7) });
      } else if (what !== '' && !what.includes(':')) {
        out.push({ kind: 'message', field, type: what, children: parseMessage(bytes, payloadStart, payloadEnd, what, sites) });
      } else {
        if (payloadEnd - payloadStart > 256) sites.payloads.push([payloadStart, payloadEnd]);
        out.push({ kind: 'bytes', field, bytes: bytes.subarray(payloadStart, payloadEnd), role: what.includes(':') ? what.split(':')[1]! : 'other' });
      }
    } else {
      throw new WireError(`wire type ${wire}`);
    }
  }
  return out;
}

export function encodeVarint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

function varintSize(value: bigint | number): number {
  let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : BigInt(value);
  let n = 1;
  while (v >= 0x80n) { v >>= 7n; n++; }
  return n;
}

/** Payload length of a length-delimited node (cached per encode: nested messages are measured once). */
function bodySize(node: WireNode, cache: Map<WireNode, number>): number {
  const known = cache.get(node);
  if (known !== undefined) return known;
  let n = 0;
  switch (node.kind) {
    case 'bytes': n = node.bytes.length; break;
    case 'packed': for (const v of node.values) n += varintSize(v); break;
    case 'message': for (const c of node.children) n += fieldSize(c, cache); break;
    default: break;
  }
  cache.set(node, n);
  return n;
}

function fieldSize(node: WireNode, cache: Map<WireNode, number>): number {
  const tag = varintSize(node.field << 3);
  switch (node.kind) {
    case 'varint': return tag + varintSize(node.value);
    case 'fixed': return tag + node.bytes.length;
    default: { const body = bodySize(node, cache); return tag + varintSize(body) + body; }
  }
}

/** Serialises a (possibly edited) message tree; the root is written without its own tag and length. */
export function encodeWire(root: WireNode & { kind: 'message' }): Uint8Array {
  const cache = new Map<WireNode, number>();
  const out = new Uint8Array(bodySize(root, cache));
  let pos = 0;
  const putVarint = (value: bigint | number): void => {
    let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : value;
    if (typeof v === 'number') {
      while (v >= 0x80) { out[pos++] = (v & 0x7f) | 0x80; v = Math.floor(v / 128); }
      out[pos++] = v;
      return;
    }
    while (v >= 0x80n) { out[pos++] = Number(v & 0x7fn) | 0x80; v >>= 7n; }
    out[pos++] = Number(v);
  };
  const write = (node: WireNode): void => {
    const wire = node.kind === 'varint' ? 0 : node.kind === 'fixed' ? node.wire : 2;
    putVarint(node.field * 8 + wire);
    switch (node.kind) {
      case 'varint': putVarint(node.value); break;
      case 'fixed': out.set(node.bytes, pos); pos += node.bytes.length; break;
      case 'bytes': putVarint(node.bytes.length); out.set(node.bytes, pos); pos += node.bytes.length; break;
      case 'packed': putVarint(bodySize(node, cache)); for (const v of node.values) putVarint(v); break;
      case 'message': putVarint(bodySize(node, cache)); for (const c of node.children) write(c); break;
    }
  };
  for (const c of root.children) write(c);
  return out;
}

/** Every node of the tree with its parent message, depth first. */
export function* walk(node: WireNode & { kind: 'message' }): Generator<{ node: WireNode; parent: WireNode & { kind: 'message' } }> {
  for (const child of node.children) {
    yield { node: child, parent: node };
    if (child.kind === 'message') yield* walk(child);
  }
}
