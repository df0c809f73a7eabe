// Three tiers, named by suffix: *.spec.ts (pure), *.int-spec.ts (real Kafka + Postgres),
// *.e2e-spec.ts (HTTP -> Kafka -> Postgres), and *.chaos-spec.ts (faults, bad input, security).
// `npm test` runs them all; each has its own script.
const { existsSync, readFileSync } = require('node:fs');
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));

const transform = {
  '^.+\\.ts$': ['@swc/jest', { swcrc: false, sourceMaps: 'inline', module: swcrc.module, jsc: { ...swcrc.jsc, baseUrl: __dirname } }],
};
const moduleNameMapper = Object.fromEntries(
  Object.entries(swcrc.jsc.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);
const roots = ['apps', 'libs', 'tools', 'test'].filter((d) => existsSync(`${__dirname}/${d}`)).map((d) => `<rootDir>/${d}`);
const common = { rootDir: __dirname, roots, transform, moduleNameMapper, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
const withServices = {
  ...common,
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
};

module.exports = {
  // Integration and e2e tests wait on a real broker and database; no test asserts on time.
  testTimeout: 180_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...withServices, displayName: 'int', testMatch: ['**/*.int-spec.ts'] },
    { ...withServices, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'] },
    // Reliability and security (issue 10): faults injected into real processes, a private broker and
    // a private Postgres cluster where a scenario stops one. `npm run test:chaos`, in band (2 cores).
    { ...withServices, displayName: 'chaos', testMatch: ['**/*.chaos-spec.ts'] },
  ],
};
