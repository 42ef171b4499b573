/**
 * `POST /github/webhooks` through the real Lambda handler, on real GitHub payloads (adapted to the seeded
 * run): signatures, redeliveries, out-of-order events, failing jobs, runs foxops did not start, re-runs,
 * and a burst of job events against Slack's update limit. Card edits and thread replies are async jobs
 * that come back into the same handler through the Lambda fake.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHandler, type HttpResult } from '../../src/lambda/index.js';
import { startLocalServer } from '../../src/local/server.js';
import { startFakeGitHub, startFakeSlack } from '../fakes/index.js';
import { cardCalls, type Seeded, seedDeploy } from '../support/deploys.js';
import { deploymentStatusEvent, fixture, runEventSequence, workflowJobEvent, workflowRunEvent } from '../support/github-events.js';
import { blocksText, githubSignature, REPO, type Harness, startHarness, TEST_CONFIG, WEBHOOK_SECRET } from '../support/harness.js';
import { captureConsole } from '../support/logs.js';

let h: Harness;

const body = (result: HttpResult) => JSON.parse(result.body) as Record<string, unknown>;
const cardOf = (seeded: Seeded) => h.slack.message('C0PROD', seeded.request.cardTs!);
const repliesTo = (seeded: Seeded) => [...h.slack.messages.values()].filter((m) => m.thread_ts === seeded.request.cardTs).map((m) => m.text ?? '');
const updatesOf = (seeded: Seeded) => h.slack.callsTo('chat.update').filter((c) => c.args.ts === seeded.request.cardTs);
const stored = async (seeded: Seeded) => (await h.store.requests.get(seeded.request.id))!;
const run = (seeded: Seeded, extra: { attempt?: number; conclusion?: string; startedAt?: string; updatedAt?: string } = {}) => ({
  repo: REPO,
  runId: seeded.runId!,
  title: seeded.title,
  ...extra,
});
const minutesLater = (minutes: number) => new Date(h.clock.now.getTime() + minutes * 60_000).toISOString();
const job = (seeded: Seeded, jobId: number, name: string, extra: { attempt?: number; conclusion?: string } = {}) => ({
  repo: REPO,
  runId: seeded.runId!,
  jobId,
  name,
  ...extra,
});

describe('with card edits spaced 20 ms', () => {
  beforeEach(async () => {
    h = await startHarness({ cardSpacingMs: 20 });
    h.github.pushCommits(REPO, 'main', 2);
  });
  afterEach(async () => {
    await h.close();
  });

  describe('who may post', () => {
    test.each([
      ['a wrong', 'sha256=' + '0'.repeat(64)],
      ['another secret’s', 'other'],
      ['no', null],
    ])('%s signature gets 401 and changes nothing, not even the delivery id', async (_name, signature) => {
      // Prepare
      const seeded = await seedDeploy(h);
      const payload = workflowRunEvent('completed', run(seeded));
      const forged = signature === 'other' ? githubSignature('not-the-secret', JSON.stringify(payload)) : signature;

      // Act
      const result = await h.webhook('workflow_run', payload, { delivery: 'delivery-1', signature: forged });
      await h.idle();
      const genuine = await h.webhook('workflow_run', payload, { delivery: 'delivery-1' });

      // Assess
      expect(result.statusCode).toBe(401);
      expect(body(result)).toEqual({ error: 'bad signature' });
      expect(h.slack.callsTo('chat.update')).toHaveLength(0);
      expect(body(genuine)).toMatchObject({ ok: true, changed: true, status: 'succeeded' });
    });

    test('a foxops without GITHUB_WEBHOOK_SECRET answers 503', async () => {
      // Prepare
      const { GITHUB_WEBHOOK_SECRET: _secret, ...env } = h.env;
      const handler = createHandler(env, { now: () => h.clock.now });
      const payload = JSON.stringify(fixture('ping'));

      // Act
      const result = (await handler({
        rawPath: '/github/webhooks',
        headers: { 'x-github-event': 'ping', 'x-hub-signature-256': githubSignature(WEBHOOK_SECRET, payload) },
        body: payload,
        requestContext: { http: { method: 'POST' } },
      })) as HttpResult;

      // Assess
      expect(result.statusCode).toBe(503);
      expect(body(result).error).toContain('GITHUB_WEBHOOK_SECRET');
      expect(h.logs.take('github.webhook_secret_missing')).toEqual([
        expect.objectContaining({ level: 'error', fix: expect.stringContaining('set GITHUB_WEBHOOK_SECRET') }),
      ]);
    });

    test('ping gets 200', async () => {
      // Act
      const result = await h.webhook('ping', fixture('ping'));

      // Assess
      expect(result.statusCode).toBe(200);
      expect(body(result)).toEqual({ ok: true, pong: true });
    });

    test.each([
      ['not JSON', '{"action":'],
      ['a workflow_run without its run', { action: 'completed', repository: { full_name: REPO } }],
      ['a run id that is not a number', { ...workflowRunEvent('completed', { repo: REPO, runId: 1 }), workflow_run: { id: 'abc' } }],
    ])('%s gets 400 and changes nothing', async (_name, payload) => {
      // Prepare
      const seeded = await seedDeploy(h);
      const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);

      // Act
      const result = (await h.handler({
        rawPath: '/github/webhooks',
        headers: { 'x-github-event': 'workflow_run', 'x-github-delivery': 'd-bad', 'x-hub-signature-256': githubSignature(WEBHOOK_SECRET, raw) },
        body: raw,
        requestContext: { http: { method: 'POST' } },
      })) as HttpResult;

      // Assess
      expect(result.statusCode).toBe(400);
      expect((await stored(seeded)).version).toBe(seeded.request.version);
    });
  });

  describe('following a run', () => {
    test('requested, in_progress and completed take the card to succeeded, with replies and the ledger', async () => {
      // Prepare
      const seeded = await seedDeploy(h);

      // Act
      for (const action of ['requested', 'in_progress'] as const)
        expect(body(await h.webhook('workflow_run', workflowRunEvent(action, run(seeded))))).toMatchObject({ changed: true });
      await h.webhook('workflow_job', workflowJobEvent('completed', job(seeded, 71, 'deploy')));
      h.clock.now = new Date(h.clock.now.getTime() + 4 * 60_000 + 10_000);
      const done = await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded)));
      await h.idle();

      // Assess
      expect(body(done)).toMatchObject({ ok: true, requestId: seeded.request.id, changed: true, status: 'succeeded' });
      const card = blocksText(cardOf(seeded));
      expect(card).toContain(`*Succeeded* in 4m 10s: <https://github.com/${REPO}/actions/runs/${seeded.runId}|run ${seeded.runId}>`);
      expect(card).toContain(`:white_check_mark: <https://github.com/${REPO}/actions/runs/${seeded.runId}/job/71|deploy> 3m 18s`);
      expect(repliesTo(seeded)).toEqual([expect.stringContaining('started'), expect.stringContaining('succeeded after 4m 10s')]);
      expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({
        sha: seeded.request.sha,
        requestId: seeded.request.id,
        runId: seeded.runId,
        outcome: 'succeeded',
        requester: 'U0DAVE',
        approvers: ['U0ALICE', 'U0BOB'],
      });
      expect(await h.store.requests.listActive()).toEqual([]);
    });

    test('a redelivered event is applied once', async () => {
      // Prepare
      const seeded = await seedDeploy(h, { status: 'running' });
      const payload = workflowRunEvent('completed', run(seeded, { conclusion: 'failure' }));
      const first = await h.webhook('workflow_run', payload, { delivery: 'same-delivery' });
      await h.idle();

      // Act
      const again = await h.webhook('workflow_run', payload, { delivery: 'same-delivery' });
      await h.idle();

      // Assess
      expect(body(first)).toMatchObject({ changed: true, status: 'failed' });
      expect(body(again)).toEqual({ ok: true, duplicate: true });
      expect((await stored(seeded)).version).toBe(seeded.request.version + 1);
      expect(repliesTo(seeded)).toHaveLength(1);
      expect(await h.store.ledger.history('foxy-backend', 'production', 10)).toHaveLength(1);
      expect(await h.store.audit.list(seeded.request.id)).toEqual([
        expect.objectContaining({ action: 'run', detail: expect.stringMatching(/^failed: run \d+ attempt 1/) }),
      ]);
    });

    test('completed before in_progress ends completed', async () => {
      // Prepare
      const seeded = await seedDeploy(h);

      // Act
      await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded)));
      const late = [
        await h.webhook('workflow_run', workflowRunEvent('in_progress', run(seeded))),
        await h.webhook('workflow_run', workflowRunEvent('requested', run(seeded))),
      ];
      await h.idle();

      // Assess
      expect(late.map((r) => body(r).changed)).toEqual([false, false]);
      expect((await stored(seeded)).status).toBe('succeeded');
      expect(blocksText(cardOf(seeded))).toContain('*Succeeded*');
      expect(repliesTo(seeded)).toEqual([expect.stringContaining('succeeded')]);
    });

    test('a failed job shows its name and links to it and its failing step, and the reply calls the people', async () => {
      // Prepare
      const seeded = await seedDeploy(h);
      await h.webhook('workflow_run', workflowRunEvent('in_progress', run(seeded)));
      await h.webhook('workflow_job', workflowJobEvent('completed', job(seeded, 81, 'build')));

      // Act
      await h.webhook('workflow_job', workflowJobEvent('completed', job(seeded, 82, 'lint', { conclusion: 'failure' })));
      await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded, { conclusion: 'failure' })));
      await h.idle();

      // Assess
      const jobUrl = `https://github.com/${REPO}/actions/runs/${seeded.runId}/job/82`;
      const card = blocksText(cardOf(seeded));
      expect(card).toContain(`*Failed*`);
      expect(card).toContain(`Job <${jobUrl}|lint> failed at step <${jobUrl}#step:8:1|Run yarn run format-check>.`);
      expect(card).toContain(`:x: <${jobUrl}|lint> 3m 18s: step <${jobUrl}#step:8:1|Run yarn run format-check> failed`);
      const failed = repliesTo(seeded).find((t) => t.includes('failed'))!;
      expect(failed).toContain('<@U0DAVE> <@U0ALICE> <@U0BOB>');
      expect(failed).toContain(`<${jobUrl}|lint>`);
      expect(await h.store.ledger.current('foxy-backend', 'production')).toBeUndefined();
      expect(await h.store.ledger.history('foxy-backend', 'production', 5)).toEqual([
        expect.objectContaining({ outcome: 'failed', requestId: seeded.request.id }),
      ]);
    });

    test('a re-run is shown as such and its success becomes what runs', async () => {
      // Prepare
      const seeded = await seedDeploy(h, { status: 'running' });
      await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded, { conclusion: 'failure' })));
      await h.idle();

      // Act
      const rerunStart = minutesLater(10);
      await h.webhook('workflow_run', workflowRunEvent('requested', run(seeded, { attempt: 2, startedAt: rerunStart })));
      await h.idle();
      const rerunCard = blocksText(cardOf(seeded));
      const rerunEnd = minutesLater(13);
      h.clock.now = new Date(Date.parse(rerunEnd) + 5_000);
      await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded, { attempt: 2, startedAt: rerunStart, updatedAt: rerunEnd })));
      await h.idle();

      // Assess
      expect(rerunCard).toContain('Queued');
      expect(rerunCard).toContain('(re-run, attempt 2)');
      expect(blocksText(cardOf(seeded))).toContain('*Succeeded* in 3m');
      expect(blocksText(cardOf(seeded))).toContain('(re-run, attempt 2)');
      expect((await h.store.ledger.history('foxy-backend', 'production', 5)).map((d) => [d.outcome, d.attempt])).toEqual([
        ['succeeded', 2],
        ['failed', 1],
      ]);
    });

    test('a deployment status shows the environment on the card', async () => {
      // Prepare
      const seeded = await seedDeploy(h, { status: 'running' });

      // Act
      const result = await h.webhook(
        'deployment_status',
        deploymentStatusEvent({ ...run(seeded), state: 'success', environment: 'production', environmentUrl: 'https://api.foxy.example' }),
      );
      await h.idle();

      // Assess
      expect(body(result)).toMatchObject({ changed: true, status: 'running' });
      expect(blocksText(cardOf(seeded))).toContain('GitHub environment <https://api.foxy.example|production>: success');
    });
  });

  describe('matching runs to requests', () => {
    test('without a run id from the dispatch, the deploy id in the run-name links the run for later job events', async () => {
      // Prepare
      const seeded = await seedDeploy(h, { run: 'unlinked' });
      const jobEvent = workflowJobEvent('in_progress', job(seeded, 91, 'deploy'));
      const early = await h.webhook('workflow_job', jobEvent);

      // Act
      const requested = await h.webhook('workflow_run', workflowRunEvent('requested', run(seeded)));
      const later = await h.webhook('workflow_job', jobEvent);
      await h.idle();

      // Assess
      expect(seeded.title).toBe(`Deploy production ${seeded.request.id}`);
      expect(body(early)).toEqual({ ok: true, ignored: 'run' });
      expect(body(requested)).toMatchObject({ changed: true, status: 'queued' });
      expect(body(later)).toMatchObject({ changed: true, status: 'running' });
      expect(await h.store.requests.findByRun(REPO, seeded.runId!)).toBe(seeded.request.id);
      expect((await stored(seeded)).run).toMatchObject({ id: seeded.runId, url: `https://github.com/${REPO}/actions/runs/${seeded.runId}` });
    });

    test.each([
      ['a run foxops did not start', { runId: 424242, title: 'CI: fix the build' }, 'run'],
      ['a run naming a deploy id foxops does not have', { runId: 424243, title: 'Deploy production [d-0000000000]' }, 'run'],
      ['a repository no service deploys from', { runId: 424244, repo: 'someone/else' }, 'repository'],
    ])('%s is ignored', async (_name, spec, ignored) => {
      // Prepare
      const seeded = await seedDeploy(h);
      const before = await h.store.requests.listActive();

      // Act
      const result = await h.webhook('workflow_run', workflowRunEvent('completed', { repo: REPO, ...spec }));
      await h.idle();

      // Assess
      expect(result.statusCode).toBe(200);
      expect(body(result)).toEqual({ ok: true, ignored });
      expect(await h.store.requests.listActive()).toEqual(before);
      expect((await stored(seeded)).status).toBe('dispatched');
      expect(h.slack.callsTo('chat.update')).toHaveLength(0);
    });

    test('a second run carrying a deploy id that already has its run is not followed', async () => {
      // Prepare
      const seeded = await seedDeploy(h);

      // Act
      const result = await h.webhook(
        'workflow_run',
        workflowRunEvent('completed', { repo: REPO, runId: seeded.runId! + 1000, title: seeded.title, conclusion: 'failure' }),
      );

      // Assess
      expect(body(result)).toEqual({ ok: true, ignored: 'run' });
      expect((await stored(seeded)).status).toBe('dispatched');
    });

    test('a deployment made outside Actions is ignored', async () => {
      // Act
      const result = await h.webhook('deployment_status', fixture('deployment_status.no_run'));

      // Assess
      expect(body(result)).toEqual({ ok: true, ignored: 'event' });
    });
  });
});

describe('with card edits spaced 1 s, as in production', () => {
  beforeEach(async () => {
    h = await startHarness();
    h.github.pushCommits(REPO, 'main', 1);
  });
  afterEach(async () => {
    await h.close();
  });

  test('a 3-job deploy from dispatch to success costs a handful of Slack calls when GitHub reports quickly', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'approved' });
    const since = h.slack.calls.length;

    // Act
    await h.handler({ foxopsJob: { type: 'dispatch', requestId: seeded.request.id } });
    const runId = h.github.dispatches[0]!.runId;
    const events = runEventSequence(
      { repo: REPO, runId, title: h.github.runs.get(runId)!.displayTitle },
      [1, 2, 3].map((id) => ({ id, name: `job-${id}` })),
    );
    for (const [event, payload] of events) expect((await h.webhook(event, payload)).statusCode).toBe(200);
    await h.idle();

    // Assess
    const calls = cardCalls(h.slack, seeded.request, since);
    const replies = calls.filter((c) => c.method === 'chat.postMessage').map((c) => String(c.args.text));
    expect(replies).toEqual([expect.stringContaining('started'), expect.stringContaining('succeeded')]);
    // The dispatch edit, then 12 events coalesced into one edit a second (two if they straddle a slot boundary).
    expect(calls.filter((c) => c.method === 'chat.update').length).toBeLessThanOrEqual(4);
    expect(blocksText(cardOf(seeded))).toContain('*Succeeded*');
    expect(blocksText(cardOf(seeded)).match(/:white_check_mark:/g)).toHaveLength(3);
  });

  test('a 429 on the final edit is waited out as Slack says, and the final state lands', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'running' });
    h.slack.failNext('chat.update', { retryAfterSeconds: 1 });
    // The Lambda's WebClient logs through foxops' logger (its rate-limit notice is an info line), never the console.
    const consoleLines = captureConsole();

    // Act
    try {
      await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded)));
      await h.idle();
    } finally {
      consoleLines.restore();
    }

    // Assess
    const [limited, retried] = updatesOf(seeded);
    expect(updatesOf(seeded)).toHaveLength(2);
    expect(retried!.at.getTime() - limited!.at.getTime()).toBeGreaterThanOrEqual(1000);
    expect(blocksText(cardOf(seeded))).toContain('*Succeeded*');
    expect(consoleLines.lines).toEqual([]);
  });

  test('a burst of 50 job events makes at most one edit a second and ends on the final state', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    await h.webhook('workflow_run', workflowRunEvent('in_progress', run(seeded)));
    await h.idle();
    const before = updatesOf(seeded).length;
    const events = Array.from({ length: 25 }, (_, i) => [
      workflowJobEvent('in_progress', job(seeded, 500 + i, `deploy-region-${i}`)),
      workflowJobEvent('completed', job(seeded, 500 + i, `deploy-region-${i}`)),
    ]).flat();

    // Act
    const started = Date.now();
    const results = await Promise.all(events.map((e) => h.webhook('workflow_job', e)));
    await h.webhook('workflow_run', workflowRunEvent('completed', run(seeded)));
    await h.idle();
    const elapsed = Date.now() - started;

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual(events.map(() => 200));
    expect(updatesOf(seeded).slice(before).length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 2);
    const burst = updatesOf(seeded).slice(before);
    // Each edit first claims its one-second slot of the handler's clock (`card-slot:<id>:<n>`), and a slot is
    // claimed once: counted in the store, not from arrival times, which a busy machine bends.
    const slots: number[] = [];
    for (let n = Math.floor(started / 1000); n <= Math.floor(Date.now() / 1000); n++) {
      if (!(await h.store.idempotency.claim(`card-slot:${seeded.request.id}:${n}`, 60))) slots.push(n);
    }
    // One edit per claimed slot; the last may render twice, when the final state was stored while it was on its way.
    expect(burst.length).toBeLessThanOrEqual(slots.length + 1);
    expect(JSON.stringify(burst.at(-1)!.args.blocks)).toContain('*Succeeded*');
    const card = blocksText(cardOf(seeded));
    expect(card).toContain('*Succeeded*');
    expect(card.match(/:white_check_mark:/g)).toHaveLength(25);
    const jobs = (await stored(seeded)).run!.jobs;
    expect(jobs.filter((j) => j.status === 'completed')).toHaveLength(25);
  });
});

test('the local server takes the same webhooks on the same path', async () => {
  // Prepare
  const [slack, github] = await Promise.all([startFakeSlack(), startFakeGitHub()]);
  github.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'foxops-webhooks-')), 'foxops.yml');
  writeFileSync(configPath, TEST_CONFIG);
  const server = await startLocalServer({
    env: {
      FOXOPS_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'local-signing',
      SLACK_API_URL: slack.apiUrl,
      GITHUB_TOKEN: 'ghp_test',
      GITHUB_API_URL: github.url,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOG_LEVEL: 'error',
    },
    port: 0,
    reconcileEveryMs: 0,
    cards: { spacingMs: 20 },
  });
  try {
    const seeded = await seedDeploy({ github, slack, clock: { now: new Date() }, store: server.context });
    const payload = JSON.stringify(workflowRunEvent('completed', { repo: REPO, runId: seeded.runId!, title: seeded.title }));
    const send = (signature: string) =>
      fetch(`${server.url}/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': 'local-1', 'x-hub-signature-256': signature },
        body: payload,
      });

    // Act
    const forged = await send(githubSignature('wrong', payload));
    const genuine = await send(githubSignature(WEBHOOK_SECRET, payload));
    await server.idle();

    // Assess
    expect(forged.status).toBe(401);
    expect(genuine.status).toBe(200);
    expect(await genuine.json()).toMatchObject({ ok: true, status: 'succeeded' });
    expect(blocksText(slack.message('C0PROD', seeded.request.cardTs!))).toContain('*Succeeded*');
  } finally {
    await server.close();
    await Promise.all([slack.close(), github.close()]);
  }
});
