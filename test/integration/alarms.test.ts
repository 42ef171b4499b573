/**
 * CloudWatch alarms of a deployed service, through the real Lambda handler as SNS delivers them: queued as one
 * alarm job each, delivered by the table's stream, and posted once in the environment's channel with the deploy
 * that probably caused them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blocksText, REPO, startHarness, type Harness } from '../support/harness.js';

const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));

/** The fixture with its alarm message changed by `change`. */
function snsEvent(change: (message: Record<string, any>) => void = () => {}): typeof fixture {
  const event = structuredClone(fixture);
  const message = JSON.parse(event.Records[0].Sns.Message);
  change(message);
  event.Records[0].Sns.Message = JSON.stringify(message);
  return event;
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function deployedMinutesBeforeAlarm(minutes: number) {
  const [sha] = h.github.pushCommits(REPO, 'main', ['Risky change']);
  const alarmAt = Date.parse('2026-11-28T10:01:00.123Z');
  await h.store.ledger.record({
    service: 'foxy-backend',
    environment: 'production',
    sha: sha!,
    ref: 'main',
    requestId: 'd-abcdefghjk',
    kind: 'deploy',
    runUrl: 'https://github.com/foxy-org/foxy-backend/actions/runs/42',
    requester: 'U0DAVE',
    approvers: ['U0ALICE', 'U0BOB'],
    outcome: 'succeeded',
    finishedAt: new Date(alarmAt - minutes * 60_000).toISOString(),
  });
  return sha!;
}

test('an alarm shortly after a deploy is posted in the environment channel with that deploy as likely cause', async () => {
  // Prepare
  const sha = await deployedMinutesBeforeAlarm(12);
  // Act
  await h.handler(snsEvent());
  await h.idle();
  // Assess
  const posts = h.slack.callsTo('chat.postMessage');
  expect(posts).toHaveLength(1);
  expect(posts[0]!.args.channel).toBe('C0PROD');
  const text = blocksText(posts[0]!.args as never);
  expect(text).toContain('foxy-backend-production-errors');
  expect(text).toContain('is in alarm');
  expect(text).toContain('Threshold Crossed');
  expect(text).toContain('Likely cause');
  expect(text).toContain(sha.slice(0, 7));
  expect(text).toContain('d-abcdefghjk');
  expect(text).toContain('finished 12m before the alarm');
  expect(text).toContain('eu-west-1.console.aws.amazon.com/cloudwatch');
});

test('a deploy long before the alarm is shown as what runs, not as the cause', async () => {
  await deployedMinutesBeforeAlarm(6 * 60);
  await h.handler(snsEvent());
  await h.idle();
  const text = blocksText(h.slack.callsTo('chat.postMessage')[0]!.args as never);
  expect(text).toContain('Running:');
  expect(text).not.toContain('Likely cause');
});

test('a redelivered notification is posted once; the OK that follows is posted too', async () => {
  await h.handler(snsEvent());
  await h.handler(snsEvent());
  await h.handler(
    snsEvent((m) => {
      m.NewStateValue = 'OK';
      m.OldStateValue = 'ALARM';
      m.StateChangeTime = '2026-11-28T10:09:00.000+0000';
    }),
  );
  await h.idle();
  const posts = h.slack.callsTo('chat.postMessage').map((c) => String(c.args.text));
  expect(posts).toEqual([expect.stringContaining('is in alarm'), expect.stringContaining('back to OK')]);
});

test('a post Slack fails is delivered again by the stream and lands once', async () => {
  // Prepare
  h.slack.failNext('chat.postMessage', { error: 'internal_error' });
  // Act
  await h.handler(snsEvent());
  await h.idle();
  // Assess: two attempts reached Slack, the failed one and the redelivery, which was posted; nothing was parked
  expect(h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('in alarm'))).toHaveLength(2);
  expect(h.slack.lastMessageIn('C0PROD')?.text).toContain('in alarm');
  expect(h.stream.failed).toEqual([]);
});

test('an alarm that cannot be queued fails the invocation, so Lambda delivers it again', async () => {
  // Prepare: the table refuses the job item
  const handler = (await import('../../src/lambda/index.js')).createHandler({ ...h.env, FOXOPS_TABLE: 'no-such-table' });
  // Act, Assess
  await expect(handler(snsEvent())).rejects.toThrow('Lambda will deliver them again');
  expect(h.logs.take('alarm.queue_failed')).toEqual([expect.objectContaining({ level: 'error', alarm: 'foxy-backend-production-errors' })]);
});

test('an alarm of an unknown service, and a message that is no alarm, are logged and skip nothing else', async () => {
  const unknown = snsEvent((m) => {
    m.AlarmName = 'billing-db-cpu';
    m.Trigger.Dimensions = [{ name: 'DBInstanceIdentifier', value: 'billing' }];
  });
  const garbage = structuredClone(fixture);
  garbage.Records[0].Sns.Message = 'not json at all';
  await h.handler(unknown);
  await h.handler(garbage);
  await h.idle();
  expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  // What the operator sees, from the handler's log lines that the harness captures.
  expect(h.logs.take('alarm.unknown_target')).toHaveLength(1);
  expect(h.logs.take('alarm.unreadable')).toHaveLength(1);
});
