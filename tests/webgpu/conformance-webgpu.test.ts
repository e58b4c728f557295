import { after } from 'node:test';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { defineConformanceSuite } from '../conformance/suite.js';

// One device for all cases (each session borrows it), so the suite pays for adapter start-up once.
const gpu = await acquireDevice({ allowSoftwareAdapter: true });
after(() => gpu.release());

// The specialised kernels (each case is one run, which a tiered session would answer with the generic ones; those
// run every op case in ops.test.ts and the models in the parity tests).
defineConformanceSuite('webgpu', { backend: 'webgpu', webgpu: { device: gpu.device, kernels: 'specialized' } });
