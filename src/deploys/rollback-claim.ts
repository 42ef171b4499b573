/**
 * The claim of an approved rollback by the dispatch job (alias or stack mode): one conditional write
 * `approved → rolling_back`, so concurrent approvals or a repeated job give one claim.
 */
import { deployable, targetOf } from '../domain/environment.js';
import { type DeployRequest, transition } from '../domain/request.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** A request left `rolling_back` this long was claimed by a job that died: a job holds its lease for less. */
export const ROLLBACK_CLAIM_STALE_MS = 90_000;

/**
 * Claims the approved rollback `known` (just read): `approved → rolling_back`, counting the attempt, unless it is no
 * longer deployable (logged as `notDeployable`). `extra` adds what the mode records at the claim, given the claim's
 * time. Returns whether this job claimed it, and the request as it now stands.
 */
export function claimRollback(
  ctx: DeployContext,
  known: DeployRequest,
  notDeployable: string,
  extra: (r: DeployRequest, now: string) => Partial<DeployRequest> = () => ({}),
): Promise<{ result: boolean; request: DeployRequest }> {
  return mutateRequest<boolean>(
    ctx.requests,
    known.id,
    (r) => {
      if (r.status !== 'approved') return { skip: false };
      const verdict = deployable(targetOf(r), r, ctx.now());
      if (!verdict.deployable) {
        ctx.logger.error(notDeployable, { requestId: r.id, why: verdict.why, sha: r.sha });
        return { skip: false };
      }
      const now = ctx.now().toISOString();
      return {
        write: transition(r, 'rolling_back', ctx.now(), {
          failure: undefined,
          dispatchedAt: now,
          dispatchAttempts: (r.dispatchAttempts ?? 0) + 1,
          firstDispatchAt: r.firstDispatchAt ?? now,
          ...extra(r, now),
        }),
        result: true,
      };
    },
    { current: known },
  );
}
