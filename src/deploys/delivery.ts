/** The delivery numbers (the four DORA measures) per service and environment, read from the ledger. */
import { type DeliveryStats, deliveryStats } from '../domain/delivery.js';
import type { DeployContext } from './context.js';

/** The period `/deploy status --stats` and App Home look back over. */
export const DELIVERY_DAYS = 30;

/** The delivery numbers of one service in one environment. */
export interface DeliveryRow {
  service: string;
  environment: string;
  stats: DeliveryStats;
}

/** Which services and environments to read; absent: all of them. Names as in the catalog (the parser resolves aliases). */
export interface DeliveryFilter {
  service?: string;
  environment?: string;
}

/**
 * The delivery numbers of the last {@link DELIVERY_DAYS} days up to `ctx.now()` for every service × environment of
 * the catalog that `filter` keeps, in catalog order (services, then their environments).
 */
export async function readDeliveryStats(ctx: DeployContext, filter: DeliveryFilter = {}): Promise<DeliveryRow[]> {
  const now = ctx.now();
  const since = new Date(now.getTime() - DELIVERY_DAYS * 86_400_000);
  const pairs = ctx.catalog.services
    .filter((s) => !filter.service || s.name === filter.service)
    .flatMap((s) => ctx.catalog.environments.filter((e) => !filter.environment || e.name === filter.environment).map((e) => [s.name, e.name] as const));
  return Promise.all(
    pairs.map(async ([service, environment]) => ({
      service,
      environment,
      stats: deliveryStats(await ctx.ledger.since(service, environment, since), { now, days: DELIVERY_DAYS }),
    })),
  );
}
