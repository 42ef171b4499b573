/** The job outbox adapter on dynalite: stored once per key, leased to one runner at a time, closed, swept, buried. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Job } from '../../src/domain/ports.js';
import { DynamoJobOutbox } from '../../src/store/job-outbox.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/index.js';

const T0 = new Date('2030-01-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const JOB: Job = { type: 'prepare', requestId: 'd-0123456789' };

let db: Dynalite;
let client: DynamoDBClient;
let outbox: DynamoJobOutbox;
let tables = 0;
beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: db.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
beforeEach(async () => {
  const table = `outbox-${++tables}`;
  await ensureTable(client, table);
  outbox = new DynamoJobOutbox(client, table);
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

test('a key is queued once, even after its job ran', async () => {
  // Act
  const first = await outbox.add('prepare:d-0123456789', JOB, T0);
  const again = await outbox.add('prepare:d-0123456789', JOB, at(1));
  await outbox.lease('prepare:d-0123456789', at(2), 60_000);
  await outbox.complete('prepare:d-0123456789', at(3));
  const afterDone = await outbox.add('prepare:d-0123456789', JOB, at(4));

  // Assess
  expect([first, again, afterDone]).toEqual([true, false, false]);
});

test('one runner at a time: a second lease is busy until the first runs out or is given back', async () => {
  // Prepare
  await outbox.add('k', JOB, T0);

  // Act
  const first = await outbox.lease('k', at(1), 60_000);
  const during = await outbox.lease('k', at(30), 60_000);
  const afterExpiry = await outbox.lease('k', at(62), 60_000);
  await outbox.release('k');
  const afterRelease = await outbox.lease('k', at(63), 60_000);

  // Assess
  expect(first).toEqual({ state: 'leased', job: JOB, attempts: 1, until: at(61).toISOString() });
  expect(during).toEqual({ state: 'busy', until: at(61).toISOString() });
  expect(afterExpiry).toMatchObject({ state: 'leased', attempts: 2 });
  expect(afterRelease).toMatchObject({ state: 'leased', attempts: 3 });
});

test('a closed job, and a job that never existed, lease as done', async () => {
  // Prepare
  await outbox.add('k', JOB, T0);
  await outbox.lease('k', at(1), 60_000);
  await outbox.complete('k', at(2));

  // Act
  const closed = await outbox.lease('k', at(3), 60_000);
  const missing = await outbox.lease('nothing', at(3), 60_000);

  // Assess
  expect(closed).toEqual({ state: 'done' });
  expect(missing).toEqual({ state: 'done' });
});

test('the sweep sees pending jobs queued before the given time, oldest first, and not closed or buried ones', async () => {
  // Prepare
  await outbox.add('old', JOB, T0);
  await outbox.add('older-done', JOB, at(-10));
  await outbox.add('buried', JOB, at(-5));
  await outbox.add('recent', JOB, at(600));
  await outbox.add('oldest', { type: 'card', requestId: 'd-0123456789', slot: 1, phase: 'lead' }, at(-20));
  await outbox.complete('older-done', at(1));
  await outbox.bury('buried', at(1), 'kept failing');

  // Act
  const stale = await outbox.stale(at(300), 10);

  // Assess
  expect(stale.map((j) => j.key)).toEqual(['oldest', 'old']);
  expect(stale[0]).toMatchObject({ job: { type: 'card' }, attempts: 0, createdAt: at(-20).toISOString() });
});
