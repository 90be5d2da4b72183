/**
 * The import rules `npm run lint:imports` checks (dependency-cruiser): no import cycle anywhere,
 * the emulator stands apart from the product, and no layer of src/ imports a layer above it.
 * Layers, lowest first (a module may import its own layer and those below):
 *   domain, platform, logging,  pure rules and types; the Platform client; the logger;
 *   observability               metrics and traces (hooks the layers above call)
 *   redis                       Redis connections (single or cluster), for every layer above
 *   errors, config              error vocabulary; configuration
 *   store                       PostgreSQL (the ledger, the readers)
 *   pubsub                      the event bus and its topics
 *   jobs                        job definitions, the operation processor and handlers, the saga
 *   services, auth              what resolvers call: operation requests, rules, credentials
 *   schema, graphql             GraphQL shapes and mappers; context, errors, limits, plugins
 *   resolvers                   one resolver per aggregate
 *   gateway, worker             the two composition roots' servers
 *   app, cli                    process wiring, command-line tools
 * (A process's entry point, `main.ts`, may import the composition root.) Only src/redis imports
 * ioredis: every Redis connection, single or cluster, is opened there.
 */
const LAYERS = [
  ['domain', 'platform', 'logging', 'observability', 'redis'],
  ['errors', 'config'],
  ['store'],
  ['pubsub'],
  ['jobs'],
  ['services', 'auth'],
  ['schema', 'graphql'],
  ['resolvers'],
  ['gateway', 'worker'],
  ['app', 'cli'],
];

const group = (names) => `^src/(${names.join('|')})/`;

const upward = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-import-from-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import ${LAYERS.slice(index + 1).flat().join(', ')}`,
  severity: 'error',
  from: { path: group(layer), pathNot: '/main\\.ts$' },
  to: { path: group(LAYERS.slice(index + 1).flat()) },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'an import cycle', severity: 'error', from: {}, to: { circular: true } },
    { name: 'emulator-stands-apart', comment: 'the emulator stands for a system we do not own: it imports nothing of the product', severity: 'error', from: { path: '^emulator/' }, to: { path: '^(src|test|scripts)/' } },
    {
      name: 'redis-connections-in-one-place',
      comment: 'every Redis connection is opened by src/redis (single Redis or cluster, one retry policy, one logging): take a RedisClient from there',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/redis/' },
      to: { path: '(^|/)node_modules/ioredis/' },
    },
    { name: 'product-without-tests', comment: 'src/ never imports tests or scripts', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|scripts)/' } },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|src/store/generated)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
