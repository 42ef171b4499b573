/**
 * The prepare job: pins the ref to a SHA, lists what will change, posts the deploy card,
 * and dispatches at once where no approval is needed. A rollback is planned from the ledger instead
 * (src/deploys/prepare-rollback.ts), then gets its card the same way.
 */
import { environmentNamed } from '../domain/catalog.js';
import { failureFrom } from '../domain/errors.js';
import type { CommitRange, ResolvedRef } from '../domain/ports.js';
import { type DeployRequest, isFinal } from '../domain/request.js';
import { rollbackNoteOf } from '../domain/rollback.js';
import type { DeployContext } from './context.js';
import { dispatchRequest } from './dispatch.js';
import { auditRequest, requestedAudit } from './audit.js';
import { computePreflight } from './preflight.js';
import { evaluateCiCheck } from './ci-check.js';
import { withCheck } from '../domain/preflight.js';
import { failedChecks, preflightFailure } from '../domain/preflight-rules.js';
import { mutateRequest } from './mutate.js';
import { readyForApproval, refusePrepare } from './prepare-end.js';
import { planPromotionRequest, promotionRequirement } from './prepare-promotion.js';
import { planRollbackRequest } from './prepare-rollback.js';
import { planStackRollback } from './prepare-stack-rollback.js';
import { guardStack } from './stack-guard.js';

/** How many commits a card lists. */
export const CARD_COMMIT_LIMIT = 10;

/**
 * Runs the prepare job for `requestId`. A repeated job does only what is left: a delivery that died after pinning
 * the SHA but before the card was posted posts it now (and dispatches, where no approval is needed).
 */
export async function prepareRequest(ctx: DeployContext, requestId: string): Promise<void> {
  let current = await ctx.requests.get(requestId);
  // The request's own audit entry, which the ack leaves to this job (it stores the request alone). Recorded `once`,
  // at the request's own time: a repeated job writes nothing new, and the trail's order is the requests' order.
  if (current) await auditRequest(ctx, current, requestedAudit(current), { once: 'requested' });
  if (current && current.status !== 'preparing' && current.sha && !current.cardTs && !isFinal(current.status)) {
    ctx.logger.warn('prepare.resumed', { requestId, status: current.status, left: 'post the card' });
    return postCard(ctx, current);
  }
  if (current?.status !== 'preparing') {
    ctx.logger.debug('prepare.skipped', { requestId, status: current?.status });
    return;
  }
  // A target that names a stack: refuse an unstable one, back it up and look for drift before anything else.
  const checked = await guardStack(ctx, current);
  if (!checked) return;
  current = checked;
  if (current.kind === 'rollback') {
    const planned = current.rollback?.mode === 'stack' ? await planStackRollback(ctx, current) : await planRollbackRequest(ctx, current);
    if (planned) await postCard(ctx, planned);
    return;
  }
  // A promotion takes the SHA that succeeded in the source environment: no ref to resolve (src/deploys/prepare-promotion.ts).
  if (current.kind === 'promote') {
    const planned = await planPromotionRequest(ctx, current);
    if (planned) await postCard(ctx, planned);
    return;
  }
  const env = environmentNamed(ctx.catalog, current.environment);
  const scm = await ctx.sourceControl();
  let resolved: ResolvedRef;
  try {
    resolved = await scm.resolveRef(current.repo, current.ref);
  } catch (err) {
    const failure = failureFrom(err, 'prepare');
    ctx.logger.warn('prepare.resolve_failed', { requestId, repo: current.repo, ref: current.ref, err });
    await refusePrepare(ctx, current, failure);
    return;
  }
  // `require_promotion`: only a SHA that succeeded in the `promote_from` environment may ship here.
  const required = await promotionRequirement(ctx, current, resolved.sha);
  if (required) {
    await refusePrepare(ctx, current, required, { event: 'prepare.promotion_required', changes: { sha: resolved.sha, shaUrl: resolved.url } });
    return;
  }

  const deployed = await ctx.ledger.current(current.service, current.environment);
  let range: CommitRange | undefined;
  if (deployed && deployed.sha !== resolved.sha) {
    try {
      range = await scm.compare(current.repo, deployed.sha, resolved.sha, CARD_COMMIT_LIMIT);
    } catch (err) {
      // The card is still useful without its commit list; say so in the log and move on.
      ctx.logger.warn('prepare.compare_failed', { requestId, base: deployed.sha, head: resolved.sha, err });
    }
  }
  // Pre-flight checks of the pinned SHA: a ✗ refuses the request, unless it is a break-glass (then audited).
  // The `ci` check (src/deploys/ci-check.ts) is read next to the others: a ✗ refuses like them, a ⏳ makes Approve wait.
  const [others, ci] = await Promise.all([
    computePreflight(ctx, current, { sha: resolved.sha, ref: current.ref, ...(deployed ? { deployedSha: deployed.sha } : {}), range }),
    evaluateCiCheck(ctx, current, resolved.sha, scm),
  ]);
  const preflight = withCheck(others, ci);
  const failed = failedChecks(preflight);
  if (failed.length && !current.breakGlass) {
    const failure = preflightFailure(failed, { environment: current.environment, service: current.service, ref: current.ref, sha: resolved.sha });
    await refusePrepare(ctx, current, failure, {
      event: 'prepare.preflight_failed',
      action: 'preflight',
      changes: { sha: resolved.sha, shaUrl: resolved.url, preflight },
    });
    return;
  }
  if (failed.length) {
    ctx.logger.warn('prepare.preflight_override', { requestId, failed: failed.map((c) => c.check) });
    await auditRequest(ctx, current, { actor: current.requester, action: 'preflight_override', outcome: 'ok', detail: JSON.stringify(failed) });
  }
  const now = ctx.now();
  // After a rollback, the card says what it took out and why, so nobody ships it again without seeing it.
  const note = rollbackNoteOf(deployed);
  const request = await readyForApproval(
    ctx,
    current,
    now,
    env.requestTtlMs,
    {
      sha: resolved.sha,
      shaUrl: resolved.url,
      baseSha: deployed?.sha,
      commits: range ? range.commits : deployed ? [] : [resolved.commit],
      totalCommits: range ? range.total : deployed ? 0 : undefined,
      compareUrl: range?.url,
      preflight,
      ...(note ? { rolledBack: note } : {}),
    },
    { action: 'pin', detail: (saved) => `${saved.ref} = ${resolved.sha}` },
    env.approvals,
  );
  if (!request) return;
  ctx.logger.info('prepare.pinned', { requestId, ref: request.ref, sha: resolved.sha, commits: request.commits.length });

  await postCard(ctx, request);
}

/**
 * Posts the card of a pinned request, keeps its ts, and dispatches at once where no approval is needed. A break-glass
 * request is announced in the environment's `audit_channel` now that it is prepared and what it ships is known (its
 * notice's job key makes a resumed job's second announcement a no-op).
 */
async function postCard(ctx: DeployContext, request: DeployRequest): Promise<void> {
  const ts = await ctx.cards.post(request);
  await mutateRequest(ctx.requests, request.id, (r) => (r.cardTs ? { skip: undefined } : { write: { ...r, cardTs: ts }, result: undefined }), {
    current: request,
  });
  const auditChannel = request.breakGlass ? environmentNamed(ctx.catalog, request.environment).auditChannel : undefined;
  if (auditChannel)
    await ctx.jobs.enqueue({ type: 'channel_notice', channel: auditChannel, notice: { kind: 'break_glass', requestId: request.id, stage: 'requested' } });
  if (request.status === 'approved') await dispatchRequest(ctx, request.id);
}
