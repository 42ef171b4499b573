/**
 * CloudWatch alarms of deployed services, as foxops sees them: which service and environment an alarm
 * belongs to, and whether the deploy that runs there probably caused it. Pure; the SNS payload is
 * parsed in src/alarms/envelope.ts.
 */
import type { Catalog } from './catalog.js';
import type { DeploymentRecord } from './ports.js';
import type { DeployRequest } from './request.js';

/** CloudWatch's alarm states. */
export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** One alarm state change. */
export interface AlarmNotice {
  name: string;
  description?: string;
  state: AlarmState;
  previousState?: AlarmState;
  reason: string;
  /** When the state changed (ISO). */
  at: string;
  /** AWS region code (from the alarm ARN), for console links. */
  region?: string;
  accountId?: string;
  metric?: { namespace?: string; name?: string; dimensions: Record<string, string> };
}

/** Where an alarm belongs. */
export interface AlarmTarget {
  service: string;
  environment: string;
}

/** What foxops says about an alarm: the alarm, where it belongs, and the deploys of that service and environment. */
export interface AlarmReport {
  alarm: AlarmNotice;
  target: AlarmTarget;
  /** What runs there now, if foxops deployed it. */
  current?: DeploymentRecord;
  /** True when `current` finished shortly before the alarm (see {@link isLikelyCause}). */
  likelyCause: boolean;
  /** Deploys of the same service and environment in flight now. */
  inFlight: DeployRequest[];
}

/** A deploy that finished this long before an alarm is a likely cause. */
export const LIKELY_CAUSE_WINDOW_MS = 60 * 60_000;

/**
 * The service and environment an alarm belongs to: the function in its `FunctionName` dimension when a
 * service's target names it, else the `<service>-<environment>-` prefix of the alarm's name (infra/service's convention).
 */
export function alarmTarget(catalog: Catalog, alarm: AlarmNotice): AlarmTarget | undefined {
  const fn = alarm.metric?.dimensions.FunctionName;
  for (const service of catalog.services) {
    for (const [environment, target] of Object.entries(service.targets)) {
      if (fn && target.functionName === fn) return { service: service.name, environment };
    }
  }
  // Longest names first: `foxy-backend-…` must not be read as service `foxy`.
  const byLength = [...catalog.services].sort((a, b) => b.name.length - a.name.length);
  for (const service of byLength) {
    for (const env of catalog.environments) {
      if (alarm.name.startsWith(`${service.name}-${env.name}-`)) return { service: service.name, environment: env.name };
    }
  }
  return undefined;
}

/** True when `deploy` succeeded within {@link LIKELY_CAUSE_WINDOW_MS} before the alarm went off. */
export function isLikelyCause(deploy: DeploymentRecord | undefined, alarm: AlarmNotice): boolean {
  if (!deploy || alarm.state !== 'ALARM') return false;
  const gap = Date.parse(alarm.at) - Date.parse(deploy.finishedAt);
  return gap >= 0 && gap <= LIKELY_CAUSE_WINDOW_MS;
}

/** The alarm's page in the CloudWatch console. */
export function alarmConsoleUrl(alarm: AlarmNotice): string | undefined {
  if (!alarm.region) return undefined;
  return `https://${alarm.region}.console.aws.amazon.com/cloudwatch/home?region=${alarm.region}#alarmsV2:alarm/${encodeURIComponent(alarm.name)}`;
}
