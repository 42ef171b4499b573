/**
 * The sandbox's alarm deliveries (src/sandbox/sim/alarm-events.ts) against AWS's documented shapes
 * (test/fixtures/aws): the same keys, and foxops' parsers read one and the same notice from both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAlarmEvent, parseAlarmMessage, readSnsRecord } from '../../src/alarms/envelope.js';
import { eventBridgeAlarmEvent, type SimAlarm, snsAlarmEvent } from '../../src/sandbox/sim/alarm-events.js';

const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/aws', `${name}.json`), 'utf8'));
const keys = (value: unknown): string[] => Object.keys(value as object).sort();

const alarm: SimAlarm = {
  name: 'foxy-backend-production-errors',
  description: 'foxy-backend production is throwing errors on the live alias.',
  state: 'ALARM',
  previousState: 'OK',
  reason: 'Threshold Crossed: 1 out of the last 1 datapoints [5.0 (28/11/26 10:00:00)] was greater than or equal to the threshold (1.0).',
  namespace: 'AWS/Lambda',
  metricName: 'Errors',
  dimensions: [
    { name: 'FunctionName', value: 'foxy-backend-production' },
    { name: 'Resource', value: 'foxy-backend-production:live' },
  ],
  threshold: 1,
  region: 'eu-west-1',
  accountId: '111111111111',
  at: new Date('2026-11-28T10:01:00.123Z'),
};

describe('snsAlarmEvent', () => {
  const event = snsAlarmEvent(alarm) as Record<string, any>;
  const real = fixture('cloudwatch-alarm.sns');
  const message = JSON.parse(event.Records[0].Sns.Message);
  const realMessage = JSON.parse(real.Records[0].Sns.Message);

  it('has the keys of the SNS event and of CloudWatch’s notification', () => {
    expect(keys(event)).toEqual(keys(real));
    expect(keys(event.Records[0])).toEqual(keys(real.Records[0]));
    expect(keys(event.Records[0].Sns)).toEqual(keys(real.Records[0].Sns));
    expect(keys(message)).toEqual(keys(realMessage));
    expect(keys(message.Trigger)).toEqual(keys(realMessage.Trigger));
    expect(message.Trigger.Dimensions).toEqual(realMessage.Trigger.Dimensions);
  });

  it('reads, through foxops’ own parsers, as the fixture does (same identity: name, state and change time)', () => {
    const record = readSnsRecord(event.Records[0]);
    expect(record).toMatchObject({ topic: 'arn:aws:sns:eu-west-1:111111111111:foxops-alarms' });
    const notice = parseAlarmMessage((record as { message: string }).message);
    const expected = parseAlarmMessage(real.Records[0].Sns.Message);
    expect(notice).toEqual({ ...(expected as object), reason: alarm.reason });
    expect(notice).toMatchObject({ name: alarm.name, state: 'ALARM', previousState: 'OK', at: '2026-11-28T10:01:00.123Z', threshold: 1, region: 'eu-west-1' });
  });

  it('says OK for a cleared alarm', () => {
    const ok = snsAlarmEvent({ ...alarm, state: 'OK', previousState: 'ALARM' }) as Record<string, any>;
    expect(parseAlarmMessage(ok.Records[0].Sns.Message)).toMatchObject({ state: 'OK', previousState: 'ALARM' });
  });
});

describe('eventBridgeAlarmEvent', () => {
  const event = eventBridgeAlarmEvent(alarm) as Record<string, any>;
  const real = fixture('cloudwatch-alarm.eventbridge');

  it('has the keys of the CloudWatch Alarm State Change event', () => {
    expect(keys(event)).toEqual(keys(real));
    expect(keys(event.detail)).toEqual(keys(real.detail));
    expect(keys(event.detail.configuration)).toEqual(keys(real.detail.configuration));
    expect(keys(event.detail.configuration.metrics[0])).toEqual(keys(real.detail.configuration.metrics[0]));
    expect(event.detail.configuration.metrics[0].metricStat).toEqual(real.detail.configuration.metrics[0].metricStat);
    expect(keys(event.detail.state)).toEqual(keys(real.detail.state));
    expect(keys(event.detail.previousState)).toEqual(keys(real.detail.previousState));
    expect(keys(JSON.parse(event.detail.state.reasonData))).toEqual(keys(JSON.parse(real.detail.state.reasonData)));
    expect(event).toMatchObject({ 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', time: '2026-11-28T10:01:00Z' });
  });

  it('reads as the same notice as the SNS delivery of the same change', () => {
    const fromEventBridge = parseAlarmEvent(event);
    const fromSns = parseAlarmMessage((snsAlarmEvent(alarm) as Record<string, any>).Records[0].Sns.Message);
    expect(fromEventBridge).toMatchObject({ name: alarm.name, state: 'ALARM', at: '2026-11-28T10:01:00.123Z', threshold: 1, source: 'eventbridge' });
    const identity = (n: any) => ({ name: n.name, state: n.state, at: n.at, metric: n.metric, threshold: n.threshold, region: n.region });
    expect(identity(fromEventBridge)).toEqual(identity(fromSns));
    expect(identity(fromEventBridge)).toEqual(identity(parseAlarmEvent(real)));
  });
});
