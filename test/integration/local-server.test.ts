/**
 * `npm start`'s runtime over real HTTP: Bolt's HTTPReceiver with its signature checks, jobs
 * in-process, dynalite embedded, and the same fakes as the Lambda tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalServer, type LocalServer } from '../../src/local/server.js';
import { memoryLogger } from '../../src/log.js';
import { startFakeGitHub, startFakeSlack, type FakeGitHub, type FakeSlack } from '../fakes/index.js';
import { blocksText, REPO, SIGNING_SECRET, slackSignature, TEST_CONFIG } from '../support/harness.js';
import { captureConsole } from '../support/logs.js';

let slack: FakeSlack;
let github: FakeGitHub;
let server: LocalServer;
let configPath: string;

beforeAll(async () => {
  [slack, github] = await Promise.all([startFakeSlack(), startFakeGitHub()]);
  github.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  github.pushCommits(REPO, 'main', 2);
  // TEST_CONFIG names the group S0RELEASE among the approvers; as in the Lambda harness, it exists.
  slack.setUserGroup('S0RELEASE', ['U0CAROL']);
  configPath = path.join(mkdtempSync(path.join(tmpdir(), 'foxops-local-')), 'foxops.yml');
  writeFileSync(configPath, TEST_CONFIG);
  server = await startLocalServer({
    env: {
      FOXOPS_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-local',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_ID: 'B0FOXOPS',
      SLACK_BOT_USER_ID: 'U0FOXOPS',
      SLACK_API_URL: slack.apiUrl,
      GITHUB_TOKEN: 'ghp_local',
      GITHUB_API_URL: github.url,
      LOG_LEVEL: 'error',
    },
    port: 0,
    reconcileEveryMs: 0,
    github: { retryBaseMs: 5, throttleId: 'local-server-test' },
  });
});
afterAll(async () => {
  await server?.close();
  await Promise.all([slack?.close(), github?.close()]);
});

async function post(body: string, sign = true): Promise<Response> {
  const ts = Math.floor(Date.now() / 1000);
  return fetch(`${server.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      ...(sign ? { 'x-slack-signature': slackSignature(SIGNING_SECRET, ts, body) } : { 'x-slack-signature': 'v0=forged' }),
    },
    body,
  });
}
const command = (text: string, user = 'U0DAVE', trigger = `t-${Math.random()}`) =>
  new URLSearchParams({
    command: '/deploy',
    text,
    user_id: user,
    channel_id: 'C0PROD',
    team_id: 'T0FOXY',
    trigger_id: trigger,
    response_url: slack.responseUrl('local'),
  }).toString();
const click = (id: string, user: string, ts: string) =>
  new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      team: { id: 'T0FOXY' },
      user: { id: user },
      api_app_id: 'A0FOXOPS',
      trigger_id: 'x',
      container: { type: 'message', message_ts: ts, channel_id: 'C0PROD' },
      channel: { id: 'C0PROD' },
      message: { ts, text: 'card' },
      response_url: slack.responseUrl(`local-${user}`),
      actions: [{ action_id: 'deploy_approve', block_id: `deploy_actions:${id}`, type: 'button', value: id, action_ts: '1' }],
    }),
  }).toString();

test('health answers', async () => {
  const res = await fetch(`${server.url}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true, slack: true });
});

test('a forged signature gets 401 and stores nothing', async () => {
  // The local server's HTTPReceiver logs through foxops' logger (a warn line, below this server's LOG_LEVEL), never the console.
  const consoleLines = captureConsole();
  const res = await post(command('prod'), false).finally(() => consoleLines.restore());
  expect(res.status).toBe(401);
  expect(consoleLines.lines).toEqual([]);
  await server.idle();
  expect(await server.context.requests.listActive()).toHaveLength(0);
});

test('the whole loop: /deploy prod, card, two approvals, one dispatch', async () => {
  // Act: request
  const res = await post(command('prod backend'));
  expect(res.status).toBe(200);
  const answer = (await res.json()) as { text: string };
  const id = /`(d-[0-9a-z]{10})`/.exec(answer.text)![1]!;
  await server.idle();
  const request = await server.context.requests.get(id);
  expect(request).toMatchObject({ status: 'awaiting_approval', sha: github.headOf(REPO, 'main') });
  // Act: approvals
  await post(click(id, 'U0ALICE', request!.cardTs!));
  await post(click(id, 'U0BOB', request!.cardTs!));
  await server.idle();
  // Assess
  expect(github.dispatches).toHaveLength(1);
  expect((await server.context.requests.get(id))!.status).toBe('dispatched');
  expect(blocksText(slack.message('C0PROD', request!.cardTs!))).toContain('Dispatched');
});

test('without Slack tokens it still starts, serves health and says what is missing', async () => {
  const logger = memoryLogger();
  const bare = await startLocalServer({ env: { FOXOPS_CONFIG: configPath }, port: 0, reconcileEveryMs: 0, logger });
  try {
    const health = await fetch(`${bare.url}/health`);
    expect(await health.json()).toMatchObject({ ok: true, slack: false });
    const slackRoute = await fetch(`${bare.url}/slack/events`, { method: 'POST' });
    expect(slackRoute.status).toBe(503);
    const text = await slackRoute.text();
    expect(text).toContain('SLACK_BOT_TOKEN');
    expect(text).toContain('manifest.yml');
    expect(bare.config.missing.map((m) => m.where)).toEqual(expect.arrayContaining(['env: SLACK_BOT_TOKEN', 'env: SLACK_SIGNING_SECRET', 'env: GITHUB_TOKEN']));
    expect(logger.lines.some((l) => l.event === 'local.slack_not_configured')).toBe(true);
  } finally {
    await bare.close();
  }
});

test('malformed Slack bodies: signed ones get 200 or 400 at once with one log line, unsigned ones 401, nothing changes', async () => {
  // Prepare: a server whose log lines the test reads
  const logger = memoryLogger();
  const local = await startLocalServer({
    env: {
      FOXOPS_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-local',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_ID: 'B0FOXOPS',
      SLACK_BOT_USER_ID: 'U0FOXOPS',
      SLACK_API_URL: slack.apiUrl,
      GITHUB_TOKEN: 'ghp_local',
      GITHUB_API_URL: github.url,
    },
    port: 0,
    reconcileEveryMs: 0,
    logger,
  });
  const send = (body: string, contentType: string, sign: boolean) => {
    const ts = Math.floor(Date.now() / 1000);
    const signature = sign ? slackSignature(SIGNING_SECRET, ts, body) : 'v0=forged';
    return fetch(`${local.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
      body,
      signal: AbortSignal.timeout(2500),
    });
  };
  const form = 'application/x-www-form-urlencoded';
  const cases: Array<[string, string, string, number]> = [
    ['JSON null (Bolt would throw inside its handler and never answer)', 'null', 'application/json', 400],
    ['a payload that is null', 'payload=null', form, 400],
    ['a body that is not JSON', '{"type":', 'application/json', 400],
    ['an event that is not an object', JSON.stringify({ type: 'event_callback', event: null }), 'application/json', 200],
    ['actions that are not a list', `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: 5 }))}`, form, 200],
    ['a command without a trigger id', command('prod').replace(/&trigger_id=[^&]*/, ''), form, 200],
  ];
  const consoleLines = captureConsole();
  try {
    for (const [name, body, contentType, status] of cases) {
      // Act
      const unsigned = await send(body, contentType, false);
      const signed = await send(body, contentType, true);
      await local.idle();

      // Assess
      expect({ name, unsigned: unsigned.status, signed: signed.status }).toEqual({ name, unsigned: 401, signed: status });
      const lines = logger.lines.splice(0).filter((l) => l.level !== 'debug' && l.level !== 'info');
      expect({ name, lines: lines.map((l) => l.event) }).toEqual({
        name,
        lines: [expect.stringMatching(/^(bolt|slack\.bad_signature)$/), 'slack.malformed_payload'],
      });
    }
    expect(await local.context.requests.listActive()).toHaveLength(0);
    expect(consoleLines.lines).toEqual([]);
  } finally {
    consoleLines.restore();
    await local.close();
  }
});
