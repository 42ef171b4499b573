/** Jest runs the TypeScript sources through SWC as CommonJS: fast, and no experimental VM modules. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs', ignoreDynamic: false },
    }],
  },
  // Sources import siblings with the `.js` suffix that NodeNext needs; jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Octokit and a few of its dependencies (and jose, for OIDC tokens) ship only ES modules; jest runs CommonJS, so SWC converts them too.
  transformIgnorePatterns: ['/node_modules/(?!(@octokit|universal-user-agent|before-after-hook|universal-github-app-jwt|fast-content-type-parse|json-with-bigint|content-type|jose)/)'],
  // Loads src/aws/client-config.ts first in every test file: it switches off the AWS SDK's Node version warning.
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  testTimeout: 20000,
  maxWorkers: 2,
};
