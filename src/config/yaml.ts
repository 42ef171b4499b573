/**
 * The YAML parser, in a module of its own so that it is loaded only for `.yml` catalogs
 * (a static import here lets the bundler resolve the CommonJS package's named export).
 */
import { parse } from 'yaml';

/** Parses YAML text. */
export function parseYaml(text: string): unknown {
  return parse(text);
}
