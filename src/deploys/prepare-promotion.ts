/**
 * The prepare job of a promotion, and the `require_promotion` check of a plain deploy. A promotion takes the deploy
 * that last succeeded in the source environment (the ledger's current entry: its SHA, ref and version; never a
 * branch), checks the gates (succeeded, soaked, no alarm in ALARM, nothing deploying to the target) and fills the
 * request for its card; a failed gate ends it `prepare_failed`, with the gates on the request, told to the requester.
 */
import { environmentNamed, serviceNamed } from '../domain/catalog.js';
import type { CommitRange } from '../domain/ports.js';
import {
  type AlarmLook,
  AlarmReadError,
  alarmQueryOf,
  gatesFailure,
  gatesPassed,
  promotionGates,
  promotionSource,
  requirePromotionFailure,
} from '../domain/promotion.js';
import type { DeployRequest, Failure } from '../domain/request.js';
import { rollbackNoteOf } from '../domain/rollback.js';
import { preflightSettingsOf } from '../domain/preflight-rules.js';
import type { DeployContext } from './context.js';
import { readyForApproval, refusePrepare } from './prepare-end.js';

/** Ledger entries of the source environment `require_promotion` looks for the SHA among. */
export const PROMOTION_HISTORY = 50;
/** Commits a promotion card lists. */
const COMMIT_LIMIT = 10;

/**
 * For a plain deploy to an environment with `require_promotion`: the failure `promotion_required` when `sha` has not
 * succeeded in its `promote_from` environment (among the last {@link PROMOTION_HISTORY} deploys there), else undefined.
 */
export async function promotionRequirement(ctx: DeployContext, request: DeployRequest, sha: string): Promise<Failure | undefined> {
  if (request.kind !== 'deploy') return undefined;
  const env = environmentNamed(ctx.catalog, request.environment);
  if (!env.requirePromotion || !env.promoteFrom) return undefined;
  const history = await ctx.ledger.history(request.service, env.promoteFrom, PROMOTION_HISTORY);
  return requirePromotionFailure(env, request.service, sha, history);
}

/** Reads the source environment's alarms for the gate; a CloudWatch that does not answer fails the gate, never the job. */
async function lookAtAlarms(ctx: DeployContext, request: DeployRequest, from: string): Promise<AlarmLook> {
  const query = alarmQueryOf(serviceNamed(ctx.catalog, request.service), from);
  if (!query) return { kind: 'none' };
  try {
    return { kind: 'read', query, firing: await (await ctx.alarmStates()).firing(query) };
  } catch (err) {
    ctx.logger.warn('promotion.alarms_unreadable', { requestId: request.id, from, err });
    if (err instanceof AlarmReadError)
      return { kind: 'unreadable', query, code: err.code, action: err.action, resource: err.resource, ...(err.said ? { said: err.said } : {}) };
    return { kind: 'unreadable', query, code: 'unavailable', action: 'cloudwatch:DescribeAlarms', resource: 'alarm', said: String((err as Error)?.message) };
  }
}

/**
 * Checks the gates of the promotion `current` (in `preparing`) and pins it to the source's SHA; returns the request
 * ready for its card (in `awaiting_approval`, or `approved` where the target needs no approval), or undefined when a
 * gate refused it or someone else got there first.
 */
export async function planPromotionRequest(ctx: DeployContext, current: DeployRequest): Promise<DeployRequest | undefined> {
  const env = environmentNamed(ctx.catalog, current.environment);
  const from = current.promotion?.from ?? env.promoteFrom;
  if (!from) return refusePrepare(ctx, current, { code: 'promotion_unplanned', params: { environment: env.name } }, { event: 'promotion.refused' });
  const [source, deployed, active, alarms] = await Promise.all([
    ctx.ledger.current(current.service, from),
    ctx.ledger.current(current.service, env.name),
    ctx.requests.listActive(),
    lookAtAlarms(ctx, current, from),
  ]);
  // What ships: the commits between what runs in the target and the source's SHA, read before the gates, which ask
  // whether it moves the target forward. The card is useful without them.
  let range: CommitRange | undefined;
  // Another SHA runs in the target than the one promoted: what ships between them, and whether it moves forward.
  const runsOther = deployed && source?.outcome === 'succeeded' && deployed.sha !== source.sha ? deployed : undefined;
  if (runsOther && source) {
    try {
      range = await (await ctx.sourceControl()).compare(current.repo, runsOther.sha, source.sha, COMMIT_LIMIT);
    } catch (err) {
      ctx.logger.warn('promotion.compare_failed', { requestId: current.id, base: runsOther.sha, head: source.sha, err });
    }
  }
  const gates = promotionGates({
    service: current.service,
    from,
    to: env.name,
    source,
    promoteAfterMs: env.promoteAfterMs ?? 0,
    now: ctx.now(),
    alarms,
    active: active.filter((r) => r.id !== current.id && r.service === current.service && r.environment === env.name),
    ...(runsOther
      ? {
          ordering: {
            mode: preflightSettingsOf(env).ordering,
            deployedSha: runsOther.sha,
            ...(range?.status ? { status: range.status } : {}),
            ...(range?.aheadBy !== undefined ? { aheadBy: range.aheadBy } : {}),
            ...(range?.behindBy !== undefined ? { behindBy: range.behindBy } : {}),
          },
        }
      : {}),
  });
  const promotion = { from, ...(source?.outcome === 'succeeded' ? { source: promotionSource(source) } : {}), gates };
  if (!source || !gatesPassed(gates)) {
    return refusePrepare(ctx, current, gatesFailure(gates, { service: current.service, from, to: env.name }), {
      event: 'promotion.refused',
      changes: { promotion },
    });
  }

  const now = ctx.now();
  const note = rollbackNoteOf(deployed);
  const request = await readyForApproval(
    ctx,
    current,
    now,
    env.requestTtlMs,
    {
      // The exact SHA that succeeded in the source, on the ref that deployed it there: never re-resolved.
      sha: source.sha,
      ...(source.shaUrl ? { shaUrl: source.shaUrl } : {}),
      ref: source.ref,
      baseSha: deployed?.sha,
      commits: range?.commits ?? [],
      ...(range ? { totalCommits: range.total, compareUrl: range.url } : {}),
      promotion,
      ...(note ? { rolledBack: note } : {}),
    },
    { action: 'pin', detail: () => `promote ${from} ${source.requestId} = ${source.sha}${source.version !== undefined ? ` v${source.version}` : ''}` },
  );
  if (!request) return undefined;
  ctx.logger.info('promotion.planned', { requestId: current.id, from, to: env.name, source: source.requestId, sha: source.sha });
  return request;
}
