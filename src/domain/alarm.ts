/**
 * CloudWatch alarms of deployed services, as foxops sees them: which service and environment an alarm
 * belongs to, and whether the deploy that runs there probably caused it. Pure; the SNS and EventBridge
 * payloads are parsed in src/alarms/envelope.ts.
 */
import type { Catalog } from './catalog.js';
import type { DeploymentRecord } from './ports.js';
import type { DeployRequest } from './request.js';

/** CloudWatch's alarm states. */
export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/**
 * One query of a metric-math alarm (SNS `Trigger.Metrics`, EventBridge `configuration.metrics`): a math
 * `expression` over the other queries' ids, or a metric with its statistic and period.
 */
export interface AlarmMetricQuery {
  id: string;
  /** Metric math, e.g. `SUM(METRICS())` or `ANOMALY_DETECTION_BAND(m1, 2)`; absent for a metric. */
  expression?: string;
  label?: string;
  /** True for what the alarm evaluates (what a graph draws); false for the inputs of an expression. */
  returnData?: boolean;
  /** The metric of a query that is no expression. */
  metric?: { namespace: string; name: string; dimensions: Record<string, string> };
  /** Seconds. */
  period?: number;
  /** As GetMetricData names it: `Sum`, `Average`, `p99`… */
  stat?: string;
}

/**
 * One alarm state change, the same whether SNS or EventBridge delivered it. Its identity is `name`, `state` and
 * `at` (the alarm job's key, src/jobs/keys.ts): both sources give the same three for the same change, so it is
 * queued, and posted, once.
 */
export interface AlarmNotice {
  name: string;
  description?: string;
  state: AlarmState;
  previousState?: AlarmState;
  reason: string;
  /** When the state changed: CloudWatch's own time of the change, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** AWS region code (from the alarm ARN), for console links. */
  region?: string;
  accountId?: string;
  /** The metric of a single-metric alarm; `stat` as GetMetricData names it, `period` in seconds. */
  metric?: { namespace?: string; name?: string; dimensions: Record<string, string>; stat?: string; period?: number };
  /** The queries of a metric-math alarm (anomaly detection included); absent for a single-metric or composite alarm. */
  metrics?: AlarmMetricQuery[];
  /** The threshold, when the source says it (SNS always; EventBridge in the state's reason data). */
  threshold?: number;
  /** CloudWatch's `ComparisonOperator`, e.g. `GreaterThanOrEqualToThreshold` (SNS only: EventBridge does not say it). */
  comparison?: string;
  /** A composite alarm: its state follows `rule` over other alarms, and it has no metric. */
  composite?: true;
  /** The composite alarm's rule, e.g. `ALARM(a) OR ALARM(b)`. */
  rule?: string;
  /** Which delivery this notice came from; not part of its identity (whichever arrives first is the one queued). */
  source?: 'sns' | 'eventbridge';
}

/** Longest JSON of a notice: bounds an alarm job far below DynamoDB's 400 KB item, whatever a forged message holds. */
export const MAX_ALARM_NOTICE_CHARS = 64_000;

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
  /**
   * Where a rollback of `current` would go back to (its last known good deploy), when `current` is the likely cause:
   * the message then offers the Roll back button (src/alarms/rollback-offer.ts).
   */
  previous?: DeploymentRecord;
  /** Deploys of the same service and environment in flight now. */
  inFlight: DeployRequest[];
}

/** A deploy that finished this long before an alarm is a likely cause, unless foxops.yml says otherwise (`alarms.window`). */
export const LIKELY_CAUSE_WINDOW_MS = 60 * 60_000;

/** How long after a deploy an alarm names it as the likely cause: `alarms.window`, else {@link LIKELY_CAUSE_WINDOW_MS}. */
export function likelyCauseWindowMs(catalog: Pick<Catalog, 'alarms'>): number {
  return catalog.alarms?.windowMs ?? LIKELY_CAUSE_WINDOW_MS;
}

/** The `FunctionName` dimensions of an alarm: its metric's, then those of its metric-math queries, in order. */
export function alarmFunctionNames(alarm: AlarmNotice): string[] {
  const names = [alarm.metric?.dimensions.FunctionName, ...(alarm.metrics ?? []).map((q) => q.metric?.dimensions.FunctionName)];
  return [...new Set(names.filter((n): n is string => typeof n === 'string' && n !== ''))];
}

/**
 * How well `pattern` (an entry of `targets.<env>.alarms`: a name, or a prefix ending in `*`) names `alarmName`:
 * an exact name beats any prefix, a longer prefix a shorter one; -1 when it does not match.
 */
function patternScore(pattern: string, alarmName: string): number {
  if (!pattern.endsWith('*')) return pattern === alarmName ? Number.MAX_SAFE_INTEGER : -1;
  const prefix = pattern.slice(0, -1);
  return alarmName.startsWith(prefix) ? prefix.length : -1;
}

/**
 * The service and environment an alarm belongs to, or undefined when none does:
 *  1. a `FunctionName` dimension (of the metric, or of a metric-math query) that a service's target names;
 *  2. the target whose `alarms` (names, or prefixes ending in `*`) name the alarm, the closest match winning;
 *  3. the `<service>-<environment>-` prefix of the alarm's name (infra/service's convention).
 * A composite alarm has no dimension, so it is placed by 2 or 3.
 */
export function alarmTarget(catalog: Catalog, alarm: AlarmNotice): AlarmTarget | undefined {
  const known = (environment: string) => catalog.environments.some((e) => e.name === environment);
  // Own keys only, and only environments that exist: the catalog is validated, but this must hold for any input.
  const targets = catalog.services.flatMap((service) =>
    Object.entries(service.targets)
      .filter(([environment]) => Object.hasOwn(service.targets, environment) && known(environment))
      .map(([environment, target]) => ({ service: service.name, environment, target })),
  );
  for (const fn of alarmFunctionNames(alarm)) {
    const hit = targets.find((t) => t.target.functionName === fn);
    if (hit) return { service: hit.service, environment: hit.environment };
  }
  let best: { target: AlarmTarget; score: number } | undefined;
  for (const t of targets) {
    for (const pattern of t.target.alarms ?? []) {
      const score = patternScore(pattern, alarm.name);
      // Strictly better only: of equal matches, the first in foxops.yml wins, so the answer never depends on luck.
      if (score >= 0 && score > (best?.score ?? -1)) best = { target: { service: t.service, environment: t.environment }, score };
    }
  }
  if (best) return best.target;
  // Longest names first: `foxy-backend-…` must not be read as service `foxy`.
  const byLength = [...catalog.services].sort((a, b) => b.name.length - a.name.length);
  for (const service of byLength) {
    for (const env of catalog.environments) {
      if (alarm.name.startsWith(`${service.name}-${env.name}-`)) return { service: service.name, environment: env.name };
    }
  }
  return undefined;
}

/**
 * Where the alarm job posts an alarm: in the home channel (the first) of its target's environment; an alarm that
 * belongs to no service in `alarms.default_channel`; or nowhere (`drop`, which the job logs as `alarm.unrouted`
 * at debug) when that is not set.
 */
export type AlarmDestination = { kind: 'target'; target: AlarmTarget; channel: string } | { kind: 'default'; channel: string } | { kind: 'drop' };

/** The {@link AlarmDestination} of `alarm` (see {@link alarmTarget} for how it is placed). Pure; never throws. */
export function alarmDestination(catalog: Catalog, alarm: AlarmNotice): AlarmDestination {
  const target = alarmTarget(catalog, alarm);
  const home = target && catalog.environments.find((e) => e.name === target.environment)?.channels[0];
  if (target && home) return { kind: 'target', target, channel: home };
  const fallback = catalog.alarms?.defaultChannel;
  return fallback ? { kind: 'default', channel: fallback } : { kind: 'drop' };
}

/**
 * True when `deploy` succeeded at most `windowMs` (`alarms.window`, see {@link likelyCauseWindowMs}) before the alarm
 * went off. A window of 0 names no deploy.
 */
export function isLikelyCause(deploy: DeploymentRecord | undefined, alarm: AlarmNotice, windowMs: number = LIKELY_CAUSE_WINDOW_MS): boolean {
  if (!deploy || alarm.state !== 'ALARM' || !(windowMs > 0)) return false;
  const gap = Date.parse(alarm.at) - Date.parse(deploy.finishedAt);
  return gap >= 0 && gap <= windowMs;
}

/** The alarm's page in the CloudWatch console. */
export function alarmConsoleUrl(alarm: AlarmNotice): string | undefined {
  if (!alarm.region) return undefined;
  return `https://${alarm.region}.console.aws.amazon.com/cloudwatch/home?region=${alarm.region}#alarmsV2:alarm/${encodeURIComponent(alarm.name)}`;
}
