/**
 * CloudWatch alarm state changes through the real Lambda handler from both sources: EventBridge's `CloudWatch Alarm
 * State Change` events become alarm jobs like SNS notifications do; the same change from SNS and from EventBridge is
 * one job and one post, in either order; an alarm that belongs to no service goes to `alarms.default_channel`, or is
 * dropped with a debug line. Payloads: test/fixtures/aws, in the shapes of the AWS documentation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAlarmEvent } from '../../src/alarms/envelope.js';
import { createHandler } from '../../src/lambda/index.js';
import { blocksText, configWithTargets, type Harness, startHarness, TEST_CONFIG } from '../support/harness.js';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws', name), 'utf8'));

/** Alarm jobs written to the outbox (each INSERT of a `JOB#alarm:` item), by key. */
const alarmJobs = (h: Harness) =>
  h.stream.records.filter((r) => r.eventName === 'INSERT' && String(r.dynamodb.Keys.PK?.S).startsWith('JOB#alarm:')).map((r) => r.dynamodb.Keys.PK?.S);
const posts = (h: Harness) => h.slack.callsTo('chat.postMessage');

describe('with the default catalog', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test('an EventBridge alarm state change is queued as an alarm job and posted in its environment’s channel', async () => {
    // Act
    const result = await h.handler(fixture('cloudwatch-alarm.eventbridge.json'));
    await h.idle();

    // Assess
    expect(result).toBeUndefined();
    expect(alarmJobs(h)).toEqual(['JOB#alarm:foxy-backend-production-errors:ALARM:2026-11-28T10:01:00.123Z']);
    expect(posts(h)).toHaveLength(1);
    expect(posts(h)[0]!.args.channel).toBe('C0PROD');
    const text = blocksText(posts(h)[0]!.args as never);
    expect(text).toContain('foxy-backend-production-errors');
    expect(text).toContain('is in alarm');
    expect(text).toContain('eu-west-1.console.aws.amazon.com/cloudwatch');
  });

  test.each([
    ['SNS first', ['sns', 'eventbridge']],
    ['EventBridge first', ['eventbridge', 'sns']],
  ])('the same change from SNS and from EventBridge is one alarm job and one post (%s)', async (_order, sources) => {
    // Prepare
    const events = { sns: fixture('cloudwatch-alarm.sns.json'), eventbridge: fixture('cloudwatch-alarm.eventbridge.json') };

    // Act: both deliveries, and SNS's own repeat of its delivery
    for (const source of sources) await h.handler(events[source as keyof typeof events]);
    await h.handler(events.sns);
    await h.idle();

    // Assess
    expect(alarmJobs(h)).toEqual(['JOB#alarm:foxy-backend-production-errors:ALARM:2026-11-28T10:01:00.123Z']);
    expect(posts(h).map((p) => String(p.args.text))).toEqual([expect.stringContaining('foxy-backend-production-errors is in alarm')]);
  });

  test('the OK after an ALARM is another change: queued and shown as well', async () => {
    // Prepare
    const ok = fixture('cloudwatch-alarm.eventbridge.json');
    ok.detail.previousState = { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-28T10:01:00.123+0000' };
    ok.detail.state = { value: 'OK', reason: 'Threshold Crossed: no datapoint above 1.0', timestamp: '2026-11-28T10:09:00.000+0000' };

    // Act
    await h.handler(fixture('cloudwatch-alarm.eventbridge.json'));
    await h.handler(ok);
    await h.idle();

    // Assess: two changes, two jobs; how the OK is shown (in the ALARM's episode) is the alarm job's business
    expect(alarmJobs(h)).toEqual([
      'JOB#alarm:foxy-backend-production-errors:ALARM:2026-11-28T10:01:00.123Z',
      'JOB#alarm:foxy-backend-production-errors:OK:2026-11-28T10:09:00.000Z',
    ]);
    // The message shows the state stored when it is posted: in alarm, or already resolved when the OK's job ran first.
    expect(posts(h).map((p) => String(p.args.text))).toEqual([expect.stringMatching(/is in alarm|resolved after 8m/), expect.stringMatching(/back to OK/i)]);
  });

  test('an EventBridge alarm event that is no alarm state change is one error line and no post, never a throw', async () => {
    // Prepare
    const broken = fixture('cloudwatch-alarm.eventbridge.json');
    broken.detail.state.timestamp = 'soon';

    // Act
    const result = await h.handler(broken);
    await h.idle();

    // Assess
    expect(result).toBeUndefined();
    expect(posts(h)).toHaveLength(0);
    expect(h.logs.take('alarm.unreadable')).toEqual([
      expect.objectContaining({
        level: 'error',
        via: 'eventbridge',
        eventId: '7e9a3b1c-5d2f-4b8e-9c6a-1f0e2d3c4b5a',
        account: '111111111111',
        problem: expect.stringContaining('detail.state.timestamp'),
      }),
    ]);
  });

  test('an EventBridge alarm that cannot be queued fails the invocation, so Lambda delivers it again', async () => {
    // Prepare: the table refuses the job item
    const handler = createHandler({ ...h.env, FOXOPS_TABLE: 'no-such-table' });

    // Act, Assess
    await expect(handler(fixture('cloudwatch-alarm.eventbridge.json'))).rejects.toThrow('Lambda will deliver it again');
    expect(h.logs.take('alarm.queue_failed')).toEqual([
      expect.objectContaining({ level: 'error', alarm: 'foxy-backend-production-errors', via: 'eventbridge' }),
    ]);
  });

  test('another CloudWatch event (a configuration change) is still an unknown event', async () => {
    // Prepare
    const change = fixture('cloudwatch-alarm.eventbridge.json');
    change['detail-type'] = 'CloudWatch Alarm Configuration Change';

    // Act
    await h.handler(change);

    // Assess
    expect(h.logs.take('lambda.unknown_event')).toHaveLength(1);
    expect(alarmJobs(h)).toEqual([]);
  });
});

describe('with targets and alarms settings', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  test('a metric-math alarm from EventBridge is placed by the FunctionName dimension of its queries', async () => {
    // Prepare: `checkout-error-rate` follows no naming convention
    h = await startHarness({ config: configWithTargets() });

    // Act
    await h.handler(fixture('cloudwatch-alarm-math.eventbridge.json'));
    await h.idle();

    // Assess
    expect(posts(h).map((p) => [p.args.channel, String(p.args.text)])).toEqual([['C0PROD', expect.stringContaining('checkout-error-rate is in alarm')]]);
  });

  test('a composite alarm from SNS is placed by the name in targets.<env>.alarms', async () => {
    // Prepare
    h = await startHarness({ config: configWithTargets('        alarms: [checkout-unhealthy]\n') });

    // Act
    await h.handler(fixture('cloudwatch-alarm-composite.sns.json'));
    await h.idle();

    // Assess
    expect(posts(h).map((p) => [p.args.channel, String(p.args.text)])).toEqual([['C0PROD', expect.stringContaining('checkout-unhealthy is in alarm')]]);
  });

  test('an alarm that belongs to no service is posted in alarms.default_channel', async () => {
    // Prepare
    h = await startHarness({ config: `${TEST_CONFIG}alarms:\n  default_channel: C0OPS\n` });

    // Act
    await h.handler(fixture('cloudwatch-alarm-composite.eventbridge.json'));
    await h.idle();

    // Assess
    expect(posts(h).map((p) => p.args.channel)).toEqual(['C0OPS']);
    expect(blocksText(posts(h)[0]!.args as never)).toContain('checkout-unhealthy');
    expect(h.logs.take('alarm.unknown_target')).toEqual([]);
  });

  test('without alarms.default_channel, it is dropped with one debug line', async () => {
    // Prepare: a handler that logs at debug runs the alarm job itself
    h = await startHarness();
    const debugHandler = createHandler({ ...h.env, LOG_LEVEL: 'debug' });
    const alarm = parseAlarmEvent(fixture('cloudwatch-alarm-composite.eventbridge.json'));

    // Act
    await debugHandler({ foxopsJob: { type: 'alarm', alarm } });
    await h.idle();

    // Assess
    expect(posts(h)).toHaveLength(0);
    expect(h.logs.take('alarm.unrouted')).toEqual([expect.objectContaining({ level: 'debug', alarm: 'checkout-unhealthy' })]);
    expect(h.logs.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
