/**
 * Locks and one-deploy-at-a-time slots in the table (see table.ts): items under `ENV#<environment>`, one per lock
 * (`LOCK#<service>` or `LOCK#*` for the whole environment) and one per service's slot (`SLOT#<service>`). Each change
 * is a single conditional write, so racing writers cannot both win.
 */
import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { isLockActive, type Lock } from '../domain/lock.js';
import type { EnvironmentState, LockTaken } from '../domain/ports.js';
import { type Item, isConditionFailure, N, S } from './items.js';

/** An ended lock stays readable for a week (for "who held it"), then DynamoDB's TTL removes it. */
const ENDED_LOCK_KEPT_SECONDS = 7 * 86_400;
/** Rounds of take-then-read: the holder may let go between a refused write and the read that names them. */
const TAKE_ROUNDS = 3;

const partition = (environment: string) => S(`ENV#${environment}`);
const lockKey = (environment: string, service: string | undefined) => ({ PK: partition(environment), SK: S(`LOCK#${service ?? '*'}`) });

function lockItem(lock: Lock): Item {
  // `scope` repeats the key's service for the count's filter: DynamoDB filters may not name key attributes.
  const item: Item = {
    ...lockKey(lock.environment, lock.service),
    scope: S(lock.service ?? '*'),
    owner: S(lock.owner),
    at: S(lock.at),
    data: S(JSON.stringify(lock)),
  };
  if (lock.until) {
    item.until = S(lock.until);
    item.ttl = N(Math.floor(Date.parse(lock.until) / 1000) + ENDED_LOCK_KEPT_SECONDS);
  }
  return item;
}

const lockOf = (item: Item | undefined): Lock | undefined => (item?.data?.S ? (JSON.parse(item.data.S) as Lock) : undefined);

/** {@link EnvironmentState} on the foxops table. */
export class DynamoEnvironmentState implements EnvironmentState {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc EnvironmentState.locks} */
  async locks(environment: string): Promise<Lock[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :lock)',
        ExpressionAttributeValues: { ':pk': partition(environment), ':lock': S('LOCK#') },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map(lockOf).filter((l): l is Lock => l !== undefined);
  }

  /**
   * {@inheritDoc EnvironmentState.anyLockAgainst} `Select: COUNT` with the rule of `lockAgainst` (src/domain/lock.ts)
   * as a filter: the answer carries no item, so a cold start never pays for decoding one (about 14 ms, measured).
   */
  async anyLockAgainst(environment: string, service: string, requester: string, now: Date): Promise<boolean> {
    const { Count } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :lock)',
        FilterExpression: '#scope IN (:all, :service) AND #owner <> :me AND (attribute_not_exists(#until) OR #until > :now)',
        ExpressionAttributeNames: { '#scope': 'scope', '#owner': 'owner', '#until': 'until' },
        ExpressionAttributeValues: {
          ':pk': partition(environment),
          ':lock': S('LOCK#'),
          ':all': S('*'),
          ':service': S(service),
          ':me': S(requester),
          ':now': S(now.toISOString()),
        },
        Select: 'COUNT',
        ConsistentRead: true,
      }),
    );
    return (Count ?? 0) > 0;
  }

  /** {@inheritDoc EnvironmentState.takeLock} */
  async takeLock(lock: Lock, now: Date): Promise<LockTaken> {
    for (let round = 1; ; round++) {
      try {
        const { Attributes } = await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: lockItem(lock),
            // Free, the taker's own, or ended: ISO times compare as strings.
            ConditionExpression: 'attribute_not_exists(PK) OR #owner = :owner OR (attribute_exists(#until) AND #until <= :now)',
            ExpressionAttributeNames: { '#owner': 'owner', '#until': 'until' },
            ExpressionAttributeValues: { ':owner': S(lock.owner), ':now': S(now.toISOString()) },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const before = lockOf(Attributes);
        return { taken: true, lock, renewed: before !== undefined && before.owner === lock.owner && isLockActive(before, now) };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: lockKey(lock.environment, lock.service), ConsistentRead: true }),
      );
      const holder = lockOf(Item);
      if (holder || round >= TAKE_ROUNDS) return holder ? { taken: false, holder } : { taken: true, lock, renewed: false };
    }
  }

  /** {@inheritDoc EnvironmentState.releaseLock} */
  async releaseLock(expected: Lock): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: lockKey(expected.environment, expected.service),
          ConditionExpression: '#owner = :owner AND #at = :at',
          ExpressionAttributeNames: { '#owner': 'owner', '#at': 'at' },
          ExpressionAttributeValues: { ':owner': S(expected.owner), ':at': S(expected.at) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc EnvironmentState.slotHolder} */
  async slotHolder(service: string, environment: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { PK: partition(environment), SK: S(`SLOT#${service}`) }, ConsistentRead: true }),
    );
    return Item?.holder?.S;
  }

  /** {@inheritDoc EnvironmentState.claimSlot} */
  async claimSlot(service: string, environment: string, requestId: string, replacing?: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { PK: partition(environment), SK: S(`SLOT#${service}`), holder: S(requestId) },
          ConditionExpression: `attribute_not_exists(PK) OR holder = :me${replacing ? ' OR holder = :replacing' : ''}`,
          ExpressionAttributeValues: { ':me': S(requestId), ...(replacing ? { ':replacing': S(replacing) } : {}) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
