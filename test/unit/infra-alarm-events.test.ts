/**
 * The EventBridge side of service alarms in infra/foxops/template.yml: the rule on the default bus sends CloudWatch's
 * alarm state changes (not foxops' own alarms) to the live alias, which only that rule may invoke for it; the bus
 * policy lets only AlarmSourceAccounts put only alarm state changes on the bus. The handler routes exactly what the
 * rule matches (test/integration/alarm-sources.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadTemplate } from '../../src/aws/cfn-yaml.js';

const template = loadTemplate(path.resolve(__dirname, '../../infra/foxops/template.yml'));
const resource = (id: string) => {
  const r = template.Resources[id];
  if (!r) throw new Error(`infra/foxops/template.yml has no ${id}`);
  return r as { Type: string; Condition?: string; Properties: Record<string, any> };
};
const event = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/aws/cloudwatch-alarm.eventbridge.json'), 'utf8'));

test('a rule on the default bus sends alarm state changes, but foxops’ own, to the live alias', () => {
  // Act
  const rule = resource('AlarmStateChangeRule');

  // Assess
  expect(rule.Type).toBe('AWS::Events::Rule');
  expect(rule.Properties.EventBusName).toBe('default');
  expect(rule.Properties.State).toBe('ENABLED');
  expect(rule.Properties.EventPattern).toEqual({
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail: { alarmName: [{ 'anything-but': { prefix: 'foxops-' } }] },
  });
  expect(rule.Properties.Targets).toEqual([{ Id: 'foxops-alarms', Arn: { Ref: 'LiveAlias' } }]);
  // The pattern's values are those of the documented event the handler parses.
  expect([event.source, event['detail-type']]).toEqual(['aws.cloudwatch', 'CloudWatch Alarm State Change']);
});

test('only that rule may invoke the alias for it', () => {
  // Act
  const permission = resource('AlarmStateChangePermission');

  // Assess
  expect(permission.Properties).toEqual({
    FunctionName: { Ref: 'LiveAlias' },
    Action: 'lambda:InvokeFunction',
    Principal: 'events.amazonaws.com',
    SourceArn: { 'Fn::GetAtt': ['AlarmStateChangeRule', 'Arn'] },
  });
});

test('the bus policy exists only with AlarmSourceAccounts, and admits them for alarm state changes only', () => {
  // Act
  const policy = resource('AlarmBusPolicy');

  // Assess
  expect(policy.Type).toBe('AWS::Events::EventBusPolicy');
  expect(policy.Condition).toBe('HasAlarmSourceAccounts');
  expect(policy.Properties.EventBusName).toBe('default');
  expect(policy.Properties.Statement).toEqual({
    Effect: 'Allow',
    Principal: { AWS: { Ref: 'AlarmSourceAccounts' } },
    Action: 'events:PutEvents',
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
    Condition: { StringEquals: { 'events:source': 'aws.cloudwatch', 'events:detail-type': 'CloudWatch Alarm State Change' } },
  });
});

test("the alarm topic admits this account's alarms always, and the other accounts named besides", () => {
  // Act
  const statement = resource('AlarmTopicPolicy').Properties.PolicyDocument.Statement[0];

  // Assess: with AlarmSourceAccounts, this account joined to them (the parameter lists only the other accounts)
  expect(statement.Condition.StringEquals['aws:SourceAccount']).toEqual({
    'Fn::If': [
      'HasAlarmSourceAccounts',
      { 'Fn::Split': [',', { 'Fn::Join': [',', [{ Ref: 'AWS::AccountId' }, { 'Fn::Join': [',', { Ref: 'AlarmSourceAccounts' }] }]] }] },
      [{ Ref: 'AWS::AccountId' }],
    ],
  });
});

test('the table is kept on any delete or replacement, but not when the stack’s own creation fails (a redeploy would hit its name)', () => {
  // Act
  const table = template.Resources.Table as { DeletionPolicy?: string; UpdateReplacePolicy?: string };

  // Assess
  expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
});
