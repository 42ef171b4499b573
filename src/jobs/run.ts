/** Runs one async job. Jobs are idempotent: each re-reads the request and does only what is left. */
import { postNotice, syncCard } from '../cards/sync.js';
import type { DeployContext } from '../deploys/context.js';
import { dispatchRequest } from '../deploys/dispatch.js';
import { prepareRequest } from '../deploys/prepare.js';
import type { Job } from '../domain/ports.js';

/** Runs `job` against `ctx`. */
export async function runJob(ctx: DeployContext, job: Job): Promise<void> {
  ctx.logger.debug('job.start', { job });
  switch (job.type) {
    case 'prepare':
      return prepareRequest(ctx, job.requestId);
    case 'dispatch':
      return dispatchRequest(ctx, job.requestId);
    case 'reconcile': {
      const { reconcile } = await import('../deploys/reconcile.js');
      await reconcile(ctx);
      return;
    }
    case 'card':
      return syncCard(ctx, job);
    case 'notice':
      return postNotice(ctx, job);
  }
}

/** True for the payload foxops sends itself as an async job. */
export function isJobEvent(event: unknown): event is { foxopsJob: Job } {
  const job = (event as { foxopsJob?: { type?: unknown } })?.foxopsJob;
  return typeof job?.type === 'string';
}
