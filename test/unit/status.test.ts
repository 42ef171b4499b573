/**
 * `readStatus` (src/deploys/status.ts): what holds each environment beside what runs there. The locks in force that
 * hold the service, the freeze in force or the next one, read through the ports with a fixed clock; and the
 * time-zone library stays unloaded for environments without freezes (the cold path of most status asks).
 */
import type { Catalog, FreezeWindow } from '../../src/domain/catalog.js';
import type { Lock } from '../../src/domain/lock.js';
import { readStatus } from '../../src/deploys/status.js';
import { TEST_CATALOG } from '../support/catalog.js';
import { memoryContext } from '../support/memory-context.js';
import { MemoryEnvironmentState } from '../support/memory-environment.js';

/** Tuesday noon UTC: the weekend freeze starts on Friday. */
const TUESDAY = new Date('2030-01-01T12:00:00.000Z');
/** Saturday noon UTC: in the weekend freeze. */
const SATURDAY = new Date('2030-01-05T12:00:00.000Z');

const weekend: FreezeWindow = {
  kind: 'weekly',
  from: { weekday: 5, hour: 17, minute: 0 },
  to: { weekday: 1, hour: 8, minute: 0 },
  timeZone: 'Europe/Berlin',
  reason: 'weekend',
};

/** The test catalog, with the weekend freeze in production. */
const frozenCatalog: Catalog = {
  ...TEST_CATALOG,
  environments: TEST_CATALOG.environments.map((e) => (e.name === 'production' ? { ...e, freezes: [weekend] } : e)),
};

async function environmentsWith(locks: Lock[]): Promise<MemoryEnvironmentState> {
  const environments = new MemoryEnvironmentState();
  for (const lock of locks) await environments.takeLock(lock, new Date(lock.at));
  return environments;
}

const lock = (overrides: Partial<Lock>): Lock => ({
  environment: 'production',
  owner: 'U0DAVE',
  reason: 'DB migration',
  at: '2030-01-01T10:00:00.000Z',
  ...overrides,
});

describe('readStatus: locks', () => {
  it('lists the locks in force that hold the service, the environment lock first, and leaves out ended ones', async () => {
    // Prepare
    const envLock = lock({ until: '2030-01-01T14:00:00.000Z' });
    const serviceLock = lock({ service: 'foxy-backend', owner: 'U0ERIN' });
    const otherService = lock({ service: 'foxy-web', owner: 'U0FRANK' });
    const ended = lock({ environment: 'staging', until: '2030-01-01T11:00:00.000Z' });
    const { ctx } = memoryContext({ now: () => TUESDAY, environments: await environmentsWith([serviceLock, envLock, otherService, ended]) });

    // Act
    const [status] = await readStatus(ctx);

    // Assess
    const byEnv = Object.fromEntries(status!.environments.map((e) => [e.environment, e.locks]));
    expect(byEnv).toEqual({ staging: [], production: [envLock, serviceLock] });
  });
});

describe('readStatus: what it is asked for', () => {
  it('reads only the environment named (`/deploy status production`), for every service', async () => {
    // Prepare
    const { ctx } = memoryContext({ now: () => TUESDAY });

    // Act
    const status = await readStatus(ctx, { environment: 'production' });

    // Assess
    expect(status.map((s) => s.service)).toEqual(TEST_CATALOG.services.map((s) => s.name));
    expect(status.flatMap((s) => s.environments.map((e) => e.environment))).toEqual(TEST_CATALOG.services.map(() => 'production'));
  });

  it('reads one service in one environment when both are named', async () => {
    // Prepare
    const { ctx } = memoryContext({ now: () => TUESDAY });

    // Act
    const status = await readStatus(ctx, { service: 'foxy-backend', environment: 'staging' });

    // Assess
    expect(status.map((s) => [s.service, s.environments.map((e) => e.environment)])).toEqual([['foxy-backend', ['staging']]]);
  });
});

describe('readStatus: freezes', () => {
  it('gives the next freeze while none is in force', async () => {
    // Prepare
    const m = memoryContext({ now: () => TUESDAY });
    const ctx = { ...m.ctx, catalog: frozenCatalog };

    // Act
    const [status] = await readStatus(ctx);

    // Assess
    const production = status!.environments.find((e) => e.environment === 'production')!;
    expect(production.freeze).toBeUndefined();
    expect(production.nextFreeze).toEqual({
      reason: 'weekend',
      start: '2030-01-04T16:00:00.000Z',
      end: '2030-01-07T07:00:00.000Z',
      timeZone: 'Europe/Berlin',
      recurring: true,
    });
    expect(status!.environments.find((e) => e.environment === 'staging')).not.toHaveProperty('nextFreeze');
  });

  it('gives the freeze in force, and the one after it', async () => {
    // Prepare
    const m = memoryContext({ now: () => SATURDAY });
    const ctx = { ...m.ctx, catalog: frozenCatalog };

    // Act
    const [status] = await readStatus(ctx);

    // Assess
    const production = status!.environments.find((e) => e.environment === 'production')!;
    expect(production.freeze).toMatchObject({ start: '2030-01-04T16:00:00.000Z', end: '2030-01-07T07:00:00.000Z' });
    expect(production.nextFreeze).toMatchObject({ start: '2030-01-11T16:00:00.000Z' });
  });
});

describe('readStatus: the time-zone library', () => {
  /** Runs readStatus with a fresh module registry and reports whether luxon was loaded. */
  async function loadsLuxon(catalog: Catalog): Promise<boolean> {
    let loaded = false;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('luxon', () => {
        loaded = true;
        return jest.requireActual('luxon');
      });
      const status = await import('../../src/deploys/status.js');
      const m = memoryContext({ now: () => TUESDAY });
      await status.readStatus({ ...m.ctx, catalog });
    });
    jest.dontMock('luxon');
    return loaded;
  }

  it('is not loaded when no environment has freezes', async () => {
    // Act
    const loaded = await loadsLuxon(TEST_CATALOG);

    // Assess
    expect(loaded).toBe(false);
  });

  it('is loaded for an environment with freezes', async () => {
    // Act
    const loaded = await loadsLuxon(frozenCatalog);

    // Assess
    expect(loaded).toBe(true);
  });
});
