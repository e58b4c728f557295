// TypeScript before 6 has no WebGPU types in its DOM lib: this entry brings in @webgpu/types (a dependency) for it.
/// <reference types="@webgpu/types" />
export * from '../dist/models/index.js';
