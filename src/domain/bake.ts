/**
 * The bake window of an environment (`bake` in foxops.yml): for that long after a deploy or promotion succeeded there,
 * an alarm that goes off is taken as that deploy's doing. It is marked on the deploy's card and, with `auto_rollback`,
 * rolled back at once. Pure: ledger entries and alarms in, decisions out.
 */
import type { AlarmNotice } from './alarm.js';
import type { EnvironmentDefinition } from './catalog.js';
import type { DeploymentRecord } from './ports.js';
import type { BakeAlarm } from './request.js';

/** Alarms a deploy keeps on its card: enough to see a storm, bounded so that a flapping alarm cannot grow the item. */
export const MAX_BAKE_ALARMS = 10;

/**
 * True when `alarm` went into ALARM while `deploy` baked in `env`: `deploy` is a deploy or promotion that succeeded at
 * most `bakeMs` before the alarm. Rollbacks do not bake: acting on an alarm after one would undo the fix.
 */
export function duringBake(deploy: DeploymentRecord | undefined, alarm: AlarmNotice, env: Pick<EnvironmentDefinition, 'bakeMs'>): deploy is DeploymentRecord {
  if (!deploy || env.bakeMs === undefined || alarm.state !== 'ALARM') return false;
  if (deploy.outcome !== 'succeeded' || (deploy.kind !== 'deploy' && deploy.kind !== 'promote')) return false;
  const gap = Date.parse(alarm.at) - Date.parse(deploy.finishedAt);
  return gap >= 0 && gap <= env.bakeMs;
}

/**
 * `marks` with `alarm` added, or undefined when there is nothing to write: the same alarm and state change is there
 * already (a redelivered notification), or the card holds {@link MAX_BAKE_ALARMS} already.
 */
export function withBakeAlarm(marks: readonly BakeAlarm[] | undefined, alarm: BakeAlarm): BakeAlarm[] | undefined {
  const list = marks ?? [];
  if (list.length >= MAX_BAKE_ALARMS || list.some((m) => m.name === alarm.name && m.at === alarm.at)) return undefined;
  return [...list, alarm];
}
