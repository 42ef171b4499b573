/**
 * The prepare job of a rollback: plans it from the ledger (last known good, or the deploy `to` named), reads where
 * the alias points now (alias mode), lists the commits being taken out, and fills the request for its card. A
 * rollback that cannot be planned ends `prepare_failed` with the reason, told privately to the requester.
 */
import { environmentNamed, serviceNamed } from '../domain/catalog.js';
import { failureFromAlias } from '../domain/errors.js';
import type { CommitRange } from '../domain/ports.js';
import type { DeployRequest, Failure, RollbackDetails } from '../domain/request.js';
import { aliasTargetOf, noRollbackFailure, planRollback, rollbackSide } from '../domain/rollback.js';
import type { DeployContext } from './context.js';
import { readyForApproval, refusePrepare } from './prepare-end.js';

/** Refuses the rollback being planned: see {@link refusePrepare}. */
const refuse = (ctx: DeployContext, current: DeployRequest, failure: Failure) => refusePrepare(ctx, current, failure, { event: 'rollback.refused' });

/** Ledger entries a rollback plans over: the last known good, or the deploy `to` names, is among them. */
export const ROLLBACK_HISTORY = 50;
/** Commits taken out that the card lists. */
const TAKEN_OUT_LIMIT = 10;

/**
 * Plans the rollback `current` (in `preparing`) and stores the plan; returns the request ready for its card (in
 * `awaiting_approval`, or `approved` when the environment's `rollback_approvals` is 0), or undefined when it was
 * refused or someone else got there first.
 */
export async function planRollbackRequest(ctx: DeployContext, current: DeployRequest): Promise<DeployRequest | undefined> {
  const env = environmentNamed(ctx.catalog, current.environment);
  const service = serviceNamed(ctx.catalog, current.service);
  const details: RollbackDetails = current.rollback ?? { mode: 'redeploy' };
  const needVersion = details.mode === 'alias';
  const history = await ctx.ledger.history(service.name, env.name, ROLLBACK_HISTORY);
  const planning = planRollback(history, needVersion, details.target);
  if ('refused' in planning) return refuse(ctx, current, noRollbackFailure(planning.refused, { service: service.name, environment: env.name, needVersion }));
  const { from, to } = planning.plan;

  // Alias mode: where the alias points now is what the card shows and what the move will insist on.
  let alias: RollbackDetails['alias'];
  const target = aliasTargetOf(service, env.name);
  if (needVersion && target) {
    try {
      alias = { ...target, live: (await (await ctx.functionAliases()).get(target)).version };
    } catch (err) {
      const failure = failureFromAlias(err, { action: 'lambda:GetAlias', resource: `${target.functionName}:${target.alias}` });
      return refuse(ctx, current, { ...failure, params: { function: target.functionName, alias: target.alias, ...failure.params } });
    }
  }

  // The commits being taken out: after `to`, up to what runs. The card is still useful without them.
  let range: CommitRange | undefined;
  if (from.sha !== to.sha) {
    try {
      range = await (await ctx.sourceControl()).compare(current.repo, to.sha, from.sha, TAKEN_OUT_LIMIT);
    } catch (err) {
      ctx.logger.warn('rollback.compare_failed', { requestId: current.id, base: to.sha, head: from.sha, err });
    }
  }

  const now = ctx.now();
  const request = await readyForApproval(
    ctx,
    current,
    now,
    env.requestTtlMs,
    {
      sha: to.sha,
      ...(to.shaUrl ? { shaUrl: to.shaUrl } : {}),
      ref: to.ref,
      baseSha: from.sha,
      commits: range?.commits ?? [],
      ...(range ? { totalCommits: range.total, compareUrl: range.url } : {}),
      rollback: { ...details, from: rollbackSide(from), to: rollbackSide(to), ...(alias ? { alias } : {}) },
    },
    { action: 'plan', detail: () => `${from.sha}${from.version ? ` v${from.version}` : ''} -> ${to.sha}${to.version ? ` v${to.version}` : ''}` },
  );
  if (!request) return undefined;
  ctx.logger.info('rollback.planned', {
    requestId: current.id,
    mode: details.mode,
    from: from.requestId,
    to: to.requestId,
    live: alias?.live,
    toVersion: to.version,
  });
  return request;
}
