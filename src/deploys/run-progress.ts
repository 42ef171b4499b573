/**
 * Run progress, from wherever it comes (webhooks, the reconciler): find the request a run belongs to,
 * apply the news with a conditional write, then record the outcome, queue the threaded reply and the card edit.
 * Only the write that made a change does the rest, so repeated news has no effect beyond the store reads.
 */
import { findService, sameRepo } from '../domain/catalog.js';
import type { DeploymentRecord } from '../domain/ports.js';
import { type DeployRequest, findDeployIds, isFinal, RUN_STATUSES } from '../domain/request.js';
import { aliasTargetOf, rollbackLedgerFields } from '../domain/rollback.js';
import { failureDmWanted, noticeWanted } from '../domain/notify.js';
import { type RunUpdate, applyRunUpdate, deployDuration, followsRun, runNotice, runOutcome } from '../domain/run-events.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { environmentFreed } from './environment-gate.js';
import { mutateRequest } from './mutate.js';
import { lockAfterRollback } from './rollback-lock.js';

/** Where run news came from, for logs and the audit trail. */
export type RunNewsSource = 'webhook' | 'reconciler';

/** How a run was matched to its request. */
export type RunMatch = { request: DeployRequest; via: 'run-link' | 'run-name' };

/** True when `path` (`.github/workflows/deploy.yml`) is the request's workflow, or the workflow is given by id. */
function sameWorkflow(request: DeployRequest, path: string | undefined): boolean {
  if (!path || /^\d+$/.test(request.workflow)) return true;
  return path.split('@')[0]!.endsWith(`/${request.workflow}`);
}

/**
 * The request that started run `runId` of `repo`: the run id stored at dispatch, else the deploy id that the
 * workflow's `run-name` carries (GitHub's `display_title`), which is then linked for later events.
 * Undefined for runs foxops did not start, including a second run that carries a deploy id already followed.
 */
export async function findRequestForRun(
  ctx: DeployContext,
  repo: string,
  runId: number,
  hints: { title?: string; workflowPath?: string } = {},
): Promise<RunMatch | undefined> {
  const linked = await ctx.requests.findByRun(repo, runId);
  if (linked) {
    const request = await ctx.requests.get(linked);
    return request ? { request, via: 'run-link' } : undefined;
  }
  for (const id of findDeployIds(hints.title).slice(0, 3)) {
    const request = await ctx.requests.get(id);
    if (!request) continue;
    const mismatch = !sameRepo(request.repo, repo)
      ? 'another repository'
      : !sameWorkflow(request, hints.workflowPath)
        ? 'another workflow'
        : request.run?.id !== undefined && request.run.id !== runId
          ? `run ${request.run.id}, not this one`
          : !followsRun(request.status)
            ? `a request that is ${request.status}`
            : undefined;
    if (mismatch) {
      // Someone started a run by hand with a deploy id in its name; worth a look, never worth following.
      ctx.logger.warn('run.name_mismatch', { requestId: id, repo, runId, title: hints.title, belongsTo: mismatch });
      continue;
    }
    await ctx.requests.linkRun(repo, runId, request.id);
    return { request, via: 'run-name' };
  }
  return undefined;
}

/** What one observation did. */
export interface RunUpdateOutcome {
  changed: boolean;
  request: DeployRequest;
}

/**
 * Writes tried per observation: GitHub delivers the job events of a wide workflow at once, all for the same
 * request, and each must land (the jittered retries spread them out; 40 covers a burst of 50 in tests).
 */
const RUN_NEWS_ATTEMPTS = 40;

/**
 * Applies `update` to the request and, if it changed anything, publishes the change. `request` is the copy the
 * caller just read (the write is conditional on its version, so a copy that went stale only costs a retry).
 */
export async function recordRunUpdate(ctx: DeployContext, request: DeployRequest, update: RunUpdate, source: RunNewsSource): Promise<RunUpdateOutcome> {
  const {
    written,
    request: after,
    result: before,
  } = await mutateRequest<DeployRequest>(
    ctx.requests,
    request.id,
    (current) => {
      const next = applyRunUpdate(current, update, ctx.now());
      return next ? { write: next, result: current } : { skip: current };
    },
    { maxAttempts: RUN_NEWS_ATTEMPTS, current: request },
  );
  if (written) await publishRunChange(ctx, before, after, source);
  return { changed: written, request: after };
}

/** The ledger entry for a request whose run attempt just ended. */
export function deploymentRecord(request: DeployRequest, outcome: DeploymentRecord['outcome'], now: Date): DeploymentRecord | undefined {
  if (!request.sha) return undefined;
  const duration = deployDuration(request);
  return {
    service: request.service,
    environment: request.environment,
    sha: request.sha,
    ...(request.shaUrl ? { shaUrl: request.shaUrl } : {}),
    ref: request.ref,
    requestId: request.id,
    kind: request.kind,
    ...(request.run?.id !== undefined ? { runId: request.run.id } : {}),
    ...(request.run?.url ? { runUrl: request.run.url } : {}),
    ...(request.run ? { attempt: request.run.attempt } : {}),
    requester: request.requester,
    approvers: request.approvals.map((a) => a.userId),
    outcome,
    // Where lead time starts (docs/delivery-numbers.md): the request, not the dispatch, so waiting for approvals counts.
    requestedAt: request.createdAt,
    ...(duration ? { startedAt: duration.startedAt } : {}),
    finishedAt: request.finishedAt ?? now.toISOString(),
    ...(request.kind === 'rollback' && outcome === 'succeeded' ? rollbackLedgerFields(request.rollback) : {}),
    // The stack backup taken before this change, under this deploy id (src/deploys/stack-guard.ts).
    ...(request.stack ? { backup: { stack: request.stack.stackName, at: request.stack.backup.at } } : {}),
  };
}

/** True when the request's service names a Lambda function for its environment: then a success records the version. */
function hasFunctionTarget(ctx: DeployContext, request: DeployRequest): boolean {
  const service = findService(ctx.catalog, request.service);
  return service?.name === request.service && aliasTargetOf(service, request.environment) !== undefined;
}

/** The log and audit lines of a status change (progress within a status is in the card, not the trail). */
async function recordStatusChange(ctx: DeployContext, before: DeployRequest, after: DeployRequest, source: RunNewsSource, now: Date): Promise<void> {
  ctx.logger.info('run.status_changed', {
    requestId: after.id,
    from: before.status,
    to: after.status,
    runId: after.run?.id,
    attempt: after.run?.attempt,
    source,
  });
  await auditRequest(ctx, after, {
    at: now.toISOString(),
    actor: source === 'webhook' ? 'github' : 'foxops',
    action: 'run',
    outcome: after.status === 'failed' || after.status === 'unknown' || after.status === 'timed_out' ? 'error' : 'ok',
    detail:
      `${after.status}: run ${after.run?.id ?? '?'} attempt ${after.run?.attempt ?? 1}` +
      `${after.failure && isFinal(after.status) ? ` ${JSON.stringify(after.failure)}` : ''}`,
  });
}

/**
 * After a write moved `before` to `after`: the ledger entry when the run ended (a success becomes what runs
 * in the environment), the audit line on a status change, the threaded reply, and the card edit.
 */
export async function publishRunChange(ctx: DeployContext, before: DeployRequest, after: DeployRequest, source: RunNewsSource): Promise<void> {
  const now = ctx.now();
  const outcome = runOutcome(before, after);
  const record = outcome ? deploymentRecord(after, outcome, now) : undefined;
  if (outcome && !record) ctx.logger.error('run.outcome_without_sha', { requestId: after.id, status: after.status });
  const statusChanged = before.status !== after.status || before.run?.attempt !== after.run?.attempt;
  const milestone = runNotice(before, after);
  // The environment's `notify:` decides which thread replies go out; the card follows every change regardless.
  const notify = ctx.catalog.environments.find((e) => e.name === after.environment)?.notify;
  const notice = milestone && noticeWanted(notify, milestone) ? milestone : undefined;
  const attempt = after.run?.attempt ?? 1;
  // Which Lambda version now runs is read by a job (GetAlias), never on the webhook's path; a failure records none.
  // The job is queued after the entry is stored, so its copy with the version is the one that stays.
  const readVersion = record?.outcome === 'succeeded' && hasFunctionTarget(ctx, after);
  const recordOutcome = async (entry: DeploymentRecord) => {
    await ctx.ledger.record(entry);
    if (readVersion) await ctx.jobs.enqueue({ type: 'record_version', requestId: after.id, attempt: after.run?.attempt ?? 1 });
    // A rollback by redeploy locks what it restored, as every rollback does, once its entry is in the ledger.
    if (entry.outcome === 'succeeded' && after.kind === 'rollback') await lockAfterRollback(ctx, after);
  };
  // Independent writes: done side by side, the webhook answers sooner.
  await Promise.all([
    record ? recordOutcome(record) : undefined,
    statusChanged ? recordStatusChange(ctx, before, after, source, now) : undefined,
    notice ? ctx.jobs.enqueue({ type: 'notice', requestId: after.id, notice, attempt }) : undefined,
    // A failed run: a direct message to the requester and the approvers (each may turn it off in App Home).
    milestone && failureDmWanted(milestone) ? ctx.jobs.enqueue({ type: 'failure_dm', requestId: after.id, attempt }) : undefined,
    // The run ended: the next request held behind it in the environment may go.
    outcome ? environmentFreed(ctx, after.environment, after.service, `${after.id}:${after.run?.attempt ?? 1}`) : undefined,
    // Cancel was pressed before foxops knew the run (a server that returns no run id): ask GitHub now that it does.
    cancelPressedBeforeRunKnown(before, after)
      ? ctx.jobs.enqueue({ type: 'cancel_run', requestId: after.id }, { key: `cancel-run:${after.id}:run-${after.run!.id}` })
      : undefined,
    scheduleCardUpdate(ctx, after.id),
  ]);
}

/** True when `after` is the first news that names the run of a request whose Cancel was pressed already. */
function cancelPressedBeforeRunKnown(before: DeployRequest, after: DeployRequest): boolean {
  return Boolean(after.cancelRequestedBy) && before.run?.id === undefined && after.run?.id !== undefined && RUN_STATUSES.includes(after.status);
}
