/**
 * Locks, one deploy at a time and break-glass through the real Lambda handler on dynalite: `/deploy lock` is one
 * conditional write (of two people locking at once, one wins), a lock refuses others' requests and holds their
 * approved ones, its owner deploys through it, it ends by itself, and only its owner or an approver lifts it.
 * Two requests approved at the same moment dispatch one after the other. During a freeze only a break-glass with two
 * break-glass approvals (neither the requester) ships, audited and posted in the audit channel.
 */
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, deployIdFrom, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

let h: Harness;

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const answer = (result: { body: string }) => (JSON.parse(result.body) as { text: string }).text;
const dispatchesOf = (id: string) => h.github.dispatches.filter((d) => d.inputs.deploy_id === id);
const posts = (channel: string) =>
  h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === channel)
    .map((c) => `${String(c.args.text)}\n${blocksText({ blocks: c.args.blocks } as never)}`);
const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};

/** `/deploy <text>` as `user`, waiting for the prepare job; the request id. */
async function ask(text: string, user = 'U0DAVE'): Promise<string> {
  const id = deployIdFrom(await h.command(text, { user }));
  await h.idle();
  return id;
}

/** Both production approvals, one after the other. */
async function approve(id: string, users = ['U0ALICE', 'U0BOB']): Promise<void> {
  for (const user of users) await h.click(ACTION_IDS.approve, id, { user });
  await h.idle();
}

/** The dispatched run of `id` ends with `conclusion`, as GitHub reports it. */
async function finish(id: string, conclusion: 'success' | 'failure' = 'success'): Promise<void> {
  const [dispatch] = dispatchesOf(id);
  await h.webhook('workflow_run', workflowRunEvent('completed', { repo: REPO, runId: dispatch!.runId!, conclusion }));
  await h.idle();
}

afterEach(async () => {
  await h?.close();
});

describe('locks', () => {
  beforeEach(async () => {
    h = await startHarness({ cardSpacingMs: 20 });
  });

  it('of two people locking production at once, one wins; the other is told who holds it and why', async () => {
    // Act
    const [carol, erin] = await Promise.all([
      h.command('lock prod "migrating the orders table"', { user: 'U0CAROL' }),
      h.command('lock prod release freeze for the demo', { user: 'U0ERIN' }),
    ]);
    await h.idle();

    // Assess: exactly one lock, held by the winner; the loser's answer names the winner and the reason
    const locks = await h.store.environments.locks('production');
    expect(locks).toHaveLength(1);
    const [winner, loser] = locks[0]!.owner === 'U0CAROL' ? [carol, erin] : [erin, carol];
    expect(answer(winner)).toContain('Locked *production* (all services)');
    expect(answer(loser)).toContain(`<@${locks[0]!.owner}>`);
    expect(answer(loser)).toContain(locks[0]!.reason);
    expect(posts('C0PROD').filter((p) => p.includes(':lock:'))).toHaveLength(1);
  });

  it("refuses others' requests with who, since when, why and whom to ask; the owner still deploys through it", async () => {
    // Prepare
    await h.command('lock prod backend hotfix in progress for 2h', { user: 'U0CAROL' });

    // Act
    const refused = await h.command('prod', { user: 'U0DAVE' });
    const own = await ask('prod', 'U0CAROL');
    await approve(own);

    // Assess
    expect(answer(refused)).toContain('<@U0CAROL>');
    expect(answer(refused)).toContain('hotfix in progress');
    expect(answer(refused)).toContain('/deploy unlock production');
    expect(dispatchesOf(own)).toHaveLength(1);
    const trail = await h.store.audit.list(own);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['request', 'approve', 'dispatch']));
  });

  it("a waiting card's lock note goes once the lock ends by itself (the reconciler's pass)", async () => {
    // Prepare: Dave's request waits for approvals; Carol locks the service for 5 minutes
    const id = await ask('prod');
    await h.command('lock prod backend short window for 5m', { user: 'U0CAROL' });
    await h.idle();
    expect(await card(id)).toContain('is locked by <@U0CAROL>');

    // Act: 10 minutes later, the scheduled reconciler pass
    later(10 * MINUTE);
    await h.handler({ foxops: 'reconcile' });
    await h.idle();

    // Assess
    expect((await h.store.requests.get(id))!.lockedBy).toBeUndefined();
    expect(await card(id)).not.toContain('is locked by');
  });

  it('`/deploy locks prod` speaks of production only: a lock elsewhere is not "nothing is locked"', async () => {
    // Prepare
    await h.command('lock stg load test for 2h', { user: 'U0CAROL', channel: 'C0STAGING' });

    // Act, Assess
    expect(answer(await h.command('locks prod', { user: 'U0DAVE' }))).toContain('Nothing is locked in production.');
    expect(answer(await h.command('locks', { user: 'U0DAVE' }))).not.toContain('Nothing is locked');
  });

  it('ends by itself: a lock for 1h refuses nothing after an hour', async () => {
    // Prepare
    await h.command('lock prod deploy window closed for 1h', { user: 'U0CAROL' });
    expect(answer(await h.command('prod', { user: 'U0DAVE' }))).toContain('<@U0CAROL>');

    // Act
    later(61 * MINUTE);
    const id = await ask('prod');

    // Assess
    expect((await h.store.requests.get(id))!.status).toBe('awaiting_approval');
    expect(answer(await h.command('locks', { user: 'U0DAVE' }))).toContain('Nothing is locked');
  });

  it("refuses an unlock of someone else's lock by a non-approver; an approver's unlock is audited and posted", async () => {
    // Prepare
    await h.command('lock prod incident INC-42', { user: 'U0CAROL' });

    // Act
    const byDave = await h.command('unlock prod', { user: 'U0DAVE' });
    const byAlice = await h.command('unlock prod', { user: 'U0ALICE' });
    await h.idle();

    // Assess
    expect(answer(byDave)).toContain('<@U0CAROL>');
    expect(answer(byDave)).toContain('approver');
    expect(answer(byAlice)).toContain('Unlocked *production*');
    const trail = [];
    for await (const entry of h.store.audit.read({
      environments: ['production'],
      since: new Date(h.clock.now.getTime() - MINUTE),
      until: new Date(h.clock.now.getTime() + MINUTE),
    }))
      trail.push(entry);
    expect(trail.filter((e) => e.action === 'unlock').map((e) => [e.actor, e.outcome])).toEqual([
      ['U0DAVE', 'refused'],
      ['U0ALICE', 'ok'],
    ]);
    expect(trail.find((e) => e.action === 'unlock' && e.outcome === 'ok')?.detail).toContain('lifted the lock of U0CAROL');
    const unlockPost = posts('C0PROD').find((p) => p.includes(':unlock:'));
    expect(unlockPost).toContain('<@U0ALICE>');
    expect(unlockPost).toContain('<@U0CAROL>');
    expect(answer(await h.command('prod', { user: 'U0DAVE' }))).not.toContain('<@U0CAROL>');
  });

  it('holds an approved request while someone else locks, and dispatches it by itself once unlocked', async () => {
    // Prepare: Dave's request waits for approvals when Carol locks
    const id = await ask('prod');
    await h.command('lock prod flaky database', { user: 'U0CAROL' });
    await h.idle();
    // The waiting card shows the lock before anyone approves
    expect(await card(id)).toContain('is locked by <@U0CAROL>');

    // Act
    await approve(id);

    // Assess: held, and the card says by whom
    expect((await h.store.requests.get(id))!).toMatchObject({ status: 'queued_behind', hold: { code: 'locked' } });
    expect(dispatchesOf(id)).toHaveLength(0);
    expect(await card(id)).toContain('<@U0CAROL>');

    // Act: Carol lifts it
    await h.command('unlock prod', { user: 'U0CAROL' });
    await h.idle();

    // Assess
    expect(dispatchesOf(id)).toHaveLength(1);
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
  });
});

describe('one deploy at a time', () => {
  beforeEach(async () => {
    h = await startHarness({ cardSpacingMs: 20 });
  });

  it('dispatches two requests approved at the same moment one after the other, the second when the first run ends', async () => {
    // Prepare: two requests, each one approval short
    const first = await ask('prod', 'U0DAVE');
    const second = await ask('prod', 'U0ERIN');
    await h.click(ACTION_IDS.approve, first, { user: 'U0ALICE' });
    await h.click(ACTION_IDS.approve, second, { user: 'U0ALICE' });

    // Act: the last approvals at the same moment
    await Promise.all([h.click(ACTION_IDS.approve, first, { user: 'U0BOB' }), h.click(ACTION_IDS.approve, second, { user: 'U0BOB' })]);
    await h.idle();

    // Assess: one went, the other waits behind it
    const sent = [first, second].filter((id) => dispatchesOf(id).length === 1);
    expect(sent).toHaveLength(1);
    const [goes, waits] = sent[0] === first ? [first, second] : [second, first];
    expect((await h.store.requests.get(waits))!).toMatchObject({ status: 'queued_behind', hold: { code: 'busy', requestId: goes } });
    expect(await card(waits)).toContain(goes);

    // Act: the first run ends
    await finish(goes);

    // Assess: the second dispatched by itself, once
    expect(dispatchesOf(waits)).toHaveLength(1);
    expect((await h.store.requests.get(waits))!.status).toBe('dispatched');
  });
});

/** A one-off freeze around the harness clock, break-glass approvers and an audit channel in production. */
function freezeConfig(): string {
  return TEST_CONFIG.replace(
    '    run_timeout: 60m\n',
    [
      '    run_timeout: 60m',
      '    time_zone: Europe/Berlin',
      '    freezes:',
      '      - from: 2020-01-01',
      '        to: 2099-12-31',
      '        reason: Year-end freeze',
      '    break_glass_approvers: [U0ALICE, U0BOB, U0CAROL]',
      '    audit_channel: C0AUDIT',
      '',
    ].join('\n'),
  );
}

describe('freeze and break-glass', () => {
  beforeEach(async () => {
    h = await startHarness({ config: freezeConfig(), cardSpacingMs: 20 });
  });

  it('refuses a deploy during a freeze, with the window, its reason and how to break glass', async () => {
    // Act
    const refused = await h.command('prod', { user: 'U0DAVE' });

    // Assess
    expect(answer(refused)).toContain('Year-end freeze');
    expect(answer(refused)).toContain('--break-glass');
    // The refusal stands in the environment's audit trail, with no request behind it
    const trail = [];
    for await (const entry of h.store.audit.read({
      environments: ['production'],
      since: new Date(h.clock.now.getTime() - MINUTE),
      until: new Date(h.clock.now.getTime() + MINUTE),
    }))
      trail.push(entry);
    expect(trail).toEqual([expect.objectContaining({ action: 'request', outcome: 'refused', actor: 'U0DAVE', environment: 'production' })]);
    expect(JSON.parse(trail[0]!.detail!)).toMatchObject({ code: 'frozen', freeze: { reason: 'Year-end freeze' } });
  });

  it('needs two break-glass approvers, never the requester; then ships, audited and posted in the audit channel', async () => {
    // Act: Dave breaks glass
    const id = await ask('prod --break-glass "checkout down, hotfix INC-7"');

    // Assess: a BREAK-GLASS card needing two approvals, posted in the audit channel
    expect((await h.store.requests.get(id))!).toMatchObject({
      status: 'awaiting_approval',
      requiredApprovals: 2,
      breakGlass: { reason: 'checkout down, hotfix INC-7', duringFreeze: true },
    });
    expect(await card(id)).toContain('BREAK-GLASS');
    expect(posts('C0AUDIT').some((p) => p.includes('BREAK-GLASS'))).toBe(true);

    // Act: the requester, then one approver
    await h.click(ACTION_IDS.approve, id, { user: 'U0DAVE' });
    await approve(id, ['U0CAROL']);

    // Assess: one approval is not enough
    expect((await h.store.requests.get(id))!).toMatchObject({ status: 'awaiting_approval', approvals: [expect.objectContaining({ userId: 'U0CAROL' })] });
    expect(dispatchesOf(id)).toHaveLength(0);

    // Act: a second break-glass approver
    await approve(id, ['U0ALICE']);

    // Assess: dispatched through the freeze; audited with both approvers; the audit channel told
    expect(dispatchesOf(id)).toHaveLength(1);
    const trail = await h.store.audit.list(id);
    const breakGlass = trail.filter((e) => e.action === 'break_glass');
    expect(breakGlass).toHaveLength(2);
    expect(breakGlass[1]!.detail).toContain('U0CAROL');
    expect(breakGlass[1]!.detail).toContain('U0ALICE');
    expect(posts('C0AUDIT').filter((p) => p.includes('BREAK-GLASS'))).toHaveLength(2);
  });

  it('announces a break-glass only once prepared: a promotion its gates refuse is never posted in the audit channel', async () => {
    // Act: nothing has succeeded in staging, so the promotion's gates refuse it in the prepare job
    const result = await h.command('promote staging to production --break-glass "hotfix INC-8"', { user: 'U0DAVE' });
    await h.idle();

    // Assess: refused privately, audited as asked, and no BREAK-GLASS notice pending in the audit channel
    const id = deployIdFrom(result);
    expect((await h.store.requests.get(id))!.status).toBe('prepare_failed');
    expect((await h.store.audit.list(id)).map((e) => e.action)).toContain('break_glass');
    expect(posts('C0AUDIT').filter((p) => p.includes('BREAK-GLASS'))).toEqual([]);
  });
});
