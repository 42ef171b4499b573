/** Expiry, written once: the card actions and the reconciler both end a request that waited too long through here. */
import { type DeployRequest, hasExpired, transition } from '../domain/request.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import { auditRequest } from './audit.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/**
 * Moves `request` to `expired` when it waited past its time; true when this call did it (then it is audited and
 * the card edit is scheduled). Reads and writes nothing when it is not due. `request` is the copy just read; a
 * stale copy only costs a retry of the conditional write.
 */
export async function expireIfDue(ctx: DeployContext, request: DeployRequest): Promise<boolean> {
  if (!hasExpired(request, ctx.now())) return false;
  const { written, request: saved } = await mutateRequest(
    ctx.requests,
    request.id,
    (r) => {
      const now = ctx.now();
      return hasExpired(r, now) ? { write: transition(r, 'expired', now), result: undefined } : { skip: undefined };
    },
    { current: request },
  );
  if (!written) return false;
  const detail = `${saved.approvals.length} of ${saved.requiredApprovals} approvals`;
  await auditRequest(ctx, request, { actor: 'foxops', action: 'expire', outcome: 'ok', detail });
  await scheduleCardUpdate(ctx, request.id);
  return true;
}
