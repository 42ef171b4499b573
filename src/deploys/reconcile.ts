/**
 * The reconciler: runs every minute (EventBridge on AWS, an interval locally) so that no request hangs when
 * a webhook or a job got lost. For each active request, oldest news first:
 *  - waiting past its expiry: `expired`;
 *  - `preparing` or `approved` for minutes: its job was lost, queue it again (both jobs are idempotent);
 *  - `dispatching` for minutes (the dispatch job died mid-call): find its run by deploy id and follow it,
 *    else `dispatch_failed` with an explanation, so approvers can look and retry;
 *  - `rolling_back` for minutes (the alias job died mid-move): look where the alias points, and end the rollback
 *    `succeeded` or `rollback_failed` accordingly;
 *  - `queued_behind` for a minute: queue the job that lets the environment's next request go (a lock or a
 *    freeze that ended by itself frees nobody else);
 *  - `dispatched`/`queued`/`running` without news for the environment's `stale_after`: ask GitHub for the run
 *    and its jobs and apply them like a webhook. A run GitHub no longer knows ends `unknown`; one that runs past
 *    `run_timeout` ends `timed_out`. Both say so on the card and in the thread, never silently.
 * (The same pass then sweeps the job outbox, see src/jobs/sweep.ts.)
 * A pass is bounded in requests, GitHub calls and time; what it leaves is first in line the next minute,
 * because every look moves a request to the back of the queue (`lastRunEventAt`).
 */
import { environmentNamed } from '../domain/catalog.js';
import type { RunSnapshot, SourceControl } from '../domain/ports.js';
import { forceCancelDue } from '../domain/cancel.js';
import { type DeployRequest, type Failure, RUN_STATUSES, hasExpired } from '../domain/request.js';
import { applyRunUpdate, giveUpOnRun, noteRunChecked, runOverdue } from '../domain/run-events.js';
import type { DeployContext } from './context.js';
import { jobKey } from '../jobs/keys.js';
import { resolveStuckRollback } from './alias-rollback.js';
import { isStackRollback, resolveStuckStackRollback } from './stack-rollback.js';
import { resolveDispatch } from './dispatch.js';
import { waitsForCi } from './ci-check.js';
import { expireIfDue } from './expire.js';
import { mutateRequest } from './mutate.js';
import { clearEndedLockNote } from './locks.js';
import { publishRunChange } from './run-progress.js';

/** Limits of one pass. */
export interface ReconcileOptions {
  /** Requests acted on per pass (default 25). */
  maxRequests?: number;
  /** GitHub API calls per pass (default 60; a run costs two: the run and its jobs). */
  maxGitHubCalls?: number;
  /** Wall time per pass in ms (default 20 s, well inside the one-minute schedule). */
  budgetMs?: number;
  /** How long a job may take before the reconciler assumes it was lost (default 5 minutes). */
  stuckAfterMs?: number;
}

/** What one pass did; logged as `reconcile.pass`. */
export interface ReconcileSummary {
  active: number;
  actedOn: number;
  expired: number;
  requeued: number;
  /** Advance jobs queued for requests held in `queued_behind`. */
  advanced: number;
  /** Runs where GitHub had news the webhooks did not bring. */
  repaired: number;
  /** Runs asked about that had nothing new. */
  unchanged: number;
  unknown: number;
  timedOut: number;
  dispatchFound: number;
  dispatchFailed: number;
  errors: number;
  /** Requests due but left for the next pass because a limit was reached. */
  deferred: number;
  githubCalls: number;
  ms: number;
}

const DEFAULTS = { maxRequests: 25, maxGitHubCalls: 60, budgetMs: 20_000, stuckAfterMs: 5 * 60_000 };
/** Runs are looked for from a little before the dispatch: GitHub's clock and ours differ by seconds. */
const CLOCK_SKEW_MS = 2 * 60_000;
/** Used when a request's environment was removed from foxops.yml since: the schema's defaults. */
const FALLBACK_ENV = { staleAfterMs: 3 * 60_000, runTimeoutMs: 60 * 60_000 };
/** The active requests read per pass; more than a pass can act on, so due ones are found among the waiting. */
const ACTIVE_READ = 500;

type Work = 'expire' | 'requeue' | 'dispatch' | 'rollback' | 'poll' | 'advance' | 'ci';
/**
 * A request held in `queued_behind` this long gets its environment looked at again: a lock or freeze that ended by
 * itself frees nobody, and an advance job may have missed a request held at the same moment.
 */
const HELD_RECHECK_MS = 60_000;

function settingsOf(ctx: DeployContext, request: DeployRequest): { staleAfterMs: number; runTimeoutMs: number } {
  try {
    return environmentNamed(ctx.catalog, request.environment);
  } catch {
    return FALLBACK_ENV;
  }
}

const since = (iso: string | undefined, now: Date) => (iso ? now.getTime() - Date.parse(iso) : Infinity);

/** What the request needs now, if anything. */
function workFor(ctx: DeployContext, r: DeployRequest, now: Date, stuckAfterMs: number): Work | undefined {
  if (hasExpired(r, now)) return 'expire';
  if (r.status === 'queued_behind' && since(r.updatedAt, now) >= HELD_RECHECK_MS) return 'advance';
  // CI ⏳ on a request waiting for approval: a `ci_check` job reads it again, in case its webhook was lost.
  if (waitsForCi(r) && since(r.updatedAt, now) >= HELD_RECHECK_MS) return 'ci';
  if ((r.status === 'preparing' || r.status === 'approved') && since(r.updatedAt, now) > stuckAfterMs) return 'requeue';
  if (r.status === 'dispatching' && since(r.updatedAt, now) > stuckAfterMs) return 'dispatch';
  if (r.status === 'rolling_back' && since(r.updatedAt, now) > stuckAfterMs) return 'rollback';
  if (RUN_STATUSES.includes(r.status) && since(r.lastRunEventAt ?? r.dispatchedAt ?? r.updatedAt, now) >= settingsOf(ctx, r).staleAfterMs) return 'poll';
  return undefined;
}

/** Counts GitHub calls so a pass stays within its budget. */
class CountedGitHub {
  calls = 0;
  private scm: SourceControl | undefined;
  constructor(private readonly load: () => Promise<SourceControl>) {}
  private async use(): Promise<SourceControl> {
    this.calls += 1;
    return (this.scm ??= await this.load());
  }
  async getRun(repo: string, runId: number) {
    return (await this.use()).getRun(repo, runId);
  }
  async listRunJobs(repo: string, runId: number) {
    return (await this.use()).listRunJobs(repo, runId);
  }
  async findRunByDeployId(repo: string, workflow: string, deployId: string, createdAfter: Date) {
    return (await this.use()).findRunByDeployId(repo, workflow, deployId, createdAfter);
  }
}

/** Queues the advance job of the request's service and environment, once per minute whatever the number held. */
async function advance(ctx: DeployContext, r: DeployRequest, summary: ReconcileSummary): Promise<void> {
  const minute = ctx.now().toISOString().slice(0, 16);
  if (await ctx.jobs.enqueue({ type: 'advance', service: r.service, environment: r.environment }, { key: `advance:${r.service}:${r.environment}:${minute}` }))
    summary.advanced += 1;
}

async function expire(ctx: DeployContext, r: DeployRequest, summary: ReconcileSummary): Promise<void> {
  if (await expireIfDue(ctx, r)) summary.expired += 1;
}

async function requeue(ctx: DeployContext, r: DeployRequest, summary: ReconcileSummary): Promise<void> {
  // Both jobs re-read the request and do only what is left, so a job that was merely slow is harmless.
  const job = r.status === 'preparing' ? ({ type: 'prepare', requestId: r.id } as const) : ({ type: 'dispatch', requestId: r.id, version: r.version } as const);
  // A key of its own: the first job's key may be closed already (it ran and left the request where it was).
  await ctx.jobs.enqueue(job, { key: `${jobKey(job)}:requeue:${ctx.now().toISOString()}` });
  summary.requeued += 1;
  ctx.logger.warn('reconcile.job_requeued', { requestId: r.id, status: r.status, since: r.updatedAt });
}

/** A dispatch job died between claiming the request and recording the run: find the run, or hand it back to people. */
async function resolveStuckDispatch(ctx: DeployContext, github: CountedGitHub, r: DeployRequest, summary: ReconcileSummary): Promise<void> {
  const resolution = await resolveDispatch(ctx, github, r);
  if (resolution === 'found') summary.dispatchFound += 1;
  if (resolution === 'lost') summary.dispatchFailed += 1;
}

/** Asks GitHub about a run without news and applies what it says. */
async function pollRun(ctx: DeployContext, github: CountedGitHub, r: DeployRequest, summary: ReconcileSummary): Promise<void> {
  const env = settingsOf(ctx, r);
  let snapshot: RunSnapshot | undefined;
  let lost: Failure | undefined;
  let unreachable: unknown;
  try {
    if (r.run?.id !== undefined) {
      snapshot = await github.getRun(r.repo, r.run.id);
      // GitHub answers 404 for the run foxops followed.
      if (!snapshot) lost = { code: 'run_not_found', params: { repo: r.repo, runId: r.run.id } };
    } else {
      const dispatchedAt = r.dispatchedAt ?? r.updatedAt;
      snapshot = await github.findRunByDeployId(r.repo, r.workflow, r.id, new Date(Date.parse(dispatchedAt) - CLOCK_SKEW_MS));
      if (snapshot) await ctx.requests.linkRun(r.repo, snapshot.runId, r.id);
      else if (since(dispatchedAt, ctx.now()) > Math.max(env.staleAfterMs, DEFAULTS.stuckAfterMs)) {
        // No run id to ask about, and no run carrying the deploy id: no `runId` in the params.
        lost = { code: 'run_not_found', params: { repo: r.repo, workflow: r.workflow, deployId: r.id } };
      }
    }
    if (snapshot) snapshot = { ...snapshot, jobs: await github.listRunJobs(r.repo, snapshot.runId) };
  } catch (err) {
    // GitHub not answering does not stop the clock: an overdue run still ends as timed_out, below.
    if (!runOverdue(r, env.runTimeoutMs, ctx.now())) throw err;
    unreachable = err;
  }
  const update = snapshot;

  type Result = { before: DeployRequest; news: boolean } | undefined;
  const {
    written,
    request: after,
    result,
  } = await mutateRequest<Result>(ctx.requests, r.id, (cur) => {
    // A webhook may have brought the news meanwhile; then there is nothing left to do.
    if (!RUN_STATUSES.includes(cur.status)) return { skip: undefined };
    const now = ctx.now();
    if (lost) return { write: giveUpOnRun(cur, 'unknown', lost, now), result: { before: cur, news: true } };
    let next = (update && applyRunUpdate(cur, update, now)) ?? cur;
    if (RUN_STATUSES.includes(next.status) && runOverdue(next, env.runTimeoutMs, now)) {
      next = giveUpOnRun(
        next,
        'timed_out',
        { code: 'run_overdue', params: { runTimeoutMs: env.runTimeoutMs, environment: cur.environment, githubUnreachable: Boolean(unreachable) } },
        now,
      );
    }
    return next === cur ? { write: noteRunChecked(cur, now), result: { before: cur, news: false } } : { write: next, result: { before: cur, news: true } };
  });
  if (!written || !result) return;
  if (!result.news) {
    summary.unchanged += 1;
    return;
  }
  if (after.status === 'unknown') summary.unknown += 1;
  else if (after.status === 'timed_out' && !after.run?.conclusion) summary.timedOut += 1;
  else summary.repaired += 1;
  ctx.logger.info('reconcile.repaired', { requestId: r.id, from: result.before.status, to: after.status, runId: after.run?.id });
  await publishRunChange(ctx, result.before, after, 'reconciler');
}

/** One bounded pass over the active requests; returns (and logs) what it did. */
export async function reconcile(ctx: DeployContext, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const limits = { ...DEFAULTS, ...options };
  const started = Date.now();
  const summary: ReconcileSummary = {
    active: 0,
    actedOn: 0,
    expired: 0,
    requeued: 0,
    advanced: 0,
    repaired: 0,
    unchanged: 0,
    unknown: 0,
    timedOut: 0,
    dispatchFound: 0,
    dispatchFailed: 0,
    errors: 0,
    deferred: 0,
    githubCalls: 0,
    ms: 0,
  };
  const github = new CountedGitHub(ctx.sourceControl);
  const active = await ctx.requests.listActive(ACTIVE_READ);
  summary.active = active.length;
  for (const request of active) {
    // Cancel was pressed a while ago and the run still goes: one force-cancel (the job's key makes it one).
    if (forceCancelDue(request, ctx.now())) await ctx.jobs.enqueue({ type: 'cancel_run', requestId: request.id, force: true });
    // A lock that ended by itself leaves no note behind on a waiting card.
    await clearEndedLockNote(ctx, request).catch((err) => ctx.logger.warn('reconcile.lock_note_failed', { requestId: request.id, err }));
    const work = workFor(ctx, request, ctx.now(), limits.stuckAfterMs);
    if (!work) continue;
    // Two calls at most per request: the run (or the search for it) and its jobs.
    const needsGitHub = work === 'dispatch' || work === 'poll';
    if (summary.actedOn >= limits.maxRequests || Date.now() - started >= limits.budgetMs || (needsGitHub && github.calls + 2 > limits.maxGitHubCalls)) {
      summary.deferred += 1;
      continue;
    }
    summary.actedOn += 1;
    try {
      if (work === 'advance') await advance(ctx, request, summary);
      else if (work === 'ci')
        await ctx.jobs.enqueue({ type: 'ci_check', requestId: request.id }, { key: `ci-check:${request.id}:${ctx.now().toISOString().slice(0, 16)}` });
      else if (work === 'expire') await expire(ctx, request, summary);
      else if (work === 'requeue') await requeue(ctx, request, summary);
      else if (work === 'dispatch') await resolveStuckDispatch(ctx, github, request, summary);
      else if (work === 'rollback') await (isStackRollback(request) ? resolveStuckStackRollback(ctx, request) : resolveStuckRollback(ctx, request));
      else await pollRun(ctx, github, request, summary);
    } catch (err) {
      // One request GitHub cannot answer for must not hold up the others; it is first in line next time.
      summary.errors += 1;
      ctx.logger.warn('reconcile.request_failed', { requestId: request.id, status: request.status, work, err });
    }
  }
  summary.githubCalls = github.calls;
  summary.ms = Date.now() - started;
  ctx.logger.info('reconcile.pass', { ...summary });
  return summary;
}
