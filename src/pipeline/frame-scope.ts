/**
 * Which analyses' `withFrame` callbacks the current code runs inside. On Node an AsyncLocalStorage follows the
 * callback through its awaits; elsewhere only its synchronous part (up to its first await) is seen. A scope closes
 * when its callback settles, so work the callback started that runs after the frame ended (a timer, a promise it
 * did not await) is no longer inside it.
 */

/** One withFrame callback of `owner`; `open` until the callback settles. */
interface FrameScope {
  readonly owner: object;
  open: boolean;
}

interface ScopeStorage {
  run<R>(store: readonly FrameScope[], fn: () => R): R;
  getStore(): readonly FrameScope[] | undefined;
}

/** Node's AsyncLocalStorage, reached without a static `node:` import so browser bundles hold none. */
function nodeStorage(): ScopeStorage | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const hooks = proc?.getBuiltinModule?.('node:async_hooks') as { AsyncLocalStorage?: new () => ScopeStorage } | undefined;
  return hooks?.AsyncLocalStorage ? new hooks.AsyncLocalStorage() : undefined;
}

const storage = nodeStorage();
/** The scopes whose callbacks are running synchronously now (the fallback without AsyncLocalStorage). */
let syncScopes: readonly FrameScope[] = [];

function currentScopes(): readonly FrameScope[] {
  return storage?.getStore() ?? syncScopes;
}

function enter<T>(scopes: readonly FrameScope[], fn: () => Promise<T>): Promise<T> {
  if (storage) return storage.run(scopes, fn);
  const before = syncScopes;
  syncScopes = scopes;
  try {
    return fn();
  } finally {
    syncScopes = before;
  }
}

/** Runs `fn` (a withFrame callback) as inside a frame of `owner`, until it settles. @internal */
export async function runInFrameOf<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const scope: FrameScope = { owner, open: true };
  try {
    return await enter([...currentScopes().filter((s) => s.open), scope], fn);
  } finally {
    scope.open = false;
  }
}

/** Whether the current code runs inside a withFrame callback of `owner` that has not settled yet. @internal */
export function insideFrameOf(owner: object): boolean {
  return currentScopes().some((s) => s.open && s.owner === owner);
}
