/**
 * The ledger's `since` against dynalite: every entry of one service and environment that finished at or after a time,
 * oldest first, read over as many query pages as it takes (a page size of 2 here, so a handful of entries is many pages).
 */
import { DynamoDBClient, type QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { DynamoDeploymentLedger } from '../../src/store/dynamo-store.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/dynamodb.js';

let db: Dynalite;
let client: DynamoDBClient;

beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

const T0 = Date.parse('2030-01-01T12:00:00.000Z');
const MINUTE = 60_000;

/** A success of `service` in `environment` that finished `minutes` after T0. */
function entry(id: string, minutes: number, service = 'foxy-backend', environment = 'production'): DeploymentRecord {
  return {
    service,
    environment,
    sha: id.padEnd(40, '0'),
    ref: 'main',
    requestId: `d-${id.padEnd(10, '0')}`,
    kind: 'deploy',
    requester: 'U0DAVE',
    approvers: ['U0ALICE'],
    outcome: 'succeeded',
    requestedAt: new Date(T0 + (minutes - 30) * MINUTE).toISOString(),
    finishedAt: new Date(T0 + minutes * MINUTE).toISOString(),
  };
}

test('reads every entry finished at or after the time, oldest first, page by page, and no other environment or service', async () => {
  // Prepare: a client that counts its queries, and a ledger that reads 2 items a page.
  await ensureTable(client, 'foxops-since');
  let queries = 0;
  const counting = {
    send: (command: QueryCommand) => {
      queries += 1;
      return client.send(command);
    },
  } as unknown as DynamoDBClient;
  const writer = new DynamoDeploymentLedger(client, 'foxops-since');
  const ledger = new DynamoDeploymentLedger(counting, 'foxops-since', { pageSize: 2 });
  const mine = [0, 1, 2, 3, 4, 5, 6].map((n) => entry(`m${n}`, 10 * n));
  const others = [entry('before', -1), entry('stg', 20, 'foxy-backend', 'staging'), entry('web', 20, 'foxy-web')];
  for (const e of [...mine].reverse().concat(others)) await writer.record(e);

  // Act: from the first one's finish to the millisecond.
  const read = await ledger.since('foxy-backend', 'production', new Date(T0));

  // Assess: 7 entries in pages of 2, 2, 2 and 1.
  expect(read).toEqual(mine);
  expect(queries).toBe(4);
});

test('reads nothing for an environment without entries since the time', async () => {
  // Prepare
  await ensureTable(client, 'foxops-since-empty');
  const ledger = new DynamoDeploymentLedger(client, 'foxops-since-empty', { pageSize: 2 });
  await ledger.record(entry('old', 0));

  // Act
  const read = await ledger.since('foxy-backend', 'production', new Date(T0 + 1));

  // Assess
  expect(read).toEqual([]);
});
