/**
 * How a prepare job ends a request it prepared, shared by the prepare jobs of deploys, rollbacks, promotions and the
 * stack guard: ready for approval (`preparing → awaiting_approval`, or `approved` when none is needed, with the full
 * approval window), or given up on (`preparing → prepare_failed` with the failure, told privately to the requester).
 * Both are audited.
 */
import { type DeployRequest, type Failure, transition } from '../domain/request.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** How a prepare job's refusal is recorded. */
export interface RefuseOptions {
  /** The info log event; none when the caller has logged already. */
  event?: string;
  /** The audit action; `prepare` unless told. */
  action?: string;
  /** Written on the request along with the failure (e.g. the gates, the resolved SHA). */
  changes?: Partial<DeployRequest>;
}

/**
 * `preparing → prepare_failed` with `failure` (and `changes`), audited as `action`, logged as `event` and told
 * privately to the requester; nothing when someone else moved the request meanwhile. Returns undefined, for callers
 * that return what they prepared.
 */
export async function refusePrepare(ctx: DeployContext, current: DeployRequest, failure: Failure, options: RefuseOptions = {}): Promise<undefined> {
  const { event, action = 'prepare', changes = {} } = options;
  const { written, request: saved } = await mutateRequest(
    ctx.requests,
    current.id,
    (r) => (r.status === 'preparing' ? { write: transition(r, 'prepare_failed', ctx.now(), { ...changes, failure }), result: true } : { skip: false }),
    { current },
  );
  if (written) {
    if (event) ctx.logger.info(event, { requestId: current.id, code: failure.code, params: failure.params });
    await auditRequest(ctx, current, { actor: 'foxops', action, outcome: 'error', detail: JSON.stringify(failure) });
    await ctx.cards.whisper({ kind: 'prepare_failed', request: saved });
  }
  return undefined;
}

/** The audit entry of a prepared request: its action, and its words given the request as stored. */
export interface PreparedAudit {
  action: string;
  detail: (saved: DeployRequest) => string;
}

/**
 * `preparing → awaiting_approval` (or `approved` when it needs no approval: `approvals`, else the request's own
 * `requiredApprovals`) with `changes`, the approval window starting `now` for `ttlMs`, and the audit entry. Returns
 * the request ready for its card, or undefined when someone else moved it meanwhile.
 */
export async function readyForApproval(
  ctx: DeployContext,
  current: DeployRequest,
  now: Date,
  ttlMs: number,
  changes: Partial<DeployRequest>,
  audit: PreparedAudit,
  approvals?: number,
): Promise<DeployRequest | undefined> {
  const { request, written } = await mutateRequest(
    ctx.requests,
    current.id,
    (r) => {
      if (r.status !== 'preparing') return { skip: undefined };
      return {
        write: transition(r, (approvals ?? r.requiredApprovals) === 0 ? 'approved' : 'awaiting_approval', now, {
          ...changes,
          // Approvers get the full time window from the moment they can see what they approve.
          expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        }),
        result: undefined,
      };
    },
    { current },
  );
  if (!written) return undefined;
  await auditRequest(ctx, current, { at: now.toISOString(), actor: 'foxops', action: audit.action, outcome: 'ok', detail: audit.detail(request) });
  return request;
}
