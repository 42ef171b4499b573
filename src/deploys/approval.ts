/**
 * Approve, Reject and Retry on a deploy card. Every decision is made on the stored request
 * (never on what the button carries) and written conditionally, so concurrent clicks,
 * Slack retries and double clicks add each approval once and dispatch once.
 */
import { environmentNamed } from '../domain/catalog.js';
import { type Actor, type Decision as PolicyDecision, canApprove, canReject, canRetry, groupIds } from '../domain/policy.js';
import { type DeployRequest, hasExpired, transition } from '../domain/request.js';
import { scheduleCardUpdate } from './card-sync.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** What the clicker is told: nothing more than the card (ok), or why not (refused). */
export type ActionOutcome = { kind: 'ok'; request: DeployRequest; note?: string } | { kind: 'refused'; code: string; message: string };

type CardAction = 'approve' | 'reject' | 'retry';

async function actorFor(ctx: DeployContext, request: DeployRequest, userId: string): Promise<Actor> {
  const env = environmentNamed(ctx.catalog, request.environment);
  const lists = [...env.approvers, ...(env.requesters === 'any' ? [] : env.requesters)];
  const groups = groupIds(lists);
  return { userId, groups: groups.length ? await ctx.directory.groupsOf(userId, groups) : [] };
}

/** Moves a request that waited too long to `expired`; true when this call did it. Reads nothing when it is not due. */
async function expireIfDue(ctx: DeployContext, request: DeployRequest): Promise<boolean> {
  if (!hasExpired(request, ctx.now())) return false;
  const requestId = request.id;
  const { written } = await mutateRequest(
    ctx.requests,
    requestId,
    (r) => (hasExpired(r, ctx.now()) ? { write: transition(r, 'expired', ctx.now()), result: undefined } : { skip: undefined }),
    { current: request },
  );
  if (written) {
    await ctx.audit.record({ requestId, at: ctx.now().toISOString(), actor: 'foxops', action: 'expire', outcome: 'ok' });
    await scheduleCardUpdate(ctx, requestId);
  }
  return written;
}

async function refused(ctx: DeployContext, requestId: string, userId: string, action: CardAction, decision: Extract<PolicyDecision, { allowed: false }>): Promise<ActionOutcome> {
  ctx.logger.info('card.action_refused', { requestId, user: userId, action, code: decision.code });
  await ctx.audit.record({ requestId, at: ctx.now().toISOString(), actor: userId, action, outcome: 'refused', detail: `${decision.code}: ${decision.reason}` });
  return { kind: 'refused', code: decision.code, message: decision.reason };
}

function notFound(requestId: string): ActionOutcome {
  return { kind: 'refused', code: 'not_found', message: `I have no deploy request \`${requestId}\`. It may be older than a year; start a new one with \`/deploy\`.` };
}

/**
 * Adds `userId`'s approval; at the last one needed, queues the dispatch. `known` is the request as the
 * caller just read it (saves a read; a stale copy only costs a retry of the conditional write).
 */
export async function approveRequest(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  const initial = known ?? (await ctx.requests.get(requestId));
  if (!initial) return notFound(requestId);
  if (await expireIfDue(ctx, initial)) {
    return refused(ctx, requestId, userId, 'approve', { allowed: false, code: 'expired', reason: `This request expired at ${initial.expiresAt} before it had its approvals. Start a new one with \`/deploy ${initial.environment} ${initial.service} ${initial.ref}\`.` });
  }
  const env = environmentNamed(ctx.catalog, initial.environment);
  const actor = await actorFor(ctx, initial, userId);
  const { result: decision, request } = await mutateRequest<PolicyDecision>(
    ctx.requests,
    requestId,
    (r) => {
      const now = ctx.now();
      const verdict = canApprove(r, env, actor, now);
      if (!verdict.allowed) return { skip: verdict };
      const approvals = [...r.approvals, { userId, at: now.toISOString(), ...(verdict.viaGroup ? { viaGroup: verdict.viaGroup } : {}) }];
      return { write: transition(r, approvals.length >= r.requiredApprovals ? 'approved' : 'awaiting_approval', now, { approvals }), result: verdict };
    },
    { current: initial },
  );
  if (!decision.allowed) return refused(ctx, requestId, userId, 'approve', decision);
  await ctx.audit.record({ requestId, at: ctx.now().toISOString(), actor: userId, action: 'approve', outcome: 'ok', detail: `${request.approvals.length}/${request.requiredApprovals} for ${request.sha}${decision.viaGroup ? ` via ${decision.viaGroup}` : ''}` });
  ctx.logger.info('card.approved', { requestId, user: userId, approvals: request.approvals.length, required: request.requiredApprovals });
  // Only the write that reached the last approval moved the request to `approved`, so this runs once.
  if (request.status === 'approved') await ctx.jobs.enqueue({ type: 'dispatch', requestId });
  await scheduleCardUpdate(ctx, requestId);
  return { kind: 'ok', request };
}

/**
 * Whether `userId` may reject `requestId` now, checked before the reason dialog opens so that nobody
 * types a reason only to be refused. The rejection itself checks again on the stored state.
 */
export async function mayReject(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  const request = known ?? (await ctx.requests.get(requestId));
  if (!request) return notFound(requestId);
  const env = environmentNamed(ctx.catalog, request.environment);
  const verdict = canReject(request, env, await actorFor(ctx, request, userId), ctx.now());
  if (!verdict.allowed) return refused(ctx, requestId, userId, 'reject', verdict);
  return { kind: 'ok', request };
}

/** Ends the request: an approver rejects it, or the requester withdraws it. */
export async function rejectRequest(ctx: DeployContext, requestId: string, userId: string, reason?: string): Promise<ActionOutcome> {
  const initial = await ctx.requests.get(requestId);
  if (!initial) return notFound(requestId);
  if (await expireIfDue(ctx, initial)) {
    return refused(ctx, requestId, userId, 'reject', { allowed: false, code: 'expired', reason: 'This request had already expired; nothing to reject.' });
  }
  const env = environmentNamed(ctx.catalog, initial.environment);
  const actor = await actorFor(ctx, initial, userId);
  const { result: decision, request } = await mutateRequest<PolicyDecision>(
    ctx.requests,
    requestId,
    (r) => {
      const verdict = canReject(r, env, actor, ctx.now());
      if (!verdict.allowed) return { skip: verdict };
      return { write: transition(r, 'rejected', ctx.now(), { rejectedBy: userId, ...(reason ? { rejectionReason: reason.slice(0, 500) } : {}) }), result: verdict };
    },
    { current: initial },
  );
  if (!decision.allowed) return refused(ctx, requestId, userId, 'reject', decision);
  await ctx.audit.record({ requestId, at: ctx.now().toISOString(), actor: userId, action: 'reject', outcome: 'ok', detail: reason });
  ctx.logger.info('card.rejected', { requestId, user: userId });
  await scheduleCardUpdate(ctx, requestId);
  return { kind: 'ok', request };
}

/** Re-arms a request whose dispatch GitHub refused, and queues one more dispatch. */
export async function retryDispatch(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  const initial = known ?? (await ctx.requests.get(requestId));
  if (!initial) return notFound(requestId);
  if (await expireIfDue(ctx, initial)) {
    return refused(ctx, requestId, userId, 'retry', { allowed: false, code: 'expired', reason: `This request expired at ${initial.expiresAt}. Start a new one with \`/deploy ${initial.environment} ${initial.service} ${initial.ref}\`.` });
  }
  const env = environmentNamed(ctx.catalog, initial.environment);
  const actor = await actorFor(ctx, initial, userId);
  const { result: decision, request } = await mutateRequest<PolicyDecision>(
    ctx.requests,
    requestId,
    (r) => {
      const verdict = canRetry(r, env, actor, ctx.now());
      if (!verdict.allowed) return { skip: verdict };
      return { write: transition(r, 'approved', ctx.now(), { failure: undefined }), result: verdict };
    },
    { current: initial },
  );
  if (!decision.allowed) return refused(ctx, requestId, userId, 'retry', decision);
  await ctx.audit.record({ requestId, at: ctx.now().toISOString(), actor: userId, action: 'retry', outcome: 'ok' });
  await ctx.jobs.enqueue({ type: 'dispatch', requestId });
  await scheduleCardUpdate(ctx, requestId);
  return { kind: 'ok', request };
}
