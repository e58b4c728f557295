import { checkOptionShape, describeValue } from '../../core/option-shape.js';
/**
 * FaceIndex persistence in the browser's IndexedDB, by name. Browser-safe: no node: imports.
 *
 * The stored bytes are exactly `FaceIndex.toBytes()` (the IGFX file of README.md in this folder), so the browser
 * and a Node `save` share one format and one set of corruption checks. The database (default
 * `insightgpu-face-index`, version 1) holds two object stores keyed by the index's name:
 *   `files`    the IGFX bytes, an ArrayBuffer
 *   `catalog`  a {@link StoredIndexInfo}, so `list()` never reads the embeddings
 * Both are written in one `readwrite` transaction: a save that fails (quota, a closed tab) leaves the previous
 * record whole. The catalog's byte length and CRC must also match the bytes read back, so a record replaced by
 * another valid file is caught as well.
 */
import { InsightGpuError } from '../../core/errors.js';
import { IndexFormatError } from './errors.js';
import { FaceIndex, type FaceIndexOptions } from './face-index.js';

/** The database a store opens when none is named. */
export const DEFAULT_INDEX_DATABASE = 'insightgpu-face-index';
const DB_VERSION = 1;
const FILES = 'files';
const CATALOG = 'catalog';

/** What `list()` reports of one stored index, without reading its embeddings. */
export interface StoredIndexInfo {
  /** The name it was saved under. */
  name: string;
  /** Length of its IGFX bytes. */
  bytes: number;
  /** The file's CRC-32 (its last four bytes). */
  crc32: number;
  /** Embedding length. */
  dim: number;
  /** Number of identities. */
  identities: number;
  /** Number of embeddings over all identities. */
  entries: number;
  /** When it was saved, in ms since the epoch. */
  savedAt: number;
}

/** Options of {@link IndexedDbIndexStore.open}. */
export interface IndexStoreOptions {
  /** The IndexedDB database name (default {@link DEFAULT_INDEX_DATABASE}). */
  database?: string;
  /** The IndexedDB factory (default `globalThis.indexedDB`). */
  factory?: IDBFactory;
}

/** Why an IndexedDB store call failed, besides a corrupted record (that is an `IndexFormatError`). */
export type IndexStoreFailure = 'unavailable' | 'bad-name' | 'not-found' | 'failed';

/** IndexedDB is missing, the name is unusable, no index is stored under it, or the database refused a request. */
export class IndexStoreError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'IndexStoreError';
  readonly code = 'INDEX_STORE';
  constructor(readonly reason: IndexStoreFailure, readonly why: string, readonly database?: string, options?: { cause?: unknown }) {
    super(database === undefined ? `face-index store: ${why}` : `face-index store '${database}': ${why}`, options);
  }
}

/** Saves, loads, lists and deletes FaceIndexes in one IndexedDB database. */
export class IndexedDbIndexStore {
  /** The open connection; undefined once another tab's deletion or upgrade closed it (the next call reconnects). */
  private db: IDBDatabase | undefined;
  /** Set by close(): the caller's own close is final. */
  private closedByCaller = false;
  private reconnecting: Promise<void> | undefined;

  private constructor(private readonly factory: IDBFactory, readonly database: string) {}

  /** Opens (creating on first use) the database; IndexStoreError when this browser has no IndexedDB or refuses it. */
  static async open(options: IndexStoreOptions = {}): Promise<IndexedDbIndexStore> {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new IndexStoreError('bad-name', `open takes an options object, got ${describeValue(options)}`);
    checkOptionShape(options, { database: 'string', factory: 'object' }, 'IndexedDbIndexStore.open', (option, why) => new IndexStoreError('bad-name', `option ${option}: ${why}`));
    const database = options.database ?? DEFAULT_INDEX_DATABASE;
    const factory = options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new IndexStoreError('unavailable', 'IndexedDB is not available here (not a browser, or storage is disabled)', database);
    const store = new IndexedDbIndexStore(factory, database);
    await store.connect();
    return store;
  }

  /**
   * A connection to the database, creating its stores on first use. Another tab deleting or upgrading the database
   * must not be blocked by this one, so the connection is closed on `versionchange`; the next call reconnects.
   */
  private async connect(): Promise<void> {
    const database = this.database;
    let req: IDBOpenDBRequest;
    try {
      req = this.factory.open(database, DB_VERSION);
    } catch (cause) {
      throw new IndexStoreError('unavailable', `IndexedDB refused to open the database: ${describeError(cause)}`, database, { cause });
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
      if (!db.objectStoreNames.contains(CATALOG)) db.createObjectStore(CATALOG);
    };
    const db = await settle(req, database, 'opening the database').catch((e: unknown) => {
      throw e instanceof IndexStoreError ? new IndexStoreError('unavailable', e.why, database, { cause: e.cause }) : e;
    });
    db.onversionchange = () => {
      db.close();
      if (this.db === db) this.db = undefined;
    };
    if (this.closedByCaller) {
      db.close();
    } else {
      this.db = db;
    }
  }

  /** Stores the index under `name`, replacing what was there, in one transaction (all or nothing). */
  async save(name: string, index: FaceIndex): Promise<StoredIndexInfo> {
    checkName(name, this.database);
    const bytes = index.toBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const info: StoredIndexInfo = {
      name, bytes: bytes.byteLength, crc32: view.getUint32(bytes.byteLength - 4, true), dim: index.dim!,
      identities: index.size, entries: index.entries, savedAt: Date.now(),
    };
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    // 'strict': the transaction completes only once the data is on disk, so a reload right after finds it.
    const tx = await this.transaction('readwrite', `saving '${name}'`);
    tx.objectStore(FILES).put(buffer, name);
    tx.objectStore(CATALOG).put(info, name);
    await completion(tx, this.database, `saving '${name}'`);
    return info;
  }

  /**
   * The index stored under `name`. IndexStoreError ('not-found') when there is none; IndexFormatError when the
   * record is truncated, corrupted, not bytes, or disagrees with its catalog entry: never a smaller index.
   */
  async load(name: string, options: Omit<FaceIndexOptions, 'dim'> = {}): Promise<FaceIndex> {
    checkName(name, this.database);
    const tx = await this.transaction('readonly', `loading '${name}'`);
    const [stored, info] = await Promise.all([
      settle(tx.objectStore(FILES).get(name) as IDBRequest<unknown>, this.database, `loading '${name}'`),
      settle(tx.objectStore(CATALOG).get(name) as IDBRequest<unknown>, this.database, `loading '${name}'`),
    ]);
    if (stored === undefined && info === undefined) throw new IndexStoreError('not-found', `no index named '${name}'`, this.database);
    const where = `IndexedDB record '${name}' of '${this.database}'`;
    if (stored === undefined) throw new IndexFormatError(`${where} has a catalog entry but no bytes`);
    const bytes = stored instanceof ArrayBuffer ? new Uint8Array(stored) : stored instanceof Uint8Array ? stored : undefined;
    if (!bytes) throw new IndexFormatError(`${where} holds ${kindOf(stored)}, not the index's bytes`);
    let index: FaceIndex;
    try {
      index = FaceIndex.fromBytes(bytes, options);
    } catch (e) {
      if (e instanceof IndexFormatError) throw new IndexFormatError(`${where}: ${e.why}`, e.offset, { cause: e });
      throw e;
    }
    const entry = asInfo(info);
    const crc = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.byteLength - 4, true);
    if (!entry || entry.bytes !== bytes.byteLength || entry.crc32 !== crc) {
      throw new IndexFormatError(`${where} holds ${bytes.byteLength} bytes with CRC ${crc.toString(16)}, but its catalog entry says `
        + (entry ? `${entry.bytes} bytes with CRC ${entry.crc32.toString(16)}` : 'nothing (missing or malformed)'));
    }
    return index;
  }

  /** Whether an index is stored under `name`. */
  async has(name: string): Promise<boolean> {
    checkName(name, this.database);
    const tx = await this.transaction('readonly', `looking up '${name}'`);
    const [files, catalog] = await Promise.all([FILES, CATALOG].map((s) => settle(tx.objectStore(s).count(name), this.database, `looking up '${name}'`)));
    return files! + catalog! > 0;
  }

  /** The stored indexes, by name; a malformed catalog entry is an IndexFormatError. */
  async list(): Promise<StoredIndexInfo[]> {
    const tx = await this.transaction('readonly', 'listing');
    const all = await settle(tx.objectStore(CATALOG).getAll() as IDBRequest<unknown[]>, this.database, 'listing');
    return all.map((v) => {
      const info = asInfo(v);
      if (!info) throw new IndexFormatError(`a catalog entry of '${this.database}' is malformed: ${kindOf(v)}`);
      return info;
    }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Deletes the index stored under `name`; whether there was one. */
  async delete(name: string): Promise<boolean> {
    checkName(name, this.database);
    const tx = await this.transaction('readwrite', `deleting '${name}'`);
    // Requests of one transaction run in order: the counts see the records before the deletes remove them.
    const counts = Promise.all([FILES, CATALOG].map((s) => settle(tx.objectStore(s).count(name), this.database, `deleting '${name}'`)));
    tx.objectStore(FILES).delete(name);
    tx.objectStore(CATALOG).delete(name);
    await completion(tx, this.database, `deleting '${name}'`);
    const [files, catalog] = await counts;
    return files! + catalog! > 0;
  }

  /** Closes the database connection; later calls fail with IndexStoreError. */
  close(): void {
    this.closedByCaller = true;
    this.db?.close();
    this.db = undefined;
  }

  private async transaction(mode: IDBTransactionMode, what: string): Promise<IDBTransaction> {
    if (this.closedByCaller) throw new IndexStoreError('failed', `${what} failed: the store was closed (open it again)`, this.database);
    // Concurrent calls after a versionchange share one reconnection.
    if (!this.db) {
      this.reconnecting ??= this.connect().finally(() => { this.reconnecting = undefined; });
      await this.reconnecting;
    }
    const db = this.db;
    if (!db) throw new IndexStoreError('failed', `${what} failed: the store was closed${this.closedByCaller ? ' (open it again)' : ' by another tab while reconnecting'}`, this.database);
    try {
      return db.transaction([FILES, CATALOG], mode, { durability: 'strict' });
    } catch (cause) {
      throw new IndexStoreError('failed', `${what} failed: ${describeError(cause)}`, this.database, { cause });
    }
  }
}

function checkName(name: unknown, database: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new IndexStoreError('bad-name', `an index name must be a non-empty string, got ${kindOf(name)}`, database);
}

/** The request's result, or IndexStoreError with the browser's reason. */
function settle<T>(req: IDBRequest<T>, database: string, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = (ev) => {
      // Handled here: without preventDefault the error would also abort the transaction with a second report.
      ev.preventDefault();
      reject(new IndexStoreError('failed', `${what} failed: ${describeError(req.error)}`, database, { cause: req.error }));
    };
  });
}

/** Resolves once the transaction is committed; IndexStoreError when it aborts (its writes are then undone). */
function completion(tx: IDBTransaction, database: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    const fail = (): void => reject(new IndexStoreError('failed', `${what} failed: ${describeError(tx.error)}`, database, { cause: tx.error }));
    tx.onabort = fail;
    tx.onerror = fail;
  });
}

function asInfo(v: unknown): StoredIndexInfo | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const counts = ['bytes', 'crc32', 'dim', 'identities', 'entries', 'savedAt'] as const;
  if (typeof o.name !== 'string' || !counts.every((k) => typeof o[k] === 'number' && Number.isFinite(o[k]))) return undefined;
  return { name: o.name, bytes: o.bytes as number, crc32: o.crc32 as number, dim: o.dim as number, identities: o.identities as number, entries: o.entries as number, savedAt: o.savedAt as number };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return `a ${typeof v}`;
  return `a ${(v as object).constructor?.name ?? 'object'}`;
}

function describeError(e: unknown): string {
  if (e instanceof Error || (typeof DOMException !== 'undefined' && e instanceof DOMException)) return `${(e as Error).name}: ${(e as Error).message}`;
  return String(e);
}
