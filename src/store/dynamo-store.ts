/**
 * DynamoDB adapters for the repository, audit log, idempotency keys and deployment ledger.
 * One table (see `table.ts`). Every write that could race is a single conditional write: requests (on
 * `version`), idempotency claims, audit events (on a fresh key) and the current deployment (on `finishedAt`).
 * Run links, history entries and releases of keys are plain writes; repeating one changes nothing.
 */
import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { StaleWriteError } from '../domain/errors.js';
import { mergeByTime, monthOf, monthsBetween, NO_ENVIRONMENT } from '../domain/audit.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../domain/catalog.js';
import type { AuditEntry, AuditLog, AuditQuery, DeploymentLedger, DeploymentRecord, IdempotencyKeys, RequestRepository } from '../domain/ports.js';
import { type DeployRequest, isFinal } from '../domain/request.js';
import { DynamoAlarmEpisodes } from './alarm-episodes.js';
import { DynamoEnvironmentState } from './environment-state.js';
import { type Item, isConditionFailure, N, S } from './items.js';
import { ACTIVE_INDEX, AUDIT_INDEX } from './table.js';
import { DynamoUserPreferences } from './user-preferences.js';

const DAY_SECONDS = 86_400;
/** Finished requests and run links are kept for a year, then DynamoDB's TTL removes them (audit events: `AuditLogOptions`). */
const REQUEST_RETENTION_SECONDS = 365 * DAY_SECONDS;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function requestItem(request: DeployRequest): Item {
  const item: Item = {
    PK: S(`REQ#${request.id}`),
    SK: S('#REQ'),
    version: N(request.version),
    status: S(request.status),
    data: S(JSON.stringify(request)),
  };
  if (!isFinal(request.status)) {
    item.GSI1PK = S('ACTIVE');
    item.GSI1SK = S(`${request.lastRunEventAt ?? request.updatedAt}#${request.id}`);
  } else {
    item.ttl = N(epochSeconds(request.finishedAt ?? request.updatedAt) + REQUEST_RETENTION_SECONDS);
  }
  return item;
}

/**
 * The id of the request a table item holds, when the item is a request's own (`REQ#<id>`, `#REQ`) and the request
 * still waits for its prepare job: how the job stream tells a new request from the other items it delivers.
 */
export function preparingRequestIdOf(item: Item | undefined): string | undefined {
  const pk = item?.PK?.S;
  if (!pk?.startsWith('REQ#') || item?.SK?.S !== '#REQ' || item.status?.S !== 'preparing') return undefined;
  return pk.slice(4) || undefined;
}

function parseData<T>(item: Item | undefined): T | undefined {
  const data = item?.data?.S;
  return data ? (JSON.parse(data) as T) : undefined;
}

/** Stores deploy requests as one item each, guarded by a version number. */
export class DynamoRequestRepository implements RequestRepository {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc RequestRepository.create} */
  async create(request: DeployRequest): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: requestItem(request), ConditionExpression: 'attribute_not_exists(PK)' }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc RequestRepository.get} */
  async get(id: string): Promise<DeployRequest | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { PK: S(`REQ#${id}`), SK: S('#REQ') }, ConsistentRead: true }),
    );
    const request = parseData<DeployRequest>(Item);
    if (request && Item?.version?.N) request.version = Number(Item.version.N);
    return request;
  }

  /** {@inheritDoc RequestRepository.save} */
  async save(next: DeployRequest, expectedVersion: number): Promise<DeployRequest> {
    const written = { ...next, version: expectedVersion + 1 };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: requestItem(written),
          ConditionExpression: '#v = :expected',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':expected': N(expectedVersion) },
        }),
      );
      return written;
    } catch (err) {
      if (isConditionFailure(err)) throw new StaleWriteError(next.id, expectedVersion);
      throw err;
    }
  }

  /** {@inheritDoc RequestRepository.listActive} */
  async listActive(limit = 100): Promise<DeployRequest[]> {
    const out: DeployRequest[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: 'GSI1PK = :active',
          ExpressionAttributeValues: { ':active': S('ACTIVE') },
          Limit: Math.min(limit - out.length, 100),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const request = parseData<DeployRequest>(item);
        if (request) out.push({ ...request, version: Number(item.version?.N ?? request.version) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && out.length < limit);
    return out;
  }

  /** {@inheritDoc RequestRepository.linkRun} */
  async linkRun(repo: string, runId: number, requestId: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { PK: S(`RUN#${repo}#${runId}`), SK: S('#RUN'), requestId: S(requestId), ttl: N(Math.floor(Date.now() / 1000) + REQUEST_RETENTION_SECONDS) },
      }),
    );
  }

  /** {@inheritDoc RequestRepository.findByRun} */
  async findByRun(repo: string, runId: number): Promise<string | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { PK: S(`RUN#${repo}#${runId}`), SK: S('#RUN') } }));
    return Item?.requestId?.S;
  }
}

/** Settings of {@link DynamoAuditLog}. */
export interface AuditLogOptions {
  /** Days an entry is kept (its `ttl`); default {@link DEFAULT_AUDIT_RETENTION_DAYS}. */
  retentionDays?: number;
  /** Items per query page of {@link DynamoAuditLog.read} (default 500, within DynamoDB's 1 MB); tests set a small one. */
  pageSize?: number;
}

/**
 * Appends audit events next to their request, so one query reads a request's whole story (events without a request
 * go under `ENVLOG#<env>`), and indexes every event by environment and month on GSI2 for the export.
 */
export class DynamoAuditLog implements AuditLog {
  private sequence = 0;
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: AuditLogOptions = {},
  ) {}

  /** {@inheritDoc AuditLog.record} */
  async record(entry: AuditEntry, options: { once?: string } = {}): Promise<void> {
    // The sequence and a random suffix keep two events in the same millisecond apart; a `once` name is the same on
    // every attempt, so the condition below turns a repeat into a no-op. It sorts before the sequence (000000…), so an
    // entry recorded once (a request's first) stays first among the events of its instant.
    const unique = options.once ? `000000${options.once}` : `${String(++this.sequence).padStart(6, '0')}${Math.random().toString(36).slice(2, 6)}`;
    const environment = entry.environment ?? NO_ENVIRONMENT;
    const retentionSeconds = (this.options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS) * DAY_SECONDS;
    await this.client
      .send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            PK: S(entry.requestId ? `REQ#${entry.requestId}` : `ENVLOG#${environment}`),
            SK: S(`AUDIT#${entry.at}#${unique}`),
            GSI2PK: S(`AUDIT#${environment}#${monthOf(entry.at)}`),
            GSI2SK: S(`${entry.at}#${unique}`),
            data: S(JSON.stringify(entry)),
            ttl: N(epochSeconds(entry.at) + retentionSeconds),
          },
          ConditionExpression: 'attribute_not_exists(SK)',
        }),
      )
      .catch((err: unknown) => {
        if (options.once && isConditionFailure(err)) return;
        throw err;
      });
  }

  /** {@inheritDoc AuditLog.list} */
  async list(requestId: string): Promise<AuditEntry[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :audit)',
        ExpressionAttributeValues: { ':pk': S(`REQ#${requestId}`), ':audit': S('AUDIT#') },
      }),
    );
    return (Items ?? []).map((item) => parseData<AuditEntry>(item)!).filter(Boolean);
  }

  /** {@inheritDoc AuditLog.read} */
  read(query: AuditQuery): AsyncIterable<AuditEntry> {
    return mergeByTime(query.environments.map((environment) => this.readEnvironment(environment, query.since, query.until)));
  }

  /**
   * One environment's entries, month partition by month partition and page by page, oldest first. `GSI2SK` is
   * `<at>#<n>`, so `BETWEEN <since> AND <until>` is exactly `since <= at < until`: a key at `until` sorts after it.
   */
  private async *readEnvironment(environment: string, since: Date, until: Date): AsyncGenerator<AuditEntry> {
    const range = { ':from': S(since.toISOString()), ':to': S(until.toISOString()) };
    for (const month of monthsBetween(since, until)) {
      let startKey: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: AUDIT_INDEX,
            KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': S(`AUDIT#${environment}#${month}`), ...range },
            Limit: this.options.pageSize ?? 500,
            ExclusiveStartKey: startKey,
          }),
        );
        startKey = page.LastEvaluatedKey;
        for (const item of page.Items ?? []) {
          const entry = parseData<AuditEntry>(item);
          if (entry) yield entry;
        }
      } while (startKey);
    }
  }
}

/** Conditional puts on `IDEM#<key>`: the first claim wins. */
export class DynamoIdempotencyKeys implements IdempotencyKeys {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** {@inheritDoc IdempotencyKeys.claim} */
  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { PK: S(`IDEM#${key}`), SK: S('#IDEM'), ttl: N(nowSeconds + ttlSeconds) },
          // An expired key that TTL has not swept yet may be claimed again.
          ConditionExpression: 'attribute_not_exists(PK) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': N(nowSeconds) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc IdempotencyKeys.release} */
  async release(key: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { PK: S(`IDEM#${key}`), SK: S('#IDEM') } }));
  }
}

/** Current deployment per service and environment, and the history of finished deploys. */
export class DynamoDeploymentLedger implements DeploymentLedger {
  /**
   * `pageSize` caps the items of one query page in {@link since} (default: DynamoDB's own 1 MB pages); tests set a
   * small one to read many pages from few entries.
   */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { pageSize?: number } = {},
  ) {}

  /** {@inheritDoc DeploymentLedger.record} */
  async record(entry: DeploymentRecord): Promise<void> {
    // History first: the key includes the request id, so a repeated record overwrites itself.
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { PK: S(`HIST#${entry.service}#${entry.environment}`), SK: S(`${entry.finishedAt}#${entry.requestId}`), data: S(JSON.stringify(entry)) },
      }),
    );
    if (entry.outcome !== 'succeeded') return;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { PK: S(`SVC#${entry.service}`), SK: S(`ENV#${entry.environment}`), finishedAt: S(entry.finishedAt), data: S(JSON.stringify(entry)) },
          // A late event for an older deploy must not replace a newer one: one conditional write, so of two
          // concurrent successes the newer wins in either order. An equal `finishedAt` (a repeat) replaces it.
          ConditionExpression: 'attribute_not_exists(PK) OR finishedAt <= :finished',
          ExpressionAttributeValues: { ':finished': S(entry.finishedAt) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** {@inheritDoc DeploymentLedger.current} */
  async current(service: string, environment: string): Promise<DeploymentRecord | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { PK: S(`SVC#${service}`), SK: S(`ENV#${environment}`) } }));
    return parseData<DeploymentRecord>(Item);
  }

  /** {@inheritDoc DeploymentLedger.history} Newest first: the sort key starts with `finishedAt`, read backwards. */
  async history(service: string, environment: string, count: number): Promise<DeploymentRecord[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': S(`HIST#${service}#${environment}`) },
        ScanIndexForward: false,
        Limit: count,
      }),
    );
    return (Items ?? []).map((item) => parseData<DeploymentRecord>(item)!).filter(Boolean);
  }

  /**
   * {@inheritDoc DeploymentLedger.since} The sort key is `<finishedAt>#<id>` with `finishedAt` an ISO time, so
   * `SK >= <since ISO>` is exactly "finished at or after `since`" (a key that starts with the same time sorts after it).
   */
  async since(service: string, environment: string, since: Date): Promise<DeploymentRecord[]> {
    const out: DeploymentRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND SK >= :since',
          ExpressionAttributeValues: { ':pk': S(`HIST#${service}#${environment}`), ':since': S(since.toISOString()) },
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = parseData<DeploymentRecord>(item);
        if (entry) out.push(entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }
}

/** All the DynamoDB adapters over one client and table; `audit` sets the audit trail's retention and page size. */
export function dynamoStore(client: DynamoDBClient, tableName: string, now: () => Date = () => new Date(), audit: AuditLogOptions = {}) {
  return {
    requests: new DynamoRequestRepository(client, tableName),
    audit: new DynamoAuditLog(client, tableName, audit),
    idempotency: new DynamoIdempotencyKeys(client, tableName, now),
    ledger: new DynamoDeploymentLedger(client, tableName),
    environments: new DynamoEnvironmentState(client, tableName),
    alarmEpisodes: new DynamoAlarmEpisodes(client, tableName, now),
    preferences: new DynamoUserPreferences(client, tableName),
  };
}
