/**
 * Jobs as the table's stream delivers them: a batch of INSERT records of `JOB#` items and of new requests' own
 * items (the event source mapping filters them with {@link JOB_STREAM_FILTERS}, see infra/foxops/template.yml). A
 * new request is its own prepare job: the ack of a command writes the request alone, and its INSERT queues and
 * runs the prepare job here. The jobs of a batch run side by side; each one that fails is reported in
 * `batchItemFailures`, so Lambda delivers it again (and, after its retries, sends the batch's description to the
 * dead-letter queue, while the reconciler still finds the job pending, or the request still preparing).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DeployContext } from '../deploys/context.js';
import { preparingRequestIdOf } from '../store/dynamo-store.js';
import { storedJobOf } from '../store/job-outbox.js';
import { jobKey } from './keys.js';
import { readJob } from './parse.js';
import { JobBusyError, queueAndRun, runQueuedJob } from './run.js';

/**
 * The event source mapping's filter patterns (Lambda event filtering), exactly as infra/foxops/template.yml gives
 * them (a test holds the two equal): each new job item, and each new request's own item.
 */
export const JOB_STREAM_FILTERS = [
  '{"eventName":["INSERT"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"JOB#"}]}}}}',
  '{"eventName":["INSERT"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"REQ#"}]},"SK":{"S":["#REQ"]}}}}',
] as const;

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
      const inserted = record?.eventName === 'INSERT' ? record.dynamodb?.NewImage : undefined;
      const requestId = preparingRequestIdOf(inserted);
      if (requestId) return prepareNewRequest(ctx, requestId, record);
      const stored = storedJobOf(inserted);
      if (!stored) {
        ctx.logger.debug('job.stream_record_skipped', { eventName: record?.eventName });
        return undefined;
      }
      if (stored.leaseUntil) {
        // Stored leased: its writer runs it (queueAndRun), and the sweep takes it should that runner die.
        ctx.logger.debug('job.run_by_writer', { key: stored.key });
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

/**
 * A new request's INSERT: queues its prepare job and runs it here. Returns the record's id to deliver again when
 * the job failed. A job that another delivery holds (a Slack retry of the command queued it too) is that
 * delivery's to finish, or the sweep's once the lease ends: nothing to deliver again.
 */
async function prepareNewRequest(ctx: DeployContext, requestId: string, record: StreamRecord | null): Promise<string | undefined> {
  const job = { type: 'prepare', requestId } as const;
  try {
    await queueAndRun(ctx, ctx.outbox, job);
    return undefined;
  } catch (err) {
    if (err instanceof JobBusyError) {
      ctx.logger.info('job.busy', { key: err.key, until: err.until, next: 'its runner finishes it' });
      return undefined;
    }
    ctx.logger.warn('job.failed', { key: jobKey(job), type: job.type, err, next: 'delivered again by the stream' });
    return record?.dynamodb?.SequenceNumber ?? '';
  }
}
