/**
 * The package's browser entry (`import … from 'insightgpu'` in a bundler's browser build): the whole library,
 * whose Node-only parts (sharp decoding, Dawn, file access) sit behind computed imports no bundler follows. Models
 * come as bytes (`{ files }`), e.g. from `loadModelFiles` of `insightgpu/models`, which caches them.
 *
 * @packageDocumentation
 */
export * from './index.js';
