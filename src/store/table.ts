/**
 * The single DynamoDB table and its key design (documented in README > State):
 *
 * | item              | PK                       | SK                     | notes                                   |
 * |-------------------|--------------------------|------------------------|-----------------------------------------|
 * | request           | `REQ#<id>`               | `#REQ`                 | `version` guards every write; approvals live inside |
 * | audit event       | `REQ#<id>`               | `AUDIT#<iso time>#<n>` | append-only; sorts oldest first; on GSI2 |
 * | audit event without a request | `ENVLOG#<env or ->` | `AUDIT#<iso time>#<n>` | refused `/deploy`s, exports…; on GSI2 |
 * | run link          | `RUN#<repo>#<run id>`    | `#RUN`                 | which request a GitHub run belongs to   |
 * | idempotency key   | `IDEM#<key>`             | `#IDEM`                | `ttl` = claim time + ttlSeconds; the claim itself |
 * |                   |                          |                        | treats a key past its `ttl` as free     |
 * | current deploy    | `SVC#<service>`          | `ENV#<env>`            | what runs where: successes only, and only one |
 * |                   |                          |                        | whose `finishedAt` is not older than the stored one |
 * | deploy history    | `HIST#<service>#<env>`   | `<finished iso>#<id>`  | every outcome; sorts oldest first, `history` reads it newest first |
 * | lock              | `ENV#<env>`              | `LOCK#<service or *>`  | owner, reason, `at`, `until`; taken with one conditional write |
 * | deploy slot       | `ENV#<env>`              | `SLOT#<service>`       | `holder`: the request claiming one-deploy-at-a-time |
 * | alarm episode     | `ALARM#<alarm name>`     | `#EPISODE`             | the alarm's newest episode; `version` guards every write |
 * | storm window      | `STORM#<channel>`        | `#WINDOW`              | the channel's recent alarm messages, its open digest |
 * | storm digest      | `STORM#<channel>`        | `DIGEST#<opened>#<n>`  | one digest of a storm; `version` guards every write |
 *
 * GSI1 (`GSI1PK`/`GSI1SK`) is sparse: only requests that are not final carry `GSI1PK = ACTIVE`, with
 * `GSI1SK = <lastRunEventAt or updatedAt>#<id>`, so the reconciler and status queries read just the live
 * ones, oldest news first.
 *
 * GSI2 (`GSI2PK`/`GSI2SK`) holds every audit event and nothing else: `GSI2PK = AUDIT#<env or ->#<yyyy-mm>` (one
 * partition per environment and UTC month, so no partition grows without end) and `GSI2SK = <at iso>#<n>`, so one
 * environment's events are read in time order, month by month (`DynamoAuditLog.read`, the audit export).
 *
 * Times in keys and in the `finishedAt` condition are compared as strings, which orders them correctly
 * because every writer uses `Date.prototype.toISOString()` (UTC, milliseconds, `Z`).
 *
 * `ttl` (epoch seconds) is on final requests and run links (a year), audit events (`audit_retention_days`, default
 * 400), idempotency keys and the alarm items (episodes 90 days after their last write, digests 30, windows 1).
 * DynamoDB deletes expired items lazily (typically within days); dynalite never does. Only the idempotency
 * claim looks at `ttl`; every other read returns an expired item until it is deleted.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export const ACTIVE_INDEX = 'GSI1';
/** The audit trail by environment and time (see the module comment). */
export const AUDIT_INDEX = 'GSI2';

/** Creates the table if it does not exist (local runs and tests; on AWS CloudFormation owns it). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: 'GSI1PK', AttributeType: 'S' },
          { AttributeName: 'GSI1SK', AttributeType: 'S' },
          { AttributeName: 'GSI2PK', AttributeType: 'S' },
          { AttributeName: 'GSI2SK', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: ACTIVE_INDEX,
            KeySchema: [
              { AttributeName: 'GSI1PK', KeyType: 'HASH' },
              { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: AUDIT_INDEX,
            KeySchema: [
              { AttributeName: 'GSI2PK', KeyType: 'HASH' },
              { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (err) {
    // Two processes starting at once: the other one created it.
    if (!(err instanceof ResourceInUseException) && (err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 50; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }));
  } catch {
    // dynalite has no TimeToLive API and never deletes expired items (see the note on `ttl` above).
  }
}
