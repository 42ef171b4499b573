/**
 * CloudWatch alarm state changes as they reach Lambda, validated (only the fields foxops reads) and turned into the
 * same {@link AlarmNotice} whichever way they came:
 *  - SNS: CloudWatch's alarm notification JSON in each record's `Sns.Message`, for metric alarms (`Trigger` with
 *    `MetricName`), metric-math alarms (`Trigger.Metrics`) and composite alarms (`AlarmRule`, no `Trigger`);
 *  - EventBridge: the `CloudWatch Alarm State Change` event (`detail.configuration.metrics`, or `alarmRule` for a
 *    composite alarm), from this account's default bus or forwarded from another account's.
 * The schemas are written here with zod/mini rather than taken from `@aws-lambda-powertools/parser`: that package
 * (and full zod) would be loaded by the alarm path of a cold start for the few fields foxops reads.
 */
import * as z from 'zod/mini';
import { type AlarmMetricQuery, type AlarmNotice, MAX_ALARM_NOTICE_CHARS } from '../domain/alarm.js';

/** Keys that would reach Object's own members rather than a plain property. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const state = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

/** Text of at most `max` characters. CloudWatch's own limits are lower; these only keep a forged message bounded. */
const text = (max: number) => z.string().check(z.maxLength(max));

// CloudWatch allows 255 characters; the name becomes part of the alarm job's key.
const alarmName = z.string().check(z.minLength(1), z.maxLength(255));
/** Seconds (CloudWatch uses 10, 30 or multiples of 60); bounded at a week, beyond any alarm's period. */
const period = z.int().check(z.minimum(1), z.maximum(7 * 86_400));
/** Queries of a metric-math alarm, and dimensions of a metric: bounds that keep a forged list small. */
const MAX_QUERIES = 20;
const MAX_DIMENSIONS = 30;
const expression = text(2048);
// CloudWatch allows 10240 characters for a composite alarm's rule.
const alarmRule = text(10_240);

/** SNS writes dimensions as `[{ "value": …, "name": … }]`. */
const snsDimensions = z.array(z.object({ name: text(255), value: text(1024) })).check(z.maxLength(MAX_DIMENSIONS));

/** One entry of `Trigger.Metrics` (a metric-math alarm), as SNS writes it. */
const snsQuery = z.object({
  Id: text(255),
  Expression: z.nullish(expression),
  Label: z.nullish(text(255)),
  ReturnData: z.nullish(z.boolean()),
  MetricStat: z.nullish(
    z.object({
      Metric: z.object({ Namespace: text(255), MetricName: text(255), Dimensions: z.nullish(snsDimensions) }),
      Period: z.nullish(period),
      Stat: z.nullish(text(64)),
    }),
  ),
});

const alarmMessageSchema = z.object({
  AlarmName: alarmName,
  AlarmDescription: z.nullish(text(1024)),
  AWSAccountId: z.nullish(text(64)),
  NewStateValue: state,
  OldStateValue: z.nullish(state),
  NewStateReason: text(4096),
  StateChangeTime: text(64),
  AlarmArn: z.nullish(text(2048)),
  // Composite alarms only: they carry their rule and no Trigger.
  AlarmRule: z.nullish(alarmRule),
  Trigger: z.nullish(
    z.object({
      MetricName: z.nullish(text(255)),
      Namespace: z.nullish(text(255)),
      Dimensions: z.nullish(snsDimensions),
      // `SUM`, `AVERAGE`, `SAMPLE_COUNT`…; percentiles come as `ExtendedStatistic` (`p99`).
      Statistic: z.nullish(text(64)),
      ExtendedStatistic: z.nullish(text(64)),
      Period: z.nullish(period),
      // Absent for anomaly detection alarms, which compare with a band (`ThresholdMetricId`) instead.
      Threshold: z.nullish(z.number()),
      ComparisonOperator: z.nullish(text(64)),
      Metrics: z.nullish(z.array(snsQuery).check(z.maxLength(MAX_QUERIES))),
    }),
  ),
});

/** An SNS event for Lambda (the parts foxops reads). Records are checked one by one ({@link readSnsRecord}). */
export interface SnsEvent {
  Records: Array<{ EventSource?: string; Sns?: { MessageId?: string; Message?: string; TopicArn?: string } } | null>;
}

/** One SNS record's message, with the ids that name it in logs (cut short: they are for reading). */
export type SnsRecordMessage = { message: string; messageId?: string; topic?: string };

const short = (value: unknown): string | undefined => (typeof value === 'string' ? value.slice(0, 200) : undefined);

/** The message of one record of an SNS event, or why there is none (a null record, another source, no text). */
export function readSnsRecord(record: unknown): SnsRecordMessage | { problem: string; messageId?: string; topic?: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { problem: `the record is ${record === null ? 'null' : Array.isArray(record) ? 'a list' : `a ${typeof record}`}, not an SNS record` };
  const r = record as { EventSource?: unknown; Sns?: unknown };
  if (r.EventSource !== 'aws:sns') return { problem: `the record comes from ${JSON.stringify(short(r.EventSource)?.slice(0, 40) ?? null)}, not from SNS` };
  const sns = r.Sns as { MessageId?: unknown; Message?: unknown; TopicArn?: unknown } | null | undefined;
  if (typeof sns !== 'object' || sns === null) return { problem: 'the record has no `Sns` object' };
  const ids = { ...(short(sns.MessageId) ? { messageId: short(sns.MessageId) } : {}), ...(short(sns.TopicArn) ? { topic: short(sns.TopicArn) } : {}) };
  if (typeof sns.Message !== 'string') return { problem: 'the SNS record has no message text', ...ids };
  return { message: sns.Message, ...ids };
}

/**
 * CloudWatch's time of a state change (SNS `StateChangeTime`, EventBridge `detail.state.timestamp`, both written
 * `2025-01-01T12:00:00.000+0000`) as `Date.prototype.toISOString()` writes it, so that both deliveries of one change
 * give the same alarm job key; undefined for anything else. Never the time of receipt: a redelivery would get a new
 * key and be posted again.
 */
export function changeTime(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  // JavaScript dates want `+00:00` where CloudWatch writes `+0000`.
  const zone = m[2] === 'Z' ? 'Z' : `${m[2]!.slice(0, 3)}:${m[2]!.slice(-2)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A region code such as `eu-west-1`: the only form of region that goes into console links. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The region of an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`), else `fallback` when it is a region code. */
function regionOf(arn: string | null | undefined, fallback?: string | null): string | undefined {
  const fromArn = arn?.split(':')[3] ?? '';
  if (REGION.test(fromArn)) return fromArn;
  return fallback && REGION.test(fallback) ? fallback : undefined;
}

const STATISTICS: Record<string, string> = { SUM: 'Sum', AVERAGE: 'Average', MINIMUM: 'Minimum', MAXIMUM: 'Maximum', SAMPLECOUNT: 'SampleCount' };

/** A statistic as GetMetricData names it: SNS writes `SUM` or `SAMPLE_COUNT`, EventBridge `Sum`; `p99` stays as it is. */
function statName(statistic: string): string {
  return STATISTICS[statistic.replace(/_/g, '').toUpperCase()] ?? statistic;
}

/**
 * Dimensions as a record. A name like an Object member (`__proto__`) is no CloudWatch dimension, and would not
 * survive the job payload's round trip: dropped.
 */
function dimensionRecord(pairs: Array<[string, string]>): Record<string, string> {
  return Object.fromEntries(pairs.filter(([name]) => !UNSAFE_KEYS.has(name)));
}

/** One metric-math query in the notice's shape, from either source's fields. */
function query(q: {
  id: string;
  expression?: string | null;
  label?: string | null;
  returnData?: boolean | null;
  metric?: { namespace: string; name: string; dimensions: Record<string, string> } | null;
  period?: number | null;
  stat?: string | null;
}): AlarmMetricQuery {
  return {
    id: q.id,
    ...(q.expression ? { expression: q.expression } : {}),
    ...(q.label ? { label: q.label } : {}),
    ...(typeof q.returnData === 'boolean' ? { returnData: q.returnData } : {}),
    ...(q.metric ? { metric: q.metric } : {}),
    ...(q.period ? { period: q.period } : {}),
    ...(q.stat ? { stat: statName(q.stat) } : {}),
  };
}

/**
 * The queries of an alarm as the notice keeps them: one metric that nothing computes on is a single-metric alarm
 * (`metric`), however the source lists it (EventBridge always lists queries, SNS only for metric math); anything
 * else is metric math (`metrics`).
 */
function metricsPart(queries: AlarmMetricQuery[]): Pick<AlarmNotice, 'metric' | 'metrics'> {
  const [only] = queries;
  if (queries.length === 1 && only?.metric && !only.expression && only.returnData !== false) {
    return { metric: { ...only.metric, ...(only.stat ? { stat: only.stat } : {}), ...(only.period ? { period: only.period } : {}) } };
  }
  return queries.length ? { metrics: queries } : {};
}

/** `notice`, or why not when its JSON is longer than an alarm job may be ({@link MAX_ALARM_NOTICE_CHARS}). */
function bounded(notice: AlarmNotice): AlarmNotice | { problem: string } {
  const size = JSON.stringify(notice).length;
  return size <= MAX_ALARM_NOTICE_CHARS
    ? notice
    : { problem: `the alarm takes ${size} characters, more than the ${MAX_ALARM_NOTICE_CHARS} an alarm job may hold` };
}

/** zod's issues, in words that name the field (its path cut short: a record's keys are input) and never quote its value. */
const issuesText = (issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>) =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.').slice(0, 120) || '(top)'} ${i.message}`)
    .join('; ');

/** Parses one SNS message body; returns why not when it is not a CloudWatch alarm notification. */
export function parseAlarmMessage(message: string | undefined): AlarmNotice | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(message ?? '');
  } catch {
    return { problem: 'the SNS message is not JSON (only CloudWatch alarm notifications are expected on this topic)' };
  }
  const parsed = alarmMessageSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not a CloudWatch alarm notification: ${issuesText(parsed.error.issues)}` };
  const m = parsed.data;
  const at = changeTime(m.StateChangeTime);
  if (!at) return { problem: 'not a CloudWatch alarm notification: StateChangeTime is not a time like 2025-01-01T12:00:00.000+0000' };
  const region = regionOf(m.AlarmArn);
  const t = m.Trigger;
  const queries = (t?.Metrics ?? []).map((q) =>
    query({
      id: q.Id,
      expression: q.Expression,
      label: q.Label,
      returnData: q.ReturnData,
      metric: q.MetricStat
        ? {
            namespace: q.MetricStat.Metric.Namespace,
            name: q.MetricStat.Metric.MetricName,
            dimensions: dimensionRecord((q.MetricStat.Metric.Dimensions ?? []).map((d) => [d.name, d.value])),
          }
        : undefined,
      period: q.MetricStat?.Period,
      stat: q.MetricStat?.Stat,
    }),
  );
  const statistic = t?.ExtendedStatistic || t?.Statistic;
  return bounded({
    name: m.AlarmName,
    ...(m.AlarmDescription ? { description: m.AlarmDescription } : {}),
    state: m.NewStateValue,
    ...(m.OldStateValue ? { previousState: m.OldStateValue } : {}),
    reason: m.NewStateReason,
    at,
    ...(region ? { region } : {}),
    ...(m.AWSAccountId ? { accountId: m.AWSAccountId } : {}),
    ...(t && (t.MetricName || t.Namespace || t.Dimensions)
      ? {
          metric: {
            ...(t.Namespace ? { namespace: t.Namespace } : {}),
            ...(t.MetricName ? { name: t.MetricName } : {}),
            dimensions: dimensionRecord((t.Dimensions ?? []).map((d) => [d.name, d.value])),
            ...(statistic ? { stat: statName(statistic) } : {}),
            ...(t.Period ? { period: t.Period } : {}),
          },
        }
      : metricsPart(queries)),
    ...(typeof t?.Threshold === 'number' ? { threshold: t.Threshold } : {}),
    ...(t?.ComparisonOperator ? { comparison: t.ComparisonOperator } : {}),
    ...(m.AlarmRule ? { composite: true as const, rule: m.AlarmRule } : {}),
    source: 'sns',
  });
}

// ---------------------------------------------------------------- EventBridge

/** EventBridge writes dimensions as an object. */
const eventDimensions = z.record(text(255), text(1024)).check(z.refine((d) => Object.keys(d).length <= MAX_DIMENSIONS, `at most ${MAX_DIMENSIONS} dimensions`));

/** One entry of `detail.configuration.metrics`: a metric (`metricStat`) or an `expression`. */
const eventQuery = z.object({
  id: text(255),
  expression: z.nullish(expression),
  label: z.nullish(text(255)),
  returnData: z.nullish(z.boolean()),
  metricStat: z.nullish(
    z.object({
      metric: z.object({ namespace: text(255), name: text(255), dimensions: z.nullish(eventDimensions) }),
      period: z.nullish(period),
      stat: z.nullish(text(64)),
    }),
  ),
});

const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  // The account of the alarm: kept as it was when another account's bus forwarded the event.
  account: z.nullish(text(64)),
  region: z.nullish(text(64)),
  // [the alarm's ARN]
  resources: z.nullish(z.array(text(2048)).check(z.maxLength(10))),
  detail: z.object({
    alarmName,
    state: z.object({
      value: state,
      reason: text(4096),
      // JSON in a string: the datapoints and, for a metric alarm, the threshold.
      reasonData: z.nullish(text(8192)),
      timestamp: text(64),
    }),
    previousState: z.nullish(z.object({ value: state })),
    configuration: z.nullish(
      z.object({
        description: z.nullish(text(1024)),
        metrics: z.nullish(z.array(eventQuery).check(z.maxLength(MAX_QUERIES))),
        // Composite alarms only.
        alarmRule: z.nullish(alarmRule),
      }),
    ),
  }),
});

/** The ids that name an EventBridge event in logs (cut short: they are for reading). */
export function readEventIds(event: unknown): { eventId?: string; account?: string } {
  const e = (typeof event === 'object' && event !== null ? event : {}) as { id?: unknown; account?: unknown };
  return { ...(short(e.id) ? { eventId: short(e.id) } : {}), ...(short(e.account) ? { account: short(e.account) } : {}) };
}

/** The threshold in a metric alarm's `reasonData` (`{"threshold":50.0,…}`); undefined when there is none (composite, anomaly band). */
function reasonThreshold(reasonData: string | null | undefined): number | undefined {
  if (!reasonData) return undefined;
  try {
    const threshold = (JSON.parse(reasonData) as { threshold?: unknown } | null)?.threshold;
    return typeof threshold === 'number' && Number.isFinite(threshold) ? threshold : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses an EventBridge `CloudWatch Alarm State Change` event (metric, metric-math or composite alarm) into the same
 * {@link AlarmNotice} as its SNS notification; returns why not when it is no such event. Never throws.
 */
export function parseAlarmEvent(event: unknown): AlarmNotice | { problem: string } {
  const parsed = alarmEventSchema.safeParse(event);
  if (!parsed.success) return { problem: `not a CloudWatch alarm state change: ${issuesText(parsed.error.issues)}` };
  const e = parsed.data;
  const d = e.detail;
  const at = changeTime(d.state.timestamp);
  if (!at) return { problem: 'not a CloudWatch alarm state change: detail.state.timestamp is not a time like 2025-01-01T12:00:00.000+0000' };
  const region = regionOf(e.resources?.[0], e.region);
  const config = d.configuration;
  const queries = (config?.metrics ?? []).map((q) =>
    query({
      id: q.id,
      expression: q.expression,
      label: q.label,
      returnData: q.returnData,
      metric: q.metricStat
        ? {
            namespace: q.metricStat.metric.namespace,
            name: q.metricStat.metric.name,
            dimensions: dimensionRecord(Object.entries(q.metricStat.metric.dimensions ?? {})),
          }
        : undefined,
      period: q.metricStat?.period,
      stat: q.metricStat?.stat,
    }),
  );
  const threshold = reasonThreshold(d.state.reasonData);
  return bounded({
    name: d.alarmName,
    ...(config?.description ? { description: config.description } : {}),
    state: d.state.value,
    ...(d.previousState ? { previousState: d.previousState.value } : {}),
    reason: d.state.reason,
    at,
    ...(region ? { region } : {}),
    ...(e.account ? { accountId: e.account } : {}),
    ...metricsPart(queries),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(config?.alarmRule ? { composite: true as const, rule: config.alarmRule } : {}),
    source: 'eventbridge',
  });
}
