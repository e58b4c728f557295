/**
 * The naive model a FaceIndex is checked against: a plain Map of id → embeddings, scored the obvious way (an
 * identity's best row, score descending then id ascending), and a seeded random run of adds, removes, searches and
 * file round trips applied to both. A model score is the documented one, computeSim's formula written out on the
 * float32-normed vectors, so the order is comparable exactly even at k = 1000, where float64 cosines of the raw
 * vectors would reorder near-ties; each score is also held within 1e-6 of that raw float64 cosine.
 */
import assert from 'node:assert/strict';
import { FaceIndex, type SearchHit } from '../../../src/pipeline/identity/index.js';
import type { JsonValue } from '../../../src/pipeline/identity/index.js';
import { seededRandom } from '../helpers.js';

/** id → its raw embeddings and meta, in enrolment order (a Map keeps insertion order). */
export class NaiveIndex {
  readonly people = new Map<string, { rows: Float32Array[]; meta: JsonValue | undefined }>();

  add(id: string, v: Float32Array, meta?: JsonValue): void {
    const p = this.people.get(id);
    if (p) {
      p.rows.push(v);
      if (meta !== undefined) p.meta = meta;
    } else {
      this.people.set(id, { rows: [v], meta });
    }
  }

  remove(id: string): boolean {
    return this.people.delete(id);
  }

  get entries(): number {
    return [...this.people.values()].reduce((s, p) => s + p.rows.length, 0);
  }

  /** Hits with `raw`: the float64 cosine of the raw vectors, for the 1e-6 check. */
  search(q: Float32Array, k: number, threshold = -Infinity): (SearchHit & { raw: number })[] {
    const nq = normed(q);
    return [...this.people].map(([id, p]) => ({
      id, meta: p.meta, score: Math.max(...p.rows.map((r) => similarity(nq, normed(r)))), raw: Math.max(...p.rows.map((r) => cosine(q, r))),
    }))
      .filter((h) => h.score >= threshold)
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, k);
  }
}

/** Divided by its float32 L2 norm, kept as float32 (Face.normed_embedding's rule). */
function normed(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.fround(Math.sqrt(s));
  return v.map((x) => x / n);
}

/** computeSim: float64 sums in index order, the quotient rounded to float32. */
function similarity(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return Math.fround(d / (Math.sqrt(na) * Math.sqrt(nb)));
}

/** The plain float64 cosine. */
function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return d / Math.sqrt(na * nb);
}

/** How a run searches the index under test (sync or async, any backend). */
export type SearchWith = (index: FaceIndex, queries: Float32Array[], k: number, threshold: number | undefined) => SearchHit[][] | Promise<SearchHit[][]>;

/**
 * Same ids, metas and order, and the same scores (the model's are the documented formula's); each within 1e-6 of the
 * raw float64 cosine (the index keeps float32 normed rows and rounds each score to float32: a few 1e-8 at dim 16).
 */
export function assertSameHits(got: SearchHit[][], want: (SearchHit & { raw: number })[][], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, q) => {
    assert.deepEqual(g.map((h) => h.id), want[q]!.map((h) => h.id), `${what}, query ${q}: ids`);
    assert.deepEqual(g.map((h) => h.meta), want[q]!.map((h) => h.meta), `${what}, query ${q}: meta`);
    assert.deepEqual(g.map((h) => h.score), want[q]!.map((h) => h.score), `${what}, query ${q}: scores`);
    g.forEach((h, i) => assert.ok(Math.abs(h.score - want[q]![i]!.raw) <= 1e-6, `${what}, query ${q}, hit ${i}: ${h.score} vs cosine ${want[q]![i]!.raw}`));
  });
}

/** What a random run does: its seed, dim, rows added before the random steps, and the steps. */
export interface ModelRun {
  seed: number;
  dim: number;
  /** Rows added first (ids p0…, two or three rows each), so threads have ranges to split. */
  initialRows: number;
  steps: number;
  search: SearchWith;
}

/**
 * Applies the same seeded operations to `index` and a NaiveIndex, checking after each that they agree: searches
 * (random k, sometimes a threshold, queries that repeat stored vectors and planted duplicates, so ties by id occur),
 * sizes, enrolment order, and every few steps a file round trip (the reloaded index answers the same, and writes
 * the same bytes).
 */
export async function runAgainstModel(index: FaceIndex, run: ModelRun): Promise<{ adds: number; removes: number; searches: number }> {
  const rand = seededRandom(run.seed);
  const model = new NaiveIndex();
  const vector = (): Float32Array => Float32Array.from({ length: run.dim }, () => rand() * 2 - 1);
  const stored: Float32Array[] = [];
  let fresh = 0;
  const counts = { adds: 0, removes: 0, searches: 0 };
  const add = (id: string, v: Float32Array, meta?: JsonValue): void => {
    index.add(id, v, meta);
    model.add(id, v, meta);
    stored.push(v);
    counts.adds++;
  };
  const pick = (): string | undefined => {
    const ids = [...model.people.keys()];
    return ids.length === 0 ? undefined : ids[Math.floor(rand() * ids.length)]!;
  };
  for (let r = 0; r < run.initialRows; r++) add(`p${Math.floor(r / (2 + (r % 2)))}`, vector(), r % 7 === 0 ? { r } : undefined);
  for (let step = 0; step < run.steps; step++) {
    const u = rand();
    const what = `step ${step}`;
    if (u < 0.3) add(`n${fresh++}`, vector(), { step });
    else if (u < 0.4) {
      // A duplicate of a stored vector under a new id: an exact tie, ordered by id.
      add(`d${fresh++}`, stored[Math.floor(rand() * stored.length)] ?? vector());
    } else if (u < 0.55) {
      const id = pick();
      if (id !== undefined) add(id, vector(), rand() < 0.5 ? { more: step } : undefined);
    } else if (u < 0.75) {
      const id = rand() < 0.9 ? pick() : `missing${step}`;
      if (id !== undefined) { assert.equal(index.remove(id), model.remove(id), `${what}: remove ${id}`); counts.removes++; }
    } else {
      const queries = [vector(), stored[Math.floor(rand() * stored.length)] ?? vector(), vector()];
      const k = [1, 3, 10, 1000][Math.floor(rand() * 4)]!;
      const threshold = rand() < 0.3 ? rand() * 0.6 - 0.1 : undefined;
      const got = await run.search(index, queries, k, threshold);
      assertSameHits(got, queries.map((q) => model.search(q, k, threshold)), `${what}: k ${k} threshold ${threshold}`);
      counts.searches++;
    }
    assert.equal(index.size, model.people.size, `${what}: size`);
    assert.equal(index.entries, model.entries, `${what}: entries`);
    if (step % 50 === 49 && index.size > 0) {
      assert.deepEqual(index.identities(), [...model.people.keys()], `${what}: enrolment order`);
      const bytes = index.toBytes();
      const loaded = FaceIndex.fromBytes(bytes, { threads: 1 });
      assert.deepEqual(loaded.identities(), index.identities(), `${what}: reloaded order`);
      assert.deepEqual(loaded.toBytes(), bytes, `${what}: the reloaded index writes the same bytes`);
      const queries = [vector(), vector()];
      assert.deepEqual(loaded.searchMany(queries, { k: 10 }), index.searchMany(queries, { k: 10 }), `${what}: reloaded hits`);
    }
  }
  return counts;
}
