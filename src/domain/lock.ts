/**
 * Locks: "nobody ships to this environment now", with an owner and a reason, for one service or for every service
 * of an environment. Pure: the store keeps them (one item per environment and service, taken with a conditional
 * write), this decides what they mean. A lock past its `until` has ended, whether or not the store still has it.
 */

/** A lock on every service of an environment (no `service`) or on one service in it. */
export interface Lock {
  environment: string;
  /** Absent: every service of the environment. */
  service?: string;
  /** The Slack user who took it: they may still deploy through it, and unlock it. */
  owner: string;
  reason: string;
  /** When it was taken (ISO). */
  at: string;
  /** When it ends by itself (ISO); absent: when someone unlocks it. */
  until?: string;
  /** The rollback that took it, so that nobody ships again what the rollback took out without seeing why. */
  requestId?: string;
}

/** True while `lock` holds at `now`: it has no end, or its end is still to come. */
export function isLockActive(lock: Lock, now: Date): boolean {
  return lock.until === undefined || now.getTime() < Date.parse(lock.until);
}

/** The locks among `locks` that hold `service` in `environment` at `now`: the environment's own, then the service's. */
export function locksOn(locks: readonly Lock[], service: string, environment: string, now: Date): Lock[] {
  return locks
    .filter((l) => l.environment === environment && (l.service === undefined || l.service === service) && isLockActive(l, now))
    .sort((a, b) => (a.service === undefined ? 0 : 1) - (b.service === undefined ? 0 : 1));
}

/**
 * The lock that keeps `requester` from changing `service` in `environment` at `now`, if any: an active lock held by
 * someone else. The owner deploys through their own lock; an environment lock of someone else still holds them.
 */
export function lockAgainst(locks: readonly Lock[], service: string, environment: string, requester: string, now: Date): Lock | undefined {
  return locksOn(locks, service, environment, now).find((l) => l.owner !== requester);
}

/** The lock `/deploy lock` takes: `durationMs` from `now`, or until unlocked. */
export function newLock(input: {
  environment: string;
  service?: string;
  owner: string;
  reason: string;
  durationMs?: number;
  now: Date;
  requestId?: string;
}): Lock {
  return {
    environment: input.environment,
    ...(input.service ? { service: input.service } : {}),
    owner: input.owner,
    reason: input.reason,
    at: input.now.toISOString(),
    ...(input.durationMs !== undefined ? { until: new Date(input.now.getTime() + input.durationMs).toISOString() } : {}),
    ...(input.requestId ? { requestId: input.requestId } : {}),
  };
}
