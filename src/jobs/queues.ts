/**
 * The job queue over the outbox (see src/store/job-outbox.ts): `enqueue` is one conditional put. On AWS (and in
 * the sandbox, which runs the Lambda handler behind a simulated stream) the table's stream delivers the new item to
 * the function, and a new request's item as its prepare job; with `npm start`, `deliver` runs each job in this
 * process, through the same lease as on AWS.
 */
import type { EnqueueOptions, Job, JobOutbox, JobQueue } from '../domain/ports.js';
import type { Logger } from '../log.js';
import { jobKey } from './keys.js';

/** Queues jobs as outbox items; `deliver`, when given, is called with each new key (local runs). */
export class OutboxJobQueue implements JobQueue {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly outbox: JobOutbox,
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly deliver?: (key: string) => Promise<unknown>,
  ) {}

  /** {@inheritDoc JobQueue.deliversNewRequests} Without `deliver`, the table's stream delivers. */
  get deliversNewRequests(): boolean {
    return this.deliver === undefined;
  }

  /** {@inheritDoc JobQueue.enqueue} */
  async enqueue(job: Job, options: EnqueueOptions = {}): Promise<boolean> {
    const key = options.key ?? jobKey(job);
    const added = await this.outbox.add(key, job, this.now());
    if (!added) {
      this.logger.debug('job.already_queued', { key });
      return false;
    }
    this.logger.debug('job.enqueued', { key });
    if (this.deliver) {
      // After the current request has been answered, as a stream delivery would be.
      const task = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.deliver!(key))
        .then(() => undefined)
        .catch((err) => this.logger.warn('job.local_delivery_failed', { key, err, next: 'the reconciler runs it again' }))
        .finally(() => this.pending.delete(task));
      this.pending.add(task);
    }
    return true;
  }

  /** Resolves once no locally delivered job is running, including jobs queued by jobs. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
