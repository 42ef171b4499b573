/**
 * The outbox sweep, part of every reconcile pass: a job still pending minutes after it was queued lost its stream
 * delivery, or failed all of the stream's retries (its batch then sits in the dead-letter queue). The sweep runs
 * it again, through the same lease, and buries one that was started {@link MAX_JOB_STARTS} times without
 * finishing: kept in the table (state `dead`), out of the queue, and logged as `job.buried` for the operator.
 */
import type { DeployContext } from '../deploys/context.js';

/** A job still pending this long after it was queued was lost by the stream, or failed all of its retries. */
export const STALE_JOB_MS = 5 * 60_000;
/** A job started this often without reaching its end is buried. */
export const MAX_JOB_STARTS = 6;

/** What one sweep did; logged as `jobs.sweep`. */
export interface SweepSummary {
  found: number;
  ran: number;
  failed: number;
  buried: number;
}

/** Limits of one sweep. */
export interface SweepOptions {
  /** Jobs looked at (default 10). */
  maxJobs?: number;
  /** Wall time in ms (default 15 s, inside the reconciler's minute). */
  budgetMs?: number;
}

/** Runs (with `run`, the lease-taking runner) the jobs whose delivery was lost, oldest first. */
export async function sweepJobs(ctx: DeployContext, run: (key: string) => Promise<'ran' | 'skipped'>, options: SweepOptions = {}): Promise<SweepSummary> {
  const started = Date.now();
  const now = ctx.now();
  const stale = await ctx.outbox.stale(new Date(now.getTime() - STALE_JOB_MS), options.maxJobs ?? 10);
  const summary: SweepSummary = { found: stale.length, ran: 0, failed: 0, buried: 0 };
  for (const job of stale) {
    if (Date.now() - started >= (options.budgetMs ?? 15_000)) break;
    if (job.job.type === 'reconcile') {
      // The pass that runs this sweep is the reconcile that job asked for.
      await ctx.outbox.complete(job.key, now);
      continue;
    }
    if (job.attempts >= MAX_JOB_STARTS) {
      await ctx.outbox.bury(job.key, now, `started ${job.attempts} times without finishing`);
      summary.buried += 1;
      ctx.logger.error('job.buried', {
        key: job.key,
        type: job.job.type,
        attempts: job.attempts,
        queuedAt: job.createdAt,
        fix: 'read the job.failed lines of this key; the item stays in the table with state dead',
      });
      continue;
    }
    try {
      if ((await run(job.key)) === 'ran') summary.ran += 1;
      ctx.logger.warn('job.swept', { key: job.key, type: job.job.type, queuedAt: job.createdAt, attempts: job.attempts + 1 });
    } catch (err) {
      summary.failed += 1;
      ctx.logger.warn('job.failed', { key: job.key, type: job.job.type, attempts: job.attempts + 1, err, next: 'the next reconcile pass' });
    }
  }
  if (stale.length) ctx.logger.info('jobs.sweep', { ...summary });
  return summary;
}
