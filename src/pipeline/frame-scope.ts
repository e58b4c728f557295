/**
 * Which analyses' `withFrame` callbacks the current code runs inside. On Node an AsyncLocalStorage follows the
 * callback through its awaits; elsewhere only its synchronous part (up to its first await) is seen.
 */

interface ScopeStorage {
  run<R>(store: readonly object[], fn: () => R): R;
  getStore(): readonly object[] | undefined;
}

/** Node's AsyncLocalStorage, reached without a static `node:` import so browser bundles hold none. */
function nodeStorage(): ScopeStorage | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const hooks = proc?.getBuiltinModule?.('node:async_hooks') as { AsyncLocalStorage?: new () => ScopeStorage } | undefined;
  return hooks?.AsyncLocalStorage ? new hooks.AsyncLocalStorage() : undefined;
}

const storage = nodeStorage();
/** The owners whose callbacks are running synchronously now (the fallback without AsyncLocalStorage). */
let syncOwners: readonly object[] = [];

/** Runs `fn` (a withFrame callback) as inside a frame of `owner`. @internal */
export function runInFrameOf<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const owners = [...(storage?.getStore() ?? syncOwners), owner];
  if (storage) return storage.run(owners, fn);
  const before = syncOwners;
  syncOwners = owners;
  try {
    return fn();
  } finally {
    syncOwners = before;
  }
}

/** Whether the current code runs inside a withFrame callback of `owner`. @internal */
export function insideFrameOf(owner: object): boolean {
  return (storage?.getStore() ?? syncOwners).includes(owner);
}
