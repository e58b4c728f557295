/**
 * Loads onnxruntime-web from the site's /ort/ folder (served from node_modules, never a CDN) without letting the
 * bundler touch it: ort locates its .wasm next to its own module, which a bundled copy would break.
 */
import type * as Ort from 'onnxruntime-web';

export type OrtModule = typeof Ort;

let loading: Promise<OrtModule> | undefined;

export function loadOrtWeb(base = '/ort/'): Promise<OrtModule> {
  loading ??= (async () => {
    const url = `${base}ort.webgpu.min.mjs`;
    const ort = (await import(/* @vite-ignore */ url)) as OrtModule;
    ort.env.wasm.wasmPaths = base;
    // One thread: the pages are not cross-origin isolated, and our CPU backend is single-threaded too.
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return loading;
}
