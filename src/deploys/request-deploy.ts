/**
 * `/deploy <env> [service] [ref]` and `/deploy rollback <env> [service] [to <x>] [because <reason>]`: checks who asks
 * from where, stores the request and queues the slow part (resolving the ref or planning the rollback, posting the
 * card). Runs inside Slack's 3-second ack: no GitHub, no Lambda, one policy check and one write. On AWS the request's
 * item is also its prepare job (the table's stream delivers it, src/jobs/stream.ts); the prepare job writes the
 * request's audit entry.
 */
import { createHash } from 'node:crypto';
import { type EnvironmentDefinition, environmentNamed, rollbackApprovalsOf, type ServiceDefinition, serviceNamed } from '../domain/catalog.js';
import { type Asker, type EnvironmentView, environmentHold } from '../domain/environment.js';
import type { Lock } from '../domain/lock.js';
import { canRequest, type Decision, groupIds, type Refusal } from '../domain/policy.js';
import { deployIdFromDigest, newRequest, type DeployRequest } from '../domain/request.js';
import { rollbackModeOf } from '../domain/rollback.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { freezeNow } from './freeze-now.js';

/** Who asked, where, and what Slack calls this invocation. */
export interface DeployAsk {
  environment: string;
  service: string;
  ref: string;
  userId: string;
  channelId: string;
  /** Slack's trigger id: unique per command, identical on Slack's retries. */
  triggerId: string;
  /** `--break-glass "<reason>"`: an emergency change during a freeze. */
  breakGlass?: string;
}

/** The outcome the command listener turns into its ephemeral answer. */
export type DeployAskOutcome = { kind: 'accepted'; request: DeployRequest; duplicate: boolean } | { kind: 'refused'; refusal: Refusal };

/** The request id for a Slack trigger: a retried command maps to the request it already created. */
export function requestIdForTrigger(triggerId: string): string {
  return deployIdFromDigest(createHash('sha256').update(`slack-trigger:${triggerId}`).digest());
}

/** Who asks for a rollback, where, and what `to` and `because` said. */
export interface RollbackAsk {
  environment: string;
  service: string;
  /** What `to` named: a Lambda version, a SHA or a deploy id; absent: the last known good deploy. */
  target?: string;
  reason?: string;
  /** `--stack`: restore a backup of the target's stack (`target` then names the deploy id whose backup). */
  stack?: boolean;
  userId: string;
  channelId: string;
  /** Slack's trigger id: unique per command, identical on Slack's retries. */
  triggerId: string;
  /** `--break-glass "<reason>"`: an emergency change during a freeze. */
  breakGlass?: string;
}

/** Validates and stores a deploy request, then queues its preparation. */
export function requestDeploy(ctx: DeployContext, ask: DeployAsk): Promise<DeployAskOutcome> {
  return accept(ctx, ask, { kind: 'deploy', ref: () => ask.ref, approvals: (env) => env.approvals });
}

/**
 * Validates and stores a rollback request (kind `rollback`, the environment's `rollback_approvals`, the service's
 * rollback mode), then queues its planning. Who may ask, and from where, is the same as for a deploy.
 */
export function requestRollback(ctx: DeployContext, ask: RollbackAsk): Promise<DeployAskOutcome> {
  return accept(ctx, ask, rollbackShape(ask));
}

/** A rollback foxops starts itself: `auto_rollback` after an alarm during the bake window (src/alarms/act.ts). */
export interface AutoRollbackAsk {
  environment: string;
  service: string;
  /** The deploy id it goes back to, as `to <deploy id>` would name it. */
  target: string;
  reason: string;
  /** Whom it is requested for (see src/alarms/act.ts): named on the card, owner of the lock that follows. */
  requester: string;
  /** Where its card goes: the environment's home channel. */
  channelId: string;
  /** Its deploy id, derived from the deploy it takes out (`autoRollbackId`), so that a redelivered or second alarm makes no second request. */
  id: string;
}

/**
 * Stores a rollback that foxops starts itself, through the same path as {@link requestRollback} but needing no
 * approval, then queues its planning; the prepare job then moves it on as any rollback with `rollback_approvals: 0`.
 * Nobody asked, so the policy's who-and-where check does not apply (the environment's `auto_rollback` is the
 * authority); the environment's holds do: a freeze with `rollbacks_in_freeze: break_glass` refuses it. Audited as
 * foxops' `auto_rollback`.
 */
export function requestAutoRollback(ctx: DeployContext, ask: AutoRollbackAsk): Promise<DeployAskOutcome> {
  return accept(
    ctx,
    { environment: ask.environment, service: ask.service, userId: ask.requester, channelId: ask.channelId, triggerId: ask.id },
    { ...rollbackShape(ask, true), approvals: () => 0, id: ask.id, auto: true },
  );
}

/** What a rollback stores beyond a plain request: its mode, target and reason (`/deploy rollback`, or foxops itself: `auto`). */
function rollbackShape(ask: Pick<RollbackAsk, 'target' | 'reason' | 'stack'>, auto = false): RequestShape {
  return {
    kind: 'rollback',
    // The ref of the deploy it goes back to replaces it once planned.
    ref: (service) => service.defaultRef,
    approvals: rollbackApprovalsOf,
    extra: (env, service) => ({
      rollback: {
        mode: ask.stack ? 'stack' : rollbackModeOf(service, env.name),
        ...(ask.target ? { target: ask.target } : {}),
        ...(ask.reason ? { reason: ask.reason } : {}),
        ...(auto ? { auto } : {}),
      },
    }),
  };
}

/** Who asks for a promotion, where, and from which environment to which. */
export interface PromotionAsk {
  /** The target environment. */
  environment: string;
  /** The source environment, whose last success is promoted. */
  from: string;
  service: string;
  userId: string;
  channelId: string;
  /** Slack's trigger id: unique per command, identical on Slack's retries. */
  triggerId: string;
  /** `--break-glass "<reason>"`: an emergency change during a freeze. */
  breakGlass?: string;
}

/**
 * Validates and stores a promotion request (kind `promote`, the target environment's `approvals`), then queues its
 * preparation: the prepare job takes the source's last success and checks the gates. Who may ask, and from where, is
 * the same as for a deploy to the target.
 */
export function requestPromotion(ctx: DeployContext, ask: PromotionAsk): Promise<DeployAskOutcome> {
  return accept(ctx, ask, {
    kind: 'promote',
    // The ref of the source deploy replaces it once prepared; the SHA is never re-resolved from a ref.
    ref: (service) => service.defaultRef,
    approvals: (env) => env.approvals,
    extra: () => ({ promotion: { from: ask.from } }),
  });
}

/** Approvals a break-glass request needs at least: two people, neither of them the requester. */
export const BREAK_GLASS_APPROVALS = 2;

/**
 * The policy's answer, then the environment's: `--break-glass` where nobody may approve one, a lock someone else
 * holds (not for rollbacks), or a freeze (unless break-glass, or a rollback the environment lets through).
 * A deploy in flight refuses nothing: the new request queues behind it once approved.
 */
function environmentDecision(policy: Decision, env: EnvironmentDefinition, here: { view: EnvironmentView; asker: Asker; now: Date }): Decision {
  if (!policy.allowed) return policy;
  if (here.asker.breakGlass && !env.breakGlassApprovers?.length) return { allowed: false, refusal: { code: 'break_glass_unavailable', environment: env.name } };
  const hold = environmentHold(here.view, here.asker, here.now);
  if (hold?.code === 'locked') return { allowed: false, refusal: { code: 'locked', lock: hold.lock } };
  if (hold?.code === 'frozen') {
    return {
      allowed: false,
      refusal: {
        code: 'frozen',
        environment: env.name,
        freeze: hold.freeze,
        breakGlassApprovers: [...(env.breakGlassApprovers ?? [])],
        ...(here.asker.kind === 'deploy' ? {} : { asked: here.asker.kind }),
      },
    };
  }
  return policy;
}

/** The environment's locks when one held by someone else may cover the service, else none (see `anyLockAgainst`). */
async function lockedLocks(ctx: DeployContext, environment: string, service: string, requester: string, now: Date): Promise<Lock[]> {
  return (await ctx.environments.anyLockAgainst(environment, service, requester, now)) ? ctx.environments.locks(environment) : [];
}

/**
 * A break-glass request is audited as such when it is asked. It is announced in the environment's `audit_channel`
 * once prepared, with what ships (`postCard` in src/deploys/prepare.ts): one that its prepare job refuses is never
 * announced.
 */
async function breakGlassRequested(ctx: DeployContext, request: DeployRequest): Promise<void> {
  await auditRequest(ctx, request, {
    at: request.createdAt,
    actor: request.requester,
    action: 'break_glass',
    outcome: 'ok',
    detail: request.breakGlass?.reason,
  });
}

/** What sets one kind of request apart in the shared ack path. */
interface RequestShape {
  kind: DeployRequest['kind'];
  /** The ref stored with the new request. */
  ref: (service: ServiceDefinition) => string;
  /** The approvals it needs in its environment. */
  approvals: (env: EnvironmentDefinition) => number;
  /** What the kind stores beyond a plain request (the rollback's details, the promotion's source). */
  extra?: (env: EnvironmentDefinition, service: ServiceDefinition) => Partial<DeployRequest>;
  /** Its id, when it is not derived from a Slack trigger (see {@link requestIdForTrigger}). */
  id?: string;
  /** foxops makes it itself: no who-and-where check, and audited as foxops' `auto_rollback`. */
  auto?: boolean;
}

/** The shared ack path: policy, then one request per Slack trigger (and, where no stream delivers it, its prepare job). */
async function accept(
  ctx: DeployContext,
  ask: Pick<DeployAsk, 'environment' | 'service' | 'userId' | 'channelId' | 'triggerId' | 'breakGlass'>,
  shape: RequestShape,
): Promise<DeployAskOutcome> {
  const env = environmentNamed(ctx.catalog, ask.environment);
  const service = serviceNamed(ctx.catalog, ask.service);
  const now = ctx.now();
  const id = shape.id ?? requestIdForTrigger(ask.triggerId);
  // Who decided, for the audit trail: the person who asked, or foxops itself.
  const audited = { actor: shape.auto ? 'foxops' : ask.userId, action: shape.auto ? 'auto_rollback' : 'request' };
  // Who the user is, and what holds the environment: independent reads, side by side to keep the ack short.
  const [groups, locks, freeze] = await Promise.all([
    env.requesters === 'any' || shape.auto ? [] : ctx.directory.groupsOf(ask.userId, groupIds(env.requesters)),
    // Rollbacks pass locks; for the rest a count, and the locks themselves only when one may hold.
    shape.kind === 'rollback' ? [] : lockedLocks(ctx, env.name, service.name, ask.userId, now),
    freezeNow(env, now),
  ]);
  const policy: Decision = shape.auto ? { allowed: true } : canRequest(env, { userId: ask.userId, groups }, ask.channelId);
  const decision = environmentDecision(policy, env, {
    view: {
      service: service.name,
      environment: env.name,
      locks,
      ...(freeze ? { freeze } : {}),
      ...(env.rollbacksInFreeze ? { rollbacksInFreeze: env.rollbacksInFreeze } : {}),
    },
    asker: { kind: shape.kind, requester: ask.userId, ...(ask.breakGlass ? { breakGlass: { reason: ask.breakGlass } } : {}) },
    now,
  });
  if (!decision.allowed) {
    ctx.logger.info('deploy.request_refused', { code: decision.refusal.code, user: ask.userId, channel: ask.channelId, environment: env.name });
    // No request is stored for a refusal: the entry stands in the environment's trail on its own.
    await ctx.audit.record({
      environment: env.name,
      service: service.name,
      at: now.toISOString(),
      ...audited,
      outcome: 'refused',
      detail: JSON.stringify(decision.refusal),
    });
    return { kind: 'refused', refusal: decision.refusal };
  }
  const request: DeployRequest = {
    ...newRequest({
      id,
      kind: shape.kind,
      service: service.name,
      environment: env.name,
      repo: service.repo,
      workflow: service.workflow,
      ref: shape.ref(service),
      requester: ask.userId,
      channel: ask.channelId,
      // A break-glass needs two people besides the requester, whatever the environment asks for otherwise.
      requiredApprovals: ask.breakGlass ? Math.max(BREAK_GLASS_APPROVALS, shape.approvals(env)) : shape.approvals(env),
      ttlMs: env.requestTtlMs,
      now,
    }),
    ...shape.extra?.(env, service),
    ...(ask.breakGlass ? { breakGlass: { reason: ask.breakGlass, ...(freeze ? { duringFreeze: true as const } : {}) } } : {}),
  };
  const created = await ctx.requests.create(request);
  const stored = created ? request : ((await ctx.requests.get(id)) ?? request);
  // On AWS the new item is its own prepare job: the stream delivers it (src/jobs/stream.ts), so the ack writes
  // nothing more, and the prepare job writes the request's audit entry (requestedAudit). Elsewhere, and on a retry
  // (the first attempt may have died before queueing), the job is queued here: its key makes a repeat a no-op.
  const queuePrepare = stored.status === 'preparing' && !(created && ctx.jobs.deliversNewRequests);
  await Promise.all([
    queuePrepare ? ctx.jobs.enqueue({ type: 'prepare', requestId: id }) : undefined,
    created && request.breakGlass ? breakGlassRequested(ctx, request) : undefined,
  ]);
  if (created)
    ctx.logger.info('deploy.requested', {
      requestId: id,
      kind: request.kind,
      service: service.name,
      environment: env.name,
      ref: request.ref,
      user: ask.userId,
    });
  else ctx.logger.info('deploy.request_retried', { requestId: id, status: stored.status });
  return { kind: 'accepted', request: stored, duplicate: !created };
}
