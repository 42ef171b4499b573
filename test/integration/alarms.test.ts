/**
 * CloudWatch alarms of a deployed service, through the real Lambda handler as SNS delivers them: queued as one
 * alarm job each, delivered by the table's stream, and shown in the environment's channel with the deploy that
 * probably caused them: one message per episode, edited as the state changes, every change in its thread, a storm
 * in one digest, at Slack's pace of one new message a second per channel (the fake Slack enforces it when asked).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blocksText, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));

/** The fixture with its alarm message changed by `change`. */
function snsEvent(change: (message: Record<string, any>) => void = () => {}): typeof fixture {
  const event = structuredClone(fixture);
  const message = JSON.parse(event.Records[0].Sns.Message);
  change(message);
  event.Records[0].Sns.Message = JSON.stringify(message);
  return event;
}

/** The fixture's alarm (or `name`) changing to `state` at `time` (`HH:MM:SS`, on 2026-11-28, UTC). */
const change = (state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', time: string, name?: string) =>
  snsEvent((m) => {
    m.NewStateValue = state;
    m.StateChangeTime = `2026-11-28T${time}.123+0000`;
    m.NewStateReason = `${state} since ${time}`;
    if (name) m.AlarmName = name;
  });

let h: Harness;
beforeEach(async () => {
  // New alarm messages 50 ms apart instead of 1 s: these tests are about what is shown; the storm test keeps Slack's pace.
  h = await startHarness({ alarmPostSpacingMs: 50 });
});

/** Messages posted in `channel` (not replies), in posting order, as Slack shows them now. */
const messagesIn = (channel: string) => [...h.slack.messages.values()].filter((m) => m.channel === channel && !m.thread_ts);
/** The replies in the thread of `ts`, in posting order, as Slack shows them now. */
const repliesTo = (channel: string, ts: string) => [...h.slack.messages.values()].filter((m) => m.channel === channel && m.thread_ts === ts);
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

test('a redelivered notification is shown once; the OK that follows goes in its thread', async () => {
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
  // The OK may be stored before the message is posted: then the message shows it at once.
  const [message, ...others] = messagesIn('C0PROD');
  expect(others).toEqual([]);
  expect(message!.text).toContain('foxy-backend-production-errors resolved after 8m');
  expect(repliesTo('C0PROD', message!.ts).map((r) => r.text)).toEqual([expect.stringContaining('Back to OK after 8m in alarm')]);
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

test('an alarm of an unknown service is skipped (a debug line), a message that is no alarm is logged; nothing else is skipped', async () => {
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
  // What the operator sees, from the handler's log lines that the harness captures (at error level: the unrouted
  // alarm's debug line is checked in alarm-sources.test.ts).
  expect(h.logs.take('alarm.unreadable')).toHaveLength(1);
});

describe('one message per episode', () => {
  test('ALARM, then OK: the same message, edited to "resolved after 7m", and the OK in its thread', async () => {
    // Prepare
    await h.handler(change('ALARM', '10:01:00'));
    await h.idle();
    const [posted] = messagesIn('C0PROD');

    // Act
    await h.handler(change('OK', '10:08:00'));
    await h.idle();

    // Assess
    expect(messagesIn('C0PROD')).toHaveLength(1);
    expect(h.slack.callsTo('chat.update').map((c) => c.args.ts)).toEqual([posted!.ts]);
    const message = h.slack.message('C0PROD', posted!.ts)!;
    expect(message.text).toBe('foxy-backend production: foxy-backend-production-errors resolved after 7m');
    expect(blocksText(message as never)).toContain('Began in alarm at');
    expect(repliesTo('C0PROD', posted!.ts).map((r) => r.text)).toEqual([
      expect.stringMatching(/^:white_check_mark: Back to OK after 7m in alarm at .*: OK since 10:08:00$/),
    ]);
    expect(h.stream.failed).toEqual([]);
  });

  test('INSUFFICIENT_DATA is shown as such, in the message and the thread', async () => {
    // Act
    await h.handler(change('ALARM', '10:01:00'));
    await h.idle();
    await h.handler(change('INSUFFICIENT_DATA', '10:03:00'));
    await h.idle();

    // Assess
    const [message] = messagesIn('C0PROD');
    expect(message!.text).toContain('foxy-backend-production-errors has insufficient data');
    expect(repliesTo('C0PROD', message!.ts).map((r) => r.text)).toEqual([expect.stringMatching(/^:grey_question: Insufficient data at /)]);
  });

  test('flapping: one message with the count; past 5 changes in 10 min, the changes go into one reply, edited', async () => {
    // Act: 7 changes a minute apart, each shown before the next arrives
    const states = ['ALARM', 'OK', 'ALARM', 'OK', 'ALARM', 'OK', 'ALARM'] as const;
    for (const [i, state] of states.entries()) {
      await h.handler(change(state, `10:0${i + 1}:00`));
      await h.idle();
    }

    // Assess
    const top = messagesIn('C0PROD');
    expect(top).toHaveLength(1);
    expect(top[0]!.text).toBe('foxy-backend production: foxy-backend-production-errors is in alarm (flapping: 7 changes in 10 min)');
    const replies = repliesTo('C0PROD', top[0]!.ts);
    // Changes 2 to 5 each have a reply; from the 6th (flapping) they are lines of one reply, edited for the 7th.
    expect(replies.map((r) => r.text!.split('\n')[0])).toEqual([
      expect.stringMatching(/^:white_check_mark: Back to OK after 1m in alarm at /),
      expect.stringMatching(/^:rotating_light: In alarm at /),
      expect.stringMatching(/^:white_check_mark: Back to OK after 1m in alarm at /),
      expect.stringMatching(/^:rotating_light: In alarm at /),
      ':warning: Flapping: 7 changes in 10 min:',
    ]);
    const log = replies[4]!;
    expect(log.updates).toBe(1);
    expect(log.text!.split('\n').slice(1)).toEqual([
      expect.stringContaining('back to OK after 1m: OK since 10:06:00'),
      expect.stringContaining('in alarm: ALARM since 10:07:00'),
    ]);
  });

  test('duplicates (SNS twice, and EventBridge) are shown once; a change that arrives late goes in the thread as late', async () => {
    // Act: the same ALARM three times, the OK, then the INSUFFICIENT_DATA of 10:05 that CloudWatch sent before the OK
    await h.handler(change('ALARM', '10:01:00'));
    await h.handler(change('ALARM', '10:01:00'));
    await h.handler(JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.eventbridge.json'), 'utf8')));
    await h.idle();
    await h.handler(change('OK', '10:09:00'));
    await h.idle();
    await h.handler(change('INSUFFICIENT_DATA', '10:05:00'));
    await h.idle();

    // Assess
    const top = messagesIn('C0PROD');
    expect(top).toHaveLength(1);
    expect(top[0]!.text).toContain('resolved after 8m');
    expect(repliesTo('C0PROD', top[0]!.ts).map((r) => r.text)).toEqual([
      expect.stringMatching(/^:white_check_mark: Back to OK after 8m in alarm at /),
      expect.stringMatching(/^:hourglass_flowing_sand: Late: insufficient data at .* arrived after back to OK at .*, which the message keeps showing/),
    ]);
  });

  test('a post that fails with a 500 is retried and lands once', async () => {
    // Prepare
    h.slack.failNext('chat.postMessage', { status: 500 });

    // Act
    await h.handler(change('ALARM', '10:01:00'));
    await h.idle();

    // Assess: two attempts reached Slack, one message is there, no job was parked
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(messagesIn('C0PROD').map((m) => m.text)).toEqual([expect.stringContaining('is in alarm')]);
    expect(h.stream.failed).toEqual([]);
  });

  test('a 429 with Retry-After is waited out by the WebClient, and the reply lands once', async () => {
    // Prepare: foxops' own pace is 50 ms here; Slack's clock stands in its first second until it has refused a post
    h.slack.limitPostRate({ now: () => (h.slack.rateLimited.length > 0 ? 1000 : 0) });
    await h.handler(change('ALARM', '10:01:00'));
    await h.idle();

    // Act
    await h.handler(change('OK', '10:08:00'));
    await h.idle();

    // Assess: Slack refused one post, the WebClient sent it again after Retry-After, and it is there once
    const [message] = messagesIn('C0PROD');
    expect(h.slack.rateLimited.map((c) => c.args.thread_ts)).toEqual([message!.ts]);
    expect(repliesTo('C0PROD', message!.ts).map((r) => r.text)).toEqual([expect.stringContaining('Back to OK after 7m')]);
    expect(h.stream.failed).toEqual([]);
  }, 30_000);

  test('a storm of 60 alarms in a minute: 5 messages, then one digest edited as the rest arrive, at one new message a second', async () => {
    // Prepare: Slack's pace enforced, foxops' own pace (1 s), a storm past 5 alarms a minute
    const s = await startHarness({ config: `${TEST_CONFIG}alarms:\n  storm: { alarms: 5, within: 1m }\n` });
    s.slack.limitPostRate();
    const names = Array.from({ length: 60 }, (_, i) => `foxy-backend-production-storm-${String(i).padStart(2, '0')}`);
    try {
      // Act: one alarm a second of the alarms' (and the handler's) clock; the digest is posted after the 20th
      for (const [i, name] of names.entries()) {
        s.clock.now = new Date(Date.parse('2026-11-28T10:01:00.500Z') + i * 1000);
        await s.handler(change('ALARM', `10:01:${String(i).padStart(2, '0')}`, name));
        if (i === 19) await s.idle();
      }
      await s.idle();

      // Assess: the first five have messages of their own, then one digest lists the other 55
      const top = [...s.slack.messages.values()].filter((m) => m.channel === 'C0PROD' && !m.thread_ts);
      // (Which alarms get messages is decided by the alarms' clock; the order Slack shows the posts in is real time's.)
      const digests = top.filter((m) => m.text === 'Alarm storm: 55 alarms');
      expect(digests).toHaveLength(1);
      expect(
        top
          .filter((m) => !digests.includes(m))
          .map((m) => m.text)
          .sort(),
      ).toEqual(names.slice(0, 5).map((n) => `foxy-backend production: ${n} is in alarm`));
      const digest = digests[0]!;
      expect(digest.updates).toBeGreaterThan(0);
      const listed = blocksText(digest as never);
      expect(names.slice(5).filter((n) => !listed.includes(n))).toEqual([]);
      // Every change is in the digest's thread.
      const thread = [...s.slack.messages.values()].filter((m) => m.thread_ts === digest.ts).map((m) => m.text ?? '');
      expect(names.slice(5).filter((n) => !thread.some((t) => t.includes(n)))).toEqual([]);
      // Slack took at most one new message a second in the channel (the fake refuses more), and foxops' own pace
      // kept it from asking for more (a refusal or two at a second's edge, retried by the WebClient, at most).
      const accepted = s.slack.callsTo('chat.postMessage').filter((c) => !s.slack.rateLimited.includes(c));
      const perSecond = new Map<number, number>();
      for (const c of accepted) perSecond.set(Math.floor(c.at.getTime() / 1000), (perSecond.get(Math.floor(c.at.getTime() / 1000)) ?? 0) + 1);
      expect(Math.max(...perSecond.values())).toBe(1);
      expect(s.slack.rateLimited.length).toBeLessThan(3);
      expect(s.stream.failed).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);
});
