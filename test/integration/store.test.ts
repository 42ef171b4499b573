/**
 * The DynamoDB adapters of src/store, straight against dynalite: the request repository's version guard and
 * active index, the audit trail's order, idempotency claims and their expiry, and the deployment ledger's
 * rule that an older deploy never replaces a newer one, also when both are recorded at once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StaleWriteError } from '../../src/domain/errors.js';
import type { AuditEntry, DeploymentRecord } from '../../src/domain/ports.js';
import { type DeployRequest, transition } from '../../src/domain/request.js';
import { DynamoIdempotencyKeys, dynamoStore } from '../../src/store/dynamo-store.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/dynamodb.js';
import { productionRequest } from '../support/requests.js';

let db: Dynalite;
let client: DynamoDBClient;
let table: string;
let store: ReturnType<typeof dynamoStore>;
let tableCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
// A fresh table per test: no test sees another's items.
beforeEach(async () => {
  table = `foxops-store-${++tableCount}`;
  await ensureTable(client, table);
  store = dynamoStore(client, table);
});

const T0 = Date.parse('2025-03-10T09:00:00.000Z');
const MINUTE = 60_000;
/** `minutes` after T0. */
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const iso = (minutes: number) => at(minutes).toISOString();

/** A request in `preparing`, created `minutes` after T0. */
const requestAt = (id: string, minutes: number): DeployRequest => productionRequest({ id, now: at(minutes) });

describe('requests', () => {
  it('creates a request once: a second create with the same id is refused and changes nothing', async () => {
    // Prepare
    const request = requestAt('d-aaaaaaaaaa', 0);

    // Act
    const first = await store.requests.create(request);
    const second = await store.requests.create({ ...request, requester: 'U0MALLORY' });

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await store.requests.get(request.id)).toEqual(request);
  });

  it('returns undefined for a request that does not exist', async () => {
    // Act
    const got = await store.requests.get('d-zzzzzzzzzz');

    // Assess
    expect(got).toBeUndefined();
  });

  it('saves on the version read and bumps it; a write on a stale version throws StaleWriteError', async () => {
    // Prepare
    const request = requestAt('d-aaaaaaaaaa', 0);
    await store.requests.create(request);
    const read = (await store.requests.get(request.id))!;

    // Act
    const saved = await store.requests.save(transition(read, 'awaiting_approval', at(1)), read.version);
    const stale = store.requests.save(transition(read, 'prepare_failed', at(2)), read.version);

    // Assess
    expect(read.version).toBe(0);
    expect(saved).toMatchObject({ status: 'awaiting_approval', version: 1 });
    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    await expect(stale).rejects.toMatchObject({ requestId: request.id, expectedVersion: 0 });
    expect(await store.requests.get(request.id)).toEqual(saved);
  });

  it('refuses to save a request that was never created', async () => {
    // Act
    const write = store.requests.save(requestAt('d-bbbbbbbbbb', 0), 0);

    // Assess
    await expect(write).rejects.toBeInstanceOf(StaleWriteError);
    expect(await store.requests.get('d-bbbbbbbbbb')).toBeUndefined();
  });

  it('lists the requests that are not final, oldest news first, and leaves out final ones', async () => {
    // Prepare: news is the last run event, else the last update.
    const withLateNews = { ...requestAt('d-aaaaaaaaaa', 0), lastRunEventAt: iso(30) };
    const older = requestAt('d-bbbbbbbbbb', 10);
    const newer = requestAt('d-cccccccccc', 20);
    const finished = transition(requestAt('d-dddddddddd', 5), 'prepare_failed', at(6));
    for (const r of [newer, withLateNews, finished, older]) await store.requests.create(r);

    // Act
    const active = await store.requests.listActive();

    // Assess
    expect(active.map((r) => r.id)).toEqual([older.id, newer.id, withLateNews.id]);
    expect(active[0]).toEqual(older);
  });

  it('drops a request from the active list once a save makes it final, and moves it back on news', async () => {
    // Prepare
    const a = requestAt('d-aaaaaaaaaa', 0);
    const b = requestAt('d-bbbbbbbbbb', 1);
    const c = requestAt('d-cccccccccc', 2);
    for (const r of [a, b, c]) await store.requests.create(r);

    // Act
    await store.requests.save(transition(a, 'prepare_failed', at(3)), a.version);
    const refreshed = await store.requests.save(transition(b, 'awaiting_approval', at(4)), b.version);
    const active = await store.requests.listActive();

    // Assess
    expect(active.map((r) => [r.id, r.version])).toEqual([
      [c.id, 0],
      [b.id, 1],
    ]);
    expect(active[1]).toEqual(refreshed);
  });

  it('returns at most `limit` active requests, the oldest', async () => {
    // Prepare
    const ids = ['d-aaaaaaaaaa', 'd-bbbbbbbbbb', 'd-cccccccccc', 'd-dddddddddd'];
    for (const [i, id] of ids.entries()) await store.requests.create(requestAt(id, 10 - i));

    // Act
    const two = await store.requests.listActive(2);
    const one = await store.requests.listActive(1);

    // Assess
    expect(two.map((r) => r.id)).toEqual(['d-dddddddddd', 'd-cccccccccc']);
    expect(one.map((r) => r.id)).toEqual(['d-dddddddddd']);
  });

  it('links a GitHub run to its request, per repository', async () => {
    // Act
    await store.requests.linkRun('foxy-org/foxy-backend', 4242, 'd-aaaaaaaaaa');
    await store.requests.linkRun('foxy-org/foxy-web', 4242, 'd-bbbbbbbbbb');

    // Assess
    expect(await store.requests.findByRun('foxy-org/foxy-backend', 4242)).toBe('d-aaaaaaaaaa');
    expect(await store.requests.findByRun('foxy-org/foxy-web', 4242)).toBe('d-bbbbbbbbbb');
    expect(await store.requests.findByRun('foxy-org/foxy-backend', 4243)).toBeUndefined();
  });
});

describe('audit', () => {
  const entry = (requestId: string, minutes: number, action: string): AuditEntry => ({ requestId, at: iso(minutes), actor: 'U0ALICE', action, outcome: 'ok' });

  it('lists a request’s events by time, events of the same instant in the order recorded', async () => {
    // Prepare
    const events = [
      entry('d-aaaaaaaaaa', 2, 'approve'),
      entry('d-aaaaaaaaaa', 0, 'request'),
      entry('d-aaaaaaaaaa', 2, 'dispatch'),
      entry('d-aaaaaaaaaa', 1, 'approve'),
    ];
    await store.requests.create(requestAt('d-aaaaaaaaaa', 0));

    // Act
    for (const e of events) await store.audit.record(e);
    await store.audit.record(entry('d-bbbbbbbbbb', 1, 'request'));
    const listed = await store.audit.list('d-aaaaaaaaaa');

    // Assess
    expect(listed).toEqual([events[1], events[3], events[0], events[2]]);
    expect(await store.audit.list('d-bbbbbbbbbb')).toEqual([entry('d-bbbbbbbbbb', 1, 'request')]);
    expect(await store.audit.list('d-cccccccccc')).toEqual([]);
  });

  it('keeps the events out of the request and its active listing', async () => {
    // Prepare
    const request = requestAt('d-aaaaaaaaaa', 0);
    await store.requests.create(request);

    // Act
    await store.audit.record(entry(request.id, 1, 'request'));

    // Assess
    expect(await store.requests.get(request.id)).toEqual(request);
    expect(await store.requests.listActive()).toEqual([request]);
  });
});

describe('idempotency', () => {
  it('grants a key once', async () => {
    // Act
    const first = await store.idempotency.claim('slack:retry-1', 3600);
    const second = await store.idempotency.claim('slack:retry-1', 3600);
    const other = await store.idempotency.claim('slack:retry-2', 3600);

    // Assess
    expect([first, second, other]).toEqual([true, false, true]);
  });

  it('grants a released key again', async () => {
    // Prepare
    await store.idempotency.claim('job:dispatch:d-aaaaaaaaaa', 3600);

    // Act
    await store.idempotency.release('job:dispatch:d-aaaaaaaaaa');
    const again = await store.idempotency.claim('job:dispatch:d-aaaaaaaaaa', 3600);
    const thereafter = await store.idempotency.claim('job:dispatch:d-aaaaaaaaaa', 3600);

    // Assess
    expect([again, thereafter]).toEqual([true, false]);
  });

  it('holds a key for `ttlSeconds` and grants it again after, even before TTL sweeps it', async () => {
    // Prepare: dynalite never sweeps, so the claim's own check of `ttl` is all that frees the key.
    let now = at(0);
    const keys = new DynamoIdempotencyKeys(client, table, () => now);
    await keys.claim('github:delivery-1', 60);

    // Act
    const results: boolean[] = [];
    for (const seconds of [59, 60, 61]) {
      now = new Date(T0 + seconds * 1000);
      results.push(await keys.claim('github:delivery-1', 60));
    }
    now = new Date(T0 + 100 * 1000);
    const withinTheNewClaim = await keys.claim('github:delivery-1', 60);

    // Assess: held through second 60, granted at 61, and that claim holds for its own 60 seconds.
    expect(results).toEqual([false, false, true]);
    expect(withinTheNewClaim).toBe(false);
  });
});

describe('ledger', () => {
  const deploy = (requestId: string, minutes: number, outcome: DeploymentRecord['outcome'] = 'succeeded', environment = 'production'): DeploymentRecord => ({
    service: 'foxy-backend',
    environment,
    sha: `sha-${requestId}`,
    ref: 'main',
    requestId,
    kind: 'deploy',
    runId: 1000 + minutes,
    attempt: 1,
    requester: 'U0CAROL',
    approvers: ['U0ALICE', 'U0BOB'],
    outcome,
    startedAt: iso(minutes - 5),
    finishedAt: iso(minutes),
  });

  it('has nothing current before the first success', async () => {
    // Act
    await store.ledger.record(deploy('d-aaaaaaaaaa', 10, 'failed'));

    // Assess
    expect(await store.ledger.current('foxy-backend', 'production')).toBeUndefined();
  });

  it('makes a success the current deployment of its environment only', async () => {
    // Prepare
    const success = deploy('d-aaaaaaaaaa', 10);

    // Act
    await store.ledger.record(success);

    // Assess
    expect(await store.ledger.current('foxy-backend', 'production')).toEqual(success);
    expect(await store.ledger.current('foxy-backend', 'staging')).toBeUndefined();
    expect(await store.ledger.current('foxy-web', 'production')).toBeUndefined();
  });

  it('keeps the current deployment when a later deploy fails or is cancelled', async () => {
    // Prepare
    const success = deploy('d-aaaaaaaaaa', 10);
    await store.ledger.record(success);

    // Act
    await store.ledger.record(deploy('d-bbbbbbbbbb', 20, 'failed'));
    await store.ledger.record(deploy('d-cccccccccc', 30, 'cancelled'));
    await store.ledger.record(deploy('d-dddddddddd', 40, 'timed_out'));

    // Assess
    expect(await store.ledger.current('foxy-backend', 'production')).toEqual(success);
  });

  it('replaces the current deployment with a newer success', async () => {
    // Prepare
    await store.ledger.record(deploy('d-aaaaaaaaaa', 10));
    const newer = deploy('d-bbbbbbbbbb', 20);

    // Act
    await store.ledger.record(newer);

    // Assess
    expect(await store.ledger.current('foxy-backend', 'production')).toEqual(newer);
  });

  it('never replaces the current deployment with an older one recorded after it', async () => {
    // Prepare: the newer deploy's webhook arrived first; the older one's is late.
    const newer = deploy('d-bbbbbbbbbb', 20);
    await store.ledger.record(newer);

    // Act
    await store.ledger.record(deploy('d-aaaaaaaaaa', 10));

    // Assess: the late one is history, not what runs.
    expect(await store.ledger.current('foxy-backend', 'production')).toEqual(newer);
    expect((await store.ledger.history('foxy-backend', 'production', 10)).map((d) => d.requestId)).toEqual(['d-bbbbbbbbbb', 'd-aaaaaaaaaa']);
  });

  it('lets the newer of two successes recorded at the same time win, whichever lands first', async () => {
    // Prepare
    const older = deploy('d-aaaaaaaaaa', 10);
    const newer = deploy('d-bbbbbbbbbb', 20);
    const environments = ['production', 'staging'];

    // Act: both orders, each on its own environment, all four writes under way at once.
    await Promise.all([
      store.ledger.record({ ...older, environment: environments[0]! }),
      store.ledger.record({ ...newer, environment: environments[0]! }),
      store.ledger.record({ ...newer, environment: environments[1]! }),
      store.ledger.record({ ...older, environment: environments[1]! }),
    ]);

    // Assess
    for (const environment of environments) expect(await store.ledger.current('foxy-backend', environment)).toEqual({ ...newer, environment });
  });

  it('records the same deploy twice as one history entry', async () => {
    // Prepare
    const success = deploy('d-aaaaaaaaaa', 10);

    // Act
    await store.ledger.record(success);
    await store.ledger.record(success);

    // Assess
    expect(await store.ledger.history('foxy-backend', 'production', 10)).toEqual([success]);
    expect(await store.ledger.current('foxy-backend', 'production')).toEqual(success);
  });

  it('returns the history newest first, failures included, at most `count`, per environment', async () => {
    // Prepare
    const records = [deploy('d-bbbbbbbbbb', 20, 'failed'), deploy('d-aaaaaaaaaa', 10), deploy('d-dddddddddd', 40), deploy('d-cccccccccc', 30, 'cancelled')];
    for (const r of records) await store.ledger.record(r);
    await store.ledger.record(deploy('d-eeeeeeeeee', 50, 'succeeded', 'staging'));

    // Act
    const all = await store.ledger.history('foxy-backend', 'production', 10);
    const latestTwo = await store.ledger.history('foxy-backend', 'production', 2);

    // Assess
    expect(all.map((d) => [d.requestId, d.outcome])).toEqual([
      ['d-dddddddddd', 'succeeded'],
      ['d-cccccccccc', 'cancelled'],
      ['d-bbbbbbbbbb', 'failed'],
      ['d-aaaaaaaaaa', 'succeeded'],
    ]);
    expect(latestTwo.map((d) => d.requestId)).toEqual(['d-dddddddddd', 'd-cccccccccc']);
    expect(await store.ledger.history('foxy-web', 'production', 10)).toEqual([]);
  });
});
