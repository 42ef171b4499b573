/**
 * Rollback, as the ledger sees it: what runs in an environment to the Lambda version, which earlier deploy is the
 * last known good one, and which deploy a `/deploy rollback … to <x>` names. Pure: ledger entries in, decisions out.
 */
import { defaultRollbackMode, type RollbackMode, type ServiceDefinition } from './catalog.js';
import type { AliasTarget, DeploymentRecord } from './ports.js';
import type { DeployRequest, Failure, RollbackDetails, RollbackNote, RollbackSide } from './request.js';

/** Where a rollback goes, and what it takes out. */
export interface RollbackPlan {
  /** What runs now (the newest success). */
  from: DeploymentRecord;
  /** The earlier success it goes back to; has a `version` when the environment has a Lambda target. */
  to: DeploymentRecord;
}

/** Why no rollback can be planned. */
export type NoRollback =
  /** Nothing was deployed through foxops to this environment. */
  | { code: 'nothing_deployed' }
  /** No earlier success is left to go back to (all taken out, or none recorded a version). */
  | { code: 'no_known_good'; current: DeploymentRecord }
  /** `to <x>` names nothing in this environment's history. */
  | { code: 'target_unknown'; target: string }
  /** `to <x>` names what runs now. */
  | { code: 'target_is_current'; current: DeploymentRecord }
  /**
   * `to <x>` names a deploy that did not succeed, has no recorded version where one is needed, or was taken out by a
   * rollback (going "back" to it would ship again what a rollback removed: that is a deploy, with its own checks).
   */
  | { code: 'target_unusable'; target: DeploymentRecord; why: 'not_succeeded' | 'no_version' | 'taken_out' };

/** The answer of {@link planRollback}. */
export type RollbackPlanning = { plan: RollbackPlan } | { refused: NoRollback };

const isSuccess = (r: DeploymentRecord) => r.outcome === 'succeeded';
const newestFirst = (a: DeploymentRecord, b: DeploymentRecord) => b.finishedAt.localeCompare(a.finishedAt);

/**
 * The successes a rollback has taken out: every success that finished after the deploy a rollback restored, up to
 * that rollback. Taken out means "not a known-good place to go back to", even if it succeeded at the time.
 */
export function takenOut(history: readonly DeploymentRecord[]): Set<string> {
  const out = new Set<string>();
  for (const rollback of history.filter((r) => isSuccess(r) && r.restores)) {
    for (const r of history) {
      if (r.requestId !== rollback.requestId && r.finishedAt > rollback.restores!.finishedAt && r.finishedAt < rollback.finishedAt) out.add(r.requestId);
    }
  }
  return out;
}

/**
 * The last known good deploy before what runs now: the newest earlier success that no rollback has taken out and
 * that is not the same version or SHA as what runs. `needVersion` (a Lambda target) also skips entries without one.
 */
export function lastKnownGood(history: readonly DeploymentRecord[], needVersion: boolean): { current?: DeploymentRecord; good?: DeploymentRecord } {
  const sorted = [...history].sort(newestFirst);
  const current = sorted.find(isSuccess);
  if (!current) return {};
  const out = takenOut(sorted);
  const good = sorted.find(
    (r) =>
      isSuccess(r) &&
      r.requestId !== current.requestId &&
      r.finishedAt < current.finishedAt &&
      !out.has(r.requestId) &&
      r.sha !== current.sha &&
      (!needVersion || (r.version !== undefined && r.version !== current.version)),
  );
  return good ? { current, good } : { current };
}

/**
 * Plans a rollback of one environment from its `history` (any order). Without `target` it goes to the last known
 * good deploy; with one it goes to the entry whose Lambda version, deploy id or SHA (7 or more characters) matches.
 */
export function planRollback(history: readonly DeploymentRecord[], needVersion: boolean, target?: string): RollbackPlanning {
  const { current, good } = lastKnownGood(history, needVersion);
  if (!current) return { refused: { code: 'nothing_deployed' } };
  if (target === undefined) return good ? { plan: { from: current, to: good } } : { refused: { code: 'no_known_good', current } };
  const word = target.trim().toLowerCase();
  const sorted = [...history].sort(newestFirst);
  const matches = (r: DeploymentRecord) =>
    r.requestId === word || r.version === word.replace(/^v/, '') || (/^[0-9a-f]{7,40}$/.test(word) && r.sha.startsWith(word));
  const named = sorted.find((r) => matches(r) && isSuccess(r)) ?? sorted.find(matches);
  if (!named) return { refused: { code: 'target_unknown', target } };
  if (named.requestId === current.requestId || (needVersion && named.version === current.version) || (!needVersion && named.sha === current.sha)) {
    return { refused: { code: 'target_is_current', current } };
  }
  if (!isSuccess(named)) return { refused: { code: 'target_unusable', target: named, why: 'not_succeeded' } };
  if (takenOut(sorted).has(named.requestId)) return { refused: { code: 'target_unusable', target: named, why: 'taken_out' } };
  if (needVersion && named.version === undefined) return { refused: { code: 'target_unusable', target: named, why: 'no_version' } };
  return { plan: { from: current, to: named } };
}

/** True for a rollback request that goes back by moving a Lambda alias (no GitHub run). */
export function isAliasRollback(request: Pick<DeployRequest, 'kind' | 'rollback'>): boolean {
  return request.kind === 'rollback' && request.rollback?.mode === 'alias';
}

/** The Lambda alias of `service` in `environment` (alias `live` unless the target names another), when the target names a function. */
export function aliasTargetOf(service: ServiceDefinition, environment: string): AliasTarget | undefined {
  const target = Object.hasOwn(service.targets, environment) ? service.targets[environment] : undefined;
  if (!target?.functionName) return undefined;
  return { functionName: target.functionName, alias: target.alias ?? 'live', ...(target.region ? { region: target.region } : {}) };
}

/**
 * How a rollback of `service` in `environment` goes back: the service's `rollback` setting (default: see
 * {@link defaultRollbackMode}), except that an environment whose target names no function can only be redeployed.
 */
export function rollbackModeOf(service: ServiceDefinition, environment: string): RollbackMode {
  const mode = service.rollback ?? defaultRollbackMode(service.targets);
  return mode === 'alias' && aliasTargetOf(service, environment) ? 'alias' : 'redeploy';
}

/** A ledger entry as one end of a rollback. */
export function rollbackSide(r: DeploymentRecord): RollbackSide {
  return {
    requestId: r.requestId,
    sha: r.sha,
    ...(r.shaUrl ? { shaUrl: r.shaUrl } : {}),
    ref: r.ref,
    ...(r.version !== undefined ? { version: r.version } : {}),
    requester: r.requester,
    finishedAt: r.finishedAt,
    kind: r.kind,
  };
}

/** Why no rollback could be planned, as the failure stored on the request (worded by the Slack adapter). */
export function noRollbackFailure(refused: NoRollback, where: { service: string; environment: string; needVersion: boolean }): Failure {
  const { service, environment, needVersion } = where;
  const withVersion = (r: DeploymentRecord): Record<string, string> => (r.version !== undefined ? { version: r.version } : {});
  switch (refused.code) {
    case 'nothing_deployed':
      return { code: 'nothing_deployed', params: { service, environment } };
    case 'no_known_good':
      return { code: 'no_known_good', params: { service, environment, needVersion, sha: refused.current.sha, ...withVersion(refused.current) } };
    case 'target_unknown':
      return { code: 'target_unknown', params: { service, environment, target: refused.target } };
    case 'target_is_current':
      return {
        code: 'target_is_current',
        params: { service, environment, sha: refused.current.sha, deployId: refused.current.requestId, ...withVersion(refused.current) },
      };
    case 'target_unusable':
      return {
        code: 'target_unusable',
        params: {
          service,
          environment,
          why: refused.why,
          outcome: refused.target.outcome,
          sha: refused.target.sha,
          deployId: refused.target.requestId,
          ...withVersion(refused.target),
        },
      };
  }
}

const versionParam = (r: Pick<DeploymentRecord, 'version'>): { version?: string } => (r.version !== undefined ? { version: r.version } : {});

/** The ledger fields of a rollback that went from `details.from` back to `details.to`. */
export function rollbackLedgerFields(details: RollbackDetails | undefined): Pick<DeploymentRecord, 'restores' | 'rolledBackFrom'> {
  if (!details?.from || !details.to) return {};
  const { from, to } = details;
  return {
    restores: { requestId: to.requestId, finishedAt: to.finishedAt, sha: to.sha, ...versionParam(to) },
    rolledBackFrom: { requestId: from.requestId, sha: from.sha, ...versionParam(from), ...(details.reason ? { reason: details.reason } : {}) },
  };
}

/** The note an environment carries while a rollback is what runs there (`current`, from the ledger). */
export function rollbackNoteOf(current: DeploymentRecord | undefined): RollbackNote | undefined {
  const from = current?.rolledBackFrom;
  if (!current || !from) return undefined;
  return {
    requestId: from.requestId,
    sha: from.sha,
    ...versionParam(from),
    by: current.requester,
    ...(from.reason ? { reason: from.reason } : {}),
    at: current.finishedAt,
  };
}

/** The newest success in `history` that left `version` running: who put there what an alias serves now. */
export function deployOfVersion(history: readonly DeploymentRecord[], version: string): DeploymentRecord | undefined {
  return [...history].sort(newestFirst).find((r) => isSuccess(r) && r.version === version);
}
