// One jest configuration for the whole repository: a project per workspace, so
// `npm test` runs them all and `npx jest --selectProjects infra` runs one.
const workspaces = ['shared-contracts', 'infra', 'primary', 'standin', 'syncer', 'advice-consumer', 'gateway', 'app', 'deploy', 'e2e'];

const swc = ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }];

/** A workspace's project: its tests, compiled by swc, against the other workspaces' TypeScript sources. */
function project(name) {
  return {
    displayName: name,
    rootDir: `<rootDir>/${name}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': swc,
      // ESM-only packages, compiled to CommonJS for jest's runtime (Node itself requires them as
      // they are): content-disposition (under @fastify/static, under the API reference's /docs) and
      // the Kafka client, @platformatic/kafka, with its own @platformatic dependencies.
      '/node_modules/(content-disposition|@platformatic)/.+\\.js$': swc,
    },
    transformIgnorePatterns: ['/node_modules/(?!(content-disposition|@platformatic)/)'],
    // Tests run against the TypeScript sources of other workspaces, not their build output.
    moduleNameMapper: { '^@bank/([a-z-]+)$': '<rootDir>/../$1/src/index.ts' },
  };
}

/** kubernetes-models and what it imports ship only ES modules, exported only under the `import` condition. */
const DEPLOY_ES_MODULES = ['kubernetes-models', '@kubernetes-models', 'is-cidr', 'cidr-regex'];

/**
 * deploy/ is an ES module workspace: its `.js` imports name TypeScript sources, its deep imports of
 * other workspaces' build output (`@bank/primary/dist/...js`) run against their sources, and the ES
 * modules above are compiled to CommonJS for jest's runtime, each import mapped to its file (jest
 * resolves `require` conditions, which these packages do not export).
 */
function deployProject() {
  const base = project('deploy');
  const esModules = `/node_modules/(${DEPLOY_ES_MODULES.join('|')})/.+\\.js$`;
  return {
    ...base,
    transform: { ...base.transform, [esModules]: swc },
    transformIgnorePatterns: [`/node_modules/(?!(content-disposition|@platformatic|${DEPLOY_ES_MODULES.join('|')})/)`],
    moduleNameMapper: {
      ...base.moduleNameMapper,
      '^kubernetes-models/(.+)$': '<rootDir>/../node_modules/kubernetes-models/$1.js',
      '^@kubernetes-models/apimachinery/(.+)$': '<rootDir>/../node_modules/@kubernetes-models/apimachinery/$1.js',
      '^@kubernetes-models/(base|validate)$': '<rootDir>/../node_modules/@kubernetes-models/$1/dist/index.js',
      '^@bank/([a-z-]+)/dist/(.+)\\.js$': '<rootDir>/../$1/src/$2.ts',
      '^(\\.{1,2}/.+)\\.js$': '$1',
    },
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: workspaces.map((name) => (name === 'deploy' ? deployProject() : project(name))),
  testTimeout: 60_000,
};
