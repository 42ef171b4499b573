/**
 * Loopback fake of the CloudWatch API's `DescribeAlarms` and `GetMetricWidgetImage`, as @aws-sdk/client-cloudwatch (3.11xx) speaks it: AWS JSON
 * 1.0 (`POST /`, `content-type: application/x-amz-json-1.0`, `x-amz-target: GraniteServiceVersion20100801.<Op>`),
 * with the awsQuery-compatible error header `x-amzn-query-error: <Code>;Sender`. Older clients spoke the awsQuery
 * form protocol; this one does not, and the fake answers that with a 400 so a protocol change shows up in tests.
 *
 * Point the real client at it: `new CloudWatchClient({ endpoint: fake.url, region, credentials })`. Signatures are not
 * checked. Alarms are kept by name with their state; `DescribeAlarms` honours `AlarmNames`, `AlarmNamePrefix`,
 * `StateValue`, `AlarmTypes`, `MaxRecords` and `NextToken`. `GetMetricWidgetImage` answers {@link GRAPH_PNG} (or, with `graph: 'rendered'`, a drawn graph; base64,
 * as the JSON protocol carries blobs) for a widget with `metrics`, records the widget it was asked to draw, and answers
 * a widget that is no JSON or has no metrics, or an `OutputFormat` other than `png`, with a 400 `ValidationError`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { alarmingPoints, renderMetricGraph } from './graph-png.js';
import { parseJsonBody, startLoopbackServer } from './http.js';

/** The image `GetMetricWidgetImage` answers: a valid 1 × 1 PNG (signature, IHDR, IDAT, IEND). */
export const GRAPH_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** An alarm's state in CloudWatch. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One call the fake received. */
export interface CloudWatchCall {
  operation: string;
  input: Record<string, unknown>;
}

/** A queued failure; see {@link FakeCloudWatch.failNext}. */
export interface CloudWatchFailure {
  /** HTTP status; default 400. */
  status?: number;
  /** The error code, e.g. `AccessDenied`; default `InternalFailure`. */
  code?: string;
  message?: string;
}

/** What an alarm watches, for the sandbox: its events ({@link ./alarm-events.ts}) and `DescribeAlarms` say it. */
export interface FakeAlarmDetails {
  composite?: boolean;
  description?: string;
  metric?: { namespace: string; name: string; dimensions: Array<{ name: string; value: string }> };
  threshold?: number;
  /** Default `GreaterThanOrEqualToThreshold`. */
  comparison?: string;
  /** The state's reason; default `fake: <state>`. */
  reason?: string;
}

/** An alarm as the fake keeps it. */
export interface FakeAlarm extends FakeAlarmDetails {
  name: string;
  state: AlarmStateValue;
  /** The state before the last change (undefined for a new alarm). */
  previousState?: AlarmStateValue;
  composite: boolean;
  /** Seconds since the epoch of the last state change. */
  updated: number;
}

/** Options of {@link startFakeCloudWatch}. */
export interface FakeCloudWatchOptions {
  /**
   * What `GetMetricWidgetImage` answers: `fixed` (default) the 1 × 1 {@link GRAPH_PNG}, which tests compare bytes
   * with; `rendered` a real graph of the widget's size, threshold line and an alarming metric (src/sandbox/sim/graph-png.ts).
   */
  graph?: 'fixed' | 'rendered';
}

/** Handle on a running fake CloudWatch; see {@link startFakeCloudWatch}. */
export interface FakeCloudWatch {
  /** Value for the client's `endpoint` (or `AWS_ENDPOINT_URL_CLOUDWATCH`). */
  readonly url: string;
  /** Every call, in order. */
  readonly calls: CloudWatchCall[];
  /** The widgets `GetMetricWidgetImage` was asked to draw (parsed; failed calls included), in order. */
  readonly widgets: Array<Record<string, unknown>>;
  /** Adds or updates a metric alarm (`composite: true` for a composite alarm); details given once are kept by later calls. */
  setAlarm(name: string, state: AlarmStateValue, options?: FakeAlarmDetails): void;
  /** One alarm, or undefined. */
  alarm(name: string): FakeAlarm | undefined;
  /** Every alarm, by name. */
  alarms(): FakeAlarm[];
  /** What `GetMetricWidgetImage` answers; see {@link FakeCloudWatchOptions.graph}. */
  graph: 'fixed' | 'rendered';
  /** Forgets alarms, calls, widgets and queued failures; the graph mode goes back to the option's. */
  reset(): void;
  /** Makes the next call fail as described (for a graph that cannot be made: `{ status: 400, code: 'ValidationError' }`). */
  failNext(failure?: CloudWatchFailure): void;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

function sendAwsJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'fake-cw', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendAwsJson(res, status, { __type: `com.amazonaws.cloudwatch#${code}`, message }, { 'x-amzn-query-error': `${code};Sender` });
}

/** The `MetricWidget` of a `GetMetricWidgetImage` input as an object, or undefined when it is none. */
function widgetOf(input: Record<string, unknown>): Record<string, unknown> | undefined {
  const parsed = typeof input.MetricWidget === 'string' ? parseJsonBody(Buffer.from(input.MetricWidget)) : undefined;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeCloudWatch(options: FakeCloudWatchOptions = {}): Promise<FakeCloudWatch> {
  const alarms = new Map<string, FakeAlarm>();
  const calls: CloudWatchCall[] = [];
  const failures: CloudWatchFailure[] = [];
  const widgets: Array<Record<string, unknown>> = [];

  const metricWidgetImage = (res: ServerResponse, input: Record<string, unknown>) => {
    const widget = widgetOf(input);
    if (input.OutputFormat !== undefined && input.OutputFormat !== 'png')
      return sendError(res, 400, 'ValidationError', `fake CloudWatch answers OutputFormat png only (got ${String(input.OutputFormat)})`);
    if (!widget) return sendError(res, 400, 'ValidationError', 'The MetricWidget is not a JSON object');
    if (!Array.isArray(widget.metrics) || widget.metrics.length === 0) return sendError(res, 400, 'ValidationError', 'The widget has no metrics');
    sendAwsJson(res, 200, { MetricWidgetImage: (fake.graph === 'rendered' ? renderedGraph(widget) : GRAPH_PNG).toString('base64') });
  };

  /** The widget drawn: its size (CloudWatch's default 600 × 395), its first horizontal annotation as threshold, made-up datapoints. */
  const renderedGraph = (widget: Record<string, unknown>): Buffer => {
    const size = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) && value >= 16 ? Math.min(value, 2000) : fallback);
    const annotations = widget.annotations as { horizontal?: Array<{ value?: unknown }> } | undefined;
    const first = annotations?.horizontal?.[0]?.value;
    const threshold = typeof first === 'number' && Number.isFinite(first) ? first : undefined;
    const { points, alarmFrom } = alarmingPoints(threshold, JSON.stringify(widget.metrics));
    return renderMetricGraph({ width: size(widget.width, 600), height: size(widget.height, 395), points, threshold, alarmFrom });
  };

  const describeAlarms = (res: ServerResponse, input: Record<string, unknown>) => {
    const names = Array.isArray(input.AlarmNames) ? (input.AlarmNames as string[]) : undefined;
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : undefined;
    if (names && prefix !== undefined) return sendError(res, 400, 'InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be combined');
    const types = Array.isArray(input.AlarmTypes) ? (input.AlarmTypes as string[]) : ['MetricAlarm'];
    const state = typeof input.StateValue === 'string' ? input.StateValue : undefined;
    const max = typeof input.MaxRecords === 'number' ? input.MaxRecords : 50;
    const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
    const matching = [...alarms.entries()]
      .filter(([name]) => (names ? names.includes(name) : prefix !== undefined ? name.startsWith(prefix) : true))
      .filter(([, a]) => state === undefined || a.state === state)
      .filter(([, a]) => types.includes(a.composite ? 'CompositeAlarm' : 'MetricAlarm'))
      .sort(([a], [b]) => a.localeCompare(b));
    const page = matching.slice(start, start + max);
    const shape = ([name, a]: [string, FakeAlarm]) => ({
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      StateValue: a.state,
      StateReason: a.reason ?? `fake: ${a.state}`,
      StateUpdatedTimestamp: a.updated,
      // Only for alarms set up with details: earlier answers stay as they were.
      ...(a.description !== undefined ? { AlarmDescription: a.description } : {}),
      ...(a.metric
        ? { Namespace: a.metric.namespace, MetricName: a.metric.name, Dimensions: a.metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })) }
        : {}),
      ...(a.threshold !== undefined ? { Threshold: a.threshold, ComparisonOperator: a.comparison ?? 'GreaterThanOrEqualToThreshold' } : {}),
    });
    sendAwsJson(res, 200, {
      MetricAlarms: page.filter(([, a]) => !a.composite).map(shape),
      CompositeAlarms: page.filter(([, a]) => a.composite).map(shape),
      ...(start + max < matching.length ? { NextToken: String(start + max) } : {}),
    });
  };

  const server = await startLoopbackServer('cloudwatch', (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX) || !String(req.headers['content-type'] ?? '').startsWith(CONTENT_TYPE))
      return sendError(res, 400, 'UnknownOperationException', `fake CloudWatch speaks AWS JSON 1.0 only (got ${req.method} ${target || 'no target'})`);
    const operation = target.slice(TARGET_PREFIX.length);
    const input = (parseJsonBody(body) as Record<string, unknown> | undefined) ?? {};
    calls.push({ operation, input });
    if (operation === 'GetMetricWidgetImage') widgets.push(widgetOf(input) ?? { unparsed: input.MetricWidget });
    const failure = failures.shift();
    if (failure) return sendError(res, failure.status ?? 400, failure.code ?? 'InternalFailure', failure.message ?? 'fake failure');
    if (operation === 'DescribeAlarms') return describeAlarms(res, input);
    if (operation === 'GetMetricWidgetImage') return metricWidgetImage(res, input);
    return sendError(res, 400, 'UnknownOperationException', `fake CloudWatch does not implement ${operation}`);
  });

  const fake: FakeCloudWatch = {
    url: server.url,
    calls,
    widgets,
    graph: options.graph ?? 'fixed',
    setAlarm(name, state, details = {}) {
      const old = alarms.get(name);
      const { reason, ...kept } = details;
      alarms.set(name, {
        ...old,
        ...kept,
        name,
        state,
        ...(old ? { previousState: old.state } : {}),
        // A reason belongs to one state change: a later change without one gets the default.
        reason,
        composite: details.composite ?? old?.composite ?? false,
        updated: Math.floor(Date.now() / 1000),
      });
    },
    alarm: (name) => {
      const a = alarms.get(name);
      return a ? { ...a } : undefined;
    },
    alarms: () => [...alarms.values()].map((a) => ({ ...a })).sort((a, b) => a.name.localeCompare(b.name)),
    reset() {
      alarms.clear();
      calls.length = 0;
      widgets.length = 0;
      failures.length = 0;
      fake.graph = options.graph ?? 'fixed';
    },
    failNext(failure = {}) {
      failures.push(failure);
    },
    close: () => server.close(),
  };
  return fake;
}
