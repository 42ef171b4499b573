/**
 * The delivery numbers (docs/delivery-numbers.md) from ledger entries alone, on a prepared ledger with exact numbers;
 * and the use case that reads them per service and environment over the last 30 days.
 */
import { deliveryStats } from '../../src/domain/delivery.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { DELIVERY_DAYS, readDeliveryStats } from '../../src/deploys/delivery.js';
import { memoryContext } from '../support/memory-context.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
/** The start of the 30 days; {@link NOW} is their end. */
const START = Date.parse('2030-01-01T12:00:00.000Z');
const NOW = new Date(START + 30 * DAY);
const iso = (ms: number) => new Date(ms).toISOString();

/** A ledger entry of foxy-backend in production that finished `finished` ms after {@link START}, requested `leadMinutes` before. */
function entry(id: string, finished: number, overrides: Partial<DeploymentRecord> & { leadMinutes?: number } = {}): DeploymentRecord {
  const { leadMinutes, ...rest } = overrides;
  return {
    service: 'foxy-backend',
    environment: 'production',
    sha: id.padEnd(40, '0'),
    ref: 'main',
    requestId: `d-${id.padEnd(10, '0')}`,
    kind: 'deploy',
    attempt: 1,
    requester: 'U0DAVE',
    approvers: ['U0ALICE', 'U0BOB'],
    outcome: 'succeeded',
    ...(leadMinutes !== undefined ? { requestedAt: iso(START + finished - leadMinutes * MINUTE) } : {}),
    finishedAt: iso(START + finished),
    ...rest,
  };
}

/** A rollback that finished at `finished` and put `restored` back, taking out what finished in between. */
function rollbackTo(id: string, finished: number, restored: DeploymentRecord, from: DeploymentRecord): DeploymentRecord {
  return entry(id, finished, {
    kind: 'rollback',
    sha: restored.sha,
    leadMinutes: 20,
    restores: { requestId: restored.requestId, finishedAt: restored.finishedAt, sha: restored.sha },
    rolledBackFrom: { requestId: from.requestId, sha: from.sha, reason: 'errors' },
  });
}

describe('deliveryStats', () => {
  it('gives the four numbers of a prepared ledger: rollbacks take changes out, cancelled and unknown runs and older entries do not count', () => {
    // Prepare: 30 days of production, in finishing order.
    const old = entry('old', -DAY, { outcome: 'failed', leadMinutes: 10 }); // before the 30 days: counts nowhere
    const a = entry('a', DAY, { leadMinutes: 60 });
    const b = entry('b', 2 * DAY, { outcome: 'failed', leadMinutes: 30 }); // failure 1 starts
    const c = entry('c', 2 * DAY + 90 * MINUTE, { leadMinutes: 120 }); // ends failure 1 after 90m
    const d = entry('d', 5 * DAY, { kind: 'promote', leadMinutes: 30 });
    const e = entry('e', 6 * DAY, { leadMinutes: 240 }); // taken out by the rollback: failure 2 starts
    const f = entry('f', 6 * DAY + 60 * MINUTE); // recorded before foxops kept requestedAt; taken out too
    const back = rollbackTo('r', 6 * DAY + 180 * MINUTE, d, f); // ends failure 2 after 180m
    const cancelled = entry('g', 8 * DAY, { outcome: 'cancelled', leadMinutes: 5 });
    const unknown = entry('h', 9 * DAY, { outcome: 'unknown', leadMinutes: 5 });
    const i = entry('i', 10 * DAY, { outcome: 'timed_out', leadMinutes: 60 }); // failure 3 starts
    const j = entry('j', 10 * DAY + 30 * MINUTE, { leadMinutes: 45 }); // ends failure 3 after 30m
    const k = entry('k', 20 * DAY, { outcome: 'failed', leadMinutes: 15 }); // failure 4 starts
    // foxops gave up on l's run (timed_out), then GitHub said it succeeded: one attempt, and its last word stands.
    const lGaveUp = entry('l', 25 * DAY, { outcome: 'timed_out', leadMinutes: 10 });
    const l = entry('l', 25 * DAY + 10 * MINUTE, { leadMinutes: 30 }); // ends failure 4 after 5d 10m
    const ledger = [l, back, old, a, k, b, lGaveUp, c, unknown, d, e, j, f, cancelled, i];

    // Act
    const stats = deliveryStats(ledger, { now: NOW, days: 30 });

    // Assess: changes a b c d e f i j k l; successes a c d e f j l; failed b i k, and e f taken out.
    expect(stats).toEqual({
      days: 30,
      deploys: 7,
      deploysPerDay: 7 / 30,
      // a 60m, c 120m, d 30m, e 240m, j 45m, l 30m (f knows no request time): 30 30 45 | 60 120 240
      leadTime: { median: 52.5 * MINUTE, count: 6 },
      changeFailure: { failed: 5, total: 10, rate: 0.5 },
      // 30m, 90m | 180m, 5d 10m
      timeToRestore: { median: 135 * MINUTE, count: 4 },
    });
  });

  it('gives no rates and no durations, never NaN, for an empty ledger', () => {
    // Act
    const stats = deliveryStats([], { now: NOW, days: 30 });

    // Assess
    expect(stats).toEqual({ days: 30, deploys: 0, deploysPerDay: 0, changeFailure: { failed: 0, total: 0 } });
  });

  it('gives no time to restore while a failure has no success after it', () => {
    // Prepare
    const ledger = [entry('a', DAY, { leadMinutes: 10 }), entry('b', 2 * DAY, { outcome: 'failed' }), entry('c', 3 * DAY, { outcome: 'failed' })];

    // Act
    const stats = deliveryStats(ledger, { now: NOW, days: 30 });

    // Assess
    expect(stats.changeFailure).toEqual({ failed: 2, total: 3, rate: 2 / 3 });
    expect(stats.timeToRestore).toBeUndefined();
  });

  it('counts what finished from the first to the last millisecond of the period, and nothing outside it', () => {
    // Prepare
    const ledger = [
      entry('before', -1, { leadMinutes: 10 }),
      entry('first', 0, { leadMinutes: 10 }),
      entry('last', 30 * DAY, { leadMinutes: 10 }),
      entry('after', 30 * DAY + 1, { leadMinutes: 10 }),
    ];

    // Act
    const stats = deliveryStats(ledger, { now: NOW, days: 30 });

    // Assess
    expect(stats.deploys).toBe(2);
    expect(stats.changeFailure).toEqual({ failed: 0, total: 2, rate: 0 });
  });

  it('gives the 90th percentile of lead time from 10 deploys on, as an observed value', () => {
    // Prepare: lead times of 1 to 10 minutes, and a failure whose lead time does not count.
    const ledger = Array.from({ length: 10 }, (_, n) => entry(`s${n}`, (n + 1) * DAY, { leadMinutes: n + 1 }));
    const nine = deliveryStats(ledger.slice(0, 9), { now: NOW, days: 30 });

    // Act
    const ten = deliveryStats([...ledger, entry('x', 15 * DAY, { outcome: 'failed', leadMinutes: 500 })], { now: NOW, days: 30 });

    // Assess
    expect(nine.leadTime).toEqual({ median: 5 * MINUTE, count: 9 });
    expect(ten.leadTime).toEqual({ median: 5.5 * MINUTE, p90: 9 * MINUTE, count: 10 });
  });

  it('counts neither a failed rollback nor one that was itself rolled back as a restore', () => {
    // Prepare: a runs; b is taken out by r1, which fails first (r0) and is itself taken out by r2, which restores a.
    const a = entry('a', DAY, { leadMinutes: 10 });
    const b = entry('b', 2 * DAY, { leadMinutes: 10 });
    const r0 = { ...rollbackTo('r0', 2 * DAY + 10 * MINUTE, a, b), outcome: 'failed' as const };
    const r1 = rollbackTo('r1', 2 * DAY + 30 * MINUTE, a, b);
    const r2 = rollbackTo('r2', 2 * DAY + 60 * MINUTE, a, b);

    // Act
    const stats = deliveryStats([a, b, r0, r1, r2], { now: NOW, days: 30 });

    // Assess: rollbacks are no changes; b failed from its finish until r2.
    expect(stats.deploys).toBe(2);
    expect(stats.changeFailure).toEqual({ failed: 1, total: 2, rate: 0.5 });
    expect(stats.timeToRestore).toEqual({ median: 60 * MINUTE, count: 1 });
  });

  it('refuses a period that is not at least a moment long', () => {
    // Act and assess
    expect(() => deliveryStats([], { now: NOW, days: 0 })).toThrow(RangeError);
  });
});

describe('readDeliveryStats', () => {
  it('reads each service and environment the filter keeps since 30 days before now, in catalog order', async () => {
    // Prepare: a second service, and a ledger that remembers what it was asked.
    const m = memoryContext({ now: () => NOW });
    const backend = m.ctx.catalog.services[0]!;
    m.ctx.catalog = { ...m.ctx.catalog, services: [backend, { ...backend, name: 'foxy-web', aliases: [] }] };
    const asked: string[] = [];
    const success = entry('a', 29 * DAY, { leadMinutes: 30 });
    m.ctx.ledger.since = async (service, environment, since) => {
      asked.push(`${service} ${environment} ${since.toISOString()}`);
      return service === 'foxy-backend' && environment === 'production' ? [success] : [];
    };

    // Act
    const all = await readDeliveryStats(m.ctx);
    asked.length = 0;
    const production = await readDeliveryStats(m.ctx, { environment: 'production' });
    const askedForProduction = [...asked];
    asked.length = 0;
    const web = await readDeliveryStats(m.ctx, { service: 'foxy-web', environment: 'staging' });

    // Assess
    expect(all.map((r) => `${r.service} ${r.environment} ${r.stats.deploys}`)).toEqual([
      'foxy-backend staging 0',
      'foxy-backend production 1',
      'foxy-web staging 0',
      'foxy-web production 0',
    ]);
    expect(all[1]!.stats).toMatchObject({ days: DELIVERY_DAYS, leadTime: { median: 30 * MINUTE, count: 1 } });
    expect(production.map((r) => `${r.service} ${r.environment}`)).toEqual(['foxy-backend production', 'foxy-web production']);
    expect(askedForProduction).toEqual([`foxy-backend production ${iso(START)}`, `foxy-web production ${iso(START)}`]);
    expect(web.map((r) => `${r.service} ${r.environment}`)).toEqual(['foxy-web staging']);
    expect(asked).toEqual([`foxy-web staging ${iso(START)}`]);
  });
});
