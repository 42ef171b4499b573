/**
 * Approve, Reject and Retry on a deploy card. Every decision is made on the stored request
 * (never on what the button carries) and written conditionally, so concurrent clicks,
 * Slack retries and double clicks add each approval once and dispatch once.
 */
import { scheduleCardUpdate } from '../cards/sync.js';
import { environmentNamed } from '../domain/catalog.js';
import { type Actor, type Decision as PolicyDecision, type Refusal, canApprove, canCancel, canReject, canRetry, groupIds } from '../domain/policy.js';
import { type DeployRequest, transition } from '../domain/request.js';
import { isAliasRollback } from '../domain/rollback.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { expireIfDue } from './expire.js';
import { mutateRequest } from './mutate.js';

/** What the clicker is told: nothing more than the card (ok), or why not (refused). */
export type ActionOutcome = { kind: 'ok'; request: DeployRequest } | { kind: 'refused'; refusal: Refusal };

type CardAction = 'approve' | 'reject' | 'retry' | 'cancel';
const DONE_EVENT: Record<CardAction, string> = { approve: 'card.approved', reject: 'card.rejected', retry: 'card.retried', cancel: 'card.cancel_requested' };

async function actorFor(ctx: DeployContext, request: DeployRequest, userId: string): Promise<Actor> {
  const env = environmentNamed(ctx.catalog, request.environment);
  const lists = [...env.approvers, ...(env.requesters === 'any' ? [] : env.requesters), ...(request.breakGlass ? (env.breakGlassApprovers ?? []) : [])];
  const groups = groupIds(lists);
  return { userId, groups: groups.length ? await ctx.directory.groupsOf(userId, groups) : [] };
}

/** Logs and audits a refusal; the audit keeps the code and its data, the surface words it. */
async function refused(ctx: DeployContext, request: DeployRequest, userId: string, action: CardAction, refusal: Refusal): Promise<ActionOutcome> {
  ctx.logger.info('card.action_refused', { requestId: request.id, user: userId, action, code: refusal.code });
  await auditRequest(ctx, request, { actor: userId, action, outcome: 'refused', detail: JSON.stringify(refusal) });
  return { kind: 'refused', refusal };
}

function notFound(requestId: string): ActionOutcome {
  return { kind: 'refused', refusal: { code: 'not_found', requestId } };
}

/** How one card action decides and writes; {@link decideOnCard} does the rest, the same for all three. */
interface CardDecision {
  action: CardAction;
  /** The policy check, on the stored request. */
  check: (request: DeployRequest, env: ReturnType<typeof environmentNamed>, actor: Actor, now: Date) => PolicyDecision;
  /** The request after the action, once the check allowed it. */
  change: (request: DeployRequest, verdict: Extract<PolicyDecision, { allowed: true }>, now: Date) => DeployRequest;
  /** The audit entry's detail. */
  detail: (saved: DeployRequest, verdict: Extract<PolicyDecision, { allowed: true }>) => string | undefined;
}

/**
 * Reads the request once (or takes the caller's fresh copy), expires it when due, checks the policy on the
 * stored state and writes the change conditionally; then audits, and schedules the card edit. `known` saves a
 * read; a stale copy only costs a retry of the conditional write.
 */
async function decideOnCard(ctx: DeployContext, requestId: string, userId: string, known: DeployRequest | undefined, d: CardDecision): Promise<ActionOutcome> {
  const initial = known ?? (await ctx.requests.get(requestId));
  if (!initial) return notFound(requestId);
  if (await expireIfDue(ctx, initial)) {
    const { environment, service, ref, expiresAt } = initial;
    return refused(ctx, initial, userId, d.action, { code: 'expired', action: d.action, expiresAt, request: { environment, service, ref } });
  }
  const env = environmentNamed(ctx.catalog, initial.environment);
  const actor = await actorFor(ctx, initial, userId);
  const { result: decision, request } = await mutateRequest<PolicyDecision>(
    ctx.requests,
    requestId,
    (r) => {
      const now = ctx.now();
      const verdict = d.check(r, env, actor, now);
      return verdict.allowed ? { write: d.change(r, verdict, now), result: verdict } : { skip: verdict };
    },
    { current: initial },
  );
  if (!decision.allowed) return refused(ctx, initial, userId, d.action, decision.refusal);
  await auditRequest(ctx, request, { actor: userId, action: d.action, outcome: 'ok', detail: d.detail(request, decision) });
  ctx.logger.info(DONE_EVENT[d.action], {
    requestId,
    user: userId,
    status: request.status,
    approvals: request.approvals.length,
    required: request.requiredApprovals,
  });
  // Only the write that moved the request to `approved` (last approval, or a retry) gets here with it, so one dispatch is queued.
  if (request.status === 'approved') await ctx.jobs.enqueue({ type: 'dispatch', requestId, version: request.version });
  if (d.action === 'approve' && request.status === 'approved' && request.breakGlass) await breakGlassApproved(ctx, request, env.auditChannel);
  // A rollback by alias is done moments after it is armed, and its job edits the card with the outcome: an edit now
  // would only hold that one back by a slot (Slack takes about one edit of a message per second).
  if (request.status !== 'approved' || !isAliasRollback(request)) await scheduleCardUpdate(ctx, requestId);
  return { kind: 'ok', request };
}

/** The second break-glass approval: audited with both approvers, and announced in the `audit_channel` if there is one. */
async function breakGlassApproved(ctx: DeployContext, request: DeployRequest, auditChannel: string | undefined): Promise<void> {
  await Promise.all([
    auditRequest(ctx, request, {
      actor: request.approvals.at(-1)?.userId ?? 'foxops',
      action: 'break_glass',
      outcome: 'ok',
      detail: `approved by ${request.approvals.map((a) => a.userId).join(', ')}: ${request.breakGlass?.reason ?? ''}`,
    }),
    auditChannel
      ? ctx.jobs.enqueue({ type: 'channel_notice', channel: auditChannel, notice: { kind: 'break_glass', requestId: request.id, stage: 'approved' } })
      : undefined,
  ]);
}

/** Adds `userId`'s approval; at the last one needed, queues the dispatch. */
export function approveRequest(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  return decideOnCard(ctx, requestId, userId, known, {
    action: 'approve',
    check: canApprove,
    change: (r, verdict, now) => {
      const approvals = [...r.approvals, { userId, at: now.toISOString(), ...(verdict.viaGroup ? { viaGroup: verdict.viaGroup } : {}) }];
      return transition(r, approvals.length >= r.requiredApprovals ? 'approved' : 'awaiting_approval', now, { approvals });
    },
    detail: (saved, verdict) => `${saved.approvals.length}/${saved.requiredApprovals} for ${saved.sha}${verdict.viaGroup ? ` via ${verdict.viaGroup}` : ''}`,
  });
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
  if (!verdict.allowed) return refused(ctx, request, userId, 'reject', verdict.refusal);
  return { kind: 'ok', request };
}

/** Ends the request: an approver rejects it, or the requester withdraws it. */
export function rejectRequest(ctx: DeployContext, requestId: string, userId: string, reason?: string): Promise<ActionOutcome> {
  return decideOnCard(ctx, requestId, userId, undefined, {
    action: 'reject',
    check: canReject,
    change: (r, _verdict, now) => transition(r, 'rejected', now, { rejectedBy: userId, ...(reason ? { rejectionReason: reason.slice(0, 500) } : {}) }),
    detail: () => reason,
  });
}

/** Re-arms a request whose dispatch GitHub refused, and queues one more dispatch. */
export function retryDispatch(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  return decideOnCard(ctx, requestId, userId, known, {
    action: 'retry',
    check: canRetry,
    change: (r, _verdict, now) => transition(r, 'approved', now, { failure: undefined }),
    detail: () => undefined,
  });
}

/**
 * Cancel on a running deploy's card: records who asked and when (once, conditionally), audits it, and queues the job
 * that asks GitHub to cancel the run. The request ends `cancelled` when the run news says so (webhook or reconciler).
 */
export async function cancelDeploy(ctx: DeployContext, requestId: string, userId: string, known?: DeployRequest): Promise<ActionOutcome> {
  const outcome = await decideOnCard(ctx, requestId, userId, known, {
    action: 'cancel',
    check: canCancel,
    change: (r, _verdict, now) => ({ ...r, cancelRequestedBy: userId, cancelRequestedAt: now.toISOString(), updatedAt: now.toISOString() }),
    detail: (saved) => `run ${saved.run?.id ?? '?'} attempt ${saved.run?.attempt ?? 1} (${saved.status})`,
  });
  // Only the write that recorded the Cancel gets here: one job, keyed by the request.
  if (outcome.kind === 'ok') await ctx.jobs.enqueue({ type: 'cancel_run', requestId });
  return outcome;
}
