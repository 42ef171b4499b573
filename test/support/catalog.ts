/** The test catalog ({@link TEST_CONFIG}) as foxops reads it, for unit tests that need no config file. */
import { parseCatalog } from '../../src/config/catalog-schema.js';
import { parseYaml } from '../../src/config/yaml.js';
import type { Catalog } from '../../src/domain/catalog.js';
import { TEST_CONFIG } from './harness.js';

function load(): Catalog {
  const parsed = parseCatalog(parseYaml(TEST_CONFIG), 'TEST_CONFIG');
  if ('problems' in parsed) throw new Error(`TEST_CONFIG is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.catalog;
}

/** Production needs 2 approvals from Alice, Bob or the release group; staging none. */
export const TEST_CATALOG: Catalog = load();
