/**
 * Loads a Node built-in (`node:fs/promises`, …) by a specifier bundlers do not follow, so browser bundles of the
 * library hold no Node modules and their builds warn about none; the code that calls it runs only under Node.
 */
export async function importNodeBuiltin<T>(specifier: `node:${string}`): Promise<T> {
  return (await import(/* @vite-ignore */ specifier)) as T;
}
