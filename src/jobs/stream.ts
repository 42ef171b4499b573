/**
 * Jobs as the table's stream delivers them: a batch of INSERT records of `JOB#` items (the event source mapping
 * filters them, see infra/foxops/template.yml). The jobs of a batch run side by side; each one that fails is
 * reported in `batchItemFailures`, so Lambda delivers it again (and, after its retries, sends the batch's
 * description to the dead-letter queue, while the reconciler's sweep still finds the job pending).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DeployContext } from '../deploys/context.js';
import { storedJobOf } from '../store/job-outbox.js';
import { readJob } from './parse.js';
import { JobBusyError, runQueuedJob } from './run.js';

/** One DynamoDB stream record (the parts foxops reads). */
export interface StreamRecord {
  eventName?: string;
  eventSource?: string;
  dynamodb?: { NewImage?: Record<string, AttributeValue>; SequenceNumber?: string };
}

/** A DynamoDB stream event. */
export interface StreamEvent {
  Records: Array<StreamRecord | null>;
}

/** Lambda's partial batch response: the records to deliver again. */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Runs the jobs of one stream batch. Records that are no job (another item, a MODIFY) are skipped. */
export async function runStreamBatch(ctx: DeployContext, event: StreamEvent): Promise<BatchResponse> {
  const results = await Promise.all(
    event.Records.map(async (record) => {
      const stored = record?.eventName === 'INSERT' ? storedJobOf(record.dynamodb?.NewImage) : undefined;
      if (!stored) {
        ctx.logger.debug('job.stream_record_skipped', { eventName: record?.eventName });
        return undefined;
      }
      const read = readJob(stored.job);
      if ('problem' in read) {
        // Only foxops writes job items; one it cannot read will not read better on a retry.
        ctx.logger.error('job.unreadable', {
          key: stored.key,
          problem: read.problem,
          fix: 'a job item foxops did not write, or from another version: delete it from the table',
        });
        return undefined;
      }
      try {
        await runQueuedJob(ctx, ctx.outbox, stored.key);
        return undefined;
      } catch (err) {
        if (err instanceof JobBusyError) ctx.logger.info('job.busy', { key: stored.key, until: err.until });
        else ctx.logger.warn('job.failed', { key: stored.key, type: stored.job.type, err, next: 'delivered again by the stream' });
        return record?.dynamodb?.SequenceNumber ?? '';
      }
    }),
  );
  return { batchItemFailures: results.filter((id): id is string => id !== undefined).map((itemIdentifier) => ({ itemIdentifier })) };
}
