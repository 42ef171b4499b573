/**
 * The `ci` pre-flight check as the jobs run it (the rule is src/domain/ci-check.ts): the prepare job computes it for
 * the pinned SHA; a request waiting for approval while CI runs (⏳) has it computed again by the `ci_check` job, which
 * the `check_suite` and `status` webhooks queue (src/github/ci-webhook.ts) and the reconciler queues as a back-stop.
 *
 * Which names are required: `required_checks` of the environment, else those the default branch's protection
 * requires. Anything GitHub does not answer fails closed (`unreadable`, with what was read and why not).
 */
import { scheduleCardUpdate } from '../cards/sync.js';
import { environmentNamed, sameRepo } from '../domain/catalog.js';
import { type CiUnreadable, ciCheck, ciCheckOf, ciUnreadable } from '../domain/ci-check.js';
import { SourceControlError } from '../domain/errors.js';
import type { SourceControl } from '../domain/ports.js';
import { type PreflightCheck, withCheck } from '../domain/preflight.js';
import type { DeployRequest } from '../domain/request.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** Why a read failed, for the `unreadable` check: what was read, the error code, the HTTP status and GitHub's words. */
function unreadable(read: CiUnreadable['read'], err: unknown): PreflightCheck {
  if (err instanceof SourceControlError) {
    const fromAction = err.params.action === 'read_statuses' ? 'statuses' : err.params.action === 'read_checks' ? 'check_runs' : read;
    return ciUnreadable({ read: fromAction, code: err.code, status: err.status, cause: err.cause });
  }
  return ciUnreadable({ read, code: 'error', cause: String((err as Error)?.message ?? err) });
}

/**
 * The `ci` check of `sha` for a request to `request.environment` of `request.repo`. Never throws: what cannot be read
 * becomes a failing `unreadable` check. Reads nothing of the commit when no check is required.
 */
export async function evaluateCiCheck(
  ctx: DeployContext,
  request: Pick<DeployRequest, 'repo' | 'environment' | 'id'>,
  sha: string,
  scm?: SourceControl,
): Promise<PreflightCheck> {
  const env = environmentNamed(ctx.catalog, request.environment);
  const source = scm ?? (await ctx.sourceControl());
  let required = env.requiredChecks;
  if (required === undefined) {
    try {
      required = await source.requiredChecks(request.repo);
    } catch (err) {
      ctx.logger.warn('ci.protection_unreadable', { requestId: request.id, repo: request.repo, err });
      return unreadable('protection', err);
    }
  }
  if (required.length === 0) return ciCheck([], env.requiredChecks ? 'config' : 'protection', { checkRuns: [], statuses: [] });
  try {
    const checks = await source.commitChecks(request.repo, sha);
    return ciCheck(required, env.requiredChecks ? 'config' : 'protection', checks);
  } catch (err) {
    ctx.logger.warn('ci.checks_unreadable', { requestId: request.id, repo: request.repo, sha, err });
    return unreadable('check_runs', err);
  }
}

/** True when `request` waits for approval with its `ci` check ⏳: the requests the `ci_check` job looks at again. */
export function waitsForCi(request: DeployRequest): boolean {
  return request.status === 'awaiting_approval' && ciCheckOf(request.preflight)?.verdict === 'pending';
}

/**
 * The `ci_check` job: computes the `ci` check of a request that waits for approval with CI ⏳, writes it
 * (conditionally, only while it still waits with the same SHA and a ⏳ check) and schedules the card edit. A ✗ keeps
 * the request waiting with the ✗ shown: Approve refuses it (`checks_failed`) until it expires or is rejected.
 */
export async function recheckCi(ctx: DeployContext, requestId: string): Promise<void> {
  const current = await ctx.requests.get(requestId);
  if (!current || !waitsForCi(current) || !current.sha) {
    ctx.logger.debug('ci.recheck_skipped', { requestId, status: current?.status });
    return;
  }
  const sha = current.sha;
  const check = await evaluateCiCheck(ctx, current, sha);
  if (check.verdict === 'pending' && JSON.stringify(check) === JSON.stringify(ciCheckOf(current.preflight))) {
    ctx.logger.debug('ci.still_pending', { requestId, sha });
    return;
  }
  const { written, request } = await mutateRequest(
    ctx.requests,
    requestId,
    (r) => (waitsForCi(r) && r.sha === sha ? { write: { ...r, preflight: withCheck(r.preflight, check) }, result: undefined } : { skip: undefined }),
    { current },
  );
  if (!written) return;
  ctx.logger.info('ci.rechecked', { requestId, sha, verdict: check.verdict, code: check.code });
  if (check.verdict !== 'pending') {
    await auditRequest(ctx, request, {
      actor: 'foxops',
      action: 'ci_check',
      outcome: check.verdict === 'fail' ? 'refused' : 'ok',
      detail: JSON.stringify(check),
    });
  }
  await scheduleCardUpdate(ctx, requestId);
}

/**
 * Queues a `ci_check` job for each request that waits for approval with CI ⏳ on `sha` of `repo` (store reads only:
 * the path that answers GitHub's webhook). `because` makes the job key unique per delivery. Returns the request ids.
 */
export async function queueCiChecks(ctx: DeployContext, repo: string, sha: string, because: string): Promise<string[]> {
  const waiting = (await ctx.requests.listActive(500)).filter((r) => r.sha === sha && sameRepo(r.repo, repo) && waitsForCi(r));
  await Promise.all(waiting.map((r) => ctx.jobs.enqueue({ type: 'ci_check', requestId: r.id }, { key: `ci-check:${r.id}:${because}` })));
  return waiting.map((r) => r.id);
}
