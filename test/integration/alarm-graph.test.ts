/**
 * The graph under an ALARM post, through the real handler: SNS delivers the alarm, the alarm job posts its message
 * and queues the `alarm_graph` job, which the table's stream delivers back; the real CloudWatchClient asks the fake
 * CloudWatch for the widget's PNG and the real WebClient uploads it into the message's thread. When CloudWatch
 * refuses, the message stands and one warning says why; when Slack fails in a way that may pass, the job is
 * delivered again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GRAPH_PNG } from '../fakes/cloudwatch.js';
import type { SlackMessage } from '../fakes/slack.js';
import { REPO, startHarness, type Harness } from '../support/harness.js';

const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
/** The fixture's alarm: foxy-backend-production-errors, ALARM at 10:01:00.123 UTC, Errors (Sum, 60 s) ≥ 1 in eu-west-1. */
const ALARM_AT = '2026-11-28T10:01:00.123Z';

let h: Harness;
beforeEach(async () => {
  // info: the test takes the job's own lines (posted, failed) from the handler's log.
  h = await startHarness({ logLevel: 'info' });
});
afterEach(async () => {
  await h.close();
});

/** A deploy of a new commit that finished 12 minutes before the alarm: the likely cause. */
async function deployBeforeAlarm(): Promise<string> {
  const [sha] = h.github.pushCommits(REPO, 'main', ['Risky change']);
  await h.store.ledger.record({
    service: 'foxy-backend',
    environment: 'production',
    sha: sha!,
    ref: 'main',
    requestId: 'd-abcdefghjk',
    kind: 'deploy',
    requester: 'U0DAVE',
    approvers: ['U0ALICE', 'U0BOB'],
    outcome: 'succeeded',
    finishedAt: '2026-11-28T09:49:00.123Z',
  });
  return sha!;
}

/** SNS delivers the fixture's alarm and every job it queues runs; resolves with the alarm's message as Slack has it. */
async function alarmDelivered(): Promise<SlackMessage> {
  await h.handler(structuredClone(fixture));
  await h.idle();
  const messages = [...h.slack.messages.values()].filter((m) => m.channel === 'C0PROD' && !m.thread_ts && m.text?.includes('is in alarm'));
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

test("an ALARM's graph is uploaded as a PNG in its message's thread, with the threshold and the likely-cause deploy drawn in", async () => {
  // Prepare
  const sha = await deployBeforeAlarm();

  // Act
  const message = await alarmDelivered();

  // Assess: CloudWatch drew the 3 hours before the alarm, in the alarm's region, as a PNG
  const renders = h.cloudwatch.calls.filter((c) => c.operation === 'GetMetricWidgetImage');
  expect(renders.map((c) => c.input.OutputFormat)).toEqual(['png']);
  expect(h.cloudwatch.widgets).toEqual([
    expect.objectContaining({
      metrics: [['AWS/Lambda', 'Errors', 'FunctionName', 'foxy-backend-production', 'Resource', 'foxy-backend-production:live']],
      region: 'eu-west-1',
      start: '2026-11-28T07:02:00Z',
      end: '2026-11-28T10:02:00Z',
      period: 60,
      stat: 'Sum',
      annotations: {
        horizontal: [expect.objectContaining({ value: 1, label: '≥ 1', fill: 'above' })],
        vertical: [expect.objectContaining({ value: '2026-11-28T09:49:00Z', label: `deploy ${sha.slice(0, 7)}` })],
      },
    }),
  ]);
  // Slack got exactly CloudWatch's bytes, as the one reply file in the alarm message's thread
  expect(h.slack.uploads).toHaveLength(1);
  const [file] = h.slack.filesInThread('C0PROD', message.ts);
  expect(file!.content).toEqual(GRAPH_PNG);
  expect(file!.length).toBe(GRAPH_PNG.length);
  expect(file!.filename).toBe('foxy-backend-production-errors-20261128-1001.png');
  expect(file!.altText).toContain(`deploy ${sha.slice(0, 7)} as a vertical line`);
  expect(h.logs.take('alarm.graph_posted')).toEqual([expect.objectContaining({ level: 'info', alarm: 'foxy-backend-production-errors', at: ALARM_AT })]);
  expect(h.stream.failed).toEqual([]);
});

test('a graph CloudWatch refuses leaves the message as it stands, with one warning that says why, and is not tried again', async () => {
  // Prepare
  await deployBeforeAlarm();
  h.cloudwatch.failNext({ status: 400, code: 'ValidationError', message: 'The parameter MetricWidget.metrics is invalid' });

  // Act
  const message = await alarmDelivered();

  // Assess: one render asked for, nothing uploaded, the message there with its words
  expect(h.cloudwatch.calls.map((c) => c.operation)).toEqual(['GetMetricWidgetImage']);
  expect(h.slack.uploads).toEqual([]);
  expect(message.text).toContain('foxy-backend-production-errors');
  expect(h.logs.take('alarm.graph_failed')).toEqual([
    expect.objectContaining({
      level: 'warn',
      alarm: 'foxy-backend-production-errors',
      step: 'render',
      status: 400,
      said: expect.stringContaining('MetricWidget.metrics is invalid'),
    }),
  ]);
  expect(h.logs.take('job.failed')).toEqual([]);
  expect(h.stream.failed).toEqual([]);
});

test('an upload Slack fails in a way that may pass is delivered again, and the graph lands once', async () => {
  // Prepare
  h.slack.failNext('files.completeUploadExternal', { error: 'internal_error' });

  // Act
  const message = await alarmDelivered();

  // Assess: the first delivery failed and was reported; the second rendered and uploaded again, and completed
  expect(h.logs.take('job.failed')).toEqual([expect.objectContaining({ level: 'warn', type: 'alarm_graph' })]);
  expect(h.cloudwatch.widgets).toHaveLength(2);
  expect(h.slack.filesInThread('C0PROD', message.ts)).toEqual([expect.objectContaining({ content: GRAPH_PNG, completed: true })]);
  expect(h.logs.take('alarm.graph_posted')).toHaveLength(1);
  expect(h.stream.failed).toEqual([]);
});
