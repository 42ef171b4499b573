/**
 * `/deploy lock`, `/deploy unlock` and `/deploy locks`: take, lift and list locks. Taking one is a single
 * conditional write (of two people locking at once, one wins; the other learns who and why); lifting someone
 * else's takes an approver, and is audited and announced. Runs on the ack path: store reads and writes only, the
 * channel message goes through a job.
 */
import { type EnvironmentDefinition, environmentNamed, homeChannel } from '../domain/catalog.js';
import { isLockActive, type Lock, newLock } from '../domain/lock.js';
import { type Actor, canLock, canUnlock, groupIds, type Refusal } from '../domain/policy.js';
import type { ChannelNotice } from '../domain/ports.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import type { DeployRequest } from '../domain/request.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** Who asks, and what they want locked. */
export interface LockAsk {
  environment: string;
  /** Absent: every service of the environment. */
  service?: string;
  reason: string;
  durationMs?: number;
  userId: string;
}

/** What `/deploy lock` did. */
export type LockOutcome = { kind: 'locked'; lock: Lock; renewed: boolean } | { kind: 'refused'; refusal: Refusal };

/** What `/deploy unlock` did; `overruled`: an approver lifted someone else's lock. */
export type UnlockOutcome = { kind: 'unlocked'; lock: Lock; overruled: boolean } | { kind: 'refused'; refusal: Refusal };

async function actorIn(ctx: DeployContext, env: EnvironmentDefinition, userId: string): Promise<Actor> {
  const groups = groupIds([...env.approvers, ...(env.requesters === 'any' ? [] : env.requesters)]);
  return { userId, groups: groups.length ? await ctx.directory.groupsOf(userId, groups) : [] };
}

/** Audits `action` on the environment, and queues the channel message. */
async function announce(
  ctx: DeployContext,
  env: EnvironmentDefinition,
  lock: Lock,
  actor: string,
  action: 'lock' | 'unlock',
  detail: string,
  notice: ChannelNotice,
) {
  await Promise.all([
    ctx.audit.record({
      environment: env.name,
      ...(lock.service ? { service: lock.service } : {}),
      at: ctx.now().toISOString(),
      actor,
      action,
      outcome: 'ok',
      detail,
    }),
    ctx.jobs.enqueue({ type: 'channel_notice', channel: homeChannel(env), notice }),
  ]);
}

async function refused(ctx: DeployContext, env: EnvironmentDefinition, ask: { service?: string; userId: string }, action: 'lock' | 'unlock', refusal: Refusal) {
  ctx.logger.info(`${action}.refused`, { environment: env.name, service: ask.service, user: ask.userId, code: refusal.code });
  await ctx.audit.record({
    environment: env.name,
    ...(ask.service ? { service: ask.service } : {}),
    at: ctx.now().toISOString(),
    actor: ask.userId,
    action,
    outcome: 'refused',
    detail: JSON.stringify(refusal),
  });
  return { kind: 'refused' as const, refusal };
}

/** Takes (or, for its owner, renews) the lock `ask` describes. */
export async function takeLock(ctx: DeployContext, ask: LockAsk): Promise<LockOutcome> {
  const env = environmentNamed(ctx.catalog, ask.environment);
  const verdict = canLock(env, await actorIn(ctx, env, ask.userId));
  if (!verdict.allowed) return refused(ctx, env, ask, 'lock', verdict.refusal);
  const now = ctx.now();
  const lock = newLock({ ...ask, owner: ask.userId, now });
  const taken = await ctx.environments.takeLock(lock, now);
  if (!taken.taken) return refused(ctx, env, ask, 'lock', { code: 'lock_held', lock: taken.holder });
  ctx.logger.info('lock.taken', { environment: env.name, service: lock.service, owner: lock.owner, until: lock.until, renewed: taken.renewed });
  await Promise.all([
    announce(ctx, env, lock, ask.userId, 'lock', `${lock.reason}${lock.until ? ` (until ${lock.until})` : ''}`, {
      kind: 'lock_taken',
      lock,
      renewed: taken.renewed,
    }),
    noteOnWaitingCards(ctx, lock, lock),
  ]);
  return { kind: 'locked', lock, renewed: taken.renewed };
}

/**
 * Lifts the lock on `service` (or the environment's own lock) in `environment`: its owner may, and so may an approver
 * of the environment. Requests held by it are let go by the advance job.
 */
export async function releaseLock(ctx: DeployContext, ask: { environment: string; service?: string; userId: string }): Promise<UnlockOutcome> {
  const env = environmentNamed(ctx.catalog, ask.environment);
  const now = ctx.now();
  const active = (await ctx.environments.locks(env.name)).filter((l) => isLockActive(l, now));
  const lock = active.find((l) => l.service === ask.service);
  if (!lock)
    return refused(ctx, env, ask, 'unlock', { code: 'not_locked', environment: env.name, ...(ask.service ? { service: ask.service } : {}), others: active });
  const verdict = canUnlock(lock, env, await actorIn(ctx, env, ask.userId));
  if (!verdict.allowed) return refused(ctx, env, ask, 'unlock', verdict.refusal);
  if (!(await ctx.environments.releaseLock(lock))) {
    // Changed between the read and the delete (renewed, or lifted by someone else): say what holds now.
    const now2 = (await ctx.environments.locks(env.name)).find((l) => l.service === ask.service && isLockActive(l, ctx.now()));
    if (now2) return refused(ctx, env, ask, 'unlock', { code: 'lock_held', lock: now2 });
    return refused(ctx, env, ask, 'unlock', { code: 'not_locked', environment: env.name, ...(ask.service ? { service: ask.service } : {}), others: [] });
  }
  const overruled = lock.owner !== ask.userId;
  ctx.logger.info('lock.released', { environment: env.name, service: lock.service, owner: lock.owner, by: ask.userId, overruled });
  const { environmentFreed } = await import('./environment-gate.js');
  // One read of the active requests serves both the held ones to let go and the waiting cards to unmark.
  const requests = ctx.requests.listActive(200);
  await Promise.all([
    announce(ctx, env, lock, ask.userId, 'unlock', overruled ? `lifted the lock of ${lock.owner}: ${lock.reason}` : lock.reason, {
      kind: 'lock_released',
      lock,
      by: ask.userId,
    }),
    environmentFreed(ctx, env.name, lock.service, `unlock:${lock.service ?? '*'}:${lock.at}`, requests),
    noteOnWaitingCards(ctx, lock, undefined, requests),
  ]);
  return { kind: 'unlocked', lock, overruled };
}

/** Cards of requests waiting for approvals that a lock changes, at most: more than enough for one environment. */
const MAX_NOTED_CARDS = 20;

/**
 * Shows `lock` (or, when lifted, no lock) on the cards of the requests waiting for approvals that it covers and that
 * its owner did not make, so that approvers see that an approval now means waiting for the lock.
 */
async function noteOnWaitingCards(ctx: DeployContext, lock: Lock, now: Lock | undefined, active?: Promise<DeployRequest[]>): Promise<void> {
  const covered = (await (active ?? ctx.requests.listActive(200)))
    .filter((r) => r.status === 'awaiting_approval' && r.environment === lock.environment && (!lock.service || r.service === lock.service))
    .filter((r) => r.requester !== lock.owner && (now ? true : r.lockedBy?.at === lock.at))
    .slice(0, MAX_NOTED_CARDS);
  await Promise.all(
    covered.map(async (r) => {
      const { written } = await mutateRequest(
        ctx.requests,
        r.id,
        (cur) => {
          if (cur.status !== 'awaiting_approval') return { skip: undefined };
          const { lockedBy: _gone, ...rest } = cur;
          return { write: now ? { ...cur, lockedBy: now } : rest, result: undefined };
        },
        { current: r },
      );
      if (written) await scheduleCardUpdate(ctx, r.id);
    }),
  );
}

/**
 * Takes a lock's note off the waiting card of `request` once that lock has ended by itself (`for <duration>`): a lifted
 * lock's notes go when it is lifted ({@link noteOnWaitingCards}), an ended one's here, from the reconciler's sweep.
 * Returns true when the card was changed.
 */
export async function clearEndedLockNote(ctx: DeployContext, request: DeployRequest): Promise<boolean> {
  if (request.status !== 'awaiting_approval' || !request.lockedBy || isLockActive(request.lockedBy, ctx.now())) return false;
  const { written } = await mutateRequest(
    ctx.requests,
    request.id,
    (cur) => {
      if (cur.status !== 'awaiting_approval' || !cur.lockedBy || isLockActive(cur.lockedBy, ctx.now())) return { skip: undefined };
      const { lockedBy: _ended, ...rest } = cur;
      return { write: rest, result: undefined };
    },
    { current: request },
  );
  if (written) await scheduleCardUpdate(ctx, request.id);
  return written;
}

/** The active locks of `environment`, or of every environment, environments in catalog order. */
export async function listLocks(ctx: DeployContext, environment?: string): Promise<Lock[]> {
  const now = ctx.now();
  const envs = ctx.catalog.environments.filter((e) => !environment || e.name === environment);
  const all = await Promise.all(envs.map((e) => ctx.environments.locks(e.name)));
  return all.flat().filter((l) => isLockActive(l, now));
}
