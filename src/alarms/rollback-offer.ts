/**
 * The Roll back button of an alarm message: where it offers to go back to (read when the report is built), and what a
 * click does. A click only names a deploy; everything else is read from the store and the ledger, and the rollback goes
 * through the usual flow: `/deploy rollback`'s policy, its card and the environment's `rollback_approvals`.
 */
import type { DeployContext } from '../deploys/context.js';
import { ROLLBACK_HISTORY } from '../deploys/prepare-rollback.js';
import { type DeployAskOutcome, requestRollback } from '../deploys/request-deploy.js';
import { serviceNamed } from '../domain/catalog.js';
import type { Refusal } from '../domain/policy.js';
import type { DeploymentRecord } from '../domain/ports.js';
import { lastKnownGood, rollbackModeOf } from '../domain/rollback.js';

/**
 * The deploy a rollback of `deploy` would go back to: the last known good one of its environment, as `/deploy rollback`
 * plans it. Undefined when there is none, or when `deploy` no longer is the newest success there (a rollback now would
 * take out something else than the alarm names).
 */
export async function rollbackTargetOf(ctx: DeployContext, deploy: DeploymentRecord): Promise<DeploymentRecord | undefined> {
  const service = serviceNamed(ctx.catalog, deploy.service);
  const needVersion = rollbackModeOf(service, deploy.environment) === 'alias';
  const history = await ctx.ledger.history(deploy.service, deploy.environment, ROLLBACK_HISTORY);
  const { current, good } = lastKnownGood(history, needVersion);
  return current?.requestId === deploy.requestId ? good : undefined;
}

/** Who clicked a Roll back button, in which channel, and Slack's trigger id of the click. */
export interface AlarmRollbackClick {
  userId: string;
  channelId: string;
  triggerId: string;
}

/**
 * A click on an alarm's Roll back button that names `deployId` (a well-formed id; the listener checks it): the stored
 * deploy must exist and still be what runs in its environment, then a rollback of that service and environment is
 * requested for the clicker, as `/deploy rollback` would (policy, card, approvals). The reason names the deploy, not
 * the alarm: the message's words are not stored, and nothing but the id is taken from the button.
 */
export async function rollbackFromAlarm(ctx: DeployContext, deployId: string, click: AlarmRollbackClick): Promise<DeployAskOutcome> {
  const deploy = await ctx.requests.get(deployId);
  if (!deploy) return { kind: 'refused', refusal: { code: 'not_found', requestId: deployId } };
  const { service, environment } = deploy;
  const current = await ctx.ledger.current(service, environment);
  if (current?.requestId !== deploy.id) {
    const refusal: Refusal = {
      code: 'no_longer_running',
      requestId: deploy.id,
      service,
      environment,
      ...(current ? { current: { requestId: current.requestId, sha: current.sha } } : {}),
    };
    ctx.logger.info('alarm.rollback_refused', { requestId: deploy.id, user: click.userId, current: current?.requestId });
    await ctx.audit.record({
      requestId: deploy.id,
      environment,
      service,
      at: ctx.now().toISOString(),
      actor: click.userId,
      action: 'request',
      outcome: 'refused',
      detail: JSON.stringify(refusal),
    });
    return { kind: 'refused', refusal };
  }
  return requestRollback(ctx, { environment, service, reason: `alarm after deploy ${deploy.id}`, ...click });
}
