/** What runs where: the current deployment per environment, deploys in flight and requests waiting. */
import type { DeploymentRecord } from '../domain/ports.js';
import { type DeployRequest, isInFlight, WAITING_STATUSES } from '../domain/request.js';
import type { DeployContext } from './context.js';

/** One environment of one service. */
export interface EnvironmentStatus {
  environment: string;
  current?: DeploymentRecord;
  inFlight: DeployRequest[];
  waiting: DeployRequest[];
}

/** Status of one service across its environments. */
export interface ServiceStatus {
  service: string;
  environments: EnvironmentStatus[];
}

/** Reads the status of `service`, or of every service. */
export async function readStatus(ctx: DeployContext, service?: string): Promise<ServiceStatus[]> {
  const services = ctx.catalog.services.filter((s) => !service || s.name === service);
  const active = await ctx.requests.listActive(200);
  return Promise.all(
    services.map(async (s) => ({
      service: s.name,
      environments: await Promise.all(
        ctx.catalog.environments.map(async (e) => {
          const mine = active.filter((r) => r.service === s.name && r.environment === e.name);
          return {
            environment: e.name,
            current: await ctx.ledger.current(s.name, e.name),
            inFlight: mine.filter((r) => isInFlight(r.status)),
            waiting: mine.filter((r) => WAITING_STATUSES.includes(r.status)),
          };
        }),
      ),
    })),
  );
}
