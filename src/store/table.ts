/**
 * The single DynamoDB table and its key design (documented in README > State):
 *
 * | item              | PK                       | SK                     | notes                                   |
 * |-------------------|--------------------------|------------------------|-----------------------------------------|
 * | request           | `REQ#<id>`               | `#REQ`                 | `version` guards every write; approvals live inside |
 * | audit event       | `REQ#<id>`               | `AUDIT#<iso time>#<n>` | append-only                             |
 * | run link          | `RUN#<repo>#<run id>`    | `#RUN`                 | which request a GitHub run belongs to   |
 * | idempotency key   | `IDEM#<key>`             | `#IDEM`                | `ttl` expires it                         |
 * | current deploy    | `SVC#<service>`          | `ENV#<env>`            | what runs where                          |
 * | deploy history    | `HIST#<service>#<env>`   | `<finished iso>#<id>`  | newest last                              |
 *
 * GSI1 (`GSI1PK`/`GSI1SK`) is sparse: only requests that are not final carry `GSI1PK = ACTIVE`,
 * so the reconciler and status queries read just the live ones.
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
    // dynalite has no TTL; expired items are simply ignored by reads that check `ttl`.
  }
}
