/**
 * A rollback by alias: what the dispatch job does for an approved `rollback` request in alias mode. No GitHub run,
 * no GitHub call. One job claims `approved → rolling_back` (a conditional write, so ten concurrent approvals or a
 * repeated job give one claim, hence one UpdateAlias), then:
 *  1. checks that the version to go back to still exists (GetFunction with that qualifier);
 *  2. checks that the alias still serves the version the card showed (GetAlias); if not, refuses, naming where it
 *     points and, from the ledger, who deployed that;
 *  3. moves the alias with the revision id it just read (Lambda refuses the move if anyone moved it in between);
 *  4. confirms with GetAlias, then records the rollback in the ledger (`restores`, `rolledBackFrom`).
 * Any failure ends in `rollback_failed` with its cause as a code and params, and the card offers Retry.
 */
import { auditRequest } from './audit.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import { AliasError, failureFromAlias } from '../domain/errors.js';
import type { AliasState, AliasTarget } from '../domain/ports.js';
import { type DeployRequest, type Failure, transition } from '../domain/request.js';
import { deployOfVersion } from '../domain/rollback.js';
import { environmentFreed } from './environment-gate.js';
import { lockAfterRollback } from './rollback-lock.js';
import type { DeployContext } from './context.js';
import { mutateRequest } from './mutate.js';
import { claimRollback, ROLLBACK_CLAIM_STALE_MS } from './rollback-claim.js';
import { deploymentRecord } from './run-progress.js';

/** Ledger entries read to name who deployed the version an alias serves now. */
const DEPLOYER_LOOKBACK = 50;

/** What the move came to: the alias where it ended, or why not. */
type MoveOutcome = { moved: AliasState } | { failure: Failure };

function aliasOf(r: DeployRequest): AliasTarget | undefined {
  const a = r.rollback?.alias;
  return a ? { functionName: a.functionName, alias: a.alias, ...(a.region ? { region: a.region } : {}) } : undefined;
}

/** The params every failure of this path carries: which alias, and the version it was to serve. */
function aliasParams(r: DeployRequest): NonNullable<Failure['params']> {
  const a = r.rollback?.alias;
  const version = r.rollback?.to?.version;
  return { ...(a ? { function: a.functionName, alias: a.alias } : {}), ...(version !== undefined ? { version } : {}) };
}

/** `alias_moved`: the alias serves `actual`, not what the card said; names the deploy that left it there, if foxops knows it. */
async function movedFailure(ctx: DeployContext, r: DeployRequest, actual: string | undefined): Promise<Failure> {
  const params: NonNullable<Failure['params']> = { ...aliasParams(r), expected: r.rollback?.alias?.live ?? '?' };
  if (actual !== undefined) {
    params.actual = actual;
    try {
      const deployer = deployOfVersion(await ctx.ledger.history(r.service, r.environment, DEPLOYER_LOOKBACK), actual);
      if (deployer) Object.assign(params, { deployId: deployer.requestId, deployer: deployer.requester, sha: deployer.sha, deployedAt: deployer.finishedAt });
    } catch (err) {
      ctx.logger.warn('rollback.deployer_unknown', { requestId: r.id, err });
    }
  }
  return { code: 'alias_moved', params };
}

/** Steps 1 to 4 of the module comment, on a claimed request. Never throws: every failure is an outcome. */
async function moveAlias(ctx: DeployContext, r: DeployRequest): Promise<MoveOutcome> {
  const target = aliasOf(r);
  const to = r.rollback?.to?.version;
  const expected = r.rollback?.alias?.live;
  if (!target || to === undefined || expected === undefined) return { failure: { code: 'rollback_unplanned', params: { deployId: r.id } } };
  const resource = `${target.functionName}:${target.alias}`;
  let aliases: Awaited<ReturnType<DeployContext['functionAliases']>> | undefined;
  try {
    aliases = await ctx.functionAliases();
    if (!(await aliases.versionExists(target, to))) return { failure: { code: 'version_pruned', params: aliasParams(r) } };
    const live = await aliases.get(target);
    if (live.version !== expected) return { failure: await movedFailure(ctx, r, live.version) };
    await aliases.move(target, to, live);
    const confirmed = await aliases.get(target);
    if (confirmed.version !== to) return { failure: await movedFailure(ctx, r, confirmed.version) };
    return { moved: confirmed };
  } catch (err) {
    if (err instanceof AliasError && err.code === 'moved_meanwhile') {
      // Someone moved it between our read and our move: say where it points now, if Lambda still answers.
      const now = await aliases?.get(target).catch(() => undefined);
      return { failure: await movedFailure(ctx, r, now?.version) };
    }
    const failure = failureFromAlias(err, { action: 'lambda:UpdateAlias', resource });
    return { failure: { ...failure, params: { ...aliasParams(r), ...failure.params } } };
  }
}

/** `rolling_back → succeeded`: the ledger entry of kind `rollback` with the version, what it restores and what it took out. */
async function finishMoved(ctx: DeployContext, r: DeployRequest, moved: AliasState): Promise<void> {
  const { written, request: after } = await mutateRequest(
    ctx.requests,
    r.id,
    (cur) => (cur.status === 'rolling_back' ? { write: transition(cur, 'succeeded', ctx.now()), result: undefined } : { skip: undefined }),
    { current: r },
  );
  if (!written) return;
  const now = ctx.now();
  const record = deploymentRecord(after, 'succeeded', now);
  const target = aliasOf(after)!;
  await Promise.all([
    record ? ctx.ledger.record({ ...record, version: moved.version }) : undefined,
    auditRequest(ctx, r, {
      at: now.toISOString(),
      actor: 'foxops',
      action: 'rollback',
      outcome: 'ok',
      detail: `${target.functionName}:${target.alias} ${after.rollback?.alias?.live} -> ${moved.version}`,
    }),
  ]);
  await Promise.all([lockAfterRollback(ctx, after), environmentFreed(ctx, after.environment, after.service, `${after.id}:moved`)]);
  ctx.logger.info('rollback.moved', {
    requestId: r.id,
    function: target.functionName,
    alias: target.alias,
    from: after.rollback?.alias?.live,
    to: moved.version,
  });
}

/** `rolling_back → rollback_failed` with `failure`; approvers may Retry from there. */
async function finishFailed(ctx: DeployContext, r: DeployRequest, failure: Failure): Promise<void> {
  const { written } = await mutateRequest(
    ctx.requests,
    r.id,
    (cur) => (cur.status === 'rolling_back' ? { write: transition(cur, 'rollback_failed', ctx.now(), { failure }), result: undefined } : { skip: undefined }),
    { current: r },
  );
  if (!written) return;
  ctx.logger.warn('rollback.failed', { requestId: r.id, code: failure.code, params: failure.params, cause: failure.cause });
  await environmentFreed(ctx, r.environment, r.service, `${r.id}:failed:${r.version}`);
  await auditRequest(ctx, r, {
    actor: 'foxops',
    action: 'rollback',
    outcome: 'error',
    detail: JSON.stringify(failure),
  });
}

/**
 * A request left `rolling_back` by a job that died half-way: looks where the alias points. At the version it was to
 * serve, the move happened: the rollback succeeded. Anywhere else it did not: `rollback_failed` (`rollback_interrupted`),
 * for people to Retry. Used by the reconciler and by a redelivered job.
 */
export async function resolveStuckRollback(ctx: DeployContext, r: DeployRequest): Promise<'succeeded' | 'failed' | 'skipped'> {
  const target = aliasOf(r);
  if (r.status !== 'rolling_back' || !target) return 'skipped';
  let live: AliasState | undefined;
  try {
    live = await (await ctx.functionAliases()).get(target);
  } catch (err) {
    ctx.logger.warn('rollback.alias_unreadable', { requestId: r.id, err });
  }
  if (live && live.version === r.rollback?.to?.version) {
    await finishMoved(ctx, r, live);
    await scheduleCardUpdate(ctx, r.id);
    return 'succeeded';
  }
  await finishFailed(ctx, r, { code: 'rollback_interrupted', params: { ...aliasParams(r), ...(live ? { actual: live.version } : {}) } });
  await scheduleCardUpdate(ctx, r.id);
  return 'failed';
}

/** Rolls back the approved alias-mode request `known` (just read) if nobody else has claimed it. */
export async function rollBackByAlias(ctx: DeployContext, known: DeployRequest): Promise<void> {
  const { result: claimed, request } = await claimRollback(ctx, known, 'rollback.not_deployable');
  if (!claimed) {
    if (request.status === 'rolling_back' && ctx.now().getTime() - Date.parse(request.updatedAt) >= ROLLBACK_CLAIM_STALE_MS) {
      await resolveStuckRollback(ctx, request);
      return;
    }
    ctx.logger.debug('rollback.skipped', { requestId: known.id, status: request.status });
    return;
  }
  const outcome = await moveAlias(ctx, request);
  if ('moved' in outcome) await finishMoved(ctx, request, outcome.moved);
  else await finishFailed(ctx, request, outcome.failure);
  await scheduleCardUpdate(ctx, request.id);
}
