/**
 * The `ci` pre-flight check through the real Lambda handler, against the loopback GitHub fake: a failing required
 * check refuses the request; a running one shows ⏳ and Approve waits until a real `check_suite` (or `status`)
 * delivery has the card turn ✓; what GitHub does not let foxops read fails closed, with the reason; without
 * `required_checks`, the default branch's protection names the required checks.
 */
import { fixture } from '../support/github-events.js';
import { blocksText, deployIdFrom, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

let h: Harness;

const WITH_REQUIRED = TEST_CONFIG.replace('    run_timeout: 60m\n', '    run_timeout: 60m\n    required_checks: [build, test]\n');

const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};
const whispersTo = (user: string) =>
  h.slack
    .callsTo('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));

/** What a click of `user` was answered privately (through the response URL). */
const answersTo = (user: string) => h.slack.responsesTo(`click-${user}`).map((r) => String((r.body as { text?: string }).text));

/** Sends `/deploy prod` and waits for its prepare job; returns the request. */
async function ask() {
  const id = deployIdFrom(await h.command('prod backend main'));
  await h.idle();
  return (await h.store.requests.get(id))!;
}

/** GitHub's `check_suite` `completed` delivery (webhooks-examples #0) for `sha` of the test repository. */
function checkSuiteCompleted(sha: string): Record<string, any> {
  const payload = fixture('check_suite.completed');
  payload.check_suite.head_sha = sha;
  payload.repository = { ...payload.repository, full_name: REPO, name: REPO.split('/')[1] };
  return payload;
}

/** GitHub's `status` delivery (webhooks-examples #0) for `sha` of the test repository. */
function statusEvent(sha: string, context: string, state: string): Record<string, any> {
  const payload = fixture('status.success');
  Object.assign(payload, { sha, context, state });
  payload.repository = { ...payload.repository, full_name: REPO, name: REPO.split('/')[1] };
  return payload;
}

afterEach(async () => {
  await h?.close();
});

describe('with required_checks: [build, test]', () => {
  beforeEach(async () => {
    h = await startHarness({ config: WITH_REQUIRED, cardSpacingMs: 20 });
  });

  it('refuses a SHA whose required check failed, or lacks one, naming them', async () => {
    const [sha] = h.github.pushCommits(REPO, 'main', ['Break the build']);
    h.github.setCheckRuns(REPO, sha!, [{ name: 'build', status: 'completed', conclusion: 'failure' }]);

    const request = await ask();

    expect(request).toMatchObject({ status: 'prepare_failed', sha, failure: { code: 'preflight_failed', params: { failed: 'ci', ci: 'failing' } } });
    expect(request.preflight?.find((c) => c.check === 'ci')).toMatchObject({ verdict: 'fail', items: ['build: failure', 'test: missing'] });
    expect(whispersTo('U0DAVE').join('\n')).toContain('Required CI checks failed or are missing on this SHA (`build: failure`, `test: missing`)');
    expect(h.github.dispatches).toHaveLength(0);
  });

  it('shows a running check as ⏳, refuses Approve until a check_suite delivery turns it ✓, then approves and dispatches', async () => {
    const [sha] = h.github.pushCommits(REPO, 'main', ['Work in progress']);
    h.github.setCheckRuns(REPO, sha!, [
      { name: 'build', status: 'in_progress' },
      { name: 'test', status: 'completed', conclusion: 'success' },
    ]);
    const request = await ask();
    expect(request.status).toBe('awaiting_approval');
    expect(await card(request.id)).toContain('⏳ CI: still running `build`');

    await h.click('deploy_approve', request.id, { user: 'U0ALICE' });
    await h.idle();
    expect(answersTo('U0ALICE').join('\n')).toContain(
      `CI is still running on \`${sha!.slice(0, 7)}\` (\`build\`): Approve once it is green; the card updates by itself.`,
    );
    expect((await h.store.requests.get(request.id))!.approvals).toHaveLength(0);

    // A delivery about another commit changes nothing.
    const other = await h.webhook('check_suite', checkSuiteCompleted('0'.repeat(40)));
    expect(JSON.parse(other.body)).toEqual({ ok: true, ignored: 'sha' });

    h.github.setCheckRuns(REPO, sha!, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    const answer = await h.webhook('check_suite', checkSuiteCompleted(sha!));
    expect(JSON.parse(answer.body)).toEqual({ ok: true, queued: [request.id] });
    await h.idle();

    expect((await h.store.requests.get(request.id))!.preflight?.find((c) => c.check === 'ci')).toMatchObject({ verdict: 'pass', code: 'green' });
    expect(await card(request.id)).toContain('✓ CI: all 2 required checks green (from `required_checks`)');
    await h.click('deploy_approve', request.id, { user: 'U0ALICE' });
    await h.click('deploy_approve', request.id, { user: 'U0BOB' });
    await h.idle();
    expect(h.github.dispatches).toHaveLength(1);
    expect(h.github.dispatches[0]!.inputs.sha).toBe(sha);
  });

  it('keeps a request waiting with ✗ when a status delivery reports a failure, and Approve refuses it', async () => {
    const [sha] = h.github.pushCommits(REPO, 'main', ['Legacy CI']);
    h.github.setCheckRuns(REPO, sha!, [{ name: 'build', status: 'completed', conclusion: 'success' }]);
    h.github.setStatuses(REPO, sha!, [{ context: 'test', state: 'pending' }]);
    const request = await ask();
    expect(request.status).toBe('awaiting_approval');

    h.github.setStatuses(REPO, sha!, [{ context: 'test', state: 'failure' }]);
    await h.webhook('status', statusEvent(sha!, 'test', 'failure'));
    await h.idle();

    const after = (await h.store.requests.get(request.id))!;
    expect(after.status).toBe('awaiting_approval');
    expect(after.preflight?.find((c) => c.check === 'ci')).toMatchObject({ verdict: 'fail', items: ['test: failure'] });
    await h.click('deploy_approve', request.id, { user: 'U0ALICE' });
    await h.idle();
    expect(answersTo('U0ALICE').join('\n')).toContain('CI failed on');
    expect(h.github.dispatches).toHaveLength(0);
  });

  it('has the reconciler look again at a ⏳ whose delivery was lost, once it waited a minute', async () => {
    const [sha] = h.github.pushCommits(REPO, 'main', ['Slow CI']);
    h.github.setCheckRuns(REPO, sha!, [
      { name: 'build', status: 'queued' },
      { name: 'test', status: 'queued' },
    ]);
    const request = await ask();
    h.github.setCheckRuns(REPO, sha!, [
      { name: 'build', status: 'completed', conclusion: 'success' },
      { name: 'test', status: 'completed', conclusion: 'success' },
    ]);

    await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    await h.idle();
    expect((await h.store.requests.get(request.id))!.preflight?.find((c) => c.check === 'ci')?.verdict).toBe('pending');

    h.clock.now = new Date(h.clock.now.getTime() + 61_000);
    await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    await h.idle();
    expect((await h.store.requests.get(request.id))!.preflight?.find((c) => c.check === 'ci')?.verdict).toBe('pass');
    expect(await card(request.id)).toContain('✓ CI: all 2 required checks green');
  });

  it('fails closed when GitHub does not let foxops read the check runs, with the reason', async () => {
    h.github.pushCommits(REPO, 'main', ['Anything']);
    h.github.failNext({ method: 'GET', pathIncludes: '/check-runs', status: 403, message: 'Resource not accessible by integration' });

    const request = await ask();

    expect(request).toMatchObject({
      status: 'prepare_failed',
      failure: { code: 'preflight_failed', params: { failed: 'ci', ci: 'unreadable', ciStatus: 403 } },
    });
    expect(whispersTo('U0DAVE').join('\n')).toContain(
      'GitHub did not let foxops read the check runs (HTTP 403): “Resource not accessible by integration”, so CI counts as failed.',
    );
    expect(h.github.dispatches).toHaveLength(0);
  });
});

describe('without required_checks', () => {
  beforeEach(async () => {
    h = await startHarness({ cardSpacingMs: 20 });
  });

  it('passes with none_required when the default branch is not protected, reading no check runs', async () => {
    h.github.pushCommits(REPO, 'main', ['Anything']);
    const request = await ask();
    expect(request.status).toBe('awaiting_approval');
    expect(request.preflight?.find((c) => c.check === 'ci')).toEqual({ check: 'ci', verdict: 'pass', code: 'none_required' });
    expect(h.github.requests.some((r) => r.path.includes('/check-runs'))).toBe(false);
  });

  it('takes the required checks from the default branch protection', async () => {
    const [sha] = h.github.pushCommits(REPO, 'main', ['Anything']);
    h.github.protectBranch(REPO, 'main', ['build']);
    h.github.setCheckRuns(REPO, sha!, [{ name: 'build', status: 'queued' }]);
    const request = await ask();
    expect(request.preflight?.find((c) => c.check === 'ci')).toMatchObject({ verdict: 'pending', params: { source: 'protection' }, items: ['build'] });
  });

  it('fails closed when the protection cannot be read (a 500 that outlasts the retries)', async () => {
    h.github.pushCommits(REPO, 'main', ['Anything']);
    h.github.failNext({ method: 'GET', pathIncludes: '/branches/', status: 500, times: 10 });
    const request = await ask();
    expect(request).toMatchObject({ status: 'prepare_failed', failure: { params: { ci: 'unreadable', ciRead: 'protection', ciStatus: 500 } } });
  });
});
