/**
 * The `ci` pre-flight check (src/domain/preflight.ts): are the required checks and commit statuses on the pinned SHA
 * green? Pure: the required names and what GitHub reported in, a {@link PreflightCheck} out.
 *
 * - pass (`green`): every required name has a check run or status, and all of them ended `success`, `neutral` or
 *   `skipped`; (`none_required`): nothing is required (no `required_checks`, no protection rule naming checks).
 * - pending (`running`): nothing failed, nothing is missing, and a required one is still queued or running.
 * - fail (`failing`): a required one failed (`failure`, `cancelled`, `timed_out`, `action_required`, `stale`, `error`…)
 *   or has no check run nor status at all (`missing`). Items name each, as `name: conclusion`.
 * - fail (`unreadable`): the data could not be read; fails closed, with what was read and why not.
 */
import type { PreflightCheck } from './preflight.js';

/** A check run on a commit, as GitHub's Checks API reports its latest run per name. */
export interface CheckRunState {
  name: string;
  /** `queued`, `in_progress`, `completed`, `waiting`, `requested`, `pending`. */
  status: string;
  /** Set once `completed`: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`, `stale`. */
  conclusion: string | null;
}

/** A commit status (the Statuses API, one per context): `success`, `failure`, `error` or `pending`. */
export interface CommitStatusState {
  context: string;
  state: string;
}

/** What GitHub reports on one commit. */
export interface CommitChecks {
  checkRuns: CheckRunState[];
  statuses: CommitStatusState[];
}

/** Where the required names came from: `required_checks` in foxops.yml, or the default branch's protection. */
export type RequiredChecksSource = 'config' | 'protection';

/** Why the CI data could not be read: what was asked for, the HTTP status and GitHub's words, when there are some. */
export interface CiUnreadable {
  /** `check_runs`, `statuses` or `protection`. */
  read: 'check_runs' | 'statuses' | 'protection';
  /** The source-control error code (`forbidden`, `unavailable`…). */
  code: string;
  status?: number;
  cause?: string;
}

/** The most names a check's items list; the count is in the params. */
export const CI_ITEMS_LIMIT = 10;

const GREEN = new Set(['success', 'neutral', 'skipped']);

type State = 'green' | 'pending' | 'failed';

function runState(run: CheckRunState): { state: State; word: string } {
  if (run.status !== 'completed') return { state: 'pending', word: run.status };
  const conclusion = run.conclusion ?? 'unknown';
  return { state: GREEN.has(conclusion) ? 'green' : 'failed', word: conclusion };
}

function statusState(status: CommitStatusState): { state: State; word: string } {
  if (status.state === 'pending') return { state: 'pending', word: 'pending' };
  return { state: status.state === 'success' ? 'green' : 'failed', word: status.state };
}

/**
 * The `ci` check of a commit: `required` names (de-duplicated, case as configured; GitHub matches check names
 * exactly) against `checks`. `source` says where the names came from.
 */
export function ciCheck(required: readonly string[], source: RequiredChecksSource, checks: CommitChecks): PreflightCheck {
  const names = [...new Set(required)];
  if (names.length === 0) return { check: 'ci', verdict: 'pass', code: 'none_required' };
  const failed: string[] = [];
  const pending: string[] = [];
  for (const name of names) {
    const found = [...checks.checkRuns.filter((r) => r.name === name).map(runState), ...checks.statuses.filter((s) => s.context === name).map(statusState)];
    if (found.length === 0) {
      failed.push(`${name}: missing`);
      continue;
    }
    const bad = found.find((f) => f.state === 'failed');
    if (bad) failed.push(`${name}: ${bad.word}`);
    else if (found.some((f) => f.state === 'pending')) pending.push(name);
  }
  const params = { source, required: names.length };
  if (failed.length > 0)
    return { check: 'ci', verdict: 'fail', code: 'failing', params: { ...params, failing: failed.length }, items: failed.slice(0, CI_ITEMS_LIMIT) };
  if (pending.length > 0) {
    return { check: 'ci', verdict: 'pending', code: 'running', params: { ...params, pending: pending.length }, items: pending.slice(0, CI_ITEMS_LIMIT) };
  }
  return { check: 'ci', verdict: 'pass', code: 'green', params };
}

/** The `ci` check when the data could not be read: fails closed, with the reason. */
export function ciUnreadable(reason: CiUnreadable): PreflightCheck {
  return {
    check: 'ci',
    verdict: 'fail',
    code: 'unreadable',
    params: {
      read: reason.read,
      error: reason.code,
      ...(reason.status !== undefined ? { status: reason.status } : {}),
      ...(reason.cause !== undefined ? { cause: reason.cause.slice(0, 200) } : {}),
    },
  };
}

/** The request's `ci` check, if it has one. */
export function ciCheckOf(preflight: readonly PreflightCheck[] | undefined): PreflightCheck | undefined {
  return preflight?.find((c) => c.check === 'ci');
}
