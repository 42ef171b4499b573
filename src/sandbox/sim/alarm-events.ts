/**
 * A CloudWatch alarm's state change as AWS delivers it to foxops' Lambda: through SNS (the Lambda SNS event, with
 * CloudWatch's alarm notification JSON as the record's message) or through EventBridge (`CloudWatch Alarm State
 * Change`). Shaped like test/fixtures/aws/cloudwatch-alarm.sns.json and .eventbridge.json, which follow the AWS
 * documentation; both deliveries of one change carry the same name, state and `+0000` change time, so foxops takes
 * them for one change (src/alarms/envelope.ts).
 */
import { createHash } from 'node:crypto';

/** One metric alarm's state change. */
export interface SimAlarm {
  name: string;
  description?: string;
  state: 'ALARM' | 'OK';
  previousState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  /** CloudWatch's words, e.g. `Threshold Crossed: 1 out of the last 1 datapoints [5.0 (…)] was greater than …`. */
  reason: string;
  namespace: string;
  metricName: string;
  dimensions: Array<{ name: string; value: string }>;
  threshold: number;
  region: string;
  accountId: string;
  /** When the state changed. */
  at: Date;
}

/** What the alarm's definition says beyond {@link SimAlarm}; defaults are those of infra/service/template.yml's errors alarm. */
export interface AlarmEventOptions {
  /** Default `GreaterThanOrEqualToThreshold`. */
  comparison?: string;
  /** Seconds; default 60. */
  period?: number;
  /** As GetMetricData names it (`Sum`, `Average`, `p99`); default `Sum`. */
  stat?: string;
  /** The latest datapoint, for `reasonData`; default twice the threshold in ALARM, 0 when OK. */
  value?: number;
  /** The SNS topic; default `arn:aws:sns:<region>:<account>:foxops-alarms`. */
  topicArn?: string;
}

/** CloudWatch writes times as `2026-11-28T10:01:00.123+0000`. */
const awsTime = (date: Date): string => date.toISOString().replace('Z', '+0000');
/** EventBridge's envelope time has seconds only. */
const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A stable UUID-shaped id from the change, so a delivery made twice is the same delivery. */
function uuidOf(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
};

/** SNS writes `Statistic` in capitals with underscores: `SUM`, `SAMPLE_COUNT`; a percentile goes to `ExtendedStatistic`. */
function snsStatistic(stat: string): { StatisticType: string; Statistic?: string; ExtendedStatistic?: string } {
  if (/^p\d/i.test(stat)) return { StatisticType: 'ExtendedStatistic', ExtendedStatistic: stat };
  return { StatisticType: 'Statistic', Statistic: stat.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() };
}

const alarmArn = (alarm: SimAlarm) => `arn:aws:cloudwatch:${alarm.region}:${alarm.accountId}:alarm:${alarm.name}`;

/** CloudWatch's alarm notification, the JSON in `Sns.Message` (keys in CloudWatch's order). */
export function alarmNotificationMessage(alarm: SimAlarm, options: AlarmEventOptions = {}): Record<string, unknown> {
  const topic = options.topicArn ?? `arn:aws:sns:${alarm.region}:${alarm.accountId}:foxops-alarms`;
  return {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: alarm.accountId,
    AlarmConfigurationUpdatedTimestamp: awsTime(new Date(alarm.at.getTime() - 86_400_000)),
    NewStateValue: alarm.state,
    NewStateReason: alarm.reason,
    StateChangeTime: awsTime(alarm.at),
    Region: REGION_NAMES[alarm.region] ?? alarm.region,
    AlarmArn: alarmArn(alarm),
    OldStateValue: alarm.previousState,
    OKActions: [topic],
    AlarmActions: [topic],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      ...snsStatistic(options.stat ?? 'Sum'),
      Unit: null,
      Dimensions: alarm.dimensions.map((d) => ({ value: d.value, name: d.name })),
      Period: options.period ?? 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: options.comparison ?? 'GreaterThanOrEqualToThreshold',
      Threshold: alarm.threshold,
      TreatMissingData: 'notBreaching',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

/** The Lambda SNS event that carries `alarm`'s notification: one record, `EventSource: 'aws:sns'`. */
export function snsAlarmEvent(alarm: SimAlarm, options: AlarmEventOptions = {}): { Records: Array<Record<string, unknown>> } {
  const topic = options.topicArn ?? `arn:aws:sns:${alarm.region}:${alarm.accountId}:foxops-alarms`;
  const region = REGION_NAMES[alarm.region] ?? alarm.region;
  const messageId = uuidOf('sns', alarm.name, alarm.state, alarm.at.toISOString());
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topic}:${uuidOf('subscription', topic)}`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topic,
          Subject: `${alarm.state}: "${alarm.name}" in ${region}`.slice(0, 100),
          Message: JSON.stringify(alarmNotificationMessage(alarm, options)),
          // SNS publishes a moment after the change.
          Timestamp: new Date(alarm.at.getTime() + 48).toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: `https://sns.${alarm.region}.amazonaws.com/SimpleNotificationService-EXAMPLE.pem`,
          UnsubscribeUrl: `https://sns.${alarm.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=EXAMPLE`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The `CloudWatch Alarm State Change` event of `alarm` on the default bus. */
export function eventBridgeAlarmEvent(alarm: SimAlarm, options: AlarmEventOptions = {}): Record<string, unknown> {
  const period = options.period ?? 60;
  const stat = options.stat ?? 'Sum';
  const value = options.value ?? (alarm.state === 'ALARM' ? alarm.threshold * 2 || 1 : 0);
  const before = new Date(alarm.at.getTime() - 20 * 60_000);
  const reasonData = (at: Date, datapoint: number) =>
    JSON.stringify({
      version: '1.0',
      queryDate: awsTime(new Date(at.getTime() - 5)),
      startDate: awsTime(new Date(Math.floor(at.getTime() / 60_000) * 60_000 - period * 1000)),
      statistic: stat,
      period,
      recentDatapoints: [datapoint],
      threshold: alarm.threshold,
    });
  return {
    version: '0',
    id: uuidOf('eventbridge', alarm.name, alarm.state, alarm.at.toISOString()),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: alarm.accountId,
    time: eventTime(alarm.at),
    region: alarm.region,
    resources: [alarmArn(alarm)],
    detail: {
      alarmName: alarm.name,
      configuration: {
        ...(alarm.description !== undefined ? { description: alarm.description } : {}),
        metrics: [
          {
            id: uuidOf('metric', alarm.name),
            metricStat: {
              metric: {
                dimensions: Object.fromEntries(alarm.dimensions.map((d) => [d.name, d.value])),
                name: alarm.metricName,
                namespace: alarm.namespace,
              },
              period,
              stat,
            },
            returnData: true,
          },
        ],
      },
      previousState: {
        reason: `Previous state: ${alarm.previousState}`,
        reasonData: reasonData(before, alarm.state === 'ALARM' ? 0 : value),
        timestamp: awsTime(before),
        value: alarm.previousState,
      },
      state: {
        reason: alarm.reason,
        reasonData: reasonData(alarm.at, value),
        timestamp: awsTime(alarm.at),
        value: alarm.state,
      },
    },
  };
}
