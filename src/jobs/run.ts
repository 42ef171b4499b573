/**
 * Runs async jobs. Every job is idempotent: it re-reads what it works on and does only what is left, so a
 * delivery that comes twice (the stream's retries, the reconciler's sweep, a redelivery after a crash) does no
 * harm. On top, each outbox delivery first takes the job's lease: a job that ran to the end is not run again, and
 * two deliveries of one job never run at the same time.
 */
import { postNotice, syncCard } from '../cards/sync.js';
import type { DeployContext } from '../deploys/context.js';
import { dispatchRequest } from '../deploys/dispatch.js';
import { prepareRequest } from '../deploys/prepare.js';
import type { Job, JobOutbox } from '../domain/ports.js';
import { jobKey } from './keys.js';

/** How long a delivery holds a job: longer than the function's timeout (30 s by default, at most 59 s in infra/foxops/template.yml), so only a dead runner loses it. */
export const JOB_LEASE_MS = 60_000;

/** Runs `job` against `ctx`. */
export async function runJob(ctx: DeployContext, job: Job): Promise<void> {
  ctx.logger.debug('job.start', { job });
  switch (job.type) {
    case 'prepare':
      return prepareRequest(ctx, job.requestId);
    case 'dispatch':
      await dispatchRequest(ctx, job.requestId);
      return;
    case 'advance': {
      const { advanceQueue } = await import('../deploys/environment-gate.js');
      const advanced = await advanceQueue(ctx, job.service, job.environment, (id) => dispatchRequest(ctx, id));
      ctx.logger.info('queue.advanced', { service: job.service, environment: job.environment, ...advanced });
      return;
    }
    case 'channel_notice':
      await ctx.cards.tell(job.channel, job.notice);
      return;
    case 'ci_check': {
      const { recheckCi } = await import('../deploys/ci-check.js');
      await recheckCi(ctx, job.requestId);
      return;
    }
    case 'failure_dm': {
      const { sendFailureDms } = await import('../deploys/failure-dm.js');
      await sendFailureDms(ctx, job.requestId, job.attempt);
      return;
    }
    case 'cancel_run': {
      const { cancelRun } = await import('../deploys/cancel-run.js');
      await cancelRun(ctx, job.requestId, job.force ?? false);
      return;
    }
    case 'protection_rule': {
      const { answerProtectionRule } = await import('../deploys/protection-rule.js');
      await answerProtectionRule(ctx, job);
      return;
    }
    case 'reconcile': {
      // The pass over requests, then the sweep of jobs whose delivery was lost.
      const [{ reconcile }, { sweepJobs }] = await Promise.all([import('../deploys/reconcile.js'), import('./sweep.js')]);
      await reconcile(ctx);
      await sweepJobs(ctx, (key) => runQueuedJob(ctx, ctx.outbox, key));
      return;
    }
    case 'card':
      return syncCard(ctx, job);
    case 'notice':
      return postNotice(ctx, job);
    case 'alarm': {
      const { announceAlarm } = await import('../alarms/announce.js');
      await announceAlarm(ctx, job.alarm);
      return;
    }
    case 'alarm_sync': {
      const { continueAlarmSync } = await import('../alarms/announce.js');
      await continueAlarmSync(ctx, job);
      return;
    }
    case 'alarm_graph': {
      const { runAlarmGraph } = await import('../alarms/graph.js');
      await runAlarmGraph(ctx, job);
      return;
    }
    case 'record_version': {
      const { recordVersion } = await import('../deploys/record-version.js');
      await recordVersion(ctx, job.requestId, job.attempt);
      return;
    }
    case 'audit_export': {
      const { runAuditExport } = await import('../audit/export-job.js');
      await runAuditExport(ctx, job);
      return;
    }
  }
}

/** Another delivery holds the job: the caller reports it failed, so it is delivered again later. */
export class JobBusyError extends Error {
  constructor(
    readonly key: string,
    readonly until: string,
  ) {
    super(`job ${key} is being run by another delivery until ${until}`);
    this.name = 'JobBusyError';
  }
}

/**
 * Runs the outbox job `key` once: takes its lease, runs it, closes it. A job that is closed already is skipped;
 * one that fails gives its lease back and throws, so that its delivery is retried.
 */
export async function runQueuedJob(ctx: DeployContext, outbox: JobOutbox, key: string): Promise<'ran' | 'skipped'> {
  const lease = await outbox.lease(key, ctx.now(), JOB_LEASE_MS);
  if (lease.state === 'done') {
    ctx.logger.debug('job.repeated', { key });
    return 'skipped';
  }
  if (lease.state === 'busy') throw new JobBusyError(key, lease.until);
  return runLeased(ctx, outbox, key, lease.job);
}

/**
 * Queues `job` leased to this caller and runs it at once: for a delivery that is itself the job's cause (a new
 * request's item, delivered by the table's stream as its prepare job), so that the job does not wait for a second
 * trip through the stream. The stream's delivery of the job's own item finds it stored leased and skips it
 * (src/jobs/stream.ts); should this runner die, its lease runs out and the reconciler's sweep runs the job. When the
 * key was queued before (a repeated delivery), it runs as any queued job: once, under its lease.
 */
export async function queueAndRun(ctx: DeployContext, outbox: JobOutbox, job: Job, key = jobKey(job)): Promise<'ran' | 'skipped'> {
  if (!(await outbox.add(key, job, ctx.now(), JOB_LEASE_MS))) return runQueuedJob(ctx, outbox, key);
  return runLeased(ctx, outbox, key, job);
}

/** Runs a job this caller holds the lease of, then closes it; a failure gives the lease back and throws. */
async function runLeased(ctx: DeployContext, outbox: JobOutbox, key: string, job: Job): Promise<'ran'> {
  try {
    await runJob(ctx, job);
  } catch (err) {
    await outbox.release(key).catch(() => undefined);
    throw err;
  }
  await outbox.complete(key, ctx.now());
  return 'ran';
}
