/**
 * What foxops does about an alarm once it is posted: an ALARM during the bake window of the deploy that runs (`bake`
 * of the environment) is marked on that deploy's card, and where the environment says `auto_rollback: true` the deploy
 * is rolled back at once, without waiting for approval: the alarm-driven rollback of AWS CodeDeploy, in the channel.
 *
 * The rollback is an ordinary rollback request (kind `rollback`, no approvals needed) that the usual prepare and
 * dispatch jobs carry out: planned from the ledger, its card posted, the alias moved (or the old SHA redeployed), one
 * deploy at a time. It is requested for the person whose deploy it takes out: they see it on the card, are told
 * privately if it cannot be planned, and own the lock that follows it, as if they had rolled back themselves. The audit
 * trail says foxops decided (actor `foxops`, action `auto_rollback`), and a notice in the channel says why.
 */
import { createHash } from 'node:crypto';
import { scheduleCardUpdate } from '../cards/sync.js';
import type { DeployContext } from '../deploys/context.js';
import { mutateRequest } from '../deploys/mutate.js';
import { type DeployAskOutcome, requestAutoRollback } from '../deploys/request-deploy.js';
import type { AlarmReport } from '../domain/alarm.js';
import { duringBake, withBakeAlarm } from '../domain/bake.js';
import { environmentNamed, homeChannel } from '../domain/catalog.js';
import { type BakeAlarm, deployIdFromDigest } from '../domain/request.js';
import { rollbackTargetOf } from './rollback-offer.js';

/** An alarm as it was posted: the report, and the channel and ts of its message. */
export interface PostedAlarm {
  report: AlarmReport;
  channel: string;
  ts: string;
}

/** What {@link actOnAlarm} did: nothing, or the deploy whose bake the alarm fell in, and what came of it. */
export type AlarmAction =
  | { kind: 'none' }
  | {
      kind: 'during_bake';
      /** The deploy that was baking. */
      deployId: string;
      /** True when this call put the mark on its card (false: an earlier delivery did, or its request is gone). */
      marked: boolean;
      /**
       * With `auto_rollback`: the rollback requested (or found requested by an earlier delivery), refused by the
       * environment (a freeze with `rollbacks_in_freeze: break_glass`), or skipped because there is nothing to go back to.
       */
      autoRollback?: DeployAskOutcome | { kind: 'skipped'; why: 'no_known_good' };
    };

/**
 * The id of the auto-rollback of `deployId`: one per deploy, whichever alarms go off during its bake and however often
 * they are delivered. A second alarm (errors, then latency) must not start a second rollback of the same deploy.
 */
export function autoRollbackId(deployId: string): string {
  return deployIdFromDigest(createHash('sha256').update(`auto-rollback:${deployId}`).digest());
}

/**
 * Acts on an alarm that has just been posted (see the module comment); call it once the message is in the channel.
 * Safe to repeat for the same alarm: the mark is written once per alarm and state change, the rollback requested once
 * per deploy, its notice posted once.
 */
export async function actOnAlarm(ctx: DeployContext, posted: PostedAlarm): Promise<AlarmAction> {
  const { alarm, target, current } = posted.report;
  const env = environmentNamed(ctx.catalog, target.environment);
  if (!duringBake(current, alarm, env)) return { kind: 'none' };
  const marked = await markBakeAlarm(ctx, current.requestId, { name: alarm.name, at: alarm.at });
  ctx.logger.info('alarm.during_bake', { alarm: alarm.name, deploy: current.requestId, ...target, marked, autoRollback: Boolean(env.autoRollback) });
  if (!env.autoRollback) return { kind: 'during_bake', deployId: current.requestId, marked };

  const to = posted.report.previous ?? (await rollbackTargetOf(ctx, current));
  if (!to) {
    // Nothing earlier to go back to: the alarm stands in the channel for people to act on.
    ctx.logger.warn('alarm.auto_rollback_skipped', { alarm: alarm.name, deploy: current.requestId, why: 'no_known_good' });
    await ctx.audit.record({
      requestId: current.requestId,
      environment: target.environment,
      service: target.service,
      at: ctx.now().toISOString(),
      actor: 'foxops',
      action: 'auto_rollback',
      outcome: 'refused',
      detail: JSON.stringify({ code: 'no_known_good', alarm: alarm.name, alarmAt: alarm.at }),
    });
    return { kind: 'during_bake', deployId: current.requestId, marked, autoRollback: { kind: 'skipped', why: 'no_known_good' } };
  }
  const channel = homeChannel(env);
  const outcome = await requestAutoRollback(ctx, {
    environment: target.environment,
    service: target.service,
    target: to.requestId,
    reason: `auto-rollback: alarm ${alarm.name} during bake of ${current.requestId}`,
    requester: current.requester,
    channelId: channel,
    id: autoRollbackId(current.requestId),
  });
  if (outcome.kind === 'accepted') {
    // Queued again on a redelivery too: the job's key makes it one notice, and a delivery that died before queueing it is made good.
    await ctx.jobs.enqueue({
      type: 'channel_notice',
      channel,
      notice: { kind: 'auto_rollback', requestId: outcome.request.id, alarm: alarm.name, deployId: current.requestId },
    });
  }
  ctx.logger.info('alarm.auto_rollback', {
    alarm: alarm.name,
    deploy: current.requestId,
    outcome: outcome.kind,
    ...(outcome.kind === 'accepted' ? { requestId: outcome.request.id, duplicate: outcome.duplicate } : { code: outcome.refusal.code }),
  });
  return { kind: 'during_bake', deployId: current.requestId, marked, autoRollback: outcome };
}

/** Adds `mark` to the card of deploy `deployId` (a conditional write) and schedules the card's edit; false when there was nothing to add. */
async function markBakeAlarm(ctx: DeployContext, deployId: string, mark: BakeAlarm): Promise<boolean> {
  // The ledger outlives requests (kept a year): an old deploy has no card left to mark.
  const request = await ctx.requests.get(deployId);
  if (!request) return false;
  const { written } = await mutateRequest(
    ctx.requests,
    deployId,
    (r) => {
      const bakeAlarms = withBakeAlarm(r.bakeAlarms, mark);
      return bakeAlarms ? { write: { ...r, bakeAlarms }, result: undefined } : { skip: undefined };
    },
    { current: request },
  );
  if (written) await scheduleCardUpdate(ctx, deployId);
  return written;
}
