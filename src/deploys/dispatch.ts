/**
 * The dispatch job: claims an approved request (one claim wins, however many jobs run) and
 * starts the GitHub workflow for the pinned SHA.
 */
import { serviceNamed } from '../domain/catalog.js';
import { failureFrom } from '../domain/errors.js';
import { deployable, targetOf } from '../domain/environment.js';
import type { DISPATCH_INPUT_NAMES, DispatchInputs } from '../domain/ports.js';
import { type DeployRequest, type Failure, transition } from '../domain/request.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

const SHA = /^[0-9a-f]{40}$/i;

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

/** Dispatches the workflow for `requestId` if it is approved and nobody else has. */
export async function dispatchRequest(ctx: DeployContext, requestId: string): Promise<void> {
  const { result: claimed, request } = await mutateRequest(ctx.requests, requestId, (r) => {
    if (r.status !== 'approved') return { skip: false };
    const verdict = deployable(targetOf(r), r, ctx.now());
    if (!verdict.deployable) {
      ctx.logger.error('dispatch.not_deployable', { requestId, why: verdict.why, sha: r.sha });
      return { skip: false };
    }
    return { write: transition(r, 'dispatching', ctx.now(), { failure: undefined }), result: true };
  });
  if (!claimed) {
    ctx.logger.debug('dispatch.skipped', { requestId, status: request.status });
    return;
  }
  const service = serviceNamed(ctx.catalog, request.service);
  // workflow_dispatch runs on a branch or tag; a SHA given as the ref runs the default branch's workflow at that SHA.
  const ref = SHA.test(request.ref) ? service.defaultRef : request.ref;
  const inputs = dispatchInputs(request);
  let outcome: { runId?: number; runUrl?: string } | { failure: Failure };
  try {
    const scm = await ctx.sourceControl();
    outcome = await scm.dispatchWorkflow(request.repo, request.workflow, ref, inputs);
  } catch (err) {
    const failure = failureFrom(err, 'dispatch');
    ctx.logger.error('dispatch.failed', { requestId, repo: request.repo, workflow: request.workflow, ref, err });
    outcome = { failure };
  }
  const now = ctx.now();
  if ('failure' in outcome) {
    const failure = outcome.failure;
    await mutateRequest(ctx.requests, requestId, (r) => (r.status === 'dispatching' ? { write: transition(r, 'dispatch_failed', now, { failure }), result: undefined } : { skip: undefined }), { current: request });
    await ctx.audit.record({ requestId, at: now.toISOString(), actor: 'foxops', action: 'dispatch', outcome: 'error', detail: JSON.stringify(failure) });
  } else {
    const { runId, runUrl } = outcome;
    const runsUrl = `https://github.com/${request.repo}/actions/workflows/${request.workflow}`;
    await mutateRequest(ctx.requests, requestId, (r) =>
      r.status === 'dispatching'
        ? { write: transition(r, 'dispatched', now, { dispatchedAt: now.toISOString(), lastRunEventAt: now.toISOString(), run: { id: runId, url: runUrl ?? runsUrl, attempt: 1, jobs: [] } }), result: undefined }
        : { skip: undefined },
      { current: request },
    );
    if (runId !== undefined) await ctx.requests.linkRun(request.repo, runId, requestId);
    await ctx.audit.record({ requestId, at: now.toISOString(), actor: 'foxops', action: 'dispatch', outcome: 'ok', detail: `${request.workflow}@${ref} sha=${request.sha} run=${runId ?? 'unknown'}` });
    ctx.logger.info('dispatch.sent', { requestId, repo: request.repo, workflow: request.workflow, ref, sha: request.sha, runId });
  }
  await scheduleCardUpdate(ctx, requestId);
}
