/**
 * The `cancel_run` job: asks GitHub to cancel the run of a request whose card's Cancel was pressed (see
 * `cancelDeploy` in approval.ts). It changes no status itself: GitHub's `workflow_run completed cancelled` webhook
 * (or the reconciler's poll) ends the request `cancelled`, through the same run news as every other outcome, so a
 * run that finished first keeps its outcome (a finished run never moves backwards, src/domain/run-events.ts).
 * A normal cancel that did not take effect after `FORCE_CANCEL_AFTER_MS` (src/domain/cancel.ts) is followed by a force-cancel, queued
 * by the reconciler (src/deploys/reconcile.ts).
 */
import { RUN_STATUSES } from '../domain/request.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** Cancels (or, with `force`, force-cancels) the run of `requestId`, if it still runs. */
export async function cancelRun(ctx: DeployContext, requestId: string, force: boolean): Promise<void> {
  const request = await ctx.requests.get(requestId);
  if (!request?.cancelRequestedBy) {
    ctx.logger.warn('cancel.not_requested', { requestId, force });
    return;
  }
  const runId = request.run?.id;
  if (!RUN_STATUSES.includes(request.status) || runId === undefined) {
    // Finished meanwhile (the run won the race), or no run id known yet: nothing to ask GitHub.
    ctx.logger.info('cancel.nothing_to_cancel', { requestId, status: request.status, runId, force });
    return;
  }
  if (force) {
    // Recorded first, conditionally, so that the reconciler queues one force-cancel however often it passes.
    const { written } = await mutateRequest(ctx.requests, requestId, (r) =>
      r.cancelForcedAt || !RUN_STATUSES.includes(r.status)
        ? { skip: undefined }
        : { write: { ...r, cancelForcedAt: ctx.now().toISOString() }, result: undefined },
    );
    if (!written) return;
  }
  const answer = await (await ctx.sourceControl()).cancelRun(request.repo, runId, force);
  ctx.logger.info(answer === 'requested' ? 'cancel.requested' : 'cancel.run_already_completed', { requestId, runId, force, answer });
  await auditRequest(ctx, request, {
    actor: 'foxops',
    action: force ? 'force_cancel_run' : 'cancel_run',
    outcome: answer === 'requested' ? 'ok' : 'refused',
    detail: `run ${runId}: ${answer}, for ${request.cancelRequestedBy}`,
  });
}
