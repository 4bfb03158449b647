/**
 * The architecture's import rules, checked by `npm run depcheck` (part of `npm test`):
 * the domain imports nothing outside itself, apps are thin shells that never import one
 * another, libs never import apps, and nothing imports in a cycle.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-self-contained',
      comment: 'libs/domain holds the pure deciders: no framework, no I/O, no other lib.',
      severity: 'error',
      from: { path: '^libs/domain/' },
      to: { pathNot: '^libs/domain/' },
    },
    {
      name: 'no-app-imports-another-app',
      comment: 'What two apps share lives in a lib (libs/platform).',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-imports-an-app',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
