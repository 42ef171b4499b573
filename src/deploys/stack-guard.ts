/**
 * The stack check of the prepare job, before a change to an environment whose service target names a `stack`:
 * refuses a stack that is not stable, backs up its template (stage Original) and parameters under the deploy id, and
 * runs drift detection for the card (drift warns, never blocks). The outcome is stored on the request (`stack`), so a
 * repeated job does not check again. See docs/rollback.md.
 */
import type { DriftReport, StackTarget } from '../domain/stack.js';
import { driftReportOf, failureFromStack, guardedStackOf, isStableStackStatus, unstableStackFailure } from '../domain/stack.js';
import type { Stacks } from '../domain/ports.js';
import type { DeployRequest, Failure } from '../domain/request.js';
import { auditRequest } from './audit.js';
import { type DeployContext, DEFAULT_STACK_POLL_MS, DEFAULT_STACK_POLLS } from './context.js';
import { mutateRequest } from './mutate.js';
import { refusePrepare } from './prepare-end.js';

/** Refuses the request whose stack is checked: see {@link refusePrepare}. */
const refuse = (ctx: DeployContext, current: DeployRequest, failure: Failure) =>
  refusePrepare(ctx, current, failure, { event: 'stack.refused', action: 'stack' });

/** Runs drift detection and waits for it a bounded number of polls; anything but a finished detection is `unknown`. */
async function detectDrift(ctx: DeployContext, stacks: Stacks, target: StackTarget, requestId: string): Promise<DriftReport> {
  const polls = ctx.stackPolls?.polls ?? DEFAULT_STACK_POLLS;
  const intervalMs = ctx.stackPolls?.intervalMs ?? DEFAULT_STACK_POLL_MS;
  try {
    const detectionId = await stacks.detectDrift(target);
    for (let poll = 0; poll < polls; poll++) {
      const state = await stacks.driftDetection(target, detectionId);
      if (state === 'failed') return { state: 'unknown', why: 'failed' };
      if (state === 'complete') return driftReportOf(await stacks.driftedResources(target));
      if (poll < polls - 1) await new Promise((r) => setTimeout(r, intervalMs));
    }
    ctx.logger.info('stack.drift_timed_out', { requestId, stack: target.stackName, polls });
    return { state: 'unknown', why: 'timed_out' };
  } catch (err) {
    // Drift never blocks: the card says it is not known, and the log says why.
    ctx.logger.warn('stack.drift_failed', { requestId, stack: target.stackName, err });
    return { state: 'unknown', why: 'unavailable' };
  }
}

/**
 * Checks the stack of `current` (in `preparing`) when its target names one, and stores the check on the request.
 * Returns the request to go on with (unchanged when no stack is named, or when a repeated job finds the check done),
 * or undefined when the request was refused (`stack_unstable`, `stack_unreadable`) or someone else moved it meanwhile.
 */
export async function guardStack(ctx: DeployContext, current: DeployRequest): Promise<DeployRequest | undefined> {
  const target = guardedStackOf(ctx.catalog, current.service, current.environment);
  if (!target || current.stack) return current;
  const stacks = await ctx.stacks();
  let state: Awaited<ReturnType<Stacks['describe']>>;
  try {
    state = await stacks.describe(target);
  } catch (err) {
    ctx.logger.warn('stack.read_failed', { requestId: current.id, stack: target.stackName, err });
    return refuse(ctx, current, failureFromStack(err, target, 'cloudformation:DescribeStacks'));
  }
  if (!isStableStackStatus(state.status)) return refuse(ctx, current, unstableStackFailure(target, state.status));
  let templateBody: string;
  try {
    templateBody = await stacks.template(target);
  } catch (err) {
    ctx.logger.warn('stack.read_failed', { requestId: current.id, stack: target.stackName, err });
    return refuse(ctx, current, failureFromStack(err, target, 'cloudformation:GetTemplate'));
  }
  const at = ctx.now().toISOString();
  const region = target.region ? { region: target.region } : {};
  await (await ctx.stackBackups()).put({
    deployId: current.id,
    stackName: target.stackName,
    ...region,
    status: state.status,
    at,
    templateBody,
    parameters: state.parameters,
  });
  await auditRequest(ctx, current, { at, actor: 'foxops', action: 'stack_backup', outcome: 'ok', detail: `${target.stackName} ${state.status}` });
  const drift = await detectDrift(ctx, stacks, target, current.id);
  ctx.logger.info('stack.checked', { requestId: current.id, stack: target.stackName, status: state.status, drift: drift.state });
  const { request, written } = await mutateRequest(
    ctx.requests,
    current.id,
    (r) =>
      r.status === 'preparing' && !r.stack
        ? { write: { ...r, stack: { stackName: target.stackName, ...region, status: state.status, backup: { at }, drift } }, result: undefined }
        : { skip: undefined },
    { current },
  );
  return written ? request : undefined;
}
