import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts a worker thread on a module script. A TypeScript script (a checkout run through tsx) starts through a
 * small bootstrap that registers tsx's loader first: Node 20 does not carry the parent's `--import` hooks into a
 * worker's entry module. A compiled `.js` script starts as it is. (FaceIndex's search threads start otherwise, as
 * eval workers from self-contained functions' source: they import nothing, and their module is in the browser
 * bundle, which must not name this file's `node:worker_threads` import or tsx.)
 */
export function startThread(script: URL, options: { readonly workerData: unknown; readonly resourceLimits?: ResourceLimits; readonly name: string }): Worker {
  const common = { workerData: options.workerData, resourceLimits: options.resourceLimits, name: options.name };
  if (!script.pathname.endsWith('.ts')) return new Worker(script, common);
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { ...common, eval: true });
}

/** The pool's own worker script beside this module: pool-worker.ts in a checkout, pool-worker.js when compiled. */
export function poolWorkerScript(): URL {
  const extension = new URL(import.meta.url).pathname.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./pool-worker.${extension}`, import.meta.url);
}
