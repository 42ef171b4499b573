import { alarmConsoleUrl, alarmTarget, isLikelyCause, type AlarmNotice } from '../../src/domain/alarm.js';
import type { Catalog } from '../../src/domain/catalog.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { parseAlarmMessage } from '../../src/alarms/envelope.js';
import { parseJob } from '../../src/jobs/parse.js';
import { deploymentRecord } from '../support/requests.js';

const catalog: Catalog = {
  services: [
    { name: 'foxy-backend', aliases: [], repo: 'o/r', workflow: 'deploy.yml', defaultRef: 'main', targets: { production: { functionName: 'fb-prod-fn' } } },
    { name: 'foxy', aliases: [], repo: 'o/f', workflow: 'deploy.yml', defaultRef: 'main', targets: {} },
  ],
  environments: [
    { name: 'staging', aliases: [], channels: ['C0STG'], approvals: 0, approvers: [], requesters: 'any', requestTtlMs: 1, staleAfterMs: 1, runTimeoutMs: 1 },
    {
      name: 'production',
      aliases: [],
      channels: ['C0PROD'],
      approvals: 1,
      approvers: ['U0A'],
      requesters: 'any',
      requestTtlMs: 1,
      staleAfterMs: 1,
      runTimeoutMs: 1,
    },
  ],
};
const alarm = (over: Partial<AlarmNotice> = {}): AlarmNotice => ({ name: 'x', state: 'ALARM', reason: 'r', at: '2026-11-28T10:00:00.000Z', ...over });
const deploy = (finishedAt: string): DeploymentRecord =>
  deploymentRecord({ sha: 'a'.repeat(40), requestId: 'd-1', requester: 'U0D', approvers: [], finishedAt });

describe('alarmTarget', () => {
  test('the FunctionName dimension names a configured target', () => {
    expect(alarmTarget(catalog, alarm({ metric: { dimensions: { FunctionName: 'fb-prod-fn' } } }))).toEqual({
      service: 'foxy-backend',
      environment: 'production',
    });
  });
  test('otherwise the <service>-<environment>- name prefix, the longest service name first', () => {
    expect(alarmTarget(catalog, alarm({ name: 'foxy-backend-staging-errors' }))).toEqual({ service: 'foxy-backend', environment: 'staging' });
    expect(alarmTarget(catalog, alarm({ name: 'foxy-production-throttles' }))).toEqual({ service: 'foxy', environment: 'production' });
  });
  test('an alarm of something foxops does not deploy has no target', () => {
    expect(alarmTarget(catalog, alarm({ name: 'billing-db-cpu', metric: { dimensions: { DBInstanceIdentifier: 'billing' } } }))).toBeUndefined();
  });
});

describe('isLikelyCause', () => {
  test('a deploy that finished within the hour before the alarm', () => {
    expect(isLikelyCause(deploy('2026-11-28T09:30:00.000Z'), alarm())).toBe(true);
    expect(isLikelyCause(deploy('2026-11-28T08:30:00.000Z'), alarm())).toBe(false);
  });
  test('not a deploy that finished after the alarm, not for OK, not without a deploy', () => {
    expect(isLikelyCause(deploy('2026-11-28T10:05:00.000Z'), alarm())).toBe(false);
    expect(isLikelyCause(deploy('2026-11-28T09:59:00.000Z'), alarm({ state: 'OK' }))).toBe(false);
    expect(isLikelyCause(undefined, alarm())).toBe(false);
  });
});

describe('parseAlarmMessage', () => {
  const message = {
    AlarmName: 'foxy-backend-production-errors',
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    NewStateReason: 'Threshold Crossed',
    StateChangeTime: '2026-11-28T10:01:00.123+0000',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:foxy-backend-production-errors',
    AWSAccountId: '111111111111',
    Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: [{ name: 'FunctionName', value: 'fb-prod-fn' }] },
  };
  test('reads the state, the time (CloudWatch writes +0000), the region from the ARN and the dimensions', () => {
    const notice = parseAlarmMessage(JSON.stringify(message));
    expect(notice).toEqual({
      name: 'foxy-backend-production-errors',
      state: 'ALARM',
      previousState: 'OK',
      reason: 'Threshold Crossed',
      at: '2026-11-28T10:01:00.123Z',
      region: 'eu-west-1',
      accountId: '111111111111',
      metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: 'fb-prod-fn' } },
      source: 'sns',
    });
    expect(alarmConsoleUrl(notice as AlarmNotice)).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/foxy-backend-production-errors',
    );
  });
  test('drops a dimension named like an Object member, so the alarm job survives its round trip', () => {
    // Prepare
    const odd = {
      ...message,
      Trigger: {
        ...message.Trigger,
        Dimensions: [
          { name: '__proto__', value: '' },
          { name: 'FunctionName', value: 'fb-prod-fn' },
        ],
      },
    };

    // Act
    const notice = parseAlarmMessage(JSON.stringify(odd));

    // Assess
    expect('problem' in notice || Object.keys(notice.metric!.dimensions)).toEqual(['FunctionName']);
    expect(parseJob({ type: 'alarm', alarm: notice })).toEqual({ type: 'alarm', alarm: notice });
  });
  test('says why for what is not an alarm notification', () => {
    expect(parseAlarmMessage('hello')).toEqual({ problem: expect.stringContaining('not JSON') });
    expect(parseAlarmMessage(JSON.stringify({ ...message, NewStateValue: 'PANIC' }))).toEqual({ problem: expect.stringContaining('NewStateValue') });
    expect(parseAlarmMessage(undefined)).toEqual({ problem: expect.any(String) });
  });
});
