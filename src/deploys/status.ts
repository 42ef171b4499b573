/**
 * What runs where: the current deployment per environment, deploys in flight and requests waiting, and what holds
 * each environment: its locks, the freeze in force or the next one.
 */
import type { EnvironmentDefinition } from '../domain/catalog.js';
import type { FreezePeriod } from '../domain/freeze.js';
import { type Lock, locksOn } from '../domain/lock.js';
import type { DeploymentRecord } from '../domain/ports.js';
import { type DeployRequest, isInFlight, WAITING_STATUSES } from '../domain/request.js';
import type { DeployContext } from './context.js';

/** One environment of one service. */
export interface EnvironmentStatus {
  environment: string;
  current?: DeploymentRecord;
  inFlight: DeployRequest[];
  waiting: DeployRequest[];
  /** The locks in force that hold the service there: the environment's own first, then the service's. */
  locks: Lock[];
  /** The freeze in force now. */
  freeze?: FreezePeriod;
  /** The next freeze to start, within `NEXT_FREEZE_HORIZON_MS` (src/domain/freeze.ts); there may be one in force too. */
  nextFreeze?: FreezePeriod;
}

/** Status of one service across its environments. */
export interface ServiceStatus {
  service: string;
  environments: EnvironmentStatus[];
}

/** What holds one environment, for every service alike. */
interface EnvironmentHolds {
  locks: Lock[];
  freeze?: FreezePeriod;
  nextFreeze?: FreezePeriod;
}

/** The freeze in force and the next one; the time-zone library loads only for an environment that has freezes. */
async function freezesOf(env: EnvironmentDefinition, now: Date): Promise<Omit<EnvironmentHolds, 'locks'>> {
  if (!env.freezes?.length) return {};
  const { activeFreeze, nextFreeze } = await import('../domain/freeze.js');
  const freeze = activeFreeze(env.freezes, now);
  const next = nextFreeze(env.freezes, now);
  return { ...(freeze ? { freeze } : {}), ...(next ? { nextFreeze: next } : {}) };
}

/** Reads the locks and freezes of `environments` once, side by side: they are the same for every service. */
async function readHolds(ctx: DeployContext, environments: EnvironmentDefinition[], now: Date): Promise<Map<string, EnvironmentHolds>> {
  const holds = await Promise.all(
    environments.map(async (e) => {
      const [locks, freezes] = await Promise.all([ctx.environments.locks(e.name), freezesOf(e, now)]);
      return [e.name, { locks, ...freezes }] as const;
    }),
  );
  return new Map(holds);
}

/** What `/deploy status [env] [service]` asks for: one service, one environment, or both; absent means all. */
export interface StatusFilter {
  service?: string;
  environment?: string;
}

/** Reads the status of the services and environments that `filter` names (every one it leaves out). */
export async function readStatus(ctx: DeployContext, filter: StatusFilter = {}): Promise<ServiceStatus[]> {
  const services = ctx.catalog.services.filter((s) => !filter.service || s.name === filter.service);
  const environments = ctx.catalog.environments.filter((e) => !filter.environment || e.name === filter.environment);
  const now = ctx.now();
  const [active, holds] = await Promise.all([ctx.requests.listActive(200), readHolds(ctx, environments, now)]);
  return Promise.all(
    services.map(async (s) => ({
      service: s.name,
      environments: await Promise.all(
        environments.map(async (e) => {
          const mine = active.filter((r) => r.service === s.name && r.environment === e.name);
          const held = holds.get(e.name);
          return {
            environment: e.name,
            current: await ctx.ledger.current(s.name, e.name),
            inFlight: mine.filter((r) => isInFlight(r.status)),
            waiting: mine.filter((r) => WAITING_STATUSES.includes(r.status)),
            locks: locksOn(held?.locks ?? [], s.name, e.name, now),
            ...(held?.freeze ? { freeze: held.freeze } : {}),
            ...(held?.nextFreeze ? { nextFreeze: held.nextFreeze } : {}),
          };
        }),
      ),
    })),
  );
}
