/**
 * The import rules of docs/style.md, checked by `npm run lint:deps` (in CI through `npm run lint`). Layers, top to
 * bottom; a module imports only its own layer and the ones below it:
 *   src/cli, client            the command line and the dashboard
 *   src/server                 HTTP, Apollo, graphql-ws, over what src/app.ts opened
 *   src/app.ts                 the composition root (serve, worker, benches, test helpers)
 *   src/resolvers              GraphQL: arguments → service call → result
 *   src/services               transactions and rules
 *   src/runners                slots, worker threads, jobs
 *   src/runs                   run state and its events: the only writer of run.status and publisher of RunProgress
 *   src/schema, src/db, src/api, src/errors.ts, src/config.ts, src/logger.ts   entities and enums, database plumbing, shared types
 *   src/ml, src/data, src/analysis                             no database, no GraphQL
 */
const LAYERS = [
  ['cli', '^src/cli/'],
  ['server', '^src/server/'],
  ['app', '^src/app\\.ts$'],
  ['resolvers', '^src/resolvers/'],
  ['services', '^src/services/'],
  ['runners', '^src/runners/'],
  ['runs', '^src/runs/'],
  ['foundation', '^(src/(schema|db|api)/|src/(errors|config|logger|host-origin)\\.ts$|ormconfig\\.ts$|migrations/)'],
  ['science', '^src/(ml|data|analysis|types)/'],
];

/** One rule per layer: it may not import any layer above it. */
const layerRules = LAYERS.slice(1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} imports nothing from the layers above it (${LAYERS.slice(0, i + 1)
    .map(([n]) => n)
    .join(', ')})`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, p]) => p) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import circle, type-only imports included: a type tie goes to its own small file',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'science-no-db-no-graphql',
      comment: 'src/ml, src/data and src/analysis import no database and no GraphQL',
      severity: 'error',
      from: { path: '^src/(ml|data|analysis)/' },
      to: { path: 'node_modules/(typeorm|pg|@electric-sql|graphql|type-graphql|@apollo|graphql-ws)/' },
    },
    {
      name: 'runs-from-outside-through-its-index',
      comment: 'outside src/runs, run state is reached through src/runs/index.ts only (the fenced update, the queue SQL and the publisher stay inside)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/runs/' },
      to: { path: '^src/runs/', pathNot: '^src/runs/(index|job)\\.ts$' },
    },
    {
      name: 'runs-publishes-its-own-changes',
      comment:
        'RunProgress is published by the src/runs function that wrote the change, once committed: the publisher (src/runs/events.ts) is imported by src/runs alone, and src/runs/index.ts does not re-export it',
      severity: 'error',
      from: { pathNot: '^src/runs/(?!index\\.ts$)' },
      to: { path: '^src/runs/events\\.ts$' },
    },
    {
      name: 'client-speaks-the-api-only',
      comment: 'the dashboard shares only src/api with the server, and the one import-free statistics helper it formats with',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(src|migrations)/', pathNot: '^src/(api/|analysis/significance\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
