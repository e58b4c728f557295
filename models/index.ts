/**
 * `insightgpu/models` under Node: InsightFace's pack manifest, the fetcher (release zip or a mirror, sha256
 * digests recorded on first download, atomic install into ~/.insightface/models/<pack>/), and the browser
 * loader, which also runs in Node.
 *
 * @packageDocumentation
 */
export * from './manifest.js';
export * from './fetch/index.js';
export * from './fetch/browser-loader.js';
