export { loadConfig, catalogPathFrom, type FoxopsConfig, type GitHubAuth, type Env } from './load.js';
export { ConfigError, formatProblems, type ConfigProblem } from './errors.js';
export { parseCatalog } from './catalog-schema.js';
