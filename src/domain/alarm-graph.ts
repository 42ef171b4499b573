/**
 * The graph under an ALARM post: CloudWatch's metric widget (the JSON `GetMetricWidgetImage` renders) of the alarm's
 * metric over the 3 hours before it went off, with the threshold and the likely-cause deploy drawn in. Pure: the
 * image is made by the MetricGraphs port, and the job in src/alarms/graph.ts decides what happens when it cannot be.
 */
import type { AlarmMetricQuery, AlarmNotice } from './alarm.js';
import { shortSha } from './request.js';

/** How far back the graph looks from the alarm. */
export const GRAPH_WINDOW_MS = 3 * 60 * 60_000;

/** Pixels of the rendered image: wider than CloudWatch's 600 × 395 default, so three hours of minutes stay readable in Slack. */
export const GRAPH_SIZE = { width: 800, height: 400 } as const;

/** The deploy drawn as a vertical line: when it finished and its commit. */
export interface GraphedDeploy {
  at: string;
  sha: string;
}

/** A line of the widget's `metrics`: `[namespace, name, dimension name, value, …, options]`, or `[options]` for an expression. */
export type MetricWidgetLine = Array<string | Record<string, string | number | boolean>>;

/** The subset of CloudWatch's MetricWidget structure foxops writes (see the "Metric widget structure" page of the CloudWatch API reference). */
export interface MetricWidget {
  metrics: MetricWidgetLine[];
  view: 'timeSeries';
  stacked: false;
  /** Absolute ISO times, so a job delivered again later draws the same picture. */
  start: string;
  end: string;
  timezone: '+0000';
  region?: string;
  title: string;
  width: number;
  height: number;
  period?: number;
  stat?: string;
  legend: { position: 'bottom' };
  annotations?: {
    horizontal?: Array<{ value: number; label: string; color: string; fill?: 'above' | 'below' }>;
    vertical?: Array<{ value: string; label: string; color: string }>;
  };
}

/**
 * Why an alarm has no graph: a composite alarm (its state follows other alarms, it has no metric of its own), an
 * alarm whose notification names no metric, or one that names it only in part (no namespace, a query without either
 * metric or expression), or a time that is no time.
 */
export type NoGraphReason = 'composite' | 'no_metric' | 'incomplete_metric' | 'no_time';

/** Comparison operators whose bad side is above the threshold, and below it. Anomaly bands have no single threshold. */
const ABOVE = new Set(['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold']);
const BELOW = new Set(['LessThanThreshold', 'LessThanOrEqualToThreshold']);
const SYMBOL: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

const RED = '#d62728';
const ORANGE = '#ff7f0e';

/** CloudWatch reads ISO times to the second; milliseconds are dropped. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `[dimension name, value, …]` in name order, so the same alarm always gives the same widget. */
const dimensionPairs = (dimensions: Record<string, string>) =>
  Object.keys(dimensions)
    .sort()
    .flatMap((name) => [name, dimensions[name]!]);

/** The widget's lines for a metric-math alarm: every query (it may feed the expression), only the returned one visible. */
function mathLines(queries: readonly AlarmMetricQuery[]): MetricWidgetLine[] | undefined {
  const lines: MetricWidgetLine[] = [];
  const anyReturned = queries.some((q) => q.returnData === true);
  for (const q of queries) {
    const options = {
      id: q.id,
      ...(q.label ? { label: q.label } : {}),
      // Without a flag on any query, CloudWatch returns them all; with one, the others only feed it.
      visible: anyReturned ? q.returnData === true : true,
    };
    if (q.expression) lines.push([{ expression: q.expression, ...options }]);
    else if (q.metric?.namespace && q.metric.name)
      lines.push([
        q.metric.namespace,
        q.metric.name,
        ...dimensionPairs(q.metric.dimensions),
        { ...options, ...(q.stat ? { stat: q.stat } : {}), ...(q.period ? { period: q.period } : {}) },
      ]);
    else return undefined;
  }
  return lines.length ? lines : undefined;
}

/**
 * The metric widget of `alarm` over the {@link GRAPH_WINDOW_MS} before it went off (absolute times ending at the
 * alarm's minute), with a horizontal line at the threshold when it is known (shaded on the side that alarms) and a
 * vertical line at `deploy`'s finish labelled with its short SHA when that falls in the window. Undefined fields
 * are left to CloudWatch's defaults. `{ none }` when there is nothing to graph.
 */
export function alarmGraphWidget(alarm: AlarmNotice, deploy?: GraphedDeploy): { widget: MetricWidget } | { none: NoGraphReason } {
  if (alarm.composite) return { none: 'composite' };
  const at = Date.parse(alarm.at);
  if (Number.isNaN(at)) return { none: 'no_time' };
  let metrics: MetricWidgetLine[] | undefined;
  if (alarm.metrics?.length) {
    metrics = mathLines(alarm.metrics);
    if (!metrics) return { none: 'incomplete_metric' };
  } else {
    const m = alarm.metric;
    if (!m || (!m.namespace && !m.name)) return { none: 'no_metric' };
    if (!m.namespace || !m.name) return { none: 'incomplete_metric' };
    metrics = [[m.namespace, m.name, ...dimensionPairs(m.dimensions)]];
  }
  // The datapoint that breached is stamped at the start of its period, before the alarm: ending at the alarm's
  // next whole minute keeps it (and nothing after the alarm) on the graph.
  const end = Math.ceil(at / 60_000) * 60_000;
  const start = end - GRAPH_WINDOW_MS;
  const horizontal =
    alarm.threshold !== undefined && Number.isFinite(alarm.threshold)
      ? [
          {
            value: alarm.threshold,
            label: `${(alarm.comparison && SYMBOL[alarm.comparison]) ?? 'threshold'} ${alarm.threshold}`,
            color: RED,
            ...(alarm.comparison && ABOVE.has(alarm.comparison) ? { fill: 'above' as const } : {}),
            ...(alarm.comparison && BELOW.has(alarm.comparison) ? { fill: 'below' as const } : {}),
          },
        ]
      : [];
  const deployAt = deploy ? Date.parse(deploy.at) : Number.NaN;
  // A line outside the window would make CloudWatch widen the range; a deploy that old is no likely cause anyway.
  const vertical =
    deploy && deployAt >= start && deployAt <= end ? [{ value: isoSeconds(deployAt), label: `deploy ${shortSha(deploy.sha)}`, color: ORANGE }] : [];
  const single = alarm.metrics?.length ? undefined : alarm.metric;
  // An expression is computed at the widget's period: the alarm's own, so the line is the one compared with the threshold.
  const period = single?.period ?? alarm.metrics?.find((q) => q.period)?.period;
  return {
    widget: {
      metrics,
      view: 'timeSeries',
      stacked: false,
      start: isoSeconds(start),
      end: isoSeconds(end),
      timezone: '+0000',
      ...(alarm.region ? { region: alarm.region } : {}),
      title: alarm.name,
      ...GRAPH_SIZE,
      ...(period ? { period } : {}),
      ...(single?.stat ? { stat: single.stat } : {}),
      legend: { position: 'bottom' },
      ...(horizontal.length || vertical.length
        ? { annotations: { ...(horizontal.length ? { horizontal } : {}), ...(vertical.length ? { vertical } : {}) } }
        : {}),
    },
  };
}

/**
 * Thrown by the MetricGraphs adapter when no image came back: `refused` when CloudWatch answered that it will not
 * draw this widget (validation, permission), which trying again does not change; `unavailable` when it did not
 * answer (throttling, 5xx, network), which may pass. `said`: CloudWatch's own words, for the log.
 */
export class MetricGraphError extends Error {
  constructor(
    readonly code: 'refused' | 'unavailable',
    readonly said?: string,
    readonly status?: number,
  ) {
    super(`cloudwatch:GetMetricWidgetImage ${code}${status ? ` (HTTP ${status})` : ''}${said ? `: ${said}` : ''}`);
    this.name = 'MetricGraphError';
  }
}
