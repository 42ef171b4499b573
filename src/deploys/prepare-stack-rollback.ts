/**
 * The prepare job of `/deploy rollback <env> --stack [to <deploy-id>]`: finds the stack backup to restore (the one
 * taken before the deploy `to` names, or before the newest change foxops recorded), creates an UPDATE change set from
 * its template and parameters, waits (bounded) until CloudFormation has computed it, and stores its changes on the
 * request for the card. Nothing is executed here: the dispatch job executes the change set after the approvals
 * (src/deploys/stack-rollback.ts). A change set without changes, or that fails, ends the request `prepare_failed`.
 */
import { environmentNamed } from '../domain/catalog.js';
import type { ChangeSetState, Stacks } from '../domain/ports.js';
import { type DeployRequest, type Failure, isDeployId } from '../domain/request.js';
import { failureFromStack, guardedStackOf, STACK_CHANGES_KEPT, StackError, type StackRestore, type StackTarget } from '../domain/stack.js';
import { DEFAULT_STACK_POLL_MS, DEFAULT_STACK_POLLS, type DeployContext } from './context.js';
import { readyForApproval, refusePrepare } from './prepare-end.js';
import { ROLLBACK_HISTORY } from './prepare-rollback.js';

/** The change set foxops makes for a stack rollback: one per request, so a repeated job finds its own. */
export const changeSetNameOf = (requestId: string) => `foxops-rollback-${requestId}`;

/** CloudFormation's reasons for a change set that would change nothing. */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/** The largest template CloudFormation takes in a request (`TemplateBody`); larger ones must come from S3. */
export const TEMPLATE_BODY_LIMIT = 51_200;

/** Refuses the stack rollback being planned: see {@link refusePrepare}. */
const refuse = (ctx: DeployContext, current: DeployRequest, failure: Failure) =>
  refusePrepare(ctx, current, failure, { event: 'stack_rollback.refused', action: 'plan' });

/** Creates the change set (unless a repeated job finds it made) and reads it until it is computed, within the polls. */
async function changeSetOf(ctx: DeployContext, stacks: Stacks, target: StackTarget, name: string, make: () => Promise<string>): Promise<ChangeSetState> {
  try {
    await stacks.describeChangeSet(target, name);
  } catch (err) {
    if (!(err instanceof StackError && err.code === 'not_found')) throw err;
    await make();
  }
  const polls = ctx.stackPolls?.polls ?? DEFAULT_STACK_POLLS;
  const intervalMs = ctx.stackPolls?.intervalMs ?? DEFAULT_STACK_POLL_MS;
  let state = await stacks.describeChangeSet(target, name);
  for (let poll = 1; state.status === 'pending' && poll < polls; poll++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    state = await stacks.describeChangeSet(target, name);
  }
  return state;
}

/**
 * Plans the stack rollback `current` (in `preparing`, its stack already checked and backed up by the stack guard) and
 * stores the change set on it; returns the request ready for its card, or undefined when it was refused.
 */
export async function planStackRollback(ctx: DeployContext, current: DeployRequest): Promise<DeployRequest | undefined> {
  const env = environmentNamed(ctx.catalog, current.environment);
  const target = guardedStackOf(ctx.catalog, current.service, current.environment);
  const details = current.rollback ?? { mode: 'stack' as const };
  if (!target) return refuse(ctx, current, { code: 'stack_not_configured', params: { service: current.service, environment: env.name } });
  const stackParams = { stack: target.stackName, service: current.service, environment: env.name };

  // Which backup: the one `to` names, else the one taken before the newest change foxops recorded here.
  const history = await ctx.ledger.history(current.service, env.name, ROLLBACK_HISTORY);
  let backupOf = details.target;
  if (backupOf !== undefined && !isDeployId(backupOf)) return refuse(ctx, current, { code: 'no_stack_backup', params: { ...stackParams, deployId: backupOf } });
  backupOf ??= history.find((e) => e.backup?.stack === target.stackName && e.requestId !== current.id)?.requestId;
  if (backupOf === undefined) return refuse(ctx, current, { code: 'no_stack_backup', params: stackParams });
  const backup = await (await ctx.stackBackups()).get(backupOf);
  if (!backup || backup.stackName !== target.stackName)
    return refuse(ctx, current, { code: 'no_stack_backup', params: { ...stackParams, deployId: backupOf } });

  // A template larger than a request takes cannot be restored through one: say so before anyone approves.
  const bytes = Buffer.byteLength(backup.templateBody, 'utf8');
  if (bytes > TEMPLATE_BODY_LIMIT)
    return refuse(ctx, current, { code: 'stack_template_too_large', params: { ...stackParams, deployId: backupOf, bytes, limit: TEMPLATE_BODY_LIMIT } });

  // What runs stays what runs: a stack rollback changes the stack, not the code. The card names that SHA.
  const sha = history.find((e) => e.outcome === 'succeeded')?.sha ?? (await ctx.requests.get(backupOf))?.sha;
  if (!sha) return refuse(ctx, current, { code: 'nothing_deployed', params: { service: current.service, environment: env.name } });

  const name = changeSetNameOf(current.id);
  let state: ChangeSetState;
  try {
    const stacks = await ctx.stacks();
    state = await changeSetOf(ctx, stacks, target, name, () =>
      stacks.createChangeSet(target, name, {
        templateBody: backup.templateBody,
        parameters: backup.parameters,
        description: `foxops ${current.id}: restore the backup of ${backupOf} by ${current.requester}`,
      }),
    );
  } catch (err) {
    ctx.logger.warn('stack_rollback.change_set_failed', { requestId: current.id, stack: target.stackName, err });
    return refuse(ctx, current, failureFromStack(err, target, 'cloudformation:CreateChangeSet'));
  }
  const failed = { ...stackParams, deployId: backupOf, changeSet: name };
  if (state.status === 'failed') {
    const code = NO_CHANGES.test(state.reason ?? '') ? 'stack_no_changes' : 'stack_change_set_failed';
    return refuse(ctx, current, { code, params: failed, ...(state.reason ? { cause: state.reason } : {}) });
  }
  if (state.status === 'pending') return refuse(ctx, current, { code: 'stack_change_set_failed', params: { ...failed, timedOut: true } });

  const restore: StackRestore = {
    stackName: target.stackName,
    ...(target.region ? { region: target.region } : {}),
    backupOf,
    backupAt: backup.at,
    changeSetName: name,
    changes: state.changes.slice(0, STACK_CHANGES_KEPT),
    totalChanges: state.changes.length,
  };
  const now = ctx.now();
  const detail = `${target.stackName} <- backup of ${backupOf}: ${restore.totalChanges} change(s) in ${name}`;
  const request = await readyForApproval(
    ctx,
    current,
    now,
    env.requestTtlMs,
    { sha, baseSha: sha, commits: [], rollback: { ...details, mode: 'stack', stack: restore } },
    { action: 'plan', detail: () => detail },
  );
  if (!request) return undefined;
  ctx.logger.info('stack_rollback.planned', { requestId: current.id, stack: target.stackName, backupOf, changes: restore.totalChanges });
  return request;
}
