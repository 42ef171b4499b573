/**
 * The `/deploy` command language, parsed without I/O.
 *
 *   /deploy                                  help
 *   /deploy help
 *   /deploy <env> [service] [ref]            env and service by name or alias, in either order
 *   /deploy status [service]
 *   /deploy history <env> [service] [count]
 */
import { type Catalog, type EnvironmentDefinition, type ServiceDefinition, findEnvironment, findService } from './catalog.js';
import { closestNames } from './suggest.js';

/** A parsed `/deploy` command. */
export type DeployCommand =
  | { kind: 'help' }
  | { kind: 'deploy'; environment: string; service: string; ref: string; refGiven: boolean }
  | { kind: 'status'; service?: string }
  | { kind: 'history'; environment: string; service: string; count: number };

/** Why a command could not be understood, with what to type instead. */
export interface CommandError {
  kind: 'error';
  /** Stable code for logs and tests. */
  code: 'unknown_environment' | 'unknown_service' | 'missing_service' | 'bad_ref' | 'too_many_words' | 'bad_count' | 'missing_environment';
  /** Plain sentence for the user: what was wrong and how to do it right. */
  message: string;
  suggestions: string[];
}

const SUBCOMMANDS = ['help', 'status', 'history'];
const MAX_HISTORY = 50;
/** Git's rules for ref names, minus the rare corners: no spaces, `..`, `~^:?*[\`, leading `-` or trailing `.lock`. */
const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/+@-]+(?<!\.lock)(?<![./])$/;

/** True when `ref` is a plausible branch, tag or commit SHA name. */
export function isValidRef(ref: string): boolean {
  return ref.length <= 200 && REF_PATTERN.test(ref);
}

function allEnvironmentNames(catalog: Catalog): string[] {
  return catalog.environments.flatMap((e) => [e.name, ...e.aliases]);
}
function allServiceNames(catalog: Catalog): string[] {
  return catalog.services.flatMap((s) => [s.name, ...s.aliases]);
}
function listEnvironments(catalog: Catalog): string {
  return catalog.environments.map((e) => (e.aliases.length ? `${e.name} (${e.aliases.join(', ')})` : e.name)).join(', ');
}
function listServices(catalog: Catalog): string {
  return catalog.services.map((s) => (s.aliases.length ? `${s.name} (${s.aliases.join(', ')})` : s.name)).join(', ');
}
function didYouMean(suggestions: string[]): string {
  return suggestions.length ? ` Did you mean ${suggestions.map((s) => `\`${s}\``).join(' or ')}?` : '';
}

/** The closest words, one per environment or service: `prd` and `prod` are the same suggestion. */
function distinctSuggestions(word: string, catalog: Catalog, candidates: string[]): string[] {
  const owners = new Set<string>();
  return closestNames(word, candidates, 6)
    .filter((w) => {
      const owner = findEnvironment(catalog, w)?.name ?? findService(catalog, w)?.name ?? w;
      if (owners.has(owner)) return false;
      owners.add(owner);
      return true;
    })
    .slice(0, 3);
}

function unknownEnvironment(catalog: Catalog, word: string): CommandError {
  const suggestions = distinctSuggestions(word, catalog, [...allEnvironmentNames(catalog), ...SUBCOMMANDS]);
  return {
    kind: 'error',
    code: 'unknown_environment',
    suggestions,
    message: `I don't know the environment \`${word}\`.${didYouMean(suggestions)} Environments: ${listEnvironments(catalog)}. Try \`/deploy help\`.`,
  };
}

function unknownService(catalog: Catalog, word: string): CommandError {
  const suggestions = distinctSuggestions(word, catalog, allServiceNames(catalog));
  return {
    kind: 'error',
    code: 'unknown_service',
    suggestions,
    message: `I don't know the service \`${word}\`.${didYouMean(suggestions)} Services: ${listServices(catalog)}.`,
  };
}

/** A word that looks like a misspelt service rather than a ref. */
function looksLikeService(catalog: Catalog, word: string): boolean {
  return !/^[0-9a-f]{7,40}$/i.test(word) && !word.includes('/') && closestNames(word, allServiceNames(catalog)).length > 0;
}

function defaultService(catalog: Catalog): ServiceDefinition | undefined {
  if (catalog.defaultService) return findService(catalog, catalog.defaultService);
  return catalog.services.length === 1 ? catalog.services[0] : undefined;
}

function missingService(catalog: Catalog, usage: string): CommandError {
  return {
    kind: 'error',
    code: 'missing_service',
    suggestions: catalog.services.map((s) => s.name),
    message: `Which service? Name one: ${usage}. Services: ${listServices(catalog)}.`,
  };
}

/**
 * Picks the service out of `words` (removing it), or falls back to the default service.
 * Returns an error for a word that is neither a service nor usable as the remaining argument.
 */
function takeService(
  catalog: Catalog,
  words: string[],
  usage: string,
  mayBeOther: (word: string) => boolean,
): ServiceDefinition | CommandError {
  const index = words.findIndex((w) => findService(catalog, w));
  if (index >= 0) return findService(catalog, words.splice(index, 1)[0]!)!;
  const unknown = words.find((w) => !mayBeOther(w) || looksLikeService(catalog, w));
  if (unknown !== undefined) return unknownService(catalog, unknown);
  return defaultService(catalog) ?? missingService(catalog, usage);
}

const isError = (x: unknown): x is CommandError => typeof x === 'object' && x !== null && (x as CommandError).kind === 'error';

function parseDeploy(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    // With two or more words, the first unknown one is most likely the environment.
    const notService = words.find((w) => !findService(catalog, w));
    if (notService === undefined) {
      return {
        kind: 'error',
        code: 'missing_environment',
        suggestions: catalog.environments.map((e) => e.name),
        message: `Which environment? Try \`/deploy ${catalog.environments.at(-1)?.name ?? 'production'} ${words[0] ?? ''}\`. Environments: ${listEnvironments(catalog)}.`,
      };
    }
    return unknownEnvironment(catalog, notService);
  }
  const environment: EnvironmentDefinition = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const usage = `\`/deploy ${environment.name} <service> [ref]\``;
  const service = takeService(catalog, words, usage, () => words.length === 1);
  if (isError(service)) return service;
  if (words.length > 1) {
    return {
      kind: 'error',
      code: 'too_many_words',
      suggestions: [],
      message: `I can't tell what \`${words.join(' ')}\` means: after the environment and service comes one ref at most. Usage: \`/deploy ${environment.name} ${service.name} [ref]\`.`,
    };
  }
  const ref = words[0];
  if (ref !== undefined && !isValidRef(ref)) {
    return {
      kind: 'error',
      code: 'bad_ref',
      suggestions: [],
      message: `\`${ref}\` is not a valid git ref. Give a branch, a tag or a commit SHA, e.g. \`/deploy ${environment.name} ${service.name} ${service.defaultRef}\`.`,
    };
  }
  return { kind: 'deploy', environment: environment.name, service: service.name, ref: ref ?? service.defaultRef, refGiven: ref !== undefined };
}

function parseHistory(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    if (words.length === 0 || words.every((w) => findService(catalog, w) || /^\d+$/.test(w))) {
      return {
        kind: 'error',
        code: 'missing_environment',
        suggestions: catalog.environments.map((e) => e.name),
        message: `Which environment? Usage: \`/deploy history <env> [service] [count]\`. Environments: ${listEnvironments(catalog)}.`,
      };
    }
    return unknownEnvironment(catalog, words.find((w) => !findService(catalog, w) && !/^\d+$/.test(w))!);
  }
  const environment = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const countIndex = words.findIndex((w) => /^\d+$/.test(w));
  let count = 10;
  if (countIndex >= 0) {
    count = Number(words.splice(countIndex, 1)[0]);
    if (count < 1 || count > MAX_HISTORY) {
      return { kind: 'error', code: 'bad_count', suggestions: [], message: `The count must be between 1 and ${MAX_HISTORY}, e.g. \`/deploy history ${environment.name} 10\`.` };
    }
  }
  const service = takeService(catalog, words, `\`/deploy history ${environment.name} <service> [count]\``, () => false);
  if (isError(service)) return service;
  if (words.length) return unknownService(catalog, words[0]!);
  return { kind: 'history', environment: environment.name, service: service.name, count };
}

function parseStatus(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  if (words.length === 0) return { kind: 'status' };
  const service = words.length === 1 ? findService(catalog, words[0]!) : undefined;
  if (!service) return unknownService(catalog, words.find((w) => !findService(catalog, w)) ?? words.join(' '));
  return { kind: 'status', service: service.name };
}

/** Parses the text after `/deploy`. Never throws: bad input becomes a {@link CommandError} with a fix. */
export function parseCommand(text: string, catalog: Catalog): DeployCommand | CommandError {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (first === undefined || first === 'help' || first === '-h' || first === '--help' || first === '?') return { kind: 'help' };
  // An environment named like a subcommand wins: the catalog is the user's own vocabulary.
  if (first === 'status' && !findEnvironment(catalog, first)) return parseStatus(catalog, words.slice(1));
  if (first === 'history' && !findEnvironment(catalog, first)) return parseHistory(catalog, words.slice(1));
  // A misspelt subcommand in first place (`histroy`) is a typo, not a ref: say so rather than try to deploy it.
  if (!findEnvironment(catalog, first) && !findService(catalog, first)) {
    const [sub] = closestNames(first, ['status', 'history']);
    if (sub && first.length >= 4) {
      return {
        kind: 'error',
        code: 'unknown_environment',
        suggestions: [sub],
        message: `I don't know \`${first}\`. Did you mean \`${['/deploy', sub, ...words.slice(1)].join(' ')}\`? Try \`/deploy help\`.`,
      };
    }
  }
  return parseDeploy(catalog, words);
}

/** Narrows a parse result to its error case. */
export function isCommandError(result: DeployCommand | CommandError): result is CommandError {
  return result.kind === 'error';
}
