/**
 * `npm run test:e2e`: the sandbox in a real browser (Debian's chromium, driven by playwright-core), started as
 * `npm start` starts it on a fresh clone. One file at a time: each scenario drives one sandbox and one browser.
 */
const base = require('./jest.config.cjs');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  setupFiles: [],
  testTimeout: 120000,
  maxWorkers: 1,
};
