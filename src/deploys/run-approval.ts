/**
 * A workflow run asks to use a deploy request's approval (GitHub's deployment protection rule, or the workflow's
 * verify job with its OIDC token). Decided by src/domain/enforcement.ts on the stored request; the first run to use
 * an approval is written on the request with a conditional write, so two runs racing for one approval cannot both
 * win. Every answer is audited; a refusal is logged and announced in the environment's channel by the caller's words.
 */
import { auditRequest } from './audit.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import { findService } from '../domain/catalog.js';
import { type EnforcedRun, type EnforcementRefusal, refuseRun, type RunClaims } from '../domain/enforcement.js';
import { type DeployRequest, isDeployId } from '../domain/request.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';

/** The answer: the run may use the approval of `request`, or not, and why. */
export type RunApproval = { ok: true; request: DeployRequest } | { ok: false; refusal: EnforcementRefusal; request?: DeployRequest };

/**
 * May the run described by `claims` use the approval of deploy `deployId`? On yes, the request records the run (once;
 * the same run asking again, e.g. a re-run attempt, is a yes without a write) and its card says "enforced by GitHub".
 */
export async function approveRun(ctx: DeployContext, deployId: string | undefined, claims: RunClaims, via: EnforcedRun['via']): Promise<RunApproval> {
  const found = deployId && isDeployId(deployId) ? await ctx.requests.get(deployId) : undefined;
  if (!found) return refused(ctx, { code: 'unknown_deploy', ...(deployId ? { deployId: deployId.slice(0, 64) } : {}) }, claims, via);
  const service = findService(ctx.catalog, found.service);
  const configured = service ?? { repo: found.repo, workflow: found.workflow, defaultRef: 'main' };
  const { result, request, written } = await mutateRequest<EnforcementRefusal | undefined>(
    ctx.requests,
    found.id,
    (r) => {
      const refusal = refuseRun(r, configured, claims);
      if (refusal) return { skip: refusal };
      if (r.enforcedRun?.runId === claims.runId) return { skip: undefined };
      return { write: { ...r, enforcedRun: { runId: claims.runId, via, at: ctx.now().toISOString() } }, result: undefined };
    },
    { current: found },
  );
  if (result) return refused(ctx, result, claims, via, request);
  ctx.logger.info('run.approval_enforced', { requestId: request.id, runId: claims.runId, attempt: claims.runAttempt, via, first: written });
  await auditRequest(ctx, request, {
    actor: 'github',
    action: 'enforce',
    outcome: 'ok',
    detail: `${via}: run ${claims.runId} attempt ${claims.runAttempt ?? 1} may use the approval for ${claims.sha}`,
  });
  if (written) await scheduleCardUpdate(ctx, request.id);
  return { ok: true, request };
}

async function refused(
  ctx: DeployContext,
  refusal: EnforcementRefusal,
  claims: RunClaims,
  via: EnforcedRun['via'],
  request?: DeployRequest,
): Promise<RunApproval> {
  ctx.logger.warn('run.approval_refused', { code: refusal.code, deployId: refusal.deployId, runId: claims.runId, repository: claims.repository, via });
  await ctx.audit.record({
    ...(request ? { requestId: request.id, service: request.service } : {}),
    environment: request?.environment ?? claims.environment.slice(0, 64),
    at: ctx.now().toISOString(),
    actor: 'github',
    action: 'enforce',
    outcome: 'refused',
    detail: JSON.stringify({ ...refusal, via, runId: claims.runId, repository: claims.repository, sha: claims.sha }),
  });
  return { ok: false, refusal, ...(request ? { request } : {}) };
}
