/**
 * Runs inside the page (imported through vite by identify.test.ts): IndexedDbIndexStore against chromium's real
 * IndexedDB. It saves, reopens, lists, deletes, then damages stored records through the raw IndexedDB API (the
 * layout the store documents: object stores `files` and `catalog`, keyed by name) and reports what each call
 * gave back, for the Node side to check.
 */
import { FaceIndex, IndexedDbIndexStore, type JsonValue, type SearchHit } from '../../src/pipeline/index.js';

/** What a failed call threw. */
export interface CaughtError {
  readonly name: string;
  readonly code: string | undefined;
  readonly reason: string | undefined;
  readonly message: string;
}

export interface StoreCheckReport {
  /** list() after saving 'alpha' (128-d) and 'beta' (512-d). */
  listed: { name: string; bytes: number; dim: number; identities: number; entries: number }[];
  /** The sizes of the two indexes' own toBytes(), to compare with the listing. */
  sizes: { alpha: number; beta: number };
  /** Whether 'alpha' loaded through a new connection gives back the same bytes and the same search results. */
  sameBytes: boolean;
  searchBefore: SearchHit[][];
  searchAfter: SearchHit[][];
  /** Identities of 'alpha' after it is saved again with one more identity. */
  overwrittenSize: number;
  deletedOnce: boolean;
  deletedTwice: boolean;
  listedAfterDelete: string[];
  hasAfterDelete: boolean;
  /** Each damaged or missing record, and what load() threw. */
  errors: Record<'missing' | 'badName' | 'flippedByte' | 'truncated' | 'notBytes' | 'replacedBySmaller' | 'noCatalog', CaughtError | null>;
}

/** A seeded generator (LCG) so the embeddings are the same every run. */
function vectors(seed: number, count: number, dim: number): Float32Array[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, next));
}

function makeIndex(seed: number, ids: readonly string[], dim: number): FaceIndex {
  const index = new FaceIndex();
  const v = vectors(seed, ids.length + 1, dim);
  ids.forEach((id, i) => index.add(id, v[i]!, { enrolled: i } satisfies JsonValue));
  // One identity with two embeddings: its score is its best row.
  index.add(ids[0]!, v[ids.length]!);
  return index;
}

async function caught(f: () => Promise<unknown>): Promise<CaughtError | null> {
  try {
    await f();
    return null;
  } catch (e) {
    const x = e as Error & { code?: string; reason?: string };
    return { name: x.name, code: x.code, reason: x.reason, message: x.message };
  }
}

/** Opens the store's database with the raw API and rewrites one record. */
async function rewrite(database: string, store: 'files' | 'catalog', key: string, change: (old: unknown) => unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(database);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(store, 'readwrite');
      const os = tx.objectStore(store);
      const get = os.get(key);
      get.onsuccess = () => {
        const next = change(get.result);
        if (next === undefined) os.delete(key);
        else os.put(next, key);
      };
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Bytes of the stored record with one change applied (the record is an ArrayBuffer). */
const bytesOf = (old: unknown): Uint8Array => new Uint8Array((old as ArrayBuffer).slice(0));

export async function runIndexStoreChecks(database: string): Promise<StoreCheckReport> {
  const alpha = makeIndex(1, ['ann', 'bob', 'cy'], 128);
  const beta = makeIndex(2, ['dee', 'eve'], 512);
  const queries = vectors(3, 4, 128);
  const store = await IndexedDbIndexStore.open({ database });
  await store.save('alpha', alpha);
  await store.save('beta', beta);
  const listed = (await store.list()).map(({ name, bytes, dim, identities, entries }) => ({ name, bytes, dim, identities, entries }));
  store.close();

  const reopened = await IndexedDbIndexStore.open({ database });
  const loaded = await reopened.load('alpha');
  const a = alpha.toBytes();
  const b = loaded.toBytes();
  const sameBytes = a.length === b.length && a.every((x, i) => x === b[i]);
  const searchBefore = alpha.searchMany(queries, { k: 3 });
  const searchAfter = loaded.searchMany(queries, { k: 3 });

  alpha.add('dan', vectors(4, 1, 128)[0]!);
  await reopened.save('alpha', alpha);
  const overwrittenSize = (await reopened.load('alpha')).size;
  const deletedOnce = await reopened.delete('beta');
  const deletedTwice = await reopened.delete('beta');
  const listedAfterDelete = (await reopened.list()).map((i) => i.name);
  const hasAfterDelete = await reopened.has('beta');

  const errors: StoreCheckReport['errors'] = {
    missing: await caught(() => reopened.load('beta')),
    badName: await caught(() => reopened.save('', alpha)),
    flippedByte: null, truncated: null, notBytes: null, replacedBySmaller: null, noCatalog: null,
  };
  const damage = async (what: keyof StoreCheckReport['errors'], store: 'files' | 'catalog', change: (old: unknown) => unknown): Promise<void> => {
    await reopened.save('victim', alpha);
    await rewrite(database, store, 'victim', change);
    errors[what] = await caught(() => reopened.load('victim'));
  };
  await damage('flippedByte', 'files', (old) => {
    const bytes = bytesOf(old);
    // A byte inside the embeddings, past the header and the ids.
    bytes[bytes.length - 40]! ^= 0x10;
    return bytes.buffer;
  });
  await damage('truncated', 'files', (old) => bytesOf(old).slice(0, -4).buffer);
  await damage('notBytes', 'files', () => 'not an index');
  // A whole, valid file of another (smaller) index: only the catalog can tell it is not what was saved.
  const smaller = makeIndex(5, ['zed'], 128).toBytes();
  await damage('replacedBySmaller', 'files', () => smaller.slice().buffer);
  await damage('noCatalog', 'catalog', () => undefined);
  reopened.close();
  return { listed, sizes: { alpha: a.length, beta: beta.toBytes().length }, sameBytes, searchBefore, searchAfter, overwrittenSize, deletedOnce, deletedTwice, listedAfterDelete, hasAfterDelete, errors };
}
