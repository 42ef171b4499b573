/**
 * Promotion through the real Lambda handler: `/deploy promote` takes the SHA that last succeeded in staging, checks the
 * gates in the prepare job (the source succeeded, soaked for `promote_after`, no staging alarm in ALARM on the
 * CloudWatch fake, nothing deploying to production) and shows them on the card; `require_promotion` refuses a plain
 * production deploy of a SHA staging never ran, which a promotion then ships.
 */
import { randomBytes } from 'node:crypto';
import { deployIdFromDigest } from '../../src/domain/request.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, deployIdFrom, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

let h: Harness;

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const answer = (result: { body: string }) => JSON.parse(result.body) as { text: string };
const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};
/** What foxops told `user` privately (chat.postEphemeral). */
const whispersTo = (user: string) =>
  h.slack
    .callsTo('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));

/** {@link TEST_CONFIG} where production is promoted from staging after 15 minutes, and staging's alarms are watched. */
function promotionConfig(options: { requirePromotion?: boolean } = {}): string {
  return TEST_CONFIG.replace(
    '    default_ref: main\n',
    '    default_ref: main\n    targets:\n      staging:\n        alarms: [foxy-backend-staging-*]\n',
  ).replace(
    '    run_timeout: 60m\n',
    `    run_timeout: 60m\n    promote_from: staging\n    promote_after: 15m\n${options.requirePromotion ? '    require_promotion: true\n' : ''}`,
  );
}

/** A success of the head of `main` in staging, recorded as a finished deploy through foxops leaves it, `agoMs` ago. */
async function stagingSuccess(agoMs: number): Promise<{ sha: string; requestId: string }> {
  return success('staging', 'Change tested in staging', agoMs);
}

/** A new commit on main, deployed to `environment` through foxops `agoMs` ago, as the ledger records it. */
async function success(environment: string, message: string, agoMs: number): Promise<{ sha: string; requestId: string }> {
  const [sha] = h.github.pushCommits(REPO, 'main', [message]);
  const requestId = deployIdFromDigest(randomBytes(16));
  await h.store.ledger.record({
    service: 'foxy-backend',
    environment,
    sha: sha!,
    shaUrl: `https://github.com/${REPO}/commit/${sha}`,
    ref: 'main',
    requestId,
    kind: 'deploy',
    requester: 'U0ERIN',
    approvers: [],
    outcome: 'succeeded',
    startedAt: new Date(h.clock.now.getTime() - agoMs - 3 * MINUTE).toISOString(),
    finishedAt: new Date(h.clock.now.getTime() - agoMs).toISOString(),
  });
  return { sha: sha!, requestId };
}

/** Sends `/deploy <text>` from the production channel and waits for its prepare job; returns the request. */
async function ask(text: string, user = 'U0DAVE') {
  const id = deployIdFrom(await h.command(text, { user }));
  await h.idle();
  return (await h.store.requests.get(id))!;
}

afterEach(async () => {
  await h?.close();
});

describe('/deploy promote', () => {
  beforeEach(async () => {
    h = await startHarness({ config: promotionConfig(), cardSpacingMs: 20 });
  });

  it('promotes the SHA that succeeded in staging, with every gate ✓ on the card, and dispatches exactly that SHA', async () => {
    // Prepare: staging ran a commit 20 minutes ago; main has moved on since
    const source = await stagingSuccess(20 * MINUTE);
    h.github.pushCommits(REPO, 'main', ['Not tested anywhere yet']);
    h.cloudwatch.setAlarm('foxy-backend-staging-errors', 'OK');
    h.cloudwatch.setAlarm('foxy-backend-production-errors', 'ALARM');

    // Act
    const result = await h.command('promote', { user: 'U0DAVE' });
    const id = deployIdFrom(result);
    await h.idle();

    // Assess: pinned to the staging SHA and ref, the card shows where it comes from and the four gates passed
    expect(answer(result).text).toContain('from *staging* to *production*');
    const request = (await h.store.requests.get(id))!;
    expect(request).toMatchObject({ kind: 'promote', status: 'awaiting_approval', sha: source.sha, ref: 'main', requiredApprovals: 2 });
    const text = await card(id);
    expect(text).toContain(
      `*Promotes from staging:* <https://github.com/${REPO}/commit/${source.sha}|\`${source.sha.slice(0, 7)}\`> (\`main\`), deployed by <@U0ERIN>`,
    );
    expect(text).toContain(`✓ The last deploy in *staging* succeeded: \`${source.sha.slice(0, 7)}\` (deploy \`${source.requestId}\`).`);
    expect(text).toContain('✓ Soaked in *staging* for 20m (`promote_after`: 15m).');
    expect(text).toContain('✓ No alarm in ALARM in *staging* (foxy-backend-staging-*).');
    expect(text).toContain('✓ Nothing is being deployed to *production*.');
    expect(text).not.toContain('✗');
    // Only staging's alarms were asked about, by prefix and state
    expect(h.cloudwatch.calls).toEqual([
      { operation: 'DescribeAlarms', input: expect.objectContaining({ AlarmNamePrefix: 'foxy-backend-staging-', StateValue: 'ALARM' }) },
    ]);

    // Act: production's two approvals
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
    await h.idle();

    // Assess: one dispatch, of the staging SHA (not the head of main)
    const dispatches = h.github.dispatches.filter((d) => d.inputs.deploy_id === id);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]!.inputs).toMatchObject({ sha: source.sha, environment: 'production', requested_by: 'U0DAVE' });
    expect(dispatches[0]!.ref).toBe('main');
  });

  it('is refused when production runs newer commits than staging: a promotion never steps back', async () => {
    // Prepare: staging ran a commit; then production got a newer one (deployed straight there)
    const source = await stagingSuccess(20 * MINUTE);
    const { sha: newer } = await success('production', 'Hotfix shipped straight to production', 5 * MINUTE);

    // Act
    const request = await ask('promote backend staging to production');

    // Assess: refused on the ordering gate, with what it would take out and the way back
    expect(request.status).toBe('prepare_failed');
    expect(request.failure).toMatchObject({ code: 'promotion_gates', params: { failed: 'moves_forward' } });
    expect(request.promotion?.gates?.at(-1)).toMatchObject({
      gate: 'moves_forward',
      passed: false,
      params: { sha: source.sha, deployedSha: newer, status: 'behind', behindBy: 1 },
    });
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain(`✗ *production* runs \`${newer.slice(0, 7)}\`, which has 1 commit(s) that \`${source.sha.slice(0, 7)}\` lacks`);
    expect(whisper).toContain('`/deploy rollback production`');
    expect(h.github.dispatches).toHaveLength(0);
  });

  it('passes the ordering gate when staging is ahead of production, and lists what ships', async () => {
    // Prepare: production runs an older commit; staging runs a newer one
    const { sha: older } = await success('production', 'Old change in production', 80 * MINUTE);
    await stagingSuccess(20 * MINUTE);

    // Act
    const request = await ask('promote backend staging to production');

    // Assess
    expect(request.status).toBe('awaiting_approval');
    expect(request.promotion?.gates?.at(-1)).toMatchObject({ gate: 'moves_forward', passed: true, params: { deployedSha: older, aheadBy: 1 } });
    expect(await card(request.id)).toContain(`✓ Moves *production* forward`);
  });

  it('is refused while an alarm of the service in staging is in ALARM, naming it on the gates', async () => {
    // Prepare
    await stagingSuccess(20 * MINUTE);
    h.cloudwatch.setAlarm('foxy-backend-staging-errors', 'ALARM');
    h.cloudwatch.setAlarm('foxy-backend-staging-latency', 'OK');

    // Act
    const request = await ask('promote backend staging to production');

    // Assess: prepare_failed with the gates stored, the requester told which alarm and what would make it pass
    expect(request.status).toBe('prepare_failed');
    expect(request.failure).toMatchObject({ code: 'promotion_gates', params: { failed: 'no_alarm' } });
    expect(request.promotion?.gates?.map((g) => [g.gate, g.passed])).toEqual([
      ['source_succeeded', true],
      ['soaked', true],
      ['no_alarm', false],
      ['target_idle', true],
    ]);
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain('I could not promote *foxy-backend* from *staging* to *production*');
    expect(whisper).toContain('✗ In ALARM in *staging* now: foxy-backend-staging-errors. Promote once they are back to OK.');
    expect(whisper).toContain('✓ Soaked in *staging*');
    expect(h.github.dispatches).toHaveLength(0);
  });

  it('is refused until the staging deploy has soaked for promote_after, saying when it may go', async () => {
    // Prepare: staging finished 5 minutes ago; production asks for 15
    await stagingSuccess(5 * MINUTE);

    // Act
    const request = await ask('promote');

    // Assess
    expect(request.status).toBe('prepare_failed');
    expect(request.failure?.params).toMatchObject({ failed: 'soaked' });
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain('✗ Soaked in *staging* for 5m of the 15m `promote_after` asks: promote again after <!date^');
    expect(whisper).toContain('✓ No alarm in ALARM in *staging*');

    // Act: ten minutes later it has soaked
    later(10 * MINUTE);
    const again = await ask('promote');

    // Assess
    expect(again.status).toBe('awaiting_approval');
    expect(await card(again.id)).toContain('✓ Soaked in *staging* for 15m (`promote_after`: 15m).');
  });

  it('is refused while a deploy to production is running, naming it', async () => {
    // Prepare
    await stagingSuccess(20 * MINUTE);
    const running = await seedDeploy(h, { status: 'running' });

    // Act
    const request = await ask('promote');

    // Assess
    expect(request.status).toBe('prepare_failed');
    expect(request.failure?.params).toMatchObject({ failed: 'target_idle' });
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain(`✗ Deploy \`${running.request.id}\` is running in *production*: promote again once it has finished.`);
  });

  it('is refused when nothing has succeeded in staging', async () => {
    // Act
    const request = await ask('promote');

    // Assess
    expect(request.status).toBe('prepare_failed');
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain('✗ Nothing of foxy-backend has succeeded in *staging* yet: deploy it there first, then promote.');
    expect(h.github.dispatches).toHaveLength(0);
  });

  it('fails the alarm gate, never the job, when CloudWatch refuses to answer', async () => {
    // Prepare
    await stagingSuccess(20 * MINUTE);
    h.cloudwatch.failNext({ status: 403, code: 'AccessDenied', message: 'not authorized to perform cloudwatch:DescribeAlarms' });

    // Act
    const request = await ask('promote');

    // Assess
    expect(request.status).toBe('prepare_failed');
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain('✗ Could not read the alarms in *staging* (foxy-backend-staging-*): AWS refused `cloudwatch:DescribeAlarms`');
    expect(whisper).toContain("grant it to foxops' role");
  });
});

describe('require_promotion', () => {
  beforeEach(async () => {
    h = await startHarness({ config: promotionConfig({ requirePromotion: true }), cardSpacingMs: 20 });
  });

  it('refuses a production deploy of a SHA staging never ran, then promotes it once staging ran it', async () => {
    // Prepare
    const [sha] = h.github.pushCommits(REPO, 'main', ['Straight to production?']);

    // Act: a plain deploy of main to production
    const refused = await ask('prod main');

    // Assess: refused in the prepare job, with the SHA, saying how to promote instead
    expect(refused.status).toBe('prepare_failed');
    expect(refused.failure).toMatchObject({ code: 'promotion_required', params: { environment: 'production', from: 'staging', sha } });
    const [whisper] = whispersTo('U0DAVE');
    expect(whisper).toContain(`production only takes what succeeded in staging first (\`require_promotion\`), and \`${sha!.slice(0, 7)}\` has not`);
    expect(whisper).toContain('`/deploy promote foxy-backend`');
    expect(h.github.dispatches).toHaveLength(0);

    // Act: deploy it to staging (no approval there), and GitHub runs it to success
    await h.command('staging main', { user: 'U0ERIN', channel: 'C0STAGING' });
    await h.idle();
    const staged = h.github.dispatches.at(-1)!;
    expect(staged.inputs).toMatchObject({ environment: 'staging', sha });
    const run = { repo: REPO, runId: staged.runId!, title: h.github.runs.get(staged.runId!)?.displayTitle };
    await h.webhook('workflow_run', workflowRunEvent('in_progress', run));
    later(3 * MINUTE);
    await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion: 'success' }));
    await h.idle();
    expect(await h.store.ledger.current('foxy-backend', 'staging')).toMatchObject({ sha, outcome: 'succeeded' });
    later(16 * MINUTE);

    // Act: promote it, approve it
    const promoted = await ask('promote backend');
    await h.click(ACTION_IDS.approve, promoted.id, { user: 'U0ALICE' });
    await h.click(ACTION_IDS.approve, promoted.id, { user: 'U0CAROL' });
    await h.idle();

    // Assess: the promotion ships that SHA to production, once
    expect(promoted).toMatchObject({ kind: 'promote', status: 'awaiting_approval', sha });
    const dispatches = h.github.dispatches.filter((d) => d.inputs.deploy_id === promoted.id);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]!.inputs).toMatchObject({ environment: 'production', sha });

    // Act: a plain deploy of the same SHA is now allowed too
    const plain = await ask('prod main');

    // Assess
    expect(plain.status).toBe('awaiting_approval');
  });
});
