/**
 * The whole `/deploy prod` loop through the real Lambda handler: signed Function URL events into
 * Bolt's AwsLambdaReceiver, async jobs through the table's (fake) stream back into the handler, the real
 * WebClient and Octokit against loopback fakes, and dynalite.
 */
import { blocksText, deployIdFrom, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  // Short card-edit slots: these tests are about approvals and dispatch, not Slack's rate.
  h = await startHarness({ cardSpacingMs: 50 });
  h.github.pushCommits(REPO, 'main', 3);
});
afterEach(async () => {
  await h.close();
});

const answerText = (result: { body: string }) => JSON.parse(result.body).text as string;
const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return h.slack.message(request!.channel, request!.cardTs!);
};
const ephemeralsTo = (user: string) => h.slack.responsesTo(`click-${user}`).map((r) => (r.body as { text: string }).text);

/** `/deploy prod` as Dave, and wait for the card. */
async function requestProd(text = 'prod', user = 'U0DAVE'): Promise<string> {
  const result = await h.command(text, { user });
  expect(result.statusCode).toBe(200);
  const id = deployIdFrom(result);
  await h.idle();
  return id;
}

describe('signatures', () => {
  test.each([
    ['forged', { signature: 'v0=' + '0'.repeat(64) }],
    ['stale', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
    // Signed correctly for 6 minutes from now: Bolt's receiver checks only the past side of Slack's window.
    ['future-dated', { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 }],
    ['missing', { signature: null }],
  ])('a %s signature gets 401 and stores nothing', async (_name, options) => {
    // Prepare
    const body = new URLSearchParams({
      command: '/deploy',
      text: 'prod',
      user_id: 'U0DAVE',
      channel_id: 'C0PROD',
      trigger_id: 't1',
      response_url: h.slack.responseUrl('x'),
    }).toString();
    // Act
    const result = await h.slackRequest(body, options as never);
    await h.idle();
    // Assess
    expect(result.statusCode).toBe(401);
    expect(await h.store.requests.listActive()).toHaveLength(0);
    expect(h.slack.calls).toHaveLength(0);
    expect(h.github.dispatches).toHaveLength(0);
  });

  test('a base64 body with non-ASCII text is verified and parsed as UTF-8', async () => {
    const body = new URLSearchParams({
      command: '/deploy',
      text: 'prod café',
      user_id: 'U0DAVE',
      channel_id: 'C0PROD',
      trigger_id: 't2',
      response_url: h.slack.responseUrl('x'),
    }).toString();
    const result = await h.slackRequest(body, { base64: true });
    expect(result.statusCode).toBe(200);
    expect(answerText(result)).toContain('`café` is not a valid git ref');
  });
});

describe('the command', () => {
  test('`/deploy` alone and `/deploy help` answer with help naming the real services', async () => {
    for (const text of ['', 'help']) {
      const result = await h.command(text);
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body).response_type).toBe('ephemeral');
      expect(answerText(result)).toContain('foxy-backend');
      expect(answerText(result)).toContain('production');
    }
    // The bot's ids come from the environment: no auth.test round trip on a cold start.
    expect(h.slack.callsTo('auth.test')).toHaveLength(0);
  });

  test('an unknown environment gets the closest valid name', async () => {
    const result = await h.command('prdo foxy-backend');
    expect(answerText(result)).toMatch(/I don't know the environment `prdo`\. Did you mean `prod`/);
    expect(await h.store.requests.listActive()).toHaveLength(0);
  });

  test('a request from a channel not configured for the environment is refused with the reason', async () => {
    const result = await h.command('prod', { channel: 'C0RANDOM' });
    expect(answerText(result)).toContain('are requested in <#C0PROD>');
    expect(await h.store.requests.listActive()).toHaveLength(0);
  });

  test('with a requesters list, others are refused with who may ask, and a member of a listed group may', async () => {
    // Prepare
    await h.close();
    h = await startHarness({ config: TEST_CONFIG.replace('requesters: any', 'requesters: [U0ALICE, S0RELEASE]'), cardSpacingMs: 50 });
    h.github.pushCommits(REPO, 'main', 1);
    // Act
    const dave = await h.command('prod', { user: 'U0DAVE' });
    const carol = await h.command('prod', { user: 'U0CAROL' });
    await h.idle();
    // Assess
    expect(answerText(dave)).toContain('You are not on the list of people who may request *production* deploys (<@U0ALICE>, <!subteam^S0RELEASE>)');
    expect(answerText(carol)).toContain('Resolving `main`');
    expect((await h.store.requests.listActive()).map((r) => r.requester)).toEqual(['U0CAROL']);
  });

  test('a Slack retry of the same command gives one request and one card', async () => {
    // Prepare
    const triggerId = 'trigger-retried';
    // Act
    const first = await h.command('prod', { triggerId });
    const retry = await h.command('prod', { triggerId, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    await h.idle();
    // Assess
    expect(deployIdFrom(first)).toBe(deployIdFrom(retry));
    expect(await h.store.requests.listActive()).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const requested = (await h.store.audit.list(deployIdFrom(first))).filter((e) => e.action === 'request');
    expect(requested).toHaveLength(1);
  });

  test("the ack stores the request alone: its own item is its prepare job, which writes the request's audit entry", async () => {
    // Prepare: the stream holds its deliveries, so what the ack wrote can be seen before any job runs
    h.stream.pause();

    // Act
    const answer = await h.command('prod');
    const id = deployIdFrom(answer);
    const writtenByAck = h.stream.records.map((r) => `${r.dynamodb.Keys.PK?.S} ${r.dynamodb.Keys.SK?.S}`);
    const auditByAck = await h.store.audit.list(id);
    h.stream.resume();
    await h.idle();

    // Assess
    expect(answerText(answer)).toContain('Resolving `main`');
    expect(writtenByAck).toEqual([`REQ#${id} #REQ`]);
    expect(auditByAck).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const request = await h.store.requests.get(id);
    expect(await h.store.audit.list(id)).toEqual([
      expect.objectContaining({ action: 'request', actor: 'U0DAVE', outcome: 'ok', at: request!.createdAt }),
      expect.objectContaining({ action: 'pin', actor: 'foxops' }),
    ]);
  });

  test('the prepare job writes the audit entry once, though it runs again after a failure', async () => {
    // Prepare: Slack refuses the first card post, so the prepare job fails once and is delivered again
    h.slack.failNext('chat.postMessage', { error: 'internal_error' });

    // Act
    const id = deployIdFrom(await h.command('prod'));
    await h.idle();

    // Assess
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
    const request = await h.store.requests.get(id);
    expect(request!.cardTs).toEqual(expect.any(String));
    expect(await h.store.audit.list(id)).toEqual([
      expect.objectContaining({ action: 'request', actor: 'U0DAVE', outcome: 'ok', at: request!.createdAt, detail: 'foxy-backend main to production' }),
      expect.objectContaining({ action: 'pin', actor: 'foxops' }),
    ]);
  });
});

describe('the card and its approvals', () => {
  test('the card pins the SHA and lists the commits since the last deploy', async () => {
    // Prepare: a previous deploy of the first commit
    const [first] = h.github.pushCommits(REPO, 'main', ['Fix login', 'Add metrics']);
    await h.store.ledger.record({
      service: 'foxy-backend',
      environment: 'production',
      sha: first!,
      ref: 'main',
      requestId: 'd-previous00',
      kind: 'deploy',
      requester: 'U0BOB',
      approvers: [],
      outcome: 'succeeded',
      finishedAt: new Date().toISOString(),
    });
    const head = h.github.headOf(REPO, 'main');
    // Act
    const id = await requestProd('production backend main');
    // Assess
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({ status: 'awaiting_approval', sha: head, baseSha: first, requester: 'U0DAVE' });
    const text = blocksText(await card(id));
    expect(text).toContain(head.slice(0, 7));
    expect(text).toContain('Add metrics');
    expect(text).not.toContain('Fix login');
    expect(text).toContain('0 of 2');
    expect(text).toContain('<@U0DAVE>');
  });

  test('the requester cannot approve, a non-approver cannot, and both are told why and audited', async () => {
    // Prepare: Alice is an approver and requests herself
    const id = await requestProd('prod', 'U0ALICE');
    // Act
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.click('deploy_approve', id, { user: 'U0EVE' });
    // Assess
    expect(ephemeralsTo('U0ALICE').join()).toContain('You requested this deploy, so you cannot approve it');
    expect(ephemeralsTo('U0EVE').join()).toContain('Only <@U0ALICE>, <@U0BOB>, <!subteam^S0RELEASE> may approve');
    const request = await h.store.requests.get(id);
    expect(request!.approvals).toHaveLength(0);
    const audit = await h.store.audit.list(id);
    expect(audit.filter((a) => a.outcome === 'refused').map((a) => JSON.parse(a.detail!).code)).toEqual(['self_approval', 'not_approver']);
  });

  test('a member of an approver group approves, and a button from another message is refused', async () => {
    const id = await requestProd();
    await h.click('deploy_approve', id, { user: 'U0CAROL', ts: '1111.2222' });
    expect((await h.store.requests.get(id))!.approvals).toHaveLength(0);
    expect(ephemeralsTo('U0CAROL').join()).toContain('does not belong to a deploy request');

    await h.click('deploy_approve', id, { user: 'U0CAROL' });
    await h.idle(); // the card is edited by an async job, off the ack path
    const request = await h.store.requests.get(id);
    expect(request!.approvals).toEqual([expect.objectContaining({ userId: 'U0CAROL', viaGroup: 'S0RELEASE' })]);
    expect(blocksText(await card(id))).toContain('1 of 2: <@U0CAROL>');
  });

  test('10 concurrent Approve clicks from two approvers give two approvals and exactly one dispatch', async () => {
    // Prepare
    const id = await requestProd();
    const sha = (await h.store.requests.get(id))!.sha;
    // Act
    const clicks = Array.from({ length: 10 }, (_, i) => h.click('deploy_approve', id, { user: i % 2 ? 'U0ALICE' : 'U0BOB' }));
    const results = await Promise.all(clicks);
    await h.idle();
    // Assess
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(h.github.dispatches).toHaveLength(1);
    expect(h.github.dispatches[0]).toMatchObject({ repo: REPO, workflow: 'deploy.yml', ref: 'main' });
    const inputs = h.github.dispatches[0]!.inputs;
    expect(Object.keys(inputs).sort()).toEqual(['approved_by', 'deploy_id', 'environment', 'requested_by', 'sha']);
    expect(inputs).toMatchObject({ environment: 'production', sha, deploy_id: id, requested_by: 'U0DAVE' });
    expect(String(inputs.approved_by).split(',').sort()).toEqual(['U0ALICE', 'U0BOB']);
    const request = await h.store.requests.get(id);
    expect(request!.status).toBe('dispatched');
    expect(request!.approvals).toHaveLength(2);
    expect(request!.run?.id).toBe(h.github.dispatches[0]!.runId);
    expect(blocksText(await card(id))).toContain(`actions/runs/${request!.run!.id}`);
    // The 8 extra clicks were each told why they did not count.
    const told = [...ephemeralsTo('U0ALICE'), ...ephemeralsTo('U0BOB')];
    expect(told).toHaveLength(8);
    for (const text of told) expect(text).toMatch(/already approved|takes no more approvals/);
  });

  test('approvers approve the pinned SHA even when the branch moves afterwards', async () => {
    const id = await requestProd();
    const pinned = (await h.store.requests.get(id))!.sha;
    h.github.pushCommits(REPO, 'main', ['Sneaky change']);
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.click('deploy_approve', id, { user: 'U0BOB' });
    await h.idle();
    expect(h.github.dispatches[0]!.inputs.sha).toBe(pinned);
  });

  test.each([
    ['an abbreviated SHA', 7],
    ['a full SHA', 40],
  ])('%s as the ref dispatches the default branch workflow at that SHA', async (_name, length) => {
    // Prepare: the head of main, typed as the ref
    const head = h.github.headOf(REPO, 'main');
    const id = await requestProd(`prod ${head.slice(0, length)}`);

    // Act
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.click('deploy_approve', id, { user: 'U0BOB' });
    await h.idle();

    // Assess: GitHub runs workflow_dispatch on a branch or tag, never on a SHA
    expect(h.github.dispatches).toHaveLength(1);
    expect(h.github.dispatches[0]).toMatchObject({ ref: 'main', inputs: expect.objectContaining({ sha: head }) });
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
  });

  test('an expired request takes no approval and its card shows Expired', async () => {
    const id = await requestProd();
    h.clock.now = new Date(h.clock.now.getTime() + 31 * 60_000);
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.idle();
    expect(ephemeralsTo('U0ALICE').join()).toContain('expired');
    expect((await h.store.requests.get(id))!.status).toBe('expired');
    expect(blocksText(await card(id))).toContain('Expired');
    expect(h.github.dispatches).toHaveLength(0);
  });

  test('Reject asks why in a dialog; submitting it ends the request with the reason on the card', async () => {
    // Prepare
    const id = await requestProd();
    // Act: click, then submit the dialog that opened
    await h.click('deploy_reject', id, { user: 'U0BOB' });
    const [opened] = h.slack.openedViews;
    expect(opened?.view).toMatchObject({ type: 'modal', callback_id: 'deploy_reject_reason' });
    const answer = await h.submitView(
      'deploy_reject_reason',
      String(opened!.view.private_metadata),
      { reason: { reason_input: 'Freeze for the sale tonight' } },
      'U0BOB',
    );
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.idle();
    // Assess
    expect(answer.statusCode).toBe(200);
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({ status: 'rejected', rejectedBy: 'U0BOB', rejectionReason: 'Freeze for the sale tonight', approvals: [] });
    expect(blocksText(await card(id))).toContain('Rejected by <@U0BOB>: Freeze for the sale tonight');
    expect(ephemeralsTo('U0ALICE').join()).toContain('takes no more approvals');
    expect((await h.store.audit.list(id)).find((a) => a.action === 'reject' && a.outcome === 'ok')?.detail).toBe('Freeze for the sale tonight');
  });

  test('Reject by someone who may not opens no dialog, and a forged dialog is refused inside it', async () => {
    const id = await requestProd();
    await h.click('deploy_reject', id, { user: 'U0EVE' });
    expect(h.slack.openedViews).toHaveLength(0);
    expect(ephemeralsTo('U0EVE').join()).toContain('Only the requester or');
    // A submission built by hand for someone who may not reject: the stored policy decides again.
    const answer = await h.submitView('deploy_reject_reason', JSON.stringify({ requestId: id }), { reason: { reason_input: 'no' } }, 'U0EVE');
    expect(JSON.parse(answer.body)).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringContaining('Only the requester or') } });
    expect((await h.store.requests.get(id))!.status).toBe('awaiting_approval');
  });
});

describe('dispatch', () => {
  async function approveBoth(id: string) {
    await h.click('deploy_approve', id, { user: 'U0ALICE' });
    await h.click('deploy_approve', id, { user: 'U0BOB' });
    await h.idle();
  }

  test('GitHub answering 500 once is retried and the deploy is dispatched', async () => {
    const id = await requestProd();
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 500 });
    await approveBoth(id);
    expect(h.github.dispatches).toHaveLength(1);
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
  });

  test('a dispatch that GitHub carried out but whose answer was lost is not sent again', async () => {
    // Prepare: a client that gives up after 300 ms, and a GitHub that acts but answers after 2 s
    await h.close();
    h = await startHarness({ githubTimeoutMs: 300, cardSpacingMs: 50 });
    h.github.pushCommits(REPO, 'main', 2);
    const id = await requestProd();
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 200, hangMs: 2000 });
    // Act
    await approveBoth(id);
    // Assess: foxops found the run by its deploy id instead of dispatching a second one
    expect(h.github.dispatches).toHaveLength(1);
    const request = await h.store.requests.get(id);
    expect(request!.status).toBe('dispatched');
    expect(request!.run?.id).toBe(h.github.dispatches[0]!.runId);
  });

  test('Retry after a last attempt that reached GitHub but timed out follows that run instead of sending again', async () => {
    // Prepare: two attempts fail without acting, the third acts but its answer is lost, so the request ends
    // in dispatch_failed although GitHub started the run
    await h.close();
    h = await startHarness({ githubTimeoutMs: 300, cardSpacingMs: 50 });
    h.github.pushCommits(REPO, 'main', 2);
    const id = await requestProd();
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 502, times: 2 });
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 200, hangMs: 2000 });
    await approveBoth(id);
    expect((await h.store.requests.get(id))!.status).toBe('dispatch_failed');
    expect(h.github.dispatches).toHaveLength(1);
    h.logs.take('dispatch.failed');

    // Act
    await h.click('deploy_retry', id, { user: 'U0ALICE' });
    await h.idle();

    // Assess: the run GitHub started is followed; no second dispatch
    expect(h.github.dispatches).toHaveLength(1);
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({ status: 'queued', run: { id: h.github.dispatches[0]!.runId }, dispatchAttempts: 2 });
  });

  test('a secondary rate limit is waited out and the dispatch goes through once', async () => {
    const id = await requestProd();
    h.github.failNext({
      method: 'POST',
      pathIncludes: '/dispatches',
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '1' },
    });
    await approveBoth(id);
    expect(h.github.dispatches).toHaveLength(1);
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
  });

  test('a missing workflow puts the request in dispatch_failed with the file named, and Retry works once fixed', async () => {
    // Prepare
    const id = await requestProd();
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 404, message: 'Not Found' });
    // Act
    await approveBoth(id);
    // Assess
    let request = await h.store.requests.get(id);
    expect(request).toMatchObject({
      status: 'dispatch_failed',
      failure: { code: 'workflow_not_found', params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 404 }, cause: 'Not Found' },
    });
    expect(h.logs.take('dispatch.failed')).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: id,
        workflow: 'deploy.yml',
        err: expect.objectContaining({ name: 'SourceControlError', message: expect.stringMatching(/workflow_not_found .*workflow=deploy\.yml.*: Not Found/) }),
      }),
    ]);
    const text = blocksText(await card(id));
    expect(text).toContain('.github/workflows/deploy.yml');
    expect(JSON.stringify((await card(id))!.blocks)).toContain('deploy_retry');
    // A non-approver may not retry; an approver may.
    await h.click('deploy_retry', id, { user: 'U0EVE' });
    expect(ephemeralsTo('U0EVE').join()).toContain('may retry');
    await h.click('deploy_retry', id, { user: 'U0ALICE' });
    await h.idle();
    request = await h.store.requests.get(id);
    expect(request!.status).toBe('dispatched');
    expect(h.github.dispatches).toHaveLength(1);
  });

  test('a 403 says which permission is missing', async () => {
    const id = await requestProd();
    h.github.failNext({ method: 'POST', pathIncludes: '/dispatches', status: 403, message: 'Resource not accessible by integration' });
    await approveBoth(id);
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({
      status: 'dispatch_failed',
      failure: { code: 'forbidden', params: { action: 'dispatch', repo: REPO, status: 403 }, cause: 'Resource not accessible by integration' },
    });
    expect(blocksText(await card(id))).toContain(
      `GitHub refused to dispatch deploy.yml on ${REPO} (403: Resource not accessible by integration). foxops needs Actions: read and write`,
    );
    expect(h.logs.take('dispatch.failed')).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: id,
        err: expect.objectContaining({ message: expect.stringMatching(/forbidden .*status=403.*: Resource not accessible by integration/) }),
      }),
    ]);
  });

  test('a server that refuses return_run_details still dispatches, without a run id', async () => {
    h.github.runDetails = false;
    const id = await requestProd();
    await approveBoth(id);
    const request = await h.store.requests.get(id);
    expect(request!.status).toBe('dispatched');
    expect(request!.run?.id).toBeUndefined();
    expect(h.github.dispatches).toHaveLength(1);
    expect(blocksText(await card(id))).toContain('actions/workflows/deploy.yml');
  });

  test('an unknown ref never gets a card: the requester is told in the channel', async () => {
    const result = await h.command('prod backend no-such-branch');
    const id = deployIdFrom(result);
    await h.idle();
    expect(await h.store.requests.get(id)).toMatchObject({
      status: 'prepare_failed',
      failure: {
        code: 'ref_not_found',
        params: { action: 'resolve', repo: REPO, ref: 'no-such-branch', status: 422 },
        cause: 'No commit found for SHA: no-such-branch',
      },
    });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    const ephemeral = h.slack.callsTo('chat.postEphemeral')[0]!.args;
    expect(ephemeral).toMatchObject({ channel: 'C0PROD', user: 'U0DAVE' });
    expect(String(ephemeral.text)).toContain('`no-such-branch` does not exist');
  });

  test('an environment with no approvals dispatches at once', async () => {
    const result = await h.command('stg', { channel: 'C0STAGING' });
    const id = deployIdFrom(result);
    await h.idle();
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
    expect(h.github.dispatches).toEqual([expect.objectContaining({ inputs: expect.objectContaining({ environment: 'staging', approved_by: '' }) })]);
  });
});
