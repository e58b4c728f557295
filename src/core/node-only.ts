/**
 * Loads a Node built-in (`node:fs/promises`, …) by a specifier bundlers do not follow, so browser bundles of the
 * library hold no Node modules and their builds warn about none; the code that calls it runs only under Node.
 */
export async function importNodeBuiltin<T>(specifier: `node:${string}`): Promise<T> {
  return (await import(/* @vite-ignore */ specifier)) as T;
}

/**
 * Whether this is Node (a browser, a worker or Deno's browser mode has no `process.versions.node`): callers test it
 * before a Node built-in is imported, so a Node-only call made in a browser throws the engine's typed error instead
 * of the browser's "Failed to fetch dynamically imported module".
 */
export function runsOnNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}
