/**
 * A rollback that went through locks its service in the environment, owned by whoever asked for it and with its
 * reason, so that nobody ships the change it took out again without asking them. The lock is an ordinary lock: the
 * owner may deploy the fix through it, and they or an approver lift it with `/deploy unlock`.
 */
import { environmentNamed, homeChannel } from '../domain/catalog.js';
import { isLockActive, newLock } from '../domain/lock.js';
import type { DeployRequest } from '../domain/request.js';
import { shortSha } from '../domain/request.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';

/** The reason a rollback's lock carries: the rollback's own, or what it took out. */
export function rollbackLockReason(request: DeployRequest): string {
  const from = request.rollback?.from;
  const what = from ? `rolled back ${shortSha(from.sha)} (${from.requestId})` : `rolled back by ${request.id}`;
  return request.rollback?.reason ? `${what}: ${request.rollback.reason}`.slice(0, 300) : what;
}

/**
 * Locks the service after the successful rollback `request`, unless someone holds a lock there already: theirs stays
 * as it is, the requester's own too (its reason and end are theirs to change; a second rollback does not overwrite
 * them). Announced in the environment's channel and audited; repeated calls for one rollback change nothing.
 */
export async function lockAfterRollback(ctx: DeployContext, request: DeployRequest): Promise<void> {
  if (request.kind !== 'rollback' || request.status !== 'succeeded') return;
  const now = ctx.now();
  const lock = newLock({
    environment: request.environment,
    service: request.service,
    owner: request.requester,
    reason: rollbackLockReason(request),
    now,
    requestId: request.id,
  });
  const locks = await ctx.environments.locks(request.environment);
  if (locks.some((l) => l.service === request.service && l.requestId === request.id)) return;
  // takeLock renews a lock its owner holds already: leave the requester's own lock as it is instead.
  const own = locks.find((l) => l.service === request.service && l.owner === request.requester && isLockActive(l, now));
  if (own) {
    ctx.logger.info('rollback.lock_held', { requestId: request.id, holder: own.owner });
    return;
  }
  const taken = await ctx.environments.takeLock(lock, now);
  if (!taken.taken) {
    ctx.logger.info('rollback.lock_held', { requestId: request.id, holder: taken.holder.owner });
    return;
  }
  ctx.logger.info('lock.taken', { environment: lock.environment, service: lock.service, owner: lock.owner, requestId: request.id, by: 'rollback' });
  const channel = homeChannel(environmentNamed(ctx.catalog, request.environment));
  await Promise.all([
    auditRequest(ctx, request, { at: now.toISOString(), actor: request.requester, action: 'lock', outcome: 'ok', detail: lock.reason }),
    ctx.jobs.enqueue({ type: 'channel_notice', channel, notice: { kind: 'lock_taken', lock, renewed: taken.renewed } }),
  ]);
}
