// One jest configuration for the whole repository: a project per workspace, so
// `npm test` runs them all and `npx jest --selectProjects infra` runs one.
const workspaces = ['shared-contracts', 'infra', 'primary', 'standin', 'syncer', 'advice-consumer', 'gateway', 'e2e'];

/** @type {import('jest').Config} */
module.exports = {
  projects: workspaces.map((name) => ({
    displayName: name,
    rootDir: `<rootDir>/${name}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
      // ESM-only packages, compiled to CommonJS for jest's runtime (Node itself requires them as
      // they are): content-disposition (under @fastify/static, under the API reference's /docs) and
      // the Kafka client, @platformatic/kafka, with its own @platformatic dependencies.
      '/node_modules/(content-disposition|@platformatic)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
    },
    transformIgnorePatterns: ['/node_modules/(?!(content-disposition|@platformatic)/)'],
    // Tests run against the TypeScript sources of other workspaces, not their build output.
    moduleNameMapper: { '^@bank/([a-z-]+)$': '<rootDir>/../$1/src/index.ts' },
  })),
  testTimeout: 60_000,
};
