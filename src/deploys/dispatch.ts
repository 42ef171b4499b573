/**
 * The dispatch job: claims an approved request (one claim wins, however many jobs run) and starts the GitHub
 * workflow for the pinned SHA. A dispatch is never sent blindly twice: when an earlier attempt may have reached
 * GitHub (a Retry after a lost answer, or a job that died between sending and recording), foxops first looks for
 * a run carrying the deploy id and follows it if there is one.
 */
import { auditRequest } from './audit.js';
import { environmentNamed, serviceNamed } from '../domain/catalog.js';
import { type CompareStatus, preflightSettingsOf, stepsBack } from '../domain/preflight-rules.js';
import { failureFrom } from '../domain/errors.js';
import { deployable, targetOf } from '../domain/environment.js';
import type { DISPATCH_INPUT_NAMES, DispatchInputs, RunSnapshot, SourceControl } from '../domain/ports.js';
import { type DeployRequest, type Failure, type RunJob, transition } from '../domain/request.js';
import { applyRunUpdate } from '../domain/run-events.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import { isAliasRollback } from '../domain/rollback.js';
import { rollBackByAlias } from './alias-rollback.js';
import { isStackRollback, rollBackStack } from './stack-rollback.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';
import { claimEnvironment, environmentFreed } from './environment-gate.js';
import { publishRunChange } from './run-progress.js';

/** Runs are looked for from a little before the first dispatch: GitHub's clock and ours differ by seconds. */
const CLOCK_SKEW_MS = 2 * 60_000;
/** A request left `dispatching` this long was claimed by a job that died: a job holds its lease for less. */
export const DISPATCH_CLAIM_STALE_MS = 90_000;

/** The GitHub calls that find an earlier dispatch's run (the reconciler counts them against its budget). */
export type RunFinder = Pick<SourceControl, 'findRunByDeployId' | 'listRunJobs'>;

/**
 * The ordering rule again, right before sending: when another deploy shipped to the environment after this card was
 * prepared (what runs is neither its base nor its SHA), a SHA now behind it (or diverged from it) would take commits
 * out. Refused where the environment's `checks.ordering` is `refuse`, as at prepare time; a break-glass and rollbacks
 * pass. GitHub not answering the compare lets it through with a warn line, as the check itself shows ⚠ then.
 */
async function stepBackSinceCard(ctx: DeployContext, r: DeployRequest): Promise<Failure | undefined> {
  if (r.kind === 'rollback' || r.breakGlass || !r.sha) return undefined;
  const mode = preflightSettingsOf(environmentNamed(ctx.catalog, r.environment)).ordering;
  if (mode === 'off') return undefined;
  const current = await ctx.ledger.current(r.service, r.environment);
  if (!current || current.sha === r.sha || current.sha === r.baseSha) return undefined;
  let status: CompareStatus | undefined;
  let behindBy = 0;
  try {
    const range = await (await ctx.sourceControl()).compare(r.repo, current.sha, r.sha, 1);
    status = range.status;
    behindBy = range.behindBy ?? 0;
  } catch (err) {
    ctx.logger.warn('dispatch.ordering_unreadable', { requestId: r.id, deployedSha: current.sha, sha: r.sha, err });
    return undefined;
  }
  if (!stepsBack(status)) return undefined;
  const params = { environment: r.environment, service: r.service, sha: r.sha, deployedSha: current.sha, deployId: current.requestId, behindBy };
  if (mode === 'warn') {
    ctx.logger.warn('dispatch.steps_back', { requestId: r.id, ...params });
    return undefined;
  }
  return { code: 'step_back', params };
}

/** What {@link resolveDispatch} did. */
export type Resolution = 'found' | 'lost' | 'skipped';

/** The run an earlier dispatch of `r` started, if GitHub lists one, with its jobs. */
async function findEarlierRun(finder: RunFinder, r: DeployRequest): Promise<{ found: RunSnapshot; jobs: RunJob[] } | undefined> {
  const since = Date.parse(r.firstDispatchAt ?? r.updatedAt) - CLOCK_SKEW_MS;
  const found = await finder.findRunByDeployId(r.repo, r.workflow, r.id, new Date(since));
  return found ? { found, jobs: await finder.listRunJobs(r.repo, found.runId) } : undefined;
}

/** Moves a `dispatching` request onto the run GitHub has for it; false when someone else moved it first. */
async function adoptRun(ctx: DeployContext, r: DeployRequest, run: { found: RunSnapshot; jobs: RunJob[] }, why: string): Promise<boolean> {
  const { found, jobs } = run;
  await ctx.requests.linkRun(r.repo, found.runId, r.id);
  const {
    written,
    request: after,
    result: before,
  } = await mutateRequest<DeployRequest | undefined>(ctx.requests, r.id, (cur) => {
    if (cur.status !== 'dispatching') return { skip: undefined };
    const now = ctx.now();
    const dispatched = transition(cur, 'dispatched', now, {
      dispatchedAt: cur.firstDispatchAt ?? cur.updatedAt,
      lastRunEventAt: now.toISOString(),
      failure: undefined,
      run: { id: found.runId, ...(found.htmlUrl ? { url: found.htmlUrl } : {}), attempt: found.attempt, jobs: [] },
    });
    return { write: applyRunUpdate(dispatched, { ...found, jobs }, now) ?? dispatched, result: cur };
  });
  if (!written || !before) return false;
  await auditRequest(ctx, r, {
    actor: 'foxops',
    action: 'dispatch',
    outcome: 'ok',
    detail: `found run ${found.runId} ${why}`,
  });
  ctx.logger.info('dispatch.run_found', { requestId: r.id, runId: found.runId, why });
  await publishRunChange(ctx, before, after, 'reconciler');
  return true;
}

/**
 * A request left `dispatching` by a job that died between claiming it and recording the run: follow the run if
 * GitHub has one, otherwise hand it back to people as `dispatch_failed` (never send again without them: GitHub may
 * list a run late). Used by the reconciler and by a redelivered dispatch job.
 */
export async function resolveDispatch(ctx: DeployContext, finder: RunFinder, r: DeployRequest): Promise<Resolution> {
  if (r.status !== 'dispatching') return 'skipped';
  const earlier = await findEarlierRun(finder, r);
  if (earlier) return (await adoptRun(ctx, r, earlier, 'after the dispatch job stopped')) ? 'found' : 'skipped';
  const { written, request: after } = await mutateRequest(ctx.requests, r.id, (cur) => {
    if (cur.status !== 'dispatching') return { skip: undefined };
    const failure: Failure = { code: 'dispatch_lost', params: { repo: cur.repo, workflow: cur.workflow, deployId: cur.id } };
    return { write: transition(cur, 'dispatch_failed', ctx.now(), { failure }), result: undefined };
  });
  if (!written) return 'skipped';
  ctx.logger.warn('dispatch.lost', { requestId: r.id, repo: r.repo, workflow: r.workflow });
  await environmentFreed(ctx, r.environment, r.service, `${r.id}:lost`);
  await auditRequest(ctx, r, {
    actor: 'foxops',
    action: 'dispatch',
    outcome: 'error',
    detail: JSON.stringify(after.failure),
  });
  await scheduleCardUpdate(ctx, r.id);
  return 'lost';
}

const SHA_PREFIX = /^[0-9a-f]{7,40}$/i;

/**
 * Whether the request's ref was a commit SHA, full or abbreviated (`/deploy prod a9b32fd`): it looks like one and the
 * SHA it was pinned to starts with it. GitHub runs `workflow_dispatch` only on a branch or tag.
 */
export function refIsSha(request: Pick<DeployRequest, 'ref' | 'sha'>): boolean {
  return SHA_PREFIX.test(request.ref) && request.sha?.toLowerCase().startsWith(request.ref.toLowerCase()) === true;
}

/** The exact inputs the workflow receives (see {@link DISPATCH_INPUT_NAMES}), in that order. */
export function dispatchInputs(request: DeployRequest): DispatchInputs {
  return {
    environment: request.environment,
    sha: request.sha!,
    deploy_id: request.id,
    requested_by: request.requester,
    approved_by: request.approvals.map((a) => a.userId).join(','),
  };
}

/** What {@link dispatchRequest} did: carried the request out (`claimed`), held it back, or found nothing to do. */
export type DispatchResult = 'claimed' | 'held' | 'skipped';

/**
 * Dispatches the workflow for `requestId` if it is approved, the environment lets it go (no lock of someone else, no
 * freeze, no other deploy of the service in flight: src/deploys/environment-gate.ts) and nobody else has. A request
 * the environment holds back waits in `queued_behind` until the advance job tries again. A rollback in alias mode is
 * no workflow run: it moves the target's Lambda alias instead (src/deploys/alias-rollback.ts), through the same claim.
 */
export async function dispatchRequest(ctx: DeployContext, requestId: string): Promise<DispatchResult> {
  let current = await ctx.requests.get(requestId);
  if (current && (current.status === 'approved' || current.status === 'queued_behind')) {
    const claim = await claimEnvironment(ctx, current);
    if (claim.kind !== 'clear') return claim.kind;
    current = claim.request;
  }
  if (current && isAliasRollback(current)) {
    await rollBackByAlias(ctx, current);
    return 'claimed';
  }
  if (current && isStackRollback(current)) {
    await rollBackStack(ctx, current);
    return 'claimed';
  }
  const { result: claimed, request } = await mutateRequest(
    ctx.requests,
    requestId,
    (r) => {
      if (r.status !== 'approved') return { skip: false };
      const verdict = deployable(targetOf(r), r, ctx.now());
      if (!verdict.deployable) {
        ctx.logger.error('dispatch.not_deployable', { requestId, why: verdict.why, sha: r.sha });
        return { skip: false };
      }
      const now = ctx.now();
      const attempts = (r.dispatchAttempts ?? 0) + 1;
      return {
        write: transition(r, 'dispatching', now, { failure: undefined, dispatchAttempts: attempts, firstDispatchAt: r.firstDispatchAt ?? now.toISOString() }),
        result: true,
      };
    },
    current ? { current } : {},
  );
  if (!claimed) {
    if (request.status === 'dispatching' && ctx.now().getTime() - Date.parse(request.updatedAt) >= DISPATCH_CLAIM_STALE_MS) {
      // This job's earlier delivery (or another dispatch job) claimed the request and died before recording.
      await resolveDispatch(ctx, await ctx.sourceControl(), request);
      return 'skipped';
    }
    ctx.logger.debug('dispatch.skipped', { requestId, status: request.status });
    return 'skipped';
  }
  if ((request.dispatchAttempts ?? 1) > 1) {
    // Dispatched before (a Retry): that attempt may have reached GitHub although its answer was lost.
    const earlier = await findEarlierRun(await ctx.sourceControl(), request);
    if (earlier) {
      await adoptRun(ctx, request, earlier, 'from an earlier dispatch, instead of sending again');
      return 'claimed';
    }
  }
  const service = serviceNamed(ctx.catalog, request.service);
  // workflow_dispatch runs on a branch or tag; a SHA given as the ref runs the default branch's workflow at that SHA.
  const ref = refIsSha(request) ? service.defaultRef : request.ref;
  const inputs = dispatchInputs(request);
  let outcome: { runId?: number; runUrl?: string } | { failure: Failure };
  const stepBack = await stepBackSinceCard(ctx, request);
  if (stepBack) {
    ctx.logger.info('dispatch.refused', { requestId, code: stepBack.code, params: stepBack.params });
    outcome = { failure: stepBack };
  } else {
    try {
      const scm = await ctx.sourceControl();
      outcome = await scm.dispatchWorkflow(request.repo, request.workflow, ref, inputs);
    } catch (err) {
      const failure = failureFrom(err, 'dispatch');
      ctx.logger.error('dispatch.failed', { requestId, repo: request.repo, workflow: request.workflow, ref, err });
      outcome = { failure };
    }
  }
  const now = ctx.now();
  if ('failure' in outcome) {
    const failure = outcome.failure;
    await mutateRequest(
      ctx.requests,
      requestId,
      (r) => (r.status === 'dispatching' ? { write: transition(r, 'dispatch_failed', now, { failure }), result: undefined } : { skip: undefined }),
      { current: request },
    );
    await auditRequest(ctx, request, { at: now.toISOString(), actor: 'foxops', action: 'dispatch', outcome: 'error', detail: JSON.stringify(failure) });
  } else {
    const { runId, runUrl } = outcome;
    const runsUrl = `https://github.com/${request.repo}/actions/workflows/${request.workflow}`;
    await mutateRequest(
      ctx.requests,
      requestId,
      (r) =>
        r.status === 'dispatching'
          ? {
              write: transition(r, 'dispatched', now, {
                dispatchedAt: now.toISOString(),
                lastRunEventAt: now.toISOString(),
                run: { id: runId, url: runUrl ?? runsUrl, attempt: 1, jobs: [] },
              }),
              result: undefined,
            }
          : { skip: undefined },
      { current: request },
    );
    if (runId !== undefined) await ctx.requests.linkRun(request.repo, runId, requestId);
    await auditRequest(ctx, request, {
      at: now.toISOString(),
      actor: 'foxops',
      action: 'dispatch',
      outcome: 'ok',
      detail: `${request.workflow}@${ref} sha=${request.sha} run=${runId ?? 'unknown'}`,
    });
    ctx.logger.info('dispatch.sent', { requestId, repo: request.repo, workflow: request.workflow, ref, sha: request.sha, runId });
  }
  await scheduleCardUpdate(ctx, requestId);
  return 'claimed';
}
