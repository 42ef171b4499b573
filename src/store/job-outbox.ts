/**
 * The job outbox in the one table: `JOB#<key>` items. A job is stored once per key (a conditional put), leased to
 * one runner at a time (a conditional update on `leaseUntil`), and closed when it ran to the end. Pending jobs
 * carry `GSI1PK = JOBS` so the reconciler finds the ones whose delivery was lost; closing one removes it from the
 * index. On AWS the table's stream delivers each new item to the function (see infra/foxops/template.yml).
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Job, JobOutbox, Lease, StoredJob } from '../domain/ports.js';
import { type Item, isConditionFailure, N, S } from './items.js';
import { ACTIVE_INDEX } from './table.js';

/** Pending jobs sit under this index partition; closed ones leave it. */
export const PENDING_JOBS = 'JOBS';
/** A job item, closed or not, is kept this long: a key queued again within it is recognised. */
const JOB_RETENTION_SECONDS = 7 * 86_400;

const keyOf = (key: string): Item => ({ PK: S(`JOB#${key}`), SK: S('#JOB') });
const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * The table item of a new job: what {@link DynamoJobOutbox.add} writes and the stream delivers. With `leaseMs` it
 * is stored leased to its writer, as one started once (`attempts` 1); the stream's delivery of it then skips it.
 */
export function jobItem(key: string, job: Job, now: Date, leaseMs?: number): Item {
  const createdAt = now.toISOString();
  return {
    ...keyOf(key),
    job: S(JSON.stringify(job)),
    state: S('pending'),
    attempts: N(leaseMs === undefined ? 0 : 1),
    ...(leaseMs === undefined ? {} : { leaseUntil: S(new Date(now.getTime() + leaseMs).toISOString()) }),
    createdAt: S(createdAt),
    GSI1PK: S(PENDING_JOBS),
    GSI1SK: S(`${createdAt}#${key}`),
    ttl: N(epochSeconds(now) + JOB_RETENTION_SECONDS),
  };
}

/** Reads a job item as stored (or as a stream record's `NewImage` carries it); undefined when it is none. */
export function storedJobOf(item: Item | undefined): StoredJob | undefined {
  const pk = item?.PK?.S;
  const data = item?.job?.S;
  if (!pk?.startsWith('JOB#') || !data) return undefined;
  let job: Job;
  try {
    job = JSON.parse(data) as Job;
  } catch {
    return undefined;
  }
  return {
    key: pk.slice(4),
    job,
    attempts: Number(item?.attempts?.N ?? 0),
    createdAt: item?.createdAt?.S ?? '',
    ...(item?.leaseUntil?.S ? { leaseUntil: item.leaseUntil.S } : {}),
  };
}

/** {@link JobOutbox} over DynamoDB. */
export class DynamoJobOutbox implements JobOutbox {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc JobOutbox.add} */
  async add(key: string, job: Job, now: Date, leaseMs?: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: jobItem(key, job, now, leaseMs), ConditionExpression: 'attribute_not_exists(PK)' }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc JobOutbox.lease} */
  async lease(key: string, now: Date, leaseMs: number): Promise<Lease> {
    const until = new Date(now.getTime() + leaseMs).toISOString();
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET leaseUntil = :until, attempts = attempts + :one',
          ConditionExpression: '#state = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':until': S(until), ':one': N(1), ':pending': S('pending'), ':now': S(now.toISOString()) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const stored = storedJobOf(Attributes);
      if (!stored) return { state: 'done' };
      return { state: 'leased', job: stored.job, attempts: stored.attempts, until };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }));
    if (Item?.state?.S === 'pending' && Item.leaseUntil?.S) return { state: 'busy', until: Item.leaseUntil.S };
    return { state: 'done' };
  }

  /** {@inheritDoc JobOutbox.complete} */
  async complete(key: string, now: Date): Promise<void> {
    await this.close(key, now, 'done');
  }

  /** {@inheritDoc JobOutbox.release} */
  async release(key: string): Promise<void> {
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'REMOVE leaseUntil',
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': S('pending') },
        }),
      )
      .catch((err) => {
        if (!isConditionFailure(err)) throw err;
      });
  }

  /** {@inheritDoc JobOutbox.stale} */
  async stale(before: Date, limit: number): Promise<StoredJob[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: ACTIVE_INDEX,
        KeyConditionExpression: 'GSI1PK = :jobs AND GSI1SK < :before',
        ExpressionAttributeValues: { ':jobs': S(PENDING_JOBS), ':before': S(before.toISOString()) },
        Limit: limit,
      }),
    );
    return Items.map(storedJobOf).filter((j): j is StoredJob => j !== undefined);
  }

  /** {@inheritDoc JobOutbox.bury} */
  async bury(key: string, now: Date, reason: string): Promise<void> {
    await this.close(key, now, 'dead', reason);
  }

  private async close(key: string, now: Date, state: 'done' | 'dead', reason?: string): Promise<void> {
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: `SET #state = :state, closedAt = :now${reason ? ', reason = :reason' : ''} REMOVE leaseUntil, GSI1PK, GSI1SK`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': S(state), ':now': S(now.toISOString()), ...(reason ? { ':reason': S(reason.slice(0, 1000)) } : {}) },
        }),
      )
      .catch((err) => {
        // A job that is gone (its TTL passed) has nothing left to close.
        if (!isConditionFailure(err)) throw err;
      });
  }
}
