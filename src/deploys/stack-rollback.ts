/**
 * A stack rollback (`/deploy rollback <env> --stack`): what the dispatch job does for an approved `rollback` request
 * in stack mode. No GitHub run. One job claims `approved → rolling_back` (a conditional write: concurrent approvals or
 * a repeated job give one claim), then executes the change set the prepare job created (`ExecuteChangeSet`; the stack
 * is never updated directly) and follows the stack a bounded number of reads:
 *  - `UPDATE_COMPLETE` ends the request `succeeded`;
 *  - anything that says the update failed or was rolled back ends it `rollback_failed` (`stack_restore_failed`, with
 *    CloudFormation's reason), and the card offers Retry (which checks the change set again before anything);
 *  - still updating: the job queues its successor (one per round, chained through a conditional write) and ends;
 *    after {@link STACK_FOLLOW_ROUNDS} rounds the reconciler follows it, one read a pass.
 * A job that finds the change set still `AVAILABLE` (its claimer died before executing it) executes it:
 * CloudFormation refuses a second execution of a change set, so this cannot run it twice.
 */
import { auditRequest } from './audit.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import type { Stacks } from '../domain/ports.js';
import { type DeployRequest, type Failure, transition } from '../domain/request.js';
import { failureFromStack, type StackTarget } from '../domain/stack.js';
import { DEFAULT_STACK_POLL_MS, DEFAULT_STACK_POLLS, type DeployContext } from './context.js';
import { environmentFreed } from './environment-gate.js';
import { mutateRequest } from './mutate.js';
import { lockAfterRollback } from './rollback-lock.js';
import { claimRollback, ROLLBACK_CLAIM_STALE_MS } from './rollback-claim.js';

/** Re-queued follow jobs before the reconciler takes over following the stack. */
export const STACK_FOLLOW_ROUNDS = 40;

/** True for a rollback request that restores a backup of the target's stack. */
export function isStackRollback(request: Pick<DeployRequest, 'kind' | 'rollback'>): boolean {
  return request.kind === 'rollback' && request.rollback?.mode === 'stack';
}

const targetOfRestore = (r: DeployRequest): StackTarget | undefined => {
  const s = r.rollback?.stack;
  return s ? { stackName: s.stackName, ...(s.region ? { region: s.region } : {}) } : undefined;
};

/** True when the claim is older than a job's lease: its claimer died, maybe before executing the change set. */
function claimIsStale(ctx: DeployContext, r: DeployRequest): boolean {
  const at = r.rollback?.stack?.executedAt ?? r.updatedAt;
  return ctx.now().getTime() - Date.parse(at) >= ROLLBACK_CLAIM_STALE_MS;
}

/** Where following got to: done either way, or still updating. */
type Followed = { done: 'succeeded' } | { done: 'failed'; failure: Failure } | { done: false };

/** `rolling_back → succeeded | rollback_failed`, audited; the card is edited by the caller. */
async function finish(ctx: DeployContext, r: DeployRequest, outcome: Exclude<Followed, { done: false }>): Promise<void> {
  const to = outcome.done === 'succeeded' ? 'succeeded' : 'rollback_failed';
  const changes = outcome.done === 'failed' ? { failure: outcome.failure } : {};
  const { written, request: after } = await mutateRequest(
    ctx.requests,
    r.id,
    (cur) => (cur.status === 'rolling_back' ? { write: transition(cur, to, ctx.now(), changes), result: undefined } : { skip: undefined }),
    { current: r },
  );
  if (!written) return;
  await Promise.all([lockAfterRollback(ctx, after), environmentFreed(ctx, r.environment, r.service, `${r.id}:${to}:${r.version}`)]);
  const restore = r.rollback?.stack;
  await auditRequest(ctx, r, {
    actor: 'foxops',
    action: 'stack_rollback',
    outcome: outcome.done === 'succeeded' ? 'ok' : 'error',
    detail: outcome.done === 'succeeded' ? `${restore?.stackName} restored to the backup of ${restore?.backupOf}` : JSON.stringify(outcome.failure),
  });
  ctx.logger.info('stack_rollback.finished', { requestId: r.id, outcome: to, code: outcome.done === 'failed' ? outcome.failure.code : undefined });
}

/**
 * Reads the stack up to `polls` times; executes the change set first when it is still `AVAILABLE` and this caller
 * `mayExecute` (the claimer, or anyone once the claim is stale). Never throws: failures are outcomes.
 */
async function follow(ctx: DeployContext, r: DeployRequest, polls: number, mayExecute: boolean): Promise<Followed> {
  const target = targetOfRestore(r);
  const restore = r.rollback?.stack;
  if (!target || !restore) return { done: 'failed', failure: { code: 'rollback_unplanned', params: { deployId: r.id } } };
  const params = { stack: target.stackName, changeSet: restore.changeSetName, deployId: restore.backupOf };
  let stacks: Stacks | undefined;
  let action = 'cloudformation:DescribeChangeSet';
  try {
    stacks = await ctx.stacks();
    const changeSet = await stacks.describeChangeSet(target, restore.changeSetName);
    if (changeSet.executionStatus === 'AVAILABLE') {
      // The claimer executes at once; another job leaves it to the claimer, unless the claimer died (stale claim).
      if (!mayExecute) return { done: false };
      action = 'cloudformation:ExecuteChangeSet';
      await stacks.executeChangeSet(target, restore.changeSetName);
      ctx.logger.info('stack_rollback.executed', { requestId: r.id, stack: target.stackName, changeSet: restore.changeSetName });
    } else if (changeSet.executionStatus !== undefined && !/^EXECUTE_/.test(changeSet.executionStatus)) {
      // UNAVAILABLE or OBSOLETE: someone changed the stack since the card, so this change set can no longer run.
      return { done: 'failed', failure: { code: 'stack_change_set_unusable', params: { ...params, executionStatus: changeSet.executionStatus } } };
    }
    action = 'cloudformation:DescribeStacks';
    const intervalMs = ctx.stackPolls?.intervalMs ?? DEFAULT_STACK_POLL_MS;
    for (let poll = 0; poll < polls; poll++) {
      if (poll > 0) await new Promise((res) => setTimeout(res, intervalMs));
      const state = await stacks.describe(target);
      if (state.status === 'UPDATE_COMPLETE') return { done: 'succeeded' };
      // Updating, cleaning up, or rolling back (which ends in UPDATE_ROLLBACK_COMPLETE, a failure): wait.
      if (state.status.endsWith('_IN_PROGRESS')) continue;
      return {
        done: 'failed',
        failure: { code: 'stack_restore_failed', params: { ...params, state: state.status }, ...(state.reason ? { cause: state.reason } : {}) },
      };
    }
    return { done: false };
  } catch (err) {
    ctx.logger.warn('stack_rollback.call_failed', { requestId: r.id, stack: target.stackName, action, err });
    const failure = failureFromStack(err, target, action);
    return { done: 'failed', failure: { ...failure, params: { ...params, ...failure.params } } };
  }
}

/** Follows the claimed request `r` for one round, and either ends it or queues the next round (or leaves it to the reconciler). */
async function followRound(ctx: DeployContext, r: DeployRequest, polls: number, mayExecute: boolean): Promise<void> {
  const followed = await follow(ctx, r, polls, mayExecute);
  if (followed.done) {
    await finish(ctx, r, followed);
    await scheduleCardUpdate(ctx, r.id);
    return;
  }
  const rounds = r.rollback?.stack?.follows ?? 0;
  if (rounds >= STACK_FOLLOW_ROUNDS) {
    ctx.logger.info('stack_rollback.left_to_reconciler', { requestId: r.id, rounds });
    return;
  }
  // One successor per round: only the write that counts this round queues the next.
  const { written, request } = await mutateRequest(
    ctx.requests,
    r.id,
    (cur) =>
      cur.status === 'rolling_back' && cur.rollback?.stack && (cur.rollback.stack.follows ?? 0) === rounds
        ? { write: { ...cur, rollback: { ...cur.rollback, stack: { ...cur.rollback.stack, follows: rounds + 1 } } }, result: undefined }
        : { skip: undefined },
    { current: r },
  );
  if (written) await ctx.jobs.enqueue({ type: 'dispatch', requestId: request.id, version: request.version }, { key: `stack-follow:${r.id}:${rounds + 1}` });
}

/** Restores the approved stack-mode request `known` (just read): claims it, executes its change set, follows the stack. */
export async function rollBackStack(ctx: DeployContext, known: DeployRequest): Promise<void> {
  const { result: claimed, request } = await claimRollback(ctx, known, 'stack_rollback.not_deployable', (r, now) =>
    r.rollback?.stack ? { rollback: { ...r.rollback, stack: { ...r.rollback.stack, executedAt: now, follows: 0 } } } : {},
  );
  if (!claimed && request.status !== 'rolling_back') {
    ctx.logger.debug('stack_rollback.skipped', { requestId: known.id, status: request.status });
    return;
  }
  if (claimed) await scheduleCardUpdate(ctx, request.id);
  await followRound(ctx, request, ctx.stackPolls?.polls ?? DEFAULT_STACK_POLLS, claimed || claimIsStale(ctx, request));
}

/** The reconciler's look at a stack rollback left `rolling_back`: one read of the stack, and the end if it has one. */
export async function resolveStuckStackRollback(ctx: DeployContext, r: DeployRequest): Promise<void> {
  const followed = await follow(ctx, r, 1, claimIsStale(ctx, r));
  if (!followed.done) return;
  await finish(ctx, r, followed);
  await scheduleCardUpdate(ctx, r.id);
}
