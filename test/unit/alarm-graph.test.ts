/**
 * The metric widget of an alarm graph (src/domain/alarm-graph.ts): CloudWatch's MetricWidget JSON for a single
 * metric and for metric math, the 3-hour window ending at the alarm, the threshold line shaded on its bad side, and
 * the likely-cause deploy's line labelled with its short SHA. Also the `alarm_graph` job's shape and key.
 */
import type { AlarmNotice } from '../../src/domain/alarm.js';
import { alarmGraphWidget, type MetricWidget } from '../../src/domain/alarm-graph.js';
import type { Job } from '../../src/domain/ports.js';
import { jobKey } from '../../src/jobs/keys.js';
import { parseJob, readJob } from '../../src/jobs/parse.js';
import { alarmGraphFile } from '../../src/slack/blocks/alarm-graph.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

/** The fixture's alarm: Lambda errors of foxy-backend's live alias, Sum over a minute, ≥ 1. */
const errorsAlarm = (over: Partial<AlarmNotice> = {}): AlarmNotice => ({
  name: 'foxy-backend-production-errors',
  state: 'ALARM',
  reason: 'Threshold Crossed',
  at: '2026-11-28T10:01:00.123Z',
  region: 'eu-west-1',
  metric: {
    namespace: 'AWS/Lambda',
    name: 'Errors',
    dimensions: { Resource: 'foxy-backend-production:live', FunctionName: 'foxy-backend-production' },
    stat: 'Sum',
    period: 60,
  },
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  ...over,
});

/** The widget, or a failed test saying why there was none. */
function widgetOf(alarm: AlarmNotice, deploy?: { at: string; sha: string }): MetricWidget {
  const drawn = alarmGraphWidget(alarm, deploy);
  if ('none' in drawn) throw new Error(`no graph: ${drawn.none}`);
  return drawn.widget;
}

describe('alarmGraphWidget', () => {
  it('draws a single metric over the 3 hours up to the alarm, with its statistic, period, region and threshold', () => {
    // Prepare
    const alarm = errorsAlarm();

    // Act
    const widget = widgetOf(alarm);

    // Assess: dimensions in name order; the window ends at the alarm's next whole minute
    expect(widget).toEqual({
      metrics: [['AWS/Lambda', 'Errors', 'FunctionName', 'foxy-backend-production', 'Resource', 'foxy-backend-production:live']],
      view: 'timeSeries',
      stacked: false,
      start: '2026-11-28T07:02:00Z',
      end: '2026-11-28T10:02:00Z',
      timezone: '+0000',
      region: 'eu-west-1',
      title: 'foxy-backend-production-errors',
      width: 800,
      height: 400,
      period: 60,
      stat: 'Sum',
      legend: { position: 'bottom' },
      annotations: { horizontal: [{ value: 1, label: '≥ 1', color: '#d62728', fill: 'above' }] },
    });
  });

  it('marks the likely-cause deploy with a vertical line at its finish, labelled with its short SHA', () => {
    // Prepare
    const deploy = { at: '2026-11-28T09:49:00.500Z', sha: SHA };

    // Act
    const widget = widgetOf(errorsAlarm(), deploy);

    // Assess
    expect(widget.annotations?.vertical).toEqual([{ value: '2026-11-28T09:49:00Z', label: 'deploy 0123456', color: '#ff7f0e' }]);
    expect(widget.start).toBe('2026-11-28T07:02:00Z');
  });

  it.each([
    ['before the window', '2026-11-28T06:00:00Z'],
    ['after the alarm', '2026-11-28T10:30:00Z'],
    ['at no time', 'yesterday'],
  ])('leaves out a deploy %s, keeping the window as it is', (_when, at) => {
    // Prepare
    const deploy = { at, sha: SHA };

    // Act
    const widget = widgetOf(errorsAlarm(), deploy);

    // Assess
    expect(widget.annotations?.vertical).toBeUndefined();
    expect([widget.start, widget.end]).toEqual(['2026-11-28T07:02:00Z', '2026-11-28T10:02:00Z']);
  });

  it.each([
    ['GreaterThanThreshold', '> 250', 'above'],
    ['LessThanThreshold', '< 250', 'below'],
    ['LessThanOrEqualToThreshold', '≤ 250', 'below'],
    [undefined, 'threshold 250', undefined],
  ])('labels the threshold of %s as %p and shades the %s side', (comparison, label, fill) => {
    // Prepare
    const alarm = errorsAlarm({ threshold: 250, comparison });

    // Act
    const [line] = widgetOf(alarm).annotations?.horizontal ?? [];

    // Assess
    expect(line).toEqual({ value: 250, label, color: '#d62728', ...(fill ? { fill } : {}) });
  });

  it('draws no threshold when the notification gave none (an anomaly band, EventBridge), and no annotations at all without a deploy', () => {
    // Prepare
    const alarm = errorsAlarm({ threshold: undefined, comparison: 'LessThanLowerOrGreaterThanUpperThreshold' });

    // Act
    const widget = widgetOf(alarm);

    // Assess
    expect(widget.annotations).toBeUndefined();
  });

  it('draws a metric-math alarm: every query with its id, only the expression the alarm evaluates visible', () => {
    // Prepare: an error rate in percent over errors and invocations
    const dims = { FunctionName: 'foxy-backend-production' };
    const alarm = errorsAlarm({
      metric: undefined,
      threshold: 5,
      metrics: [
        { id: 'e1', expression: '100 * m1 / m2', label: 'Error rate', returnData: true },
        { id: 'm1', metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: dims }, stat: 'Sum', period: 300, returnData: false },
        { id: 'm2', metric: { namespace: 'AWS/Lambda', name: 'Invocations', dimensions: dims }, stat: 'Sum', period: 300, returnData: false },
      ],
    });

    // Act
    const widget = widgetOf(alarm);

    // Assess: the expression runs at the queries' period; no single statistic is set for the widget
    expect(widget.metrics).toEqual([
      [{ expression: '100 * m1 / m2', id: 'e1', label: 'Error rate', visible: true }],
      ['AWS/Lambda', 'Errors', 'FunctionName', 'foxy-backend-production', { id: 'm1', visible: false, stat: 'Sum', period: 300 }],
      ['AWS/Lambda', 'Invocations', 'FunctionName', 'foxy-backend-production', { id: 'm2', visible: false, stat: 'Sum', period: 300 }],
    ]);
    expect(widget.period).toBe(300);
    expect(widget.stat).toBeUndefined();
    expect(widget.annotations?.horizontal).toEqual([expect.objectContaining({ value: 5, fill: 'above' })]);
  });

  it.each([
    ['a composite alarm', { composite: true as const, metric: undefined, rule: 'ALARM(a) OR ALARM(b)' }, 'composite'],
    ['an alarm without a metric', { metric: undefined }, 'no_metric'],
    ['a metric without its namespace', { metric: { name: 'Errors', dimensions: {} } }, 'incomplete_metric'],
    ['a math query that is neither metric nor expression', { metrics: [{ id: 'q1', returnData: true }] }, 'incomplete_metric'],
    ['an alarm time that is no time', { at: 'soon' }, 'no_time'],
  ])('has nothing to draw for %s', (_what, over, reason) => {
    // Prepare
    const alarm = errorsAlarm(over as Partial<AlarmNotice>);

    // Act
    const drawn = alarmGraphWidget(alarm);

    // Assess
    expect(drawn).toEqual({ none: reason });
  });

  it('draws the same widget for the same alarm, whatever order its dimensions came in', () => {
    // Prepare
    const a = errorsAlarm({ metric: { namespace: 'N', name: 'M', dimensions: { B: '2', A: '1' } } });
    const b = errorsAlarm({ metric: { namespace: 'N', name: 'M', dimensions: { A: '1', B: '2' } } });

    // Act
    const [wa, wb] = [widgetOf(a), widgetOf(b)].map((w) => JSON.stringify(w));

    // Assess
    expect(wa).toBe(wb);
  });
});

describe('the alarm_graph job', () => {
  const job: Job = {
    type: 'alarm_graph',
    alarm: errorsAlarm(),
    channel: 'C0PROD',
    threadTs: '1700000000.000100',
    deployAt: '2026-11-28T09:49:00.000Z',
    deploySha: SHA,
  };

  it('is keyed once per alarm and state change, wherever its message went', () => {
    // Prepare
    const again = { ...job, threadTs: '1700000000.000200' } as Job;

    // Act
    const keys = [jobKey(job), jobKey(again)];

    // Assess
    expect(keys).toEqual([
      'alarm-graph:foxy-backend-production-errors:2026-11-28T10:01:00.123Z',
      'alarm-graph:foxy-backend-production-errors:2026-11-28T10:01:00.123Z',
    ]);
  });

  it('reads back as stored', () => {
    // Prepare
    const stored = JSON.parse(JSON.stringify(job));

    // Act
    const read = parseJob(stored);

    // Assess
    expect(read).toEqual(job);
  });

  it.each([
    ['a channel that is no channel id', { channel: '#prod' }, 'channel'],
    ['a thread that is no message ts', { threadTs: 'x'.repeat(30) }, 'threadTs'],
    ['a deploy SHA that is no SHA', { deploySha: 'main; rm -rf' }, 'deploySha'],
    ['a deploy time that is no time', { deployAt: 'later' }, 'deployAt'],
  ])('is refused with %s', (_what, over, path) => {
    // Prepare
    const forged = { ...job, ...over };

    // Act
    const read = readJob(forged);

    // Assess
    expect(read).toEqual({ problem: expect.stringContaining(path) });
  });
});

describe('the words of the graph file', () => {
  it('name the alarm, the window and what the lines mark, in a file name people can save', () => {
    // Prepare
    const graph = { alarm: errorsAlarm({ name: 'foxy backend/errors' }), png: new Uint8Array([1]), threshold: true, deploySha: SHA };

    // Act
    const file = alarmGraphFile(graph);

    // Assess
    expect(file).toEqual({
      name: 'foxy-backend-errors-20261128-1001.png',
      title: 'foxy backend/errors: the 3 hours before the alarm (UTC)',
      altText:
        'Graph of AWS/Lambda Errors of alarm foxy backend/errors over the 3 hours before it went off at 10:01 UTC, ' +
        'with the threshold as a horizontal line and deploy 0123456 as a vertical line.',
    });
  });
});
