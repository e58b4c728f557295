// The import rule of the layout: data flows one way through the stage folders of src/, and no module imports
// from a later stage. `npm test` runs this first (npm run check:layout); tests/layout shows it failing on a
// back-edge and on a circle.
const STAGES = ['core', 'parser', 'ops', 'graph', 'backends', 'session', 'pipeline'];

const laterThan = (i) => `^src/(${STAGES.slice(i + 1).join('|')})/|^src/index[.]ts$`;

module.exports = {
  forbidden: [
    ...STAGES.map((stage, i) => ({
      name: `${stage}-imports-no-later-stage`,
      comment: `src/${stage}/ may import only from ${STAGES.slice(0, i + 1).join(', ')} (stage order: ${STAGES.join(' → ')})`,
      severity: 'error',
      from: { path: `^src/${stage}/` },
      to: { path: laterThan(i) },
    })),
    {
      name: 'ops-shared-imports-no-family',
      comment: 'ops/kernel (the op contracts and shared helpers) and ops/wasm (the SIMD module) come before every op family',
      severity: 'error',
      from: { path: '^src/ops/(kernel|wasm)/' },
      to: { path: '^src/ops/', pathNot: '^src/ops/(kernel|wasm)/' },
    },
    {
      name: 'src-imports-nothing-outside-src',
      comment: 'the library never imports the CLI, the model tools, benchmarks, pages or tests',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/node[.]ts$' },
      to: { path: '^(cli|models|bench|web|tests|bin)/' },
    },
    {
      name: 'node-entry-imports-only-the-fetcher',
      comment: 'the Node entry (src/node.ts) composes the library with the pack fetcher (models/fetch), and with nothing else outside src',
      severity: 'error',
      from: { path: '^src/node[.]ts$' },
      to: { path: '^(cli|bench|web|tests|bin)/|^models/(?!fetch/|manifest[.]ts$)' },
    },
    {
      name: 'no-circular',
      comment: 'no import circles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import of the library names a file or package that exists',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser to parse with; swc reads TypeScript.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
