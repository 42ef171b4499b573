/** Job queues: an async self-invocation on Lambda, the same process locally. */
import type { Job, JobQueue } from '../domain/ports.js';
import type { Logger } from '../log.js';

/** The part of LambdaClient the queue uses, so the SDK loads only where jobs are sent. */
export interface Invoker {
  invokeAsync(functionName: string, payload: string): Promise<void>;
}

/** Sends each job as an `InvocationType: 'Event'` invocation of this function. */
export class LambdaJobQueue implements JobQueue {
  constructor(
    private readonly invoker: Invoker,
    private readonly functionName: string,
    private readonly logger: Logger,
  ) {}

  /** {@inheritDoc JobQueue.enqueue} */
  async enqueue(job: Job): Promise<void> {
    await this.invoker.invokeAsync(this.functionName, JSON.stringify({ foxopsJob: job }));
    this.logger.debug('job.enqueued', { job, via: 'lambda' });
  }
}

/** Runs jobs in this process after the current request has been answered. */
export class InProcessJobQueue implements JobQueue {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly run: (job: Job) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** {@inheritDoc JobQueue.enqueue} */
  async enqueue(job: Job): Promise<void> {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run(job))
      .catch((err) => this.logger.error('job.failed', { job, err }))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once no job is running, including jobs queued by jobs. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
