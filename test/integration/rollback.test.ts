/**
 * Rollback through the real Lambda handler: deploys that succeed record the Lambda version the alias serves (read by a
 * job from the Lambda fake), `/deploy rollback` plans from the ledger and posts a from → to card, and at the last
 * approval the alias is moved back (or, with `rollback: redeploy`, the old SHA is dispatched once).
 */
import { randomBytes } from 'node:crypto';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { deployIdFromDigest } from '../../src/domain/request.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, configWithTargets, deployIdFrom, REPO, startHarness, TARGET_FUNCTION, type Harness } from '../support/harness.js';

let h: Harness;

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const answer = (result: { body: string }) => JSON.parse(result.body) as { text: string; blocks?: unknown[] };
const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};
const ephemeralsTo = (user: string) => h.slack.responsesTo(`click-${user}`).map((r) => (r.body as { text: string }).text);
/** UpdateAlias calls the Lambda fake received. */
const aliasMoves = () => h.lambda.requests.filter((r) => r.method === 'PUT' && r.path.includes('/aliases/'));
const short = (sha: string) => sha.slice(0, 7);

async function start(config?: string): Promise<void> {
  h = await startHarness({ cardSpacingMs: 20, ...(config ? { config } : { targets: true }) });
  // Versions 1..9 are published; the alias serves 3 until the first deploy through foxops moves it.
  h.lambda.addFunction(TARGET_FUNCTION, { versions: 9, aliases: { live: '3' } });
}

/**
 * A production deploy of a new commit that GitHub runs to `conclusion`; on success the workflow has moved `live` to
 * `version` before the run completes, as the example workflow does.
 */
async function deploy(version: string, options: { requester?: string; conclusion?: 'success' | 'failure' } = {}): Promise<Seeded> {
  h.github.pushCommits(REPO, 'main', [`Change shipped as v${version}`]);
  const seeded = await seedDeploy(h, { ...(options.requester ? { requester: options.requester } : {}) });
  const run = { repo: REPO, runId: seeded.runId!, title: seeded.title };
  await h.webhook('workflow_run', workflowRunEvent('in_progress', run));
  later(3 * MINUTE);
  if ((options.conclusion ?? 'success') === 'success') h.lambda.moveAlias(TARGET_FUNCTION, 'live', version);
  await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion: options.conclusion ?? 'success' }));
  await h.idle();
  later(10 * MINUTE);
  return seeded;
}

/**
 * A success in the ledger as a deploy through foxops leaves it once its version is recorded, of a new commit, with
 * `live` moved to `version`: quicker than {@link deploy} for tests about what happens after.
 */
async function recorded(version: string, requester: string): Promise<DeploymentRecord> {
  const [sha] = h.github.pushCommits(REPO, 'main', [`Change shipped as v${version}`]);
  const startedAt = h.clock.now.toISOString();
  later(3 * MINUTE);
  const entry: DeploymentRecord = {
    service: 'foxy-backend',
    environment: 'production',
    sha: sha!,
    shaUrl: `https://github.com/${REPO}/commit/${sha}`,
    ref: 'main',
    requestId: deployIdFromDigest(randomBytes(16)),
    kind: 'deploy',
    requester,
    approvers: ['U0ALICE', 'U0BOB'],
    outcome: 'succeeded',
    startedAt,
    finishedAt: h.clock.now.toISOString(),
    version,
  };
  await h.store.ledger.record(entry);
  h.lambda.moveAlias(TARGET_FUNCTION, 'live', version);
  later(10 * MINUTE);
  return entry;
}

/** `/deploy rollback <text>` as `user`; waits for the card (or the refusal). */
async function rollback(text: string, user = 'U0DAVE'): Promise<string> {
  const result = await h.command(`rollback ${text}`, { user });
  expect(result.statusCode).toBe(200);
  const id = deployIdFrom(result);
  await h.idle();
  return id;
}

afterEach(async () => {
  await h.close();
});

describe('what runs where, to the version', () => {
  beforeEach(() => start());

  test('a deploy that succeeds records the version the alias serves; a failed one records none and reads no alias', async () => {
    // Act
    const good = await deploy('5');
    const readsBefore = h.lambda.requests.length;
    const bad = await deploy('6', { conclusion: 'failure' });

    // Assess
    const [failed, succeeded] = await h.store.ledger.history('foxy-backend', 'production', 5);
    expect(succeeded).toMatchObject({ requestId: good.request.id, outcome: 'succeeded', version: '5' });
    expect(failed).toMatchObject({ requestId: bad.request.id, outcome: 'failed' });
    expect(failed!.version).toBeUndefined();
    expect(h.lambda.requests.length).toBe(readsBefore);
    expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({ requestId: good.request.id, version: '5' });
  });

  test('the version is read by a job, not while the webhook is answered', async () => {
    // Prepare
    h.github.pushCommits(REPO, 'main', 1);
    const seeded = await seedDeploy(h);
    const run = { repo: REPO, runId: seeded.runId!, title: seeded.title };
    h.lambda.moveAlias(TARGET_FUNCTION, 'live', '5');
    h.stream.pause();

    // Act
    const result = await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion: 'success' }));

    // Assess: answered and recorded without the version, no Lambda call yet; the job then records it
    expect(result.statusCode).toBe(200);
    expect(h.lambda.requests).toHaveLength(0);
    expect((await h.store.ledger.current('foxy-backend', 'production'))!.version).toBeUndefined();
    h.stream.resume();
    await h.idle();
    expect(h.lambda.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /2015-03-31/functions/${TARGET_FUNCTION}/aliases/live`]);
    expect((await h.store.ledger.current('foxy-backend', 'production'))!.version).toBe('5');
  });

  test('`/deploy status`, `/deploy history` and App Home show the version', async () => {
    // Prepare
    const seeded = await deploy('5');
    const sha = short(seeded.request.sha!);
    const home = {
      token: 'legacy',
      team_id: 'T0FOXY',
      api_app_id: 'A0FOXOPS',
      type: 'event_callback',
      event_id: 'Ev0HOME',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: 'U0DAVE', channel: 'D0DAVE', tab: 'home', event_ts: String(Date.now() / 1000) },
    };

    // Act
    const status = answer(await h.command('status'));
    const history = answer(await h.command('history prod'));
    await h.slackRequest(JSON.stringify(home), { contentType: 'application/json' });
    await h.slack.waitForCall('views.publish');

    // Assess
    const line = new RegExp(`\\*production\\*: <[^|]+\\|\`${sha}\`> v5 \\(\`main\`\\) deployed`);
    expect(status.text).toContain(`production ${sha} v5`);
    expect(blocksText({ blocks: status.blocks })).toMatch(line);
    expect(blocksText({ blocks: history.blocks })).toMatch(new RegExp(`\`${sha}\`> v5 \\(\`main\`\\) succeeded`));
    expect(blocksText({ blocks: (h.slack.homeViews.get('U0DAVE') as { blocks: unknown[] }).blocks })).toMatch(line);
  });
});

describe('`/deploy rollback` through deploys that GitHub ran', () => {
  let v5: Seeded;
  let v6: Seeded;

  beforeEach(async () => {
    await start();
    h.github.pushCommits(REPO, 'main', 2);
    v5 = await deploy('5', { requester: 'U0FRANK' });
    v6 = await deploy('6');
  });

  test('goes back to the last good version: card from → to, one approval, the alias moved, the ledger and status say so', async () => {
    // Act: ask
    const asked = await h.command('rollback prod because 5xx spike after v6', { user: 'U0DAVE' });
    const id = deployIdFrom(asked);
    await h.idle();

    // Assess: the answer, the card
    expect(answer(asked).text).toContain(`Planning rollback \`${id}\` of *foxy-backend* in *production* to the last known good deploy.`);
    const planned = await h.store.requests.get(id);
    expect(planned).toMatchObject({ kind: 'rollback', status: 'awaiting_approval', requiredApprovals: 1, sha: v5.request.sha, baseSha: v6.request.sha });
    const before = await card(id);
    expect(before).toContain(':fox_face: Roll back *foxy-backend* in *production*');
    expect(before).toMatch(
      new RegExp(`\\*From \\(runs now\\)\\*\\nv6 <[^|]+\\|\`${short(v6.request.sha!)}\`> \\(\`main\`\\)\\ndeployed by <@U0DAVE> <!date\\^`),
    );
    expect(before).toMatch(
      new RegExp(
        `\\*To \\(goes back to\\)\\*\\nv5 <[^|]+\\|\`${short(v5.request.sha!)}\`> \\(\`main\`\\)\\n` +
          `deployed by <@U0FRANK> <!date\\^\\d+\\^[^>]+>, deploy \`${v5.request.id}\``,
      ),
    );
    expect(before).toContain('*Reason*\n5xx spike after v6');
    expect(before).toContain('*Approvals*\n0 of 1: _none yet_');
    expect(before).toContain(`*1 commit(s) being taken out, after \`${short(v5.request.sha!)}\` up to \`${short(v6.request.sha!)}\``);
    expect(before).toContain('Change shipped as v6');
    expect(before).not.toContain('Change shipped as v5');
    expect(before).toContain(`Moves alias \`live\` of \`${TARGET_FUNCTION}\` from v6 to v5: no GitHub run`);
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('6');

    // Act: approve
    const githubBefore = h.github.requests.length;
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess: moved, confirmed, recorded, no GitHub call on the way
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    expect(aliasMoves()).toHaveLength(1);
    expect(h.github.requests.length).toBe(githubBefore);
    expect((await h.store.requests.get(id))!.status).toBe('succeeded');
    expect(await card(id)).toContain(`*Rolled back*`);
    expect(await card(id)).toContain(`\`live\` of \`${TARGET_FUNCTION}\` serves v5 again (confirmed), no GitHub run.`);
    const current = await h.store.ledger.current('foxy-backend', 'production');
    expect(current).toMatchObject({
      requestId: id,
      kind: 'rollback',
      outcome: 'succeeded',
      sha: v5.request.sha,
      version: '5',
      requester: 'U0DAVE',
      approvers: ['U0ALICE'],
      restores: { requestId: v5.request.id, sha: v5.request.sha, version: '5' },
      rolledBackFrom: { requestId: v6.request.id, sha: v6.request.sha, version: '6', reason: '5xx spike after v6' },
    });

    // Assess: status carries the note, history the rollback
    const status = blocksText({ blocks: answer(await h.command('status')).blocks });
    expect(status).toMatch(
      new RegExp(
        `\\*production\\*: <[^|]+\\|\`${short(v5.request.sha!)}\`> v5 \\(\`main\`\\) rolled back to 0s ago by <@U0DAVE>, ` +
          `approved by <@U0ALICE>, deploy \`${id}\``,
      ),
    );
    expect(status).toMatch(
      new RegExp(`:rewind: \\*production\\* was rolled back from \`${short(v6.request.sha!)}\` \\(v6\\) by <@U0DAVE> <!date[^>]+>: 5xx spike after v6`),
    );
    const history = blocksText({ blocks: answer(await h.command('history prod')).blocks });
    expect(history.split('\n').find((l) => l.includes(id))).toMatch(/v5 \(`main`\) :rewind: rollback succeeded in 0s, by <@U0DAVE>, approved by <@U0ALICE>/);

    // Assess: the rollback locked the service, owned by its requester, with its reason; others are refused
    expect(await h.store.environments.locks('production')).toEqual([
      expect.objectContaining({ service: 'foxy-backend', owner: 'U0DAVE', requestId: id, reason: expect.stringContaining('5xx spike after v6') }),
    ]);
    expect(answer(await h.command('prod', { user: 'U0ERIN' })).text).toContain('<@U0DAVE>');

    // Assess: the next deploy card (of the lock's owner) carries the note
    h.github.pushCommits(REPO, 'main', ['Try again']);
    const next = deployIdFrom(await h.command('prod'));
    await h.idle();
    expect(await card(next)).toMatch(/:rewind: \*production\* was rolled back from `[0-9a-f]{7}` \(v6\) by <@U0DAVE> <!date[^>]+>: 5xx spike after v6/);
  });
});

describe('the lock a rollback takes', () => {
  beforeEach(() => start());

  test("leaves the requester's own lock on the service as it is: its reason and end are not overwritten", async () => {
    // Prepare: v5, then v6; Dave locks the service for a migration, then rolls v6 back
    await recorded('5', 'U0FRANK');
    await recorded('6', 'U0DAVE');
    expect(answer(await h.command('lock prod backend DB migration for 2h', { user: 'U0DAVE' })).text).toContain('DB migration');
    const [before] = await h.store.environments.locks('production');
    const id = await rollback('prod because 5xx spike after v6');

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess: rolled back, and the lock is Dave's migration lock, unchanged
    expect((await h.store.requests.get(id))!.status).toBe('succeeded');
    expect(await h.store.environments.locks('production')).toEqual([before]);
    expect(before).toMatchObject({ owner: 'U0DAVE', reason: 'DB migration' });
  });
});

describe('`/deploy rollback` by alias', () => {
  let v4: DeploymentRecord;
  let v6: DeploymentRecord;

  beforeEach(async () => {
    await start();
    h.github.pushCommits(REPO, 'main', 2);
    v4 = await recorded('4', 'U0ERIN');
    await recorded('5', 'U0FRANK');
    v6 = await recorded('6', 'U0DAVE');
  });

  test('refuses when the alias moved since the card: names where it points and who deployed that, and offers Retry', async () => {
    // Prepare: the card says v6 → v5; then someone points live at v4 by hand
    const id = await rollback('prod');
    h.lambda.moveAlias(TARGET_FUNCTION, 'live', '4');

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
    await h.idle();

    // Assess
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({
      status: 'rollback_failed',
      failure: { code: 'alias_moved', params: expect.objectContaining({ expected: '6', actual: '4', deployId: v4.requestId, deployer: 'U0ERIN' }) },
    });
    expect(aliasMoves()).toHaveLength(0);
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('4');
    const text = await card(id);
    expect(text).toContain(
      `:x: *Rollback failed.* \`live\` of \`${TARGET_FUNCTION}\` no longer serves v6 as the card said: it serves v4 now, ` +
        `left there by deploy \`${v4.requestId}\` (\`${short(v4.sha!)}\`) of <@U0ERIN>. Nothing was moved.`,
    );
    expect(text).toContain('Retry rollback');
    expect((await h.store.ledger.current('foxy-backend', 'production'))!.requestId).toBe(v6.requestId);
  });

  test('refuses a version pruned since the card, and says so', async () => {
    // Prepare
    const id = await rollback('prod');
    h.lambda.deleteVersion(TARGET_FUNCTION, '5');

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
    await h.idle();

    // Assess
    expect((await h.store.requests.get(id))!.failure).toMatchObject({
      code: 'version_pruned',
      params: { function: TARGET_FUNCTION, alias: 'live', version: '5' },
    });
    expect(aliasMoves()).toHaveLength(0);
    expect(await card(id)).toContain(`Version 5 of \`${TARGET_FUNCTION}\` no longer exists`);
  });

  test('a denied UpdateAlias names the action and the resource; Retry re-arms it and moves the alias', async () => {
    // Prepare
    const id = await rollback('prod');
    h.lambda.failNext({
      method: 'PUT',
      pathIncludes: '/aliases/',
      status: 403,
      errorType: 'AccessDeniedException',
      message: 'not authorized to perform: lambda:UpdateAlias',
    });

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
    await h.idle();

    // Assess: failed, and why
    expect((await h.store.requests.get(id))!.status).toBe('rollback_failed');
    expect(await card(id)).toContain(
      `AWS refused \`lambda:UpdateAlias\` on \`${TARGET_FUNCTION}:live\` (access denied: not authorized to perform: lambda:UpdateAlias).`,
    );

    // Act: Retry
    await h.click(ACTION_IDS.retry, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess
    expect((await h.store.requests.get(id))!.status).toBe('succeeded');
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    expect(aliasMoves()).toHaveLength(2);
    expect(await card(id)).toContain('*Rolled back*');
  });

  test('the command and the approval answer without calling Lambda or GitHub: planning and the move are jobs', async () => {
    // Prepare
    const before = { lambda: h.lambda.requests.length, github: h.github.requests.length };
    h.stream.pause();

    // Act: ask, with the jobs held back
    const id = deployIdFrom(await h.command('rollback prod', { user: 'U0DAVE' }));

    // Assess
    expect((await h.store.requests.get(id))!.status).toBe('preparing');
    expect(h.lambda.requests.length).toBe(before.lambda);
    expect(h.github.requests.length).toBe(before.github);

    // Act: plan, then approve with the jobs held back
    h.stream.resume();
    await h.idle();
    const planned = h.lambda.requests.length;
    h.stream.pause();
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });

    // Assess
    expect((await h.store.requests.get(id))!.status).toBe('approved');
    expect(h.lambda.requests.length).toBe(planned);
    h.stream.resume();
    await h.idle();
    expect((await h.store.requests.get(id))!.status).toBe('succeeded');
  });

  test('the requester cannot approve their own rollback', async () => {
    // Prepare: Alice is an approver
    const id = await rollback('prod', 'U0ALICE');

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess
    expect(ephemeralsTo('U0ALICE').join()).toContain('you cannot approve it');
    expect((await h.store.requests.get(id))!.status).toBe('awaiting_approval');
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('6');
  });

  test('10 concurrent approvals give exactly one UpdateAlias', async () => {
    // Prepare
    const id = await rollback('prod');
    const users = ['U0ALICE', 'U0BOB', 'U0CAROL'];

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.click(ACTION_IDS.approve, id, { user: users[i % 3]! })));
    await h.idle();

    // Assess
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(aliasMoves()).toHaveLength(1);
    expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({ status: 'succeeded', dispatchAttempts: 1 });
    expect(request!.approvals).toHaveLength(1);
  });

  test.each([
    ['a version', 'to v4'],
    ['a short SHA', 'to SHA4'],
    ['a deploy id', 'to ID4'],
  ])('`to` names the deploy to go back to: %s', async (_what, words) => {
    // Act
    const id = await rollback(`prod ${words.replace('SHA4', short(v4.sha!)).replace('ID4', v4.requestId)}`);

    // Assess
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({
      status: 'awaiting_approval',
      sha: v4.sha,
      rollback: { to: { requestId: v4.requestId, version: '4' }, from: { version: '6' } },
    });
    expect(request!.totalCommits).toBe(2);
    expect(await card(id)).toContain('*2 commit(s) being taken out');
  });

  test('`to` what runs now is refused privately, with the reason', async () => {
    // Act
    const id = await rollback('prod to v6');

    // Assess
    expect((await h.store.requests.get(id))!).toMatchObject({ status: 'prepare_failed', failure: { code: 'target_is_current' } });
    const whispers = h.slack.ephemerals.filter((e) => e.user === 'U0DAVE').map((e) => e.text);
    expect(whispers).toEqual([
      `:x: I could not plan the rollback of *foxy-backend* in *production*: \`${short(v6.sha!)}\` (v6) (deploy \`${v6.requestId}\`) ` +
        'is what runs in production now: there is nothing to roll back to.',
    ]);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Roll back'))).toHaveLength(0);
  });
});

test('a rollback of an environment with nothing deployed is refused privately', async () => {
  // Prepare
  await start();
  h.github.pushCommits(REPO, 'main', 1);

  // Act
  const id = await rollback('prod');

  // Assess
  expect((await h.store.requests.get(id))!.status).toBe('prepare_failed');
  expect(h.slack.ephemerals.map((e) => e.text).join()).toContain('Nothing was deployed to production through foxops yet');
});

test('with `rollback: redeploy`, the old SHA is dispatched once and its success is recorded as a rollback', async () => {
  // Prepare
  await start(configWithTargets('    rollback: redeploy\n'));
  h.github.pushCommits(REPO, 'main', 2);
  const v5 = await deploy('5');
  const v6 = await deploy('6');
  const dispatchesBefore = h.github.dispatches.length;

  // Act: ask and approve (10 concurrent clicks)
  const id = await rollback('prod because broken login');
  expect(await card(id)).toContain(`Redeploys \`${short(v5.request.sha!)}\` through \`deploy.yml\``);
  await Promise.all(Array.from({ length: 10 }, (_, i) => h.click(ACTION_IDS.approve, id, { user: i % 2 ? 'U0ALICE' : 'U0BOB' })));
  await h.idle();

  // Assess: one dispatch, for the old SHA, and no alias move
  const dispatches = h.github.dispatches.slice(dispatchesBefore);
  expect(dispatches).toHaveLength(1);
  expect(dispatches[0]!.inputs).toMatchObject({ sha: v5.request.sha, deploy_id: id, environment: 'production' });
  expect(aliasMoves()).toHaveLength(0);

  // Act: the run succeeds (its workflow moved live to a new version of the old code)
  const runId = dispatches[0]!.runId!;
  h.lambda.moveAlias(TARGET_FUNCTION, 'live', '7');
  later(2 * MINUTE);
  await h.webhook('workflow_run', workflowRunEvent('completed', { repo: REPO, runId, conclusion: 'success' }));
  await h.idle();

  // Assess
  expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({
    requestId: id,
    kind: 'rollback',
    sha: v5.request.sha,
    version: '7',
    restores: { requestId: v5.request.id },
    rolledBackFrom: { requestId: v6.request.id, sha: v6.request.sha, reason: 'broken login' },
  });
});

test('with `rollback_approvals: 0`, the alias is moved back as soon as the rollback is planned', async () => {
  // Prepare
  await start(configWithTargets().replace('    run_timeout: 60m\n', '    run_timeout: 60m\n    rollback_approvals: 0\n'));
  h.github.pushCommits(REPO, 'main', 1);
  await recorded('5', 'U0FRANK');
  await recorded('6', 'U0DAVE');

  // Act
  const id = await rollback('prod because urgent');

  // Assess
  expect(await h.store.requests.get(id)).toMatchObject({ status: 'succeeded', requiredApprovals: 0, approvals: [] });
  expect(h.lambda.aliasVersion(TARGET_FUNCTION, 'live')).toBe('5');
  expect(await card(id)).toContain('*Rolled back*');
});
