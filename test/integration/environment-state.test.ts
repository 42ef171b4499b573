/**
 * Locks and one-deploy slots on dynalite, through the real adapter: every change is one conditional write, so of two
 * racers one wins; the count the ack path asks (`anyLockAgainst`) agrees with the domain's `lockAgainst`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Lock, lockAgainst, newLock } from '../../src/domain/lock.js';
import { DynamoEnvironmentState } from '../../src/store/environment-state.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/dynamodb.js';

let db: Dynalite;
let client: DynamoDBClient;
let state: DynamoEnvironmentState;
let tableCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
beforeEach(async () => {
  const table = `foxops-env-${++tableCount}`;
  await ensureTable(client, table);
  state = new DynamoEnvironmentState(client, table);
});

const NOW = new Date('2026-12-02T10:00:00.000Z');
const HOUR = 3_600_000;
const lock = (owner: string, extra: { service?: string; durationMs?: number; now?: Date } = {}): Lock =>
  newLock({ environment: 'production', owner, reason: `${owner}'s reason`, now: extra.now ?? NOW, ...extra });

describe('DynamoEnvironmentState locks', () => {
  it('lets exactly one of two people racing for the same lock take it; the other learns who holds it', async () => {
    // Act
    const [a, b] = await Promise.all([state.takeLock(lock('U0CAROL'), NOW), state.takeLock(lock('U0ERIN'), NOW)]);

    // Assess
    const stored = await state.locks('production');
    expect(stored).toHaveLength(1);
    const [won, lost] = a.taken ? [a, b] : [b, a];
    expect(won).toMatchObject({ taken: true, renewed: false });
    expect(lost).toEqual({ taken: false, holder: stored[0] });
  });

  it('lets the owner renew an active lock, and anyone take one that has ended', async () => {
    // Prepare
    await state.takeLock(lock('U0CAROL', { durationMs: HOUR }), NOW);

    // Act
    const renewed = await state.takeLock({ ...lock('U0CAROL'), reason: 'longer' }, NOW);
    const early = await state.takeLock(lock('U0ERIN'), NOW);
    await state.takeLock(lock('U0CAROL', { durationMs: HOUR }), NOW);
    const afterEnd = await state.takeLock(lock('U0ERIN', { now: new Date(NOW.getTime() + HOUR) }), new Date(NOW.getTime() + HOUR));

    // Assess
    expect(renewed).toMatchObject({ taken: true, renewed: true });
    expect(early).toMatchObject({ taken: false, holder: { owner: 'U0CAROL', reason: 'longer' } });
    expect(afterEnd).toMatchObject({ taken: true, renewed: false });
  });

  it('releases only the lock it was shown: a lock renewed meanwhile stays', async () => {
    // Prepare
    const first = lock('U0CAROL');
    await state.takeLock(first, NOW);
    const second = lock('U0CAROL', { now: new Date(NOW.getTime() + 1000) });
    await state.takeLock(second, NOW);

    // Act
    const stale = await state.releaseLock(first);
    const current = await state.releaseLock(second);

    // Assess
    expect(stale).toBe(false);
    expect(current).toBe(true);
    expect(await state.locks('production')).toEqual([]);
  });

  it.each([
    ['an environment lock of someone else', [lock('U0CAROL')], true],
    ['a lock of someone else on the service', [lock('U0CAROL', { service: 'foxy-backend' })], true],
    ['a lock on another service', [lock('U0CAROL', { service: 'foxy-frontend' })], false],
    ['the asker’s own lock', [lock('U0DAVE')], false],
    ['a lock that has ended', [lock('U0CAROL', { durationMs: 1000, now: new Date(NOW.getTime() - 2000) })], false],
    ['a lock that ends later', [lock('U0CAROL', { durationMs: HOUR })], true],
  ])('counts %s as the domain does', async (_what, locks, expected) => {
    // Prepare
    for (const l of locks) await state.takeLock(l, new Date(0));

    // Act
    const counted = await state.anyLockAgainst('production', 'foxy-backend', 'U0DAVE', NOW);

    // Assess: the count and the domain's rule on the full read agree
    expect(counted).toBe(expected);
    expect(lockAgainst(await state.locks('production'), 'foxy-backend', 'production', 'U0DAVE', NOW) !== undefined).toBe(expected);
  });
});

describe('DynamoEnvironmentState slots', () => {
  it('gives a free slot to one of two claimers; the holder claims again, and a stale holder is replaced only by name', async () => {
    // Act
    const [a, b] = await Promise.all([
      state.claimSlot('foxy-backend', 'production', 'd-aaaaaaaaaa'),
      state.claimSlot('foxy-backend', 'production', 'd-bbbbbbbbbb'),
    ]);
    const holder = (await state.slotHolder('foxy-backend', 'production'))!;
    const other = holder === 'd-aaaaaaaaaa' ? 'd-bbbbbbbbbb' : 'd-aaaaaaaaaa';

    // Assess
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await state.claimSlot('foxy-backend', 'production', holder)).toBe(true);
    expect(await state.claimSlot('foxy-backend', 'production', other, 'd-cccccccccc')).toBe(false);
    expect(await state.claimSlot('foxy-backend', 'production', other, holder)).toBe(true);
    expect(await state.slotHolder('foxy-backend', 'production')).toBe(other);
    expect(await state.slotHolder('foxy-frontend', 'production')).toBeUndefined();
  });
});
