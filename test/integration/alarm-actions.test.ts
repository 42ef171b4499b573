/**
 * Acting on alarms through the real Lambda handler: the alarm message's Roll back button opens a rollback request
 * through the usual flow (policy, card, approvals), and an alarm during the bake window of a production deploy marks
 * its card and, with `auto_rollback: true`, moves the Lambda alias back at once, without approval, audited and posted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { autoRollbackId } from '../../src/alarms/act.js';
import type { AuditEntry } from '../../src/domain/ports.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, configWithTargets, REPO, startHarness, TARGET_FUNCTION, type Harness } from '../support/harness.js';

const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
const MINUTE = 60_000;
/** production with a 30-minute bake window, and optionally `auto_rollback: true`. */
const BAKE = (auto: boolean) =>
  configWithTargets().replace('    run_timeout: 60m\n', `    run_timeout: 60m\n    bake: 30m\n${auto ? '    auto_rollback: true\n' : ''}`);

let h: Harness;
afterEach(async () => {
  await h.close();
});

async function start(config?: string): Promise<void> {
  h = await startHarness({ cardSpacingMs: 20, ...(config ? { config } : { targets: true }) });
  // Versions 1..9 are published; the alias serves 3 until the first deploy through foxops moves it.
  h.lambda.addFunction(TARGET_FUNCTION, { versions: 9, aliases: { live: '3' } });
}

const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const short = (sha: string | undefined) => (sha ?? '').slice(0, 7);

/** A production deploy of a new commit that GitHub runs to success, its workflow moving `live` to `version`; returns when it finished. */
async function deploy(version: string, requester: string): Promise<{ seeded: Seeded; finishedAt: number }> {
  h.github.pushCommits(REPO, 'main', [`Change shipped as v${version}`]);
  const seeded = await seedDeploy(h, { requester });
  const run = { repo: REPO, runId: seeded.runId!, title: seeded.title };
  await h.webhook('workflow_run', workflowRunEvent('in_progress', run));
  later(3 * MINUTE);
  h.lambda.moveAlias(TARGET_FUNCTION, 'live', version);
  await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion: 'success' }));
  await h.idle();
  const finishedAt = Date.parse((await h.store.ledger.current('foxy-backend', 'production'))!.finishedAt);
  return { seeded, finishedAt };
}

/** The SNS delivery of the fixture's alarm (`name`, default the errors alarm) going into ALARM at `at` (ms). */
function alarmAt(at: number, name = 'foxy-backend-production-errors'): typeof fixture {
  const event = structuredClone(fixture);
  const message = JSON.parse(event.Records[0].Sns.Message);
  message.AlarmName = name;
  message.AlarmArn = `arn:aws:cloudwatch:eu-west-1:111111111111:alarm:${name}`;
  // CloudWatch writes `2026-11-28T10:01:00.123+0000`.
  message.StateChangeTime = new Date(at).toISOString().replace('Z', '+0000');
  event.Records[0].Sns.Message = JSON.stringify(message);
  return event;
}

/** The alarm's message in production's channel, as Slack shows it now. */
function alarmMessage(name = 'foxy-backend-production-errors') {
  const message = [...h.slack.messages.values()].find((m) => m.channel === 'C0PROD' && m.text?.includes(`${name} is in alarm`));
  if (!message) throw new Error(`no alarm message for ${name}`);
  return message;
}

/** The buttons of a message. */
function buttons(message: { blocks?: unknown }): Array<Record<string, any>> {
  return ((message.blocks ?? []) as Array<Record<string, any>>).filter((b) => b.type === 'actions').flatMap((b) => b.elements as Array<Record<string, any>>);
}

const ephemeralsTo = (user: string) => h.slack.responsesTo(`click-${user}`).map((r) => (r.body as { text: string }).text);
const aliasMoves = () => h.lambda.requests.filter((r) => r.method === 'PUT' && r.path.includes('/aliases/'));
const rollbackCards = () => h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Roll back'));
const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};

describe('the Roll back button of an alarm message', () => {
  let v5: Seeded;
  let v6: Seeded;

  beforeEach(async () => {
    await start();
    v5 = (await deploy('5', 'U0FRANK')).seeded;
    later(30 * MINUTE);
    const { seeded, finishedAt } = await deploy('6', 'U0DAVE');
    v6 = seeded;
    h.clock.now = new Date(finishedAt + 12 * MINUTE);
    await h.handler(alarmAt(h.clock.now.getTime()));
    await h.idle();
  });

  test('is offered under the likely cause, naming it and where it goes back to', () => {
    // Act
    const message = alarmMessage();

    // Assess
    const text = blocksText(message);
    expect(text).toContain('Likely cause');
    expect(text).toContain(short(v6.request.sha));
    expect(text).toContain('requested by <@U0DAVE>');
    expect(text).toContain('finished 12m before the alarm');
    expect(buttons(message)).toEqual([
      expect.objectContaining({ action_id: ACTION_IDS.alarmRollback, text: expect.objectContaining({ text: 'Roll back to v5' }), value: v6.request.id }),
    ]);
  });

  test('a click by anyone in the channel opens a rollback request with its card, and the approvals apply', async () => {
    // Prepare: Erin may request (requesters: any) but approves nothing
    const { ts } = alarmMessage();

    // Act
    await h.click(ACTION_IDS.alarmRollback, v6.request.id, { user: 'U0ERIN', channel: 'C0PROD', ts });
    await h.idle();

    // Assess: the same answer as `/deploy rollback`, privately, and a rollback request planned from the ledger
    const [answer] = ephemeralsTo('U0ERIN');
    expect(answer).toMatch(/^:rewind: Planning rollback `d-[0-9a-z]{10}` of \*foxy-backend\* in \*production\* to the last known good deploy\./);
    const id = /`(d-[0-9a-z]{10})`/.exec(answer!)![1]!;
    expect(await h.store.requests.get(id)).toMatchObject({
      kind: 'rollback',
      status: 'awaiting_approval',
      requester: 'U0ERIN',
      channel: 'C0PROD',
      requiredApprovals: 1,
      rollback: {
        mode: 'alias',
        reason: `alarm after deploy ${v6.request.id}`,
        from: { requestId: v6.request.id },
        to: { requestId: v5.request.id, version: '5' },
      },
    });
    const before = await card(id);
    expect(before).toContain(':fox_face: Roll back *foxy-backend* in *production*');
    expect(before).toContain('*Approvals*\n0 of 1: _none yet_');
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('6');
    expect((await h.store.audit.list(id)).map((e) => [e.actor, e.action, e.outcome])).toContainEqual(['U0ERIN', 'request', 'ok']);

    // Act: Erin cannot approve; an approver can, and the alias goes back
    await h.click(ACTION_IDS.approve, id, { user: 'U0ERIN' });
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess
    expect(ephemeralsTo('U0ERIN').at(-1)).toContain('Only <@U0ALICE>');
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    expect(await h.store.requests.get(id)).toMatchObject({ status: 'succeeded', approvals: [expect.objectContaining({ userId: 'U0ALICE' })] });
  });

  test('a forged value is refused: an unknown deploy id as not found, anything else as no deploy id; nothing is requested', async () => {
    // Prepare
    const { ts } = alarmMessage();

    // Act
    await h.click(ACTION_IDS.alarmRollback, 'd-0000000000', { user: 'U0ERIN', channel: 'C0PROD', ts });
    await h.click(ACTION_IDS.alarmRollback, '<!channel> d-x', { user: 'U0ERIN', channel: 'C0PROD', ts });
    await h.idle();

    // Assess
    expect(ephemeralsTo('U0ERIN')).toEqual([
      ':no_entry_sign: I have no deploy request `d-0000000000`. It may be older than a year; start a new one with `/deploy`.',
      expect.stringContaining('This button does not name a deploy request'),
    ]);
    expect(rollbackCards()).toHaveLength(0);
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('6');
  });

  test('a click after someone deployed again is refused with what runs now, and rolls nothing back', async () => {
    // Prepare
    const { ts } = alarmMessage();
    later(5 * MINUTE);
    const v7 = (await deploy('7', 'U0DAVE')).seeded;

    // Act
    await h.click(ACTION_IDS.alarmRollback, v6.request.id, { user: 'U0ERIN', channel: 'C0PROD', ts });
    await h.idle();

    // Assess
    expect(ephemeralsTo('U0ERIN')).toEqual([
      `:no_entry_sign: Deploy \`${v6.request.id}\` no longer runs in *production*: someone deployed or rolled back since this alarm. ` +
        `\`${short(v7.request.sha)}\` (deploy \`${v7.request.id}\`) runs there now. To roll back what runs, use \`/deploy rollback production foxy-backend\`.`,
    ]);
    expect(rollbackCards()).toHaveLength(0);
  });
});

describe('the bake window', () => {
  /** Deploys v5, then v6 (by Dave); returns v6 and when it finished. */
  async function twoDeploys(): Promise<{ v5: Seeded; v6: Seeded; finishedAt: number }> {
    const v5 = (await deploy('5', 'U0FRANK')).seeded;
    later(30 * MINUTE);
    const { seeded: v6, finishedAt } = await deploy('6', 'U0DAVE');
    return { v5, v6, finishedAt };
  }

  test('an alarm during bake is marked on the deploy card, once however often it is delivered; nothing is rolled back', async () => {
    // Prepare
    await start(BAKE(false));
    const { v6, finishedAt } = await twoDeploys();
    h.clock.now = new Date(finishedAt + 10 * MINUTE);

    // Act
    await h.handler(alarmAt(h.clock.now.getTime()));
    await h.handler(alarmAt(h.clock.now.getTime()));
    await h.idle();

    // Assess
    expect((await h.store.requests.get(v6.request.id))!.bakeAlarms).toEqual([{ name: 'foxy-backend-production-errors', at: h.clock.now.toISOString() }]);
    expect(await card(v6.request.id)).toContain(':rotating_light: alarm during bake: `foxy-backend-production-errors` <!date^');
    expect(aliasMoves()).toHaveLength(0);
    expect(rollbackCards()).toHaveLength(0);
  });

  test('with `auto_rollback: true`, an alarm during bake moves the alias back at once, without approval, audited and posted', async () => {
    // Prepare
    await start(BAKE(true));
    const { v5, v6, finishedAt } = await twoDeploys();
    h.clock.now = new Date(finishedAt + 5 * MINUTE);
    const slackBefore = h.slack.callsTo('chat.postMessage').length;

    // Act: the errors alarm, delivered twice, then the latency alarm of the same deploy (before or after the rollback ended)
    await h.handler(alarmAt(h.clock.now.getTime()));
    await h.handler(alarmAt(h.clock.now.getTime()));
    later(MINUTE);
    await h.handler(alarmAt(h.clock.now.getTime(), 'foxy-backend-production-latency'));
    await h.idle();

    // Assess: one rollback, by alias, with no approval, for the deploy's requester
    const id = autoRollbackId(v6.request.id);
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    expect(aliasMoves()).toHaveLength(1);
    expect(await h.store.requests.get(id)).toMatchObject({
      kind: 'rollback',
      status: 'succeeded',
      requiredApprovals: 0,
      approvals: [],
      requester: 'U0DAVE',
      rollback: {
        reason: `auto-rollback: alarm foxy-backend-production-errors during bake of ${v6.request.id}`,
        from: { requestId: v6.request.id },
        to: { requestId: v5.request.id, version: '5' },
      },
    });
    expect(await card(id)).toContain('*Rolled back*');
    expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({ requestId: id, kind: 'rollback', version: '5' });

    // Assess: audited as foxops' decision
    const audit = await h.store.audit.list(id);
    expect(audit).toContainEqual(
      expect.objectContaining<Partial<AuditEntry>>({
        actor: 'foxops',
        action: 'auto_rollback',
        outcome: 'ok',
        detail: expect.stringContaining('during bake of'),
      }),
    );
    expect(audit.filter((e) => e.action === 'approve')).toEqual([]);

    // Assess: posted in the channel, once: the notice and the card
    const posts = h.slack
      .callsTo('chat.postMessage')
      .slice(slackBefore)
      .map((c) => String(c.args.text));
    expect(posts.filter((t) => t.startsWith(':rewind: *Auto-rollback*'))).toEqual([
      expect.stringContaining(`alarm \`foxy-backend-production-errors\` went off during the bake of deploy \`${v6.request.id}\``),
    ]);
    expect(rollbackCards()).toHaveLength(1);
    expect(await card(v6.request.id)).toContain('alarm during bake: `foxy-backend-production-errors`');
  });

  test('with `auto_rollback: true`, an ALARM during bake delivered after its own OK still rolls back, and the message says resolved', async () => {
    // Prepare
    await start(BAKE(true));
    const { v6, finishedAt } = await twoDeploys();
    const alarmAtMs = finishedAt + 10 * MINUTE;
    h.clock.now = new Date(finishedAt + 13 * MINUTE);
    const ok = alarmAt(finishedAt + 12 * MINUTE);
    const message = JSON.parse(ok.Records[0].Sns.Message);
    ok.Records[0].Sns.Message = JSON.stringify({ ...message, NewStateValue: 'OK', OldStateValue: 'ALARM', NewStateReason: 'back to normal' });

    // Act: the OK arrives first, then the ALARM two minutes before it
    await h.handler(ok);
    await h.idle();
    await h.handler(alarmAt(alarmAtMs));
    await h.idle();

    // Assess: marked on the deploy card and rolled back, as if the two had come in order
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    expect(await h.store.requests.get(autoRollbackId(v6.request.id))).toMatchObject({ kind: 'rollback', status: 'succeeded' });
    expect(await card(v6.request.id)).toContain('alarm during bake: `foxy-backend-production-errors`');
    const shown = [...h.slack.messages.values()].find((m) => m.channel === 'C0PROD' && m.text?.includes('foxy-backend-production-errors'));
    expect(blocksText(shown!)).toMatch(/resolved after 2m/);
  });

  test('an alarm after the bake window does nothing by itself: no mark, no rollback, only the button', async () => {
    // Prepare
    await start(BAKE(true));
    const { v6, finishedAt } = await twoDeploys();
    h.clock.now = new Date(finishedAt + 45 * MINUTE);

    // Act
    await h.handler(alarmAt(h.clock.now.getTime()));
    await h.idle();

    // Assess
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('6');
    expect(aliasMoves()).toHaveLength(0);
    expect(rollbackCards()).toHaveLength(0);
    expect(await h.store.requests.get(autoRollbackId(v6.request.id))).toBeUndefined();
    expect((await h.store.requests.get(v6.request.id))!.bakeAlarms).toBeUndefined();
    expect(buttons(alarmMessage())).toEqual([expect.objectContaining({ action_id: ACTION_IDS.alarmRollback, value: v6.request.id })]);
  });
});
