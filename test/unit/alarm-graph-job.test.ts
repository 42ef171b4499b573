/**
 * The alarm graph's queueing and its job (src/alarms/graph.ts) on in-memory ports: only an ALARM gets a graph, a
 * failed queue never fails the alarm job (whose message was posted), and the job ends quietly on what will not get
 * better (nothing to draw, a refusal) but throws what may pass, so that it is delivered again.
 */
import { queueAlarmGraph, runAlarmGraph } from '../../src/alarms/graph.js';
import type { AlarmNotice } from '../../src/domain/alarm.js';
import { MetricGraphError } from '../../src/domain/alarm-graph.js';
import { FileRefusedError } from '../../src/domain/errors.js';
import type { AlarmGraphImage, AlarmGraphJob, DeploymentRecord } from '../../src/domain/ports.js';
import { memoryContext } from '../support/memory-context.js';

const alarm = (over: Partial<AlarmNotice> = {}): AlarmNotice => ({
  name: 'foxy-backend-production-errors',
  state: 'ALARM',
  reason: 'Threshold Crossed',
  at: '2026-11-28T10:01:00.123Z',
  region: 'eu-west-1',
  metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: 'foxy-backend-production' }, stat: 'Sum', period: 60 },
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  ...over,
});
const deploy: DeploymentRecord = {
  service: 'foxy-backend',
  environment: 'production',
  sha: 'abcdef0123456789abcdef0123456789abcdef01',
  ref: 'main',
  requestId: 'd-abcdefghjk',
  kind: 'deploy',
  requester: 'U0DAVE',
  approvers: [],
  outcome: 'succeeded',
  finishedAt: '2026-11-28T09:49:00.000Z',
};
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

/** A memory context whose CloudWatch and Slack do what `render` and `share` say, recording what they were given. */
function graphContext(render: () => Promise<Uint8Array> = async () => PNG, share: () => Promise<string> = async () => 'F1') {
  const m = memoryContext();
  const rendered: Array<{ widget: string; region?: string }> = [];
  const shared: Array<{ channel: string; threadTs: string; graph: AlarmGraphImage }> = [];
  m.ctx.metricGraphs = async () => ({
    render: async (widget, region) => (rendered.push({ widget, region }), render()),
  });
  m.ctx.files = async () => ({
    sendAuditExport: async () => undefined,
    shareAlarmGraph: async (channel, threadTs, graph) => (shared.push({ channel, threadTs, graph }), share()),
  });
  return { ...m, rendered, shared };
}

const job = (over: Partial<AlarmGraphJob> = {}): AlarmGraphJob => ({
  type: 'alarm_graph',
  alarm: alarm(),
  channel: 'C0PROD',
  threadTs: '1700000000.000100',
  ...over,
});

describe('queueAlarmGraph', () => {
  it('queues the graph of an ALARM with the likely-cause deploy', async () => {
    // Prepare
    const m = memoryContext();

    // Act
    const queued = await queueAlarmGraph(m.ctx, { alarm: alarm(), channel: 'C0PROD', threadTs: '1700000000.000100', deploy });

    // Assess
    expect(queued).toBe(true);
    expect(m.jobs).toEqual([job({ deployAt: deploy.finishedAt, deploySha: deploy.sha })]);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'] as const)('queues nothing for %s', async (state) => {
    // Prepare
    const m = memoryContext();

    // Act
    const queued = await queueAlarmGraph(m.ctx, { alarm: alarm({ state }), channel: 'C0PROD', threadTs: '1700000000.000100' });

    // Assess
    expect(queued).toBe(false);
    expect(m.jobs).toEqual([]);
  });

  it('logs a queue that failed and does not throw: the alarm job must not post its message again', async () => {
    // Prepare
    const m = memoryContext();
    m.ctx.jobs = { enqueue: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')), deliversNewRequests: false };

    // Act
    const queued = await queueAlarmGraph(m.ctx, { alarm: alarm(), channel: 'C0PROD', threadTs: '1700000000.000100' });

    // Assess
    expect(queued).toBe(false);
    expect(m.logger.lines).toEqual([expect.objectContaining({ level: 'warn', event: 'alarm.graph_failed', step: 'queue' })]);
  });
});

describe('runAlarmGraph', () => {
  it("renders the widget in the alarm's region and shares the PNG in the thread, saying what it marks", async () => {
    // Prepare
    const m = graphContext();

    // Act
    const outcome = await runAlarmGraph(m.ctx, job({ deployAt: deploy.finishedAt, deploySha: deploy.sha }));

    // Assess
    expect(outcome).toBe('posted');
    expect(m.rendered).toEqual([{ widget: expect.stringContaining('"label":"deploy abcdef0"'), region: 'eu-west-1' }]);
    expect(m.shared).toEqual([
      { channel: 'C0PROD', threadTs: '1700000000.000100', graph: { alarm: alarm(), png: PNG, threshold: true, deploySha: deploy.sha } },
    ]);
  });

  it('does not say it marks a deploy the graph left out (one finished before its window)', async () => {
    // Prepare
    const m = graphContext();

    // Act
    await runAlarmGraph(m.ctx, job({ deployAt: '2026-11-27T10:00:00.000Z', deploySha: deploy.sha }));

    // Assess
    expect(m.shared[0]!.graph).toEqual({ alarm: alarm(), png: PNG, threshold: true });
  });

  it('skips a composite alarm with one info line, asking CloudWatch nothing', async () => {
    // Prepare
    const m = graphContext();

    // Act
    const outcome = await runAlarmGraph(m.ctx, job({ alarm: alarm({ metric: undefined, composite: true, rule: 'ALARM(a)' }) }));

    // Assess
    expect(outcome).toBe('skipped');
    expect(m.rendered).toEqual([]);
    expect(m.logger.lines).toEqual([expect.objectContaining({ level: 'info', event: 'alarm.graph_skipped', why: 'composite' })]);
  });

  it('ends on a refusal of CloudWatch with one warning naming the fix when it is a permission', async () => {
    // Prepare
    const m = graphContext(async () => Promise.reject(new MetricGraphError('refused', 'AccessDenied: not authorized', 403)));

    // Act
    const outcome = await runAlarmGraph(m.ctx, job());

    // Assess
    expect(outcome).toBe('failed');
    expect(m.shared).toEqual([]);
    expect(m.logger.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'alarm.graph_failed',
        step: 'render',
        status: 403,
        fix: expect.stringContaining('GetMetricWidgetImage'),
      }),
    ]);
  });

  it('ends on a refusal of Slack with one warning', async () => {
    // Prepare
    const m = graphContext(undefined, async () => Promise.reject(new FileRefusedError('not_in_channel', 'files.completeUploadExternal')));

    // Act
    const outcome = await runAlarmGraph(m.ctx, job());

    // Assess
    expect(outcome).toBe('failed');
    expect(m.logger.lines).toEqual([
      expect.objectContaining({ level: 'warn', event: 'alarm.graph_failed', step: 'files.completeUploadExternal', said: 'not_in_channel' }),
    ]);
  });

  it.each([
    ['CloudWatch is unavailable', graphContext.bind(null, async () => Promise.reject(new MetricGraphError('unavailable', 'Throttling', 400)))],
    ['Slack fails in a way that may pass', graphContext.bind(null, undefined, async () => Promise.reject(new Error('An HTTP protocol error occurred: 503')))],
  ])('throws when %s, so that the job is delivered again', async (_what, make) => {
    // Prepare
    const m = make();

    // Act
    const run = runAlarmGraph(m.ctx, job());

    // Assess
    await expect(run).rejects.toThrow();
    expect(m.logger.lines.filter((l) => l.event === 'alarm.graph_failed')).toEqual([]);
  });
});
