/**
 * A service's CloudWatch alarm, posted in its environment's channel with the deploy that runs there
 * (flagged as the likely cause when it finished shortly before). Each state change is posted once.
 */
import type { DeployContext } from '../deploys/context.js';
import { type AlarmNotice, alarmTarget, isLikelyCause } from '../domain/alarm.js';
import { environmentNamed } from '../domain/catalog.js';
import { isInFlight } from '../domain/request.js';

/**
 * Posts `alarm` in its environment's home channel; alarms of unknown services are logged and skipped. Runs as the
 * `alarm` job, queued once per alarm, state and time (src/jobs/keys.ts): SNS's repeated deliveries queue nothing
 * new, and a post that failed or was cut short is delivered again until it lands.
 */
export async function announceAlarm(ctx: DeployContext, alarm: AlarmNotice): Promise<'posted' | 'unknown_target'> {
  const target = alarmTarget(ctx.catalog, alarm);
  if (!target) {
    ctx.logger.error('alarm.unknown_target', {
      alarm: alarm.name,
      dimensions: alarm.metric?.dimensions,
      fix: 'name the function in foxops.yml under services.<name>.targets.<env>.function, or name the alarm <service>-<environment>-…',
    });
    return 'unknown_target';
  }
  const env = environmentNamed(ctx.catalog, target.environment);
  const [current, active] = await Promise.all([ctx.ledger.current(target.service, target.environment), ctx.requests.listActive(200)]);
  const inFlight = active.filter((r) => r.service === target.service && r.environment === target.environment && isInFlight(r.status));
  const likelyCause = isLikelyCause(current, alarm);
  await ctx.cards.announce(env.channels[0]!, { alarm, target, current, likelyCause, inFlight });
  ctx.logger.info('alarm.posted', { alarm: alarm.name, state: alarm.state, ...target, likelyCause, deploy: current?.requestId });
  return 'posted';
}
