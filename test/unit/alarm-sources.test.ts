/**
 * CloudWatch alarm state changes from both sources (src/alarms/envelope.ts): SNS notifications and EventBridge
 * `CloudWatch Alarm State Change` events of metric, metric-math and composite alarms, in the shapes of the AWS
 * documentation (test/fixtures/aws), become the same AlarmNotice with the same alarm job key; anything else is
 * refused with a reason, never thrown on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { changeTime, parseAlarmEvent, parseAlarmMessage, readSnsRecord } from '../../src/alarms/envelope.js';
import { type AlarmNotice, MAX_ALARM_NOTICE_CHARS } from '../../src/domain/alarm.js';
import { jobKey } from '../../src/jobs/keys.js';
import { parseJob } from '../../src/jobs/parse.js';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws', name), 'utf8'));
/** The notice of an SNS fixture's first record. */
const fromSns = (name: string) => {
  const read = readSnsRecord(fixture(name).Records[0]);
  if (!('message' in read)) throw new Error(read.problem);
  return parseAlarmMessage(read.message);
};
const fromEventBridge = (name: string) => parseAlarmEvent(fixture(name));
const notice = (parsed: AlarmNotice | { problem: string }): AlarmNotice => {
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};
/** The notice without what only tells the sources apart. */
const identityFree = ({ source: _source, comparison: _comparison, ...rest }: AlarmNotice) => rest;

const ERRORS_DIMENSIONS = { FunctionName: 'foxy-backend-production', Resource: 'foxy-backend-production:live' };

describe('a metric alarm', () => {
  test('from SNS: the metric with its statistic and period, the threshold and the comparison', () => {
    // Act
    const parsed = notice(fromSns('cloudwatch-alarm.sns.json'));

    // Assess
    expect(parsed).toEqual({
      name: 'foxy-backend-production-errors',
      description: 'foxy-backend production is throwing errors on the live alias.',
      state: 'ALARM',
      previousState: 'OK',
      reason: expect.stringMatching(/^Threshold Crossed: 1 out of the last 1 datapoints \[5\.0/),
      at: '2026-11-28T10:01:00.123Z',
      region: 'eu-west-1',
      accountId: '111111111111',
      metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: ERRORS_DIMENSIONS, stat: 'Sum', period: 60 },
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      source: 'sns',
    });
  });

  test('from EventBridge: the same notice, the threshold read from the reason data; no comparison (the event has none)', () => {
    // Act
    const sns = notice(fromSns('cloudwatch-alarm.sns.json'));
    const event = notice(fromEventBridge('cloudwatch-alarm.eventbridge.json'));

    // Assess
    expect(event.source).toBe('eventbridge');
    expect(event.comparison).toBeUndefined();
    expect(identityFree(event)).toEqual(identityFree(sns));
  });
});

describe('a metric-math alarm', () => {
  const queries = [
    { id: 'e1', expression: '100 * errors / MAX([errors, invocations])', label: 'Error rate (%)', returnData: true },
    { id: 'errors', metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: ERRORS_DIMENSIONS }, period: 60, stat: 'Sum', returnData: false },
    { id: 'invocations', metric: { namespace: 'AWS/Lambda', name: 'Invocations', dimensions: ERRORS_DIMENSIONS }, period: 60, stat: 'Sum', returnData: false },
  ];

  test('from SNS: every query of Trigger.Metrics, in order, and no single metric', () => {
    // Act
    const parsed = notice(fromSns('cloudwatch-alarm-math.sns.json'));

    // Assess
    expect(parsed).toMatchObject({ name: 'checkout-error-rate', at: '2026-11-28T10:15:02.456Z', threshold: 5, comparison: 'GreaterThanThreshold' });
    expect(parsed.metrics).toEqual(queries);
    expect(parsed.metric).toBeUndefined();
  });

  test('from EventBridge: the same notice', () => {
    // Act
    const sns = notice(fromSns('cloudwatch-alarm-math.sns.json'));
    const event = notice(fromEventBridge('cloudwatch-alarm-math.eventbridge.json'));

    // Assess
    expect(event.metrics).toEqual(queries);
    expect(identityFree(event)).toEqual(identityFree(sns));
  });

  test('an anomaly band alarm (the AWS documentation’s sample event) keeps both queries and has no threshold', () => {
    // Prepare: detail of the documented "State change for an anomaly detection alarm" sample
    const event = {
      version: '0',
      id: 'daafc9f1-bddd-c6c9-83af-74971fcfc4ef',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2019-10-03T16:00:04Z',
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:EC2 CPU Utilization Anomaly'],
      detail: {
        alarmName: 'EC2 CPU Utilization Anomaly',
        state: {
          value: 'ALARM',
          reason: 'Thresholds Crossed: 1 out of the last 1 datapoints [0.0 (03/10/19 15:58:00)] was less than the lower thresholds [0.020599444741798756]',
          reasonData: '{"version":"1.0","queryDate":"2019-10-03T16:00:04.650+0000","period":60,"recentDatapoints":[0.0],"recentLowerThresholds":[0.0205]}',
          timestamp: '2019-10-03T16:00:04.653+0000',
        },
        previousState: { value: 'OK', reason: 'Thresholds Crossed', timestamp: '2019-10-03T15:59:04.672+0000' },
        configuration: {
          description: 'Goes into alarm if CPU Utilization is out of band',
          metrics: [
            {
              id: 'm1',
              metricStat: {
                metric: { namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { InstanceId: 'i-12345678901234567' } },
                period: 60,
                stat: 'Average',
              },
              returnData: true,
            },
            { id: 'ad1', expression: 'ANOMALY_DETECTION_BAND(m1, 0.8)', label: 'CPUUtilization (expected)', returnData: true },
          ],
        },
      },
    };

    // Act
    const parsed = notice(parseAlarmEvent(event));

    // Assess
    expect(parsed.metrics?.map((q) => q.id)).toEqual(['m1', 'ad1']);
    expect(parsed.threshold).toBeUndefined();
    expect(parsed).toMatchObject({ region: 'us-east-1', at: '2019-10-03T16:00:04.653Z', previousState: 'OK' });
  });
});

describe('a composite alarm', () => {
  const rule = 'ALARM("foxy-backend-production-errors") OR ALARM("foxy-backend-production-throttles")';

  test('from SNS: composite, its rule, no metric and no threshold', () => {
    // Act
    const parsed = notice(fromSns('cloudwatch-alarm-composite.sns.json'));

    // Assess
    expect(parsed).toEqual({
      name: 'checkout-unhealthy',
      state: 'ALARM',
      previousState: 'OK',
      reason: expect.stringContaining('foxy-backend-production-errors transitioned to ALARM'),
      at: '2026-11-28T10:01:00.789Z',
      region: 'eu-west-1',
      accountId: '111111111111',
      composite: true,
      rule,
      source: 'sns',
    });
  });

  test('from EventBridge: the same notice', () => {
    // Act
    const sns = notice(fromSns('cloudwatch-alarm-composite.sns.json'));
    const event = notice(fromEventBridge('cloudwatch-alarm-composite.eventbridge.json'));

    // Assess
    expect(identityFree(event)).toEqual(identityFree(sns));
  });
});

describe('one change, two sources', () => {
  test.each([
    ['a metric alarm', 'cloudwatch-alarm'],
    ['a metric-math alarm', 'cloudwatch-alarm-math'],
    ['a composite alarm', 'cloudwatch-alarm-composite'],
  ])('%s gets the same alarm job key from SNS and from EventBridge, and both jobs read back as themselves', (_kind, base) => {
    // Prepare
    const sns = { type: 'alarm' as const, alarm: notice(fromSns(`${base}.sns.json`)) };
    const event = { type: 'alarm' as const, alarm: notice(fromEventBridge(`${base}.eventbridge.json`)) };

    // Act
    const keys = [jobKey(sns), jobKey(event)];

    // Assess
    expect(keys[0]).toBe(keys[1]);
    expect(keys[0]).toMatch(/^alarm:[^:]+:ALARM:2026-11-28T10:\d\d:\d\d\.\d{3}Z$/);
    expect(parseJob(sns)).toEqual(sns);
    expect(parseJob(event)).toEqual(event);
  });

  test('a job queued before EventBridge was a source (no `source`, no graph fields) still reads', () => {
    // Prepare
    const old = { type: 'alarm', alarm: { name: 'x', state: 'OK', reason: 'r', at: '2026-11-28T10:00:00.000Z', metric: { dimensions: {} } } };

    // Act, Assess
    expect(parseJob(old)).toEqual(old);
  });
});

describe('changeTime', () => {
  test.each([
    ['2025-01-01T12:00:00.000+0000', '2025-01-01T12:00:00.000Z'],
    ['2025-01-01T14:00:00.000+0200', '2025-01-01T12:00:00.000Z'],
    ['2025-01-01T12:00:00+00:00', '2025-01-01T12:00:00.000Z'],
    ['2025-01-01T12:00:00.5Z', '2025-01-01T12:00:00.500Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(changeTime(text)).toBe(iso);
  });

  test.each([[''], ['yesterday'], ['2025-01-01'], ['Wed, 01 Jan 2025 12:00:00 GMT'], ['1735732800000'], ['2025-13-01T12:00:00.000+0000']])(
    'is undefined for %j, never the time of receipt',
    (text) => {
      expect(changeTime(text)).toBeUndefined();
    },
  );
});

describe('what is not an alarm state change', () => {
  const event = fixture('cloudwatch-alarm.eventbridge.json');
  /** The EventBridge fixture with `change` applied to a copy. */
  const eventWith = (change: (e: Record<string, any>) => void) => {
    const copy = structuredClone(event);
    change(copy);
    return copy;
  };

  test.each([
    ['null', null],
    ['a list', [event]],
    ['a string', JSON.stringify(event)],
    ['another detail type', eventWith((e) => (e['detail-type'] = 'CloudWatch Alarm Configuration Change'))],
    ['another source', eventWith((e) => (e.source = 'aws.events'))],
    ['no detail', eventWith((e) => delete e.detail)],
    ['no alarm name', eventWith((e) => delete e.detail.alarmName)],
    ['an unknown state', eventWith((e) => (e.detail.state.value = 'PANIC'))],
    ['no state time', eventWith((e) => delete e.detail.state.timestamp)],
    ['a state time that is no time', eventWith((e) => (e.detail.state.timestamp = 'soon'))],
    ['metrics that are no list', eventWith((e) => (e.detail.configuration.metrics = { id: 'm1' }))],
    ['a metric without a name', eventWith((e) => delete e.detail.configuration.metrics[0].metricStat.metric.name)],
    ['a period that is no whole number', eventWith((e) => (e.detail.configuration.metrics[0].metricStat.period = 'PT1M'))],
    [
      '31 dimensions',
      eventWith(
        (e) => (e.detail.configuration.metrics[0].metricStat.metric.dimensions = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`d${i}`, 'v']))),
      ),
    ],
  ])('EventBridge: %s is refused with a reason', (_what, value) => {
    // Act
    const parsed = parseAlarmEvent(value);

    // Assess
    expect(parsed).toEqual({ problem: expect.stringMatching(/^not a CloudWatch alarm state change: /) });
  });

  const message = JSON.parse(fixture('cloudwatch-alarm-math.sns.json').Records[0].Sns.Message);
  /** The SNS metric-math message with `change` applied to a copy, as SNS would carry it. */
  const messageWith = (change: (m: Record<string, any>) => void) => {
    const copy = structuredClone(message);
    change(copy);
    return JSON.stringify(copy);
  };

  test.each([
    ['a state change time that is no time', messageWith((m) => (m.StateChangeTime = 'Saturday 28 November, 2026 10:15:02 UTC'))],
    ['metrics that are no list', messageWith((m) => (m.Trigger.Metrics = 'e1'))],
    ['a query without an id', messageWith((m) => delete m.Trigger.Metrics[0].Id)],
    ['a metric without a namespace', messageWith((m) => delete m.Trigger.Metrics[1].MetricStat.Metric.Namespace)],
    ['a threshold that is text', messageWith((m) => (m.Trigger.Threshold = '5.0'))],
    ['21 queries', messageWith((m) => (m.Trigger.Metrics = Array.from({ length: 21 }, (_, i) => ({ Id: `e${i}`, Expression: 'm1', ReturnData: i === 0 }))))],
    ['a composite rule over 10240 characters', messageWith((m) => (m.AlarmRule = `ALARM(${'x'.repeat(10_240)})`))],
  ])('SNS: %s is refused with a reason', (_what, text) => {
    // Act
    const parsed = parseAlarmMessage(text);

    // Assess
    expect(parsed).toEqual({ problem: expect.stringMatching(/^not a CloudWatch alarm notification: /) });
  });

  test('an alarm whose fields are each within bounds but too much together is refused, not queued as a job DynamoDB would refuse', () => {
    // Prepare: 20 queries of 30 long dimensions each, every field within its own bound
    const dimensions = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`dimension${i}`, 'v'.repeat(1000)]));
    const big = eventWith((e) => {
      e.detail.configuration.metrics = Array.from({ length: 20 }, (_, i) => ({
        id: `m${i}`,
        metricStat: { metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions }, period: 60, stat: 'Sum' },
        returnData: i === 0,
      }));
    });

    // Act
    const parsed = parseAlarmEvent(big);

    // Assess
    expect(parsed).toEqual({ problem: expect.stringContaining(`more than the ${MAX_ALARM_NOTICE_CHARS}`) });
  });

  test('a dimension named like an Object member is dropped from EventBridge dimensions too', () => {
    // Prepare: JSON.parse makes `__proto__` an own key, as the Lambda runtime does with the event
    const odd = JSON.parse(JSON.stringify(event).replace('"dimensions":{"FunctionName"', '"dimensions":{"__proto__":"x","constructor":"y","FunctionName"'));
    expect(Object.keys(odd.detail.configuration.metrics[0].metricStat.metric.dimensions)).toContain('__proto__');

    // Act
    const parsed = notice(parseAlarmEvent(odd));

    // Assess
    expect(Object.keys(parsed.metric!.dimensions)).toEqual(['FunctionName', 'Resource']);
    expect(parseJob({ type: 'alarm', alarm: parsed })).toEqual({ type: 'alarm', alarm: parsed });
  });
});
