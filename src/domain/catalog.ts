/**
 * The catalog: which services foxops deploys and to which environments.
 * Built from `foxops.yml` by `src/config`; pure data here so the domain stays free of I/O.
 */
import type { PreflightSettings } from './preflight-rules.js';
import type { NotifyLevel } from './notify.js';

/**
 * Whether two `owner/name` repository names are the same repository: GitHub compares them without case, and its
 * payloads and tokens may spell them otherwise than foxops.yml does.
 */
export function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Where a service runs in one environment; used by rollback, alarms and IAM scoping. */
export interface DeployTarget {
  functionName?: string;
  alias?: string;
  stack?: string;
  region?: string;
  /**
   * The service's CloudWatch alarms in this environment, checked before a promotion from it: exact names, or prefixes
   * ending in `*`. Absent: the prefix `<function>-` when the target names a function (src/domain/promotion.ts).
   */
  alarms?: string[];
}

/**
 * How a rollback of a service puts the old version back: `alias` points the target's Lambda alias at the recorded
 * version (no GitHub run, seconds); `redeploy` dispatches the service's workflow for the old SHA.
 */
export type RollbackMode = 'alias' | 'redeploy';

/** A deployable service and the GitHub workflow that ships it. */
export interface ServiceDefinition {
  name: string;
  aliases: string[];
  /** `owner/name` of the GitHub repository. */
  repo: string;
  /** File name (`deploy.yml`) or numeric id of the workflow to dispatch. */
  workflow: string;
  defaultRef: string;
  /** Per environment name. */
  targets: Record<string, DeployTarget>;
  /** How `/deploy rollback` goes back (`rollback:` in foxops.yml); absent: {@link defaultRollbackMode} of the targets. */
  rollback?: RollbackMode;
  /** Globs of files whose change the card flags as risky (`risky_paths`, e.g. `migrations/**`); absent: none. */
  riskyPaths?: string[];
  /** Commits above which the card flags a deploy as large (`max_commits`); absent: 20 (src/domain/preflight-rules.ts). */
  maxCommits?: number;
}

/** Who may request in which channels the deploys of one environment, and how many approvals they need. */
export interface EnvironmentDefinition {
  name: string;
  aliases: string[];
  /** Slack channel ids where requests may be made and where cards are posted. The first is the home channel. */
  channels: string[];
  /** Approvals needed before dispatch; 0 dispatches at once. */
  approvals: number;
  /** Slack user ids (`U…`/`W…`) and user-group ids (`S…`). */
  approvers: string[];
  /** `any`, or Slack user and user-group ids. */
  requesters: 'any' | string[];
  /** How long a request waits for approvals. */
  requestTtlMs: number;
  /** A run with no news for longer than this is asked about by the reconciler. */
  staleAfterMs: number;
  /** A run older than this ends as `timed_out`. */
  runTimeoutMs: number;
  /** Approvals a rollback needs (`rollback_approvals`); absent: see {@link rollbackApprovalsOf}. */
  rollbackApprovals?: number;
  /** The environment `/deploy promote` takes the SHA from (`promote_from`); absent: nothing is promoted here. */
  promoteFrom?: string;
  /** How long the source deploy must have run before it may be promoted here (`promote_after`); default 0. */
  promoteAfterMs?: number;
  /** `require_promotion`: a plain deploy here must ship a SHA that succeeded in {@link promoteFrom}. */
  requirePromotion?: boolean;
  /** IANA time zone of the environment's freeze windows (`time_zone`); absent: `UTC`. */
  timeZone?: string;
  /** When deploys here stop (`freezes`); absent or empty: never. Evaluated by src/domain/freeze.ts. */
  freezes?: FreezeWindow[];
  /** Whether a rollback during a freeze goes ahead as usual (`allow`, the default) or needs break-glass. */
  rollbacksInFreeze?: 'allow' | 'break_glass';
  /** Slack user and user-group ids who may approve a break-glass deploy during a freeze; absent: none. */
  breakGlassApprovers?: string[];
  /** Slack channel id where break-glass requests are posted (`audit_channel`); absent: none. */
  auditChannel?: string;
  /** Slack user and user-group ids who may export the audit trail besides the approvers; absent: none. */
  auditors?: string[];
  /**
   * How long after a deploy (or promotion) succeeded here an ALARM counts as "during bake" (`bake`): marked on the deploy
   * card, and with {@link autoRollback} rolled back at once. Absent: no bake window.
   */
  bakeMs?: number;
  /** `auto_rollback`: an ALARM during bake starts a rollback without approvals (needs {@link bakeMs}). */
  autoRollback?: boolean;
  /**
   * `notify`: which thread replies go under the cards here: `all` (started and every outcome; absent means this),
   * `failures` (failed, timed out, unknown) or `none`. The card itself is always kept up to date (src/domain/notify.ts).
   */
  notify?: NotifyLevel;
  /** The pre-flight checks' settings (`checks:`), only the keys written; defaults in src/domain/preflight-rules.ts. */
  checks?: Partial<PreflightSettings>;
  /**
   * `required_checks`: the check run and commit status names that must be green on the SHA (the `ci` pre-flight check);
   * `[]`: none. Absent: those the default branch's protection requires (src/deploys/ci-check.ts).
   */
  requiredChecks?: string[];
}

/** A time of the week in a freeze window's zone: ISO weekday (1 Monday … 7 Sunday), hour 0–23, minute 0–59. */
export interface WeeklyTime {
  weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  hour: number;
  minute: number;
}

/**
 * A period when deploys to an environment stop, in `timeZone` (IANA). Pure data, so that the catalog stays JSON
 * (the Lambda bundle ships it so) and loading it needs no date library: src/domain/freeze.ts turns it into instants.
 * `weekly` repeats every week from `from` to the next `to` (it may wrap the week, Fri → Mon); `once` runs from the
 * local date-time `from` (`YYYY-MM-DDTHH:mm`) to `to`, end exclusive (a date-only `to` in foxops.yml is stored as
 * 00:00 of the next day).
 */
export type FreezeWindow =
  | { kind: 'weekly'; from: WeeklyTime; to: WeeklyTime; timeZone: string; reason: string }
  | { kind: 'once'; from: string; to: string; timeZone: string; reason: string };

/** Approvals a rollback needs when the environment says nothing: one, because a rollback is urgent. */
export const DEFAULT_ROLLBACK_APPROVALS = 1;

/**
 * Approvals a rollback in `env` needs: its `rollback_approvals`, else {@link DEFAULT_ROLLBACK_APPROVALS}, but none
 * where deploys need none (such an environment may have no approvers at all).
 */
export function rollbackApprovalsOf(env: Pick<EnvironmentDefinition, 'approvals' | 'rollbackApprovals'>): number {
  return env.rollbackApprovals ?? Math.min(DEFAULT_ROLLBACK_APPROVALS, env.approvals);
}

/** The rollback mode of a service that names none: `alias` when it has targets and every one names a function, else `redeploy`. */
export function defaultRollbackMode(targets: Record<string, DeployTarget>): RollbackMode {
  const all = Object.values(targets);
  return all.length > 0 && all.every((t) => t.functionName) ? 'alias' : 'redeploy';
}

/** Everything foxops knows about what it deploys where. */
export interface Catalog {
  services: ServiceDefinition[];
  environments: EnvironmentDefinition[];
  defaultService?: string;
  /** Days the audit trail is kept (`audit_retention_days`); absent: {@link DEFAULT_AUDIT_RETENTION_DAYS}. */
  auditRetentionDays?: number;
  /** How service alarms are posted (`alarms:`); absent: every default. */
  alarms?: AlarmSettings;
}

/** The top-level `alarms:` of foxops.yml. */
export interface AlarmSettings {
  /** Channel id for alarms that belong to no service's environment (`default_channel`); absent: they are dropped. */
  defaultChannel?: string;
  /** How long after a deploy an alarm names it as the likely cause (`window`); absent: 60 minutes (src/domain/alarm.ts). */
  windowMs?: number;
  /** More than `changes` state changes within `withinMs` is flapping (`flapping`); absent: 5 in 10m (src/domain/alarm-episode.ts). */
  flapping?: { changes: number; withinMs: number };
  /** More than `alarms` new alarm messages in a channel within `withinMs` is a storm (`storm`); absent: 10 in 1m. */
  storm?: { alarms: number; withinMs: number };
  /** How long an alarm is out of ALARM before its next change gets a new message (`new_message_after`); absent: 30m. */
  newMessageAfterMs?: number;
}

/** Days the audit trail is kept when foxops.yml says nothing: a little over a year, so a yearly review sees it all. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

const norm = (word: string) => word.trim().toLowerCase();

/** Finds an environment by name or alias, case-insensitively. */
export function findEnvironment(catalog: Catalog, word: string): EnvironmentDefinition | undefined {
  const w = norm(word);
  return catalog.environments.find((e) => e.name === w || e.aliases.includes(w));
}

/** Finds a service by name or alias, case-insensitively. */
export function findService(catalog: Catalog, word: string): ServiceDefinition | undefined {
  const w = norm(word);
  return catalog.services.find((s) => s.name === w || s.aliases.includes(w));
}

/** Where an environment's news goes (locks, alarms, notices): its first channel, the home channel. */
export function homeChannel(env: Pick<EnvironmentDefinition, 'channels'>): string {
  return env.channels[0]!;
}

/** Returns the environment with that exact name, or throws: callers hold names that came from the catalog. */
export function environmentNamed(catalog: Catalog, name: string): EnvironmentDefinition {
  const env = catalog.environments.find((e) => e.name === name);
  if (!env) throw new Error(`environment "${name}" is not in the configuration`);
  return env;
}

/** Returns the service with that exact name, or throws: callers hold names that came from the catalog. */
export function serviceNamed(catalog: Catalog, name: string): ServiceDefinition {
  const svc = catalog.services.find((s) => s.name === name);
  if (!svc) throw new Error(`service "${name}" is not in the configuration`);
  return svc;
}
