/**
 * The `alarm` job: a CloudWatch alarm's state change, routed to its channel (its environment's, or
 * `alarms.default_channel`), with the deploy that runs there (flagged as the likely cause when it finished shortly
 * before), shown as part of the alarm's episode: one message per episode, edited, every change in its thread, storms
 * in a digest (src/alarms/episodes.ts). Each state change is applied once.
 */
import type { DeployContext } from '../deploys/context.js';
import { type AlarmNotice, type AlarmReport, type AlarmTarget, alarmDestination, isLikelyCause, likelyCauseWindowMs } from '../domain/alarm.js';
import type { AlarmSyncJob } from '../domain/ports.js';
import { isInFlight } from '../domain/request.js';
import { jobKey } from '../jobs/keys.js';
import { actOnAlarm } from './act.js';
import { type AlarmChangeOutcome, type AlarmPosted, continueAlarmThread, showAlarmChange } from './episodes.js';
import { queueAlarmGraph } from './graph.js';
import { rollbackTargetOf } from './rollback-offer.js';

export type { AlarmPosted } from './episodes.js';

/**
 * Applies and shows `alarm` in its channel; an alarm that belongs nowhere (no service, no `alarms.default_channel`) is
 * logged at debug and skipped. Runs as the `alarm` job, queued once per alarm, state and time (src/jobs/keys.ts): SNS's
 * and EventBridge's repeated deliveries queue nothing new; a job delivered again after a crash or a failed Slack call
 * finds its change applied and only shows what Slack does not show yet.
 */
export async function announceAlarm(ctx: DeployContext, alarm: AlarmNotice): Promise<AlarmChangeOutcome | { kind: 'unrouted' }> {
  const destination = alarmDestination(ctx.catalog, alarm);
  if (destination.kind === 'drop') {
    ctx.logger.debug('alarm.unrouted', {
      alarm: alarm.name,
      dimensions: alarm.metric?.dimensions,
      fix: 'name the function in foxops.yml under services.<name>.targets.<env>.function, name the alarm <service>-<environment>-…, or set alarms.default_channel',
    });
    return { kind: 'unrouted' };
  }
  const target = destination.kind === 'target' ? destination.target : undefined;
  // Only an ALARM's message shows the deploys; other states are shown in the episode of the ALARM they follow.
  const report = target && alarm.state === 'ALARM' ? await alarmReport(ctx, alarm, target) : undefined;
  const input = { notice: alarm, channel: destination.channel, ...(target ? { target } : {}), ...(report ? { report } : {}) };
  return showAlarmChange(ctx, input, jobKey({ type: 'alarm', alarm }), (posted) => alarmPosted(ctx, posted));
}

/** What runs where the alarm went off, whether it is the likely cause, and where a rollback of it would go back to. */
async function alarmReport(ctx: DeployContext, alarm: AlarmNotice, target: AlarmTarget): Promise<AlarmReport> {
  const [current, active] = await Promise.all([ctx.ledger.current(target.service, target.environment), ctx.requests.listActive(200)]);
  const inFlight = active.filter((r) => r.service === target.service && r.environment === target.environment && isInFlight(r.status));
  const likelyCause = isLikelyCause(current, alarm, likelyCauseWindowMs(ctx.catalog));
  // The Roll back button: only where the likely cause still runs and something earlier is there to go back to.
  const previous = likelyCause && current ? await rollbackTargetOf(ctx, current) : undefined;
  return { alarm, target, current, likelyCause, ...(previous ? { previous } : {}), inFlight };
}

/**
 * Runs once per episode, as soon as the message of its first ALARM is posted and its ts known (by whichever job
 * posted it; again after a crash before it was recorded as done, so what runs here must be idempotent: queue keyed
 * jobs). `posted.report` is the report the message shows. Alarms listed in a storm digest have no message of their own
 * and do not come here.
 */
export async function alarmPosted(ctx: DeployContext, posted: AlarmPosted): Promise<void> {
  // hook: graph. The graph of the metric in the message's thread, marking the deploy only where the message names it the likely cause.
  await queueAlarmGraph(ctx, {
    alarm: posted.report.alarm,
    channel: posted.channel,
    threadTs: posted.ts,
    ...(posted.report.likelyCause && posted.report.current ? { deploy: posted.report.current } : {}),
  });
  // hook: act. An ALARM during the bake of the deploy that runs: marked on its card, and with `auto_rollback` rolled back at once.
  await actOnAlarm(ctx, posted);
  ctx.logger.debug('alarm.posted', { alarm: posted.report.alarm.name, channel: posted.channel, ts: posted.ts });
}

/** The `alarm_sync` job: shows the rest of an episode's or digest's changes, handed over by a job that ran out of time. */
export async function continueAlarmSync(ctx: DeployContext, job: AlarmSyncJob): Promise<void> {
  await continueAlarmThread(ctx, job.ref, jobKey(job), (posted) => alarmPosted(ctx, posted));
}
