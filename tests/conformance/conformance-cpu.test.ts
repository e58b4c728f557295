import { defineConformanceSuite } from './suite.js';

defineConformanceSuite('cpu', { backend: 'cpu' });
