/**
 * The `/deploy` command language, parsed without I/O.
 *
 *   /deploy                                  help
 *   /deploy help
 *   /deploy <env> [service] [ref]            env and service by name or alias, in either order
 *   /deploy status [env] [service] [--stats]
 *   /deploy history <env> [service] [count]
 *   /deploy rollback <env> [service] [--stack] [to <version|sha|deploy-id>] [because <reason…>]
 *   /deploy promote [service] [<from> to <to>]       default: the environment with `promote_from`
 *   /deploy lock <env> [service] <reason…> [for <duration>]   no service: every service of the environment
 *   /deploy unlock <env> [service]
 *   /deploy locks [env]
 *   /deploy audit [env] [since <duration>]            default: the last 30 days
 *   /deploy status [env] [service] [--stats]
 *
 * `--break-glass "<reason>"` at the end of a deploy, rollback or promotion asks for an emergency change during a
 * freeze window (two approvals from `break_glass_approvers`).
 */
import { type Catalog, type EnvironmentDefinition, type ServiceDefinition, findEnvironment, findService } from './catalog.js';
import { parseDuration } from './duration.js';
import { closestNames } from './suggest.js';

/** A parsed `/deploy` command. */
export type DeployCommand =
  | { kind: 'help' }
  | { kind: 'deploy'; environment: string; service: string; ref: string; refGiven: boolean; breakGlass?: string }
  /** `stats`: `--stats`, the delivery numbers of the last 30 days instead of what runs. */
  | { kind: 'status'; service?: string; environment?: string; stats?: true }
  | { kind: 'history'; environment: string; service: string; count: number }
  /** `target`: what `to` named (a Lambda version, a SHA or a deploy id); `reason`: the words after `because`. */
  /** `stack`: `--stack`, restore a backup of the target's stack (`to` then names the deploy id whose backup). */
  | { kind: 'rollback'; environment: string; service: string; target?: string; reason?: string; stack?: true; breakGlass?: string }
  /** `environment`: where the SHA goes; `from`: where it last succeeded (the target's `promote_from` by default). */
  | { kind: 'promote'; environment: string; service: string; from: string; breakGlass?: string }
  /** No `service`: the lock holds every service of the environment. No `durationMs`: until unlocked. */
  | { kind: 'lock'; environment: string; service?: string; reason: string; durationMs?: number }
  | { kind: 'unlock'; environment: string; service?: string }
  | { kind: 'locks'; environment?: string }
  /** The audit trail of `environment` (all the user may read when absent) over the last `sinceMs`. */
  | { kind: 'audit'; environment?: string; sinceMs: number };

/** An environment or service as the user may type it: its name and its aliases. */
export interface KnownName {
  name: string;
  aliases: string[];
}

/** Which form of `/deploy` a usage hint is about: `/deploy <env> …` or `/deploy history <env> …`. */
export type CommandForm = 'deploy' | 'history' | 'rollback' | 'promote' | 'lock' | 'unlock';

/**
 * Why a command could not be understood: a stable `code` (for logs and tests) plus the data needed to explain it
 * and offer a fix. No sentences and no markup here; `src/slack/blocks/command-errors.ts` words it.
 */
export type CommandError = {
  kind: 'error';
  /** The closest names to what was typed, or the names to choose from; best first. */
  suggestions: string[];
} & (
  | {
      /** The text is longer than `/deploy` reads at all. */
      code: 'too_long';
      length: number;
      limit: number;
    }
  | {
      code: 'unknown_environment';
      /** The word taken for the environment, as typed. */
      word: string;
      environments: KnownName[];
      /** Set when `word` is rather a misspelt subcommand: the words after `/deploy` as probably meant. */
      meant?: string[];
    }
  | {
      code: 'missing_environment';
      form: CommandForm;
      /** For the deploy form: the service as typed, to build a ready command. */
      word?: string;
      environments: KnownName[];
    }
  | {
      code: 'unknown_service';
      /** The word taken for the service, as typed. */
      word: string;
      services: KnownName[];
    }
  | {
      /** `/deploy audit` with more than one environment: it takes one, or none for all of them. */
      code: 'one_environment';
      form: 'audit';
      environments: string[];
    }
  | {
      /**
       * In `status` or `promote`, a word that is none of what may come there (an environment, a service, a flag):
       * the suggestions are the closest of all of them.
       */
      code: 'unknown_word';
      form: 'status' | 'promote';
      word: string;
      environments: KnownName[];
      services: KnownName[];
      /** The flags the form takes, e.g. `--stats`. */
      flags: string[];
    }
  | {
      code: 'missing_service';
      form: CommandForm;
      /** The environment resolved so far, by name. */
      environment: string;
      services: KnownName[];
    }
  | {
      code: 'too_many_words';
      /** The words left over after the environment and service. */
      words: string[];
      environment: string;
      service: string;
    }
  | {
      code: 'bad_ref';
      ref: string;
      environment: string;
      service: string;
      /** The service's default ref, for an example that works. */
      defaultRef: string;
    }
  | {
      /** `to` with nothing after it, in a rollback. */
      code: 'missing_target';
      environment: string;
      service: string;
    }
  | {
      /** `/deploy promote` without `<from> to <to>`, and no environment (or several) names a `promote_from`. */
      code: 'no_promotion_target';
      /** The environments that name one, with their source; empty when none does. */
      choices: Array<{ from: string; to: string }>;
      environments: KnownName[];
    }
  | {
      /** `/deploy promote <env>` where `<env>` names no `promote_from`. */
      code: 'no_promotion_source';
      environment: string;
      choices: Array<{ from: string; to: string }>;
    }
  | {
      /** `<from> to <to>` with the same environment on both sides, or a side missing. */
      code: 'bad_promotion_route';
      from?: string;
      to?: string;
      environments: KnownName[];
    }
  | {
      code: 'bad_count';
      environment: string;
      min: number;
      max: number;
    }
  | {
      /** A lock without a reason, or `--break-glass` without one. */
      code: 'missing_reason';
      form: 'lock' | 'break_glass';
      environment?: string;
    }
  | {
      /** `for <x>` in a lock, or `since <x>` in an audit, where `<x>` is no duration within `maxMs`. */
      code: 'bad_duration';
      form: 'lock' | 'audit';
      word: string;
      maxMs: number;
    }
);

/**
 * The longest text `/deploy` reads. Slack documents no limit for a slash command's text, so this is foxops'
 * own: 4,000 characters, Slack's long-standing advice for message text, is far more than any real command needs,
 * and it bounds what one command can cost before any parsing.
 */
export const MAX_COMMAND_LENGTH = 4000;

// `promote` is left out of the suggestions for an unknown environment: `pro` means `prod` far more often. A misspelt
// `promote` in first place is still recognised (see parseCommand).
const SUBCOMMANDS = ['help', 'status', 'history', 'rollback', 'locks'];
/** Subcommands recognised when misspelt in first place (`histroy`). */
const TYPO_SUBCOMMANDS = ['status', 'history', 'rollback', 'promote', 'unlock', 'locks', 'audit'];
/** The longest lock foxops takes: a lock is for an incident or a release, not a standing rule (that is a freeze window). */
export const MAX_LOCK_MS = 30 * 86_400_000;
/** How far back `/deploy audit` reads; the trail itself is kept for `audit_retention_days`. */
export const MAX_AUDIT_MS = 3650 * 86_400_000;
/** The period `/deploy audit` exports when none is given. */
export const DEFAULT_AUDIT_MS = 30 * 86_400_000;
/** The longest rollback reason kept; the card and the audit trail show it. */
export const MAX_REASON_LENGTH = 300;
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
const known = (entries: KnownName[]): KnownName[] => entries.map((e) => ({ name: e.name, aliases: [...e.aliases] }));

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
  return { kind: 'error', code: 'unknown_environment', suggestions, word, environments: known(catalog.environments) };
}

/** A word in `form` that is no environment, service or flag of it: the closest of those as suggestions. */
function unknownWord(catalog: Catalog, word: string, form: 'status' | 'promote', flags: string[] = []): CommandError {
  const suggestions = distinctSuggestions(word, catalog, [...allEnvironmentNames(catalog), ...allServiceNames(catalog), ...flags]);
  return { kind: 'error', code: 'unknown_word', form, suggestions, word, environments: known(catalog.environments), services: known(catalog.services), flags };
}

function unknownService(catalog: Catalog, word: string): CommandError {
  const suggestions = distinctSuggestions(word, catalog, allServiceNames(catalog));
  return { kind: 'error', code: 'unknown_service', suggestions, word, services: known(catalog.services) };
}

/** A word that looks like a misspelt service rather than a ref. */
function looksLikeService(catalog: Catalog, word: string): boolean {
  return !/^[0-9a-f]{7,40}$/i.test(word) && !word.includes('/') && closestNames(word, allServiceNames(catalog)).length > 0;
}

function defaultService(catalog: Catalog): ServiceDefinition | undefined {
  if (catalog.defaultService) return findService(catalog, catalog.defaultService);
  return catalog.services.length === 1 ? catalog.services[0] : undefined;
}

/** No environment named in a `form` command; `extra.word`, for the deploy form, is the service as typed. */
function missingEnvironment(catalog: Catalog, form: CommandForm, extra: { word?: string } = {}): CommandError {
  return {
    kind: 'error',
    code: 'missing_environment',
    suggestions: catalog.environments.map((e) => e.name),
    form,
    ...extra,
    environments: known(catalog.environments),
  };
}

function missingService(catalog: Catalog, form: CommandForm, environment: EnvironmentDefinition): CommandError {
  return {
    kind: 'error',
    code: 'missing_service',
    suggestions: catalog.services.map((s) => s.name),
    form,
    environment: environment.name,
    services: known(catalog.services),
  };
}

/**
 * Picks the service out of `words` (removing it), or falls back to the default service.
 * Returns an error for a word that is neither a service nor usable as the remaining argument.
 */
function takeService(
  catalog: Catalog,
  words: string[],
  form: CommandForm,
  environment: EnvironmentDefinition,
  mayBeOther: (word: string) => boolean,
): ServiceDefinition | CommandError {
  const index = words.findIndex((w) => findService(catalog, w));
  if (index >= 0) return findService(catalog, words.splice(index, 1)[0]!)!;
  const unknown = words.find((w) => !mayBeOther(w) || looksLikeService(catalog, w));
  if (unknown !== undefined) return unknownService(catalog, unknown);
  return defaultService(catalog) ?? missingService(catalog, form, environment);
}

const isError = (x: unknown): x is CommandError => typeof x === 'object' && x !== null && (x as CommandError).kind === 'error';

function parseDeploy(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    // With two or more words, the first unknown one is most likely the environment.
    const notService = words.find((w) => !findService(catalog, w));
    if (notService === undefined) {
      return missingEnvironment(catalog, 'deploy', { word: words[0] });
    }
    return unknownEnvironment(catalog, notService);
  }
  const environment: EnvironmentDefinition = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const service = takeService(catalog, words, 'deploy', environment, () => words.length === 1);
  if (isError(service)) return service;
  if (words.length > 1) {
    return { kind: 'error', code: 'too_many_words', suggestions: [], words: [...words], environment: environment.name, service: service.name };
  }
  const ref = words[0];
  if (ref !== undefined && !isValidRef(ref)) {
    return { kind: 'error', code: 'bad_ref', suggestions: [], ref, environment: environment.name, service: service.name, defaultRef: service.defaultRef };
  }
  return { kind: 'deploy', environment: environment.name, service: service.name, ref: ref ?? service.defaultRef, refGiven: ref !== undefined };
}

function parseHistory(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    if (words.length === 0 || words.every((w) => findService(catalog, w) || /^\d+$/.test(w))) {
      return missingEnvironment(catalog, 'history');
    }
    return unknownEnvironment(catalog, words.find((w) => !findService(catalog, w) && !/^\d+$/.test(w))!);
  }
  const environment = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const countIndex = words.findIndex((w) => /^\d+$/.test(w));
  let count = 10;
  if (countIndex >= 0) {
    count = Number(words.splice(countIndex, 1)[0]);
    if (count < 1 || count > MAX_HISTORY) {
      return { kind: 'error', code: 'bad_count', suggestions: [], environment: environment.name, min: 1, max: MAX_HISTORY };
    }
  }
  const service = takeService(catalog, words, 'history', environment, () => false);
  if (isError(service)) return service;
  if (words.length) return unknownService(catalog, words[0]!);
  return { kind: 'history', environment: environment.name, service: service.name, count };
}

function parseRollback(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const because = words.findIndex((w) => w.toLowerCase() === 'because');
  const reason = because >= 0 ? words.splice(because).slice(1).join(' ').slice(0, MAX_REASON_LENGTH) || undefined : undefined;
  // `--stack` (Slack may turn `--` into an em or en dash).
  // Em and en dash as escapes: a literal non-ASCII character makes the bundle's chunk a two-byte string in V8.
  const stackFlag = words.findIndex((w) => /^(--|\u2014|\u2013)stack$/i.test(w));
  const stack = stackFlag >= 0 && words.splice(stackFlag, 1).length > 0;
  const to = words.findIndex((w) => w.toLowerCase() === 'to');
  const target = to >= 0 ? words.splice(to, 2)[1] : undefined;
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    const notService = words.find((w) => !findService(catalog, w));
    if (notService === undefined) {
      return missingEnvironment(catalog, 'rollback');
    }
    return unknownEnvironment(catalog, notService);
  }
  const environment = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const service = takeService(catalog, words, 'rollback', environment, () => false);
  if (isError(service)) return service;
  if (words.length) return { kind: 'error', code: 'too_many_words', suggestions: [], words: [...words], environment: environment.name, service: service.name };
  if (to >= 0 && (target === undefined || target.length > 64)) {
    return { kind: 'error', code: 'missing_target', suggestions: [], environment: environment.name, service: service.name };
  }
  return {
    kind: 'rollback',
    environment: environment.name,
    service: service.name,
    ...(target ? { target } : {}),
    ...(reason ? { reason } : {}),
    ...(stack ? { stack: true as const } : {}),
  };
}

const routes = (catalog: Catalog) => catalog.environments.filter((e) => e.promoteFrom).map((e) => ({ from: e.promoteFrom!, to: e.name }));

function parsePromote(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  let from: EnvironmentDefinition | undefined;
  let to: EnvironmentDefinition | undefined;
  const toIndex = words.findIndex((w) => w.toLowerCase() === 'to' && !findEnvironment(catalog, w));
  if (toIndex >= 0) {
    const left = toIndex > 0 ? words[toIndex - 1] : undefined;
    const right = words[toIndex + 1];
    words.splice(Math.max(0, toIndex - 1), (left === undefined ? 0 : 1) + 1 + (right === undefined ? 0 : 1));
    if (left === undefined || right === undefined) {
      return {
        kind: 'error',
        code: 'bad_promotion_route',
        suggestions: [],
        ...(left !== undefined ? { from: left } : {}),
        ...(right !== undefined ? { to: right } : {}),
        environments: known(catalog.environments),
      };
    }
    from = findEnvironment(catalog, left);
    if (!from) return unknownEnvironment(catalog, left);
    to = findEnvironment(catalog, right);
    if (!to) return unknownEnvironment(catalog, right);
    if (from.name === to.name)
      return { kind: 'error', code: 'bad_promotion_route', suggestions: [], from: from.name, to: to.name, environments: known(catalog.environments) };
  } else {
    const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
    if (envIndex >= 0) {
      to = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
      if (!to.promoteFrom) return { kind: 'error', code: 'no_promotion_source', suggestions: [], environment: to.name, choices: routes(catalog) };
    } else {
      const targets = catalog.environments.filter((e) => e.promoteFrom);
      if (targets.length !== 1) {
        return {
          kind: 'error',
          code: 'no_promotion_target',
          suggestions: targets.map((e) => e.name),
          choices: routes(catalog),
          environments: known(catalog.environments),
        };
      }
      to = targets[0]!;
    }
    from = findEnvironment(catalog, to.promoteFrom!)!;
  }
  const service = takeService(catalog, words, 'promote', to, () => false);
  // `promote prdo`: the word may be a misspelt environment as well as a service.
  if (isError(service)) return service.code === 'unknown_service' ? unknownWord(catalog, service.word, 'promote') : service;
  if (words.length) return unknownWord(catalog, words[0]!, 'promote');
  return { kind: 'promote', environment: to.name, service: service.name, from: from.name };
}

const isFlag = (word: string, name: string) => new RegExp(`^(--|—|–)${name}$`, 'i').test(word);

function parseStatus(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const statsFlag = words.findIndex((w) => isFlag(w, 'stats'));
  const stats = statsFlag >= 0 && words.splice(statsFlag, 1).length > 0;
  const envIndex = words.findIndex((w) => findEnvironment(catalog, w));
  const environment = envIndex >= 0 ? findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!.name : undefined;
  const extra = { ...(environment ? { environment } : {}), ...(stats ? { stats: true as const } : {}) };
  if (words.length === 0) return { kind: 'status', ...extra };
  const service = words.length === 1 ? findService(catalog, words[0]!) : undefined;
  if (!service) return unknownWord(catalog, words.find((w) => !findService(catalog, w)) ?? words.join(' '), 'status', ['--stats']);
  return { kind: 'status', service: service.name, ...extra };
}

/** Quotes around a reason, straight or as Slack's smart quotes, are not part of it. */
function unquote(text: string): string {
  return text
    .trim()
    .replace(/^["\u201C\u201D'\u2018\u2019]+|["\u201C\u201D'\u2018\u2019]+$/g, '')
    .trim();
}

/** The environment among the first two words, and a service as the other of them (optional). */
function envAndService(
  catalog: Catalog,
  words: string[],
  form: CommandForm,
): { environment: EnvironmentDefinition; service?: ServiceDefinition } | CommandError {
  const envIndex = words.slice(0, 2).findIndex((w) => findEnvironment(catalog, w));
  if (envIndex < 0) {
    const notService = words.find((w) => !findService(catalog, w));
    return notService === undefined ? missingEnvironment(catalog, form) : unknownEnvironment(catalog, notService);
  }
  const environment = findEnvironment(catalog, words.splice(envIndex, 1)[0]!)!;
  const serviceIndex = envIndex === 1 ? 0 : words.length ? 0 : -1;
  const service = serviceIndex >= 0 ? findService(catalog, words[serviceIndex]!) : undefined;
  if (service) words.splice(serviceIndex, 1);
  return { environment, ...(service ? { service } : {}) };
}

/** Units written out (`for 2 hours`), as the letter `parseDuration` reads. */
const UNIT_WORDS: Record<string, string> = {
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
};

function parseLock(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  // `for 2 hours` at the end is `for 2h`.
  const unit = UNIT_WORDS[words.at(-1)?.toLowerCase() ?? ''];
  if (words.length >= 3 && words.at(-3)!.toLowerCase() === 'for' && /^\d+$/.test(words.at(-2)!) && unit) words.splice(-2, 2, `${words.at(-2)}${unit}`);
  // `for <duration>` at the end; `for` followed by other words is part of the reason ("locked for the migration").
  let durationMs: number | undefined;
  const last = words.at(-1);
  if (words.length >= 2 && words.at(-2)!.toLowerCase() === 'for' && last !== undefined && /^\d/.test(last)) {
    durationMs = parseDuration(last.toLowerCase());
    if (durationMs === undefined || durationMs > MAX_LOCK_MS)
      return { kind: 'error', code: 'bad_duration', suggestions: [], form: 'lock', word: last, maxMs: MAX_LOCK_MS };
    words.splice(-2);
  }
  const found = envAndService(catalog, words, 'lock');
  if (isError(found)) return found;
  const reason = unquote(words.join(' ')).slice(0, MAX_REASON_LENGTH);
  if (!reason) return { kind: 'error', code: 'missing_reason', suggestions: [], form: 'lock', environment: found.environment.name };
  return {
    kind: 'lock',
    environment: found.environment.name,
    ...(found.service ? { service: found.service.name } : {}),
    reason,
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

function parseUnlock(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const found = envAndService(catalog, words, 'unlock');
  if (isError(found)) return found;
  if (words.length) return unknownService(catalog, words[0]!);
  return { kind: 'unlock', environment: found.environment.name, ...(found.service ? { service: found.service.name } : {}) };
}

function parseLocks(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  if (words.length === 0) return { kind: 'locks' };
  const environment = words.length === 1 ? findEnvironment(catalog, words[0]!) : undefined;
  return environment ? { kind: 'locks', environment: environment.name } : unknownEnvironment(catalog, words.find((w) => !findEnvironment(catalog, w))!);
}

function parseAudit(catalog: Catalog, words: string[]): DeployCommand | CommandError {
  const since = words.findIndex((w) => w.toLowerCase() === 'since');
  const periodWord = since >= 0 ? (words.splice(since, 2)[1] ?? '') : words.find((w) => /^\d/.test(w));
  if (since < 0 && periodWord !== undefined) words.splice(words.indexOf(periodWord), 1);
  let sinceMs = DEFAULT_AUDIT_MS;
  if (periodWord !== undefined) {
    const parsed = parseDuration(periodWord.toLowerCase());
    if (parsed === undefined || parsed > MAX_AUDIT_MS)
      return { kind: 'error', code: 'bad_duration', suggestions: [], form: 'audit', word: periodWord, maxMs: MAX_AUDIT_MS };
    sinceMs = parsed;
  }
  if (words.length > 1) {
    const named = words.map((w) => findEnvironment(catalog, w));
    if (named.every((e) => e !== undefined))
      return { kind: 'error', code: 'one_environment', form: 'audit', suggestions: [], environments: named.map((e) => e.name) };
    return unknownEnvironment(catalog, words[named.indexOf(undefined)]!);
  }
  const environment = words.length ? findEnvironment(catalog, words[0]!) : undefined;
  if (words.length && !environment) return unknownEnvironment(catalog, words[0]!);
  return { kind: 'audit', ...(environment ? { environment: environment.name } : {}), sinceMs };
}

/**
 * Takes `--break-glass <reason…>` off the end of `words`: undefined when absent, the reason, or an error when it
 * has none. Everything after the flag is the reason, so it must come last.
 */
function takeBreakGlass(words: string[]): string | undefined | CommandError {
  const flag = words.findIndex((w) => isFlag(w, 'break-glass'));
  if (flag < 0) return undefined;
  const reason = unquote(words.splice(flag).slice(1).join(' ')).slice(0, MAX_REASON_LENGTH);
  return reason || { kind: 'error', code: 'missing_reason', suggestions: [], form: 'break_glass' };
}

/**
 * Parses the text after `/deploy`. Never throws: bad input becomes a {@link CommandError} with the data for a fix.
 * A text longer than {@link MAX_COMMAND_LENGTH} is refused before any parsing.
 */
export function parseCommand(text: string, catalog: Catalog): DeployCommand | CommandError {
  if (text.length > MAX_COMMAND_LENGTH) return { kind: 'error', code: 'too_long', suggestions: [], length: text.length, limit: MAX_COMMAND_LENGTH };
  const words = text.trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (first === undefined || first === 'help' || first === '-h' || first === '--help' || first === '?') return { kind: 'help' };
  // An environment named like a subcommand wins: the catalog is the user's own vocabulary.
  const sub = findEnvironment(catalog, first) ? undefined : first;
  if (sub === 'status') return parseStatus(catalog, words.slice(1));
  if (sub === 'history') return parseHistory(catalog, words.slice(1));
  if (sub === 'lock') return parseLock(catalog, words.slice(1));
  if (sub === 'unlock') return parseUnlock(catalog, words.slice(1));
  if (sub === 'locks') return parseLocks(catalog, words.slice(1));
  if (sub === 'audit') return parseAudit(catalog, words.slice(1));
  const breakGlass = takeBreakGlass(words);
  if (isError(breakGlass)) return breakGlass;
  const withBreakGlass = (parsed: DeployCommand | CommandError): DeployCommand | CommandError =>
    breakGlass === undefined || isError(parsed) ? parsed : ({ ...parsed, breakGlass } as DeployCommand);
  if (sub === 'rollback') return withBreakGlass(parseRollback(catalog, words.slice(1)));
  if (sub === 'promote') return withBreakGlass(parsePromote(catalog, words.slice(1)));
  // A misspelt subcommand in first place (`histroy`) is a typo, not a ref: say so rather than try to deploy it.
  if (!findEnvironment(catalog, first) && !findService(catalog, first)) {
    const [meant] = closestNames(first, TYPO_SUBCOMMANDS);
    if (meant && first.length >= 4) {
      return {
        kind: 'error',
        code: 'unknown_environment',
        suggestions: [meant],
        word: first,
        environments: known(catalog.environments),
        meant: [meant, ...words.slice(1)],
      };
    }
  }
  return withBreakGlass(parseDeploy(catalog, words));
}

/** Narrows a parse result to its error case. */
export function isCommandError(result: DeployCommand | CommandError): result is CommandError {
  return result.kind === 'error';
}
