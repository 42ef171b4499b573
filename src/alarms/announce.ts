/**
 * A service's CloudWatch alarm, posted in its environment's channel with the deploy that runs there
 * (flagged as the likely cause when it finished shortly before). Each state change is posted once.
 */
import type { DeployContext } from '../deploys/context.js';
import { type AlarmNotice, alarmTarget, isLikelyCause } from '../domain/alarm.js';
import { environmentNamed } from '../domain/catalog.js';
import { isInFlight } from '../domain/request.js';

const ALARM_KEY_TTL_SECONDS = 7 * 86_400;

/** Posts `alarm` in its environment's home channel; alarms of unknown services are logged and skipped. */
export async function announceAlarm(ctx: DeployContext, alarm: AlarmNotice): Promise<'posted' | 'duplicate' | 'unknown_target'> {
  const target = alarmTarget(ctx.catalog, alarm);
  if (!target) {
    ctx.logger.error('alarm.unknown_target', {
      alarm: alarm.name,
      dimensions: alarm.metric?.dimensions,
      fix: 'name the function in foxops.yml under services.<name>.targets.<env>.function, or name the alarm <service>-<environment>-…',
    });
    return 'unknown_target';
  }
  // SNS delivers at least once: one post per alarm state change. A post that fails gives the claim
  // back, so the redelivery posts it: an alarm is never lost to its own deduplication.
  const key = `alarm:${alarm.name}:${alarm.state}:${alarm.at}`;
  if (!(await ctx.idempotency.claim(key, ALARM_KEY_TTL_SECONDS))) return 'duplicate';
  const env = environmentNamed(ctx.catalog, target.environment);
  const [current, active] = await Promise.all([ctx.ledger.current(target.service, target.environment), ctx.requests.listActive(200)]);
  const inFlight = active.filter((r) => r.service === target.service && r.environment === target.environment && isInFlight(r.status));
  const likelyCause = isLikelyCause(current, alarm);
  try {
    await ctx.cards.announce(env.channels[0]!, { alarm, target, current, likelyCause, inFlight });
  } catch (err) {
    await ctx.idempotency.release(key);
    throw err;
  }
  ctx.logger.info('alarm.posted', { alarm: alarm.name, state: alarm.state, ...target, likelyCause, deploy: current?.requestId });
  return 'posted';
}
