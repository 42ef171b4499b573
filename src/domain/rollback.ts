/**
 * Rollback, as the ledger sees it: what runs in an environment to the Lambda version, which earlier deploy is the
 * last known good one, and which deploy a `/deploy rollback … to <x>` names. Pure: ledger entries in, decisions out.
 */
import type { DeploymentRecord } from './ports.js';

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
  /** `to <x>` names a deploy that did not succeed, or has no recorded version where one is needed. */
  | { code: 'target_unusable'; target: DeploymentRecord; why: 'not_succeeded' | 'no_version' };

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
  if (needVersion && named.version === undefined) return { refused: { code: 'target_unusable', target: named, why: 'no_version' } };
  return { plan: { from: current, to: named } };
}
