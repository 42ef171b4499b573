/**
 * A whole foxops around the real Lambda handler: dynalite, the Slack, GitHub and Lambda fakes (the Lambda fake
 * stands for the deployed services' functions, whose aliases rollback reads and moves),
 * a test foxops.yml, and helpers to send signed Slack requests. Jobs that the handler queues in the table's outbox
 * come back into the same handler through the fake DynamoDB stream, as on AWS.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JOB_STREAM_FILTERS } from '../../src/jobs/stream.js';
import { createHandler, type HttpResult } from '../../src/lambda/index.js';
import { dynamoStore } from '../../src/store/dynamo-store.js';
import { ensureTable } from '../../src/store/table.js';
import {
  startDynalite,
  startDynamoStream,
  startFakeGitHub,
  startFakeLambda,
  startFakeSlack,
  type FakeDynamoStream,
  type FakeGitHub,
  type FakeLambda,
  type FakeSlack,
  type StreamResponse,
} from '../fakes/index.js';
import { type FakeCloudFormation, startFakeCloudFormation } from '../fakes/cloudformation.js';
import { type FakeCloudWatch, startFakeCloudWatch } from '../fakes/cloudwatch.js';
import type { LogLevel } from '../../src/log.js';
import { captureLogLines, type CapturedLogs } from './logs.js';

export { blocksText } from './blocks.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const WEBHOOK_SECRET = 'test-webhook-secret';
export const REPO = 'foxy-org/foxy-backend';

/** The catalog the tests run against: production needs 2 approvals from Alice, Bob or the release group. */
export const TEST_CONFIG = `
services:
  foxy-backend:
    aliases: [backend, api]
    repo: ${REPO}
    workflow: deploy.yml
    default_ref: main
environments:
  staging:
    aliases: [stg, stage]
    channels: [C0STAGING]
    approvals: 0
  production:
    aliases: [prod, prd]
    channels: [C0PROD]
    approvals: 2
    approvers: [U0ALICE, U0BOB, S0RELEASE]
    requesters: any
    request_ttl: 30m
    stale_after: 2m
    run_timeout: 60m
default_service: foxy-backend
`;

/** The Lambda function of foxy-backend in production, in {@link TEST_CONFIG_WITH_TARGETS} and the harness's Lambda fake. */
export const TARGET_FUNCTION = 'foxy-backend-production';

/**
 * {@link TEST_CONFIG} where production names its Lambda function (alias `live`): versions are recorded after deploys,
 * and `/deploy rollback` moves the alias back (1 approval by default). `extra` lines go under the service.
 */
export function configWithTargets(extra = ''): string {
  return TEST_CONFIG.replace(
    '    default_ref: main\n',
    `    default_ref: main\n    targets:\n      production:\n        function: ${TARGET_FUNCTION}\n        alias: live\n${extra}`,
  );
}

/** {@link configWithTargets} as it is. */
export const TEST_CONFIG_WITH_TARGETS = configWithTargets();

/** A running harness. */
export interface Harness {
  env: Record<string, string>;
  slack: FakeSlack;
  github: FakeGitHub;
  /** The deployed services' Lambda API (`AWS_ENDPOINT_URL_LAMBDA`); add functions with `lambda.addFunction`. */
  lambda: FakeLambda;
  /** The deployed services' CloudFormation API (`AWS_ENDPOINT_URL_CLOUDFORMATION`); add stacks with `cloudformation.addStack`. */
  cloudformation: FakeCloudFormation;
  /** The deployed services' CloudWatch alarms (`AWS_ENDPOINT_URL_CLOUDWATCH`), read by promotion gates; set them with `cloudwatch.setAlarm`. */
  cloudwatch: FakeCloudWatch;
  /** The table's stream with its event source mapping: every queued job is delivered to `handler` through it. */
  stream: FakeDynamoStream;
  handler: ReturnType<typeof createHandler>;
  store: ReturnType<typeof dynamoStore>;
  /** The clock the handler sees; tests move it forward. */
  clock: { now: Date };
  /**
   * foxops' log lines (at LOG_LEVEL, default `error`), captured instead of printed: a test that causes a failure
   * takes its line with `logs.take(event)` and asserts on it. Lines no test took are printed at `close()`.
   */
  logs: CapturedLogs;
  /** Sends a signed Slack request to `/slack/events` through the Function URL event shape. */
  slackRequest(
    body: string,
    options?: { contentType?: string; signature?: string | null; timestamp?: number; headers?: Record<string, string>; base64?: boolean },
  ): Promise<HttpResult>;
  /** Sends `/deploy <text>` as `user` from `channel`. */
  command(text: string, options?: { user?: string; channel?: string; triggerId?: string; headers?: Record<string, string> }): Promise<HttpResult>;
  /** Clicks a card button as `user`. */
  click(actionId: string, requestId: string, options: { user: string; channel?: string; ts?: string }): Promise<HttpResult>;
  /**
   * Sends a GitHub webhook delivery to `/github/webhooks`, signed with {@link WEBHOOK_SECRET} (`signature: null`
   * sends none, a string sends that one). Each call is a new delivery unless `delivery` repeats an id.
   */
  webhook(event: string, payload: unknown, options?: { delivery?: string; signature?: string | null }): Promise<HttpResult>;
  /** Submits a dialog (`view_submission`) as `user` with the text `values[block][action]`. */
  submitView(callbackId: string, privateMetadata: string, values: Record<string, Record<string, string>>, user: string): Promise<HttpResult>;
  /** Waits until every async job (and the jobs they started) has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Signs a Slack request body the way Slack does (v0 HMAC-SHA256 over `v0:<ts>:<body>`). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

let harnessCount = 0;

/**
 * Signs a GitHub webhook body the way GitHub does (`sha256=` HMAC-SHA256 of the body), computed here
 * independently of foxops' own code; test/unit/webhook-signature.test.ts checks it against @octokit/webhooks-methods.
 */
export function githubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** foxops.yml content; default {@link TEST_CONFIG} ({@link TEST_CONFIG_WITH_TARGETS} with `targets`). */
  config?: string;
  /** Use {@link TEST_CONFIG_WITH_TARGETS} (when `config` is not given). */
  targets?: boolean;
  githubRetryBaseMs?: number;
  /** Per-request GitHub timeout (default 10 s as in production). */
  githubTimeoutMs?: number;
  /** Least time between coalesced edits of one card; default 1000 ms as in production. */
  cardSpacingMs?: number;
  /** Least time between new alarm messages in one channel; default 1000 ms as in production. */
  alarmPostSpacingMs?: number;
  /** Batches the table's stream delivers at the same time, at most (AWS: 5); default every batch at once. */
  streamBatchesInFlight?: number;
  /** Another build of the handler factory, e.g. the bundle's (the benchmark measures `dist/lambda`). */
  createHandler?: typeof createHandler;
  /** The handler's LOG_LEVEL (default `error`): `warn` or `info` for a test that takes such a line with `logs.take`. */
  logLevel?: LogLevel;
  /** Authenticate to GitHub as this App (PEM private key) instead of `GITHUB_TOKEN`: the fake issues installation tokens. */
  githubApp?: { appId: string; privateKey: string; installationId: string };
}

/** Starts dynalite and the fakes, writes the test config and creates the handler. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const [dynamo, slack, github, lambda, cloudformation] = await Promise.all([
    startDynalite(),
    startFakeSlack(),
    startFakeGitHub(),
    startFakeLambda(),
    startFakeCloudFormation({ region: 'us-east-1' }),
  ]);
  const stream = await startDynamoStream(dynamo.url, {
    filters: JOB_STREAM_FILTERS,
    ...(options.streamBatchesInFlight ? { maxBatchesInFlight: options.streamBatchesInFlight } : {}),
  });
  const cloudwatch = await startFakeCloudWatch();
  const dir = mkdtempSync(path.join(tmpdir(), 'foxops-test-'));
  const configPath = path.join(dir, 'foxops.yml');
  writeFileSync(configPath, options.config ?? (options.targets ? TEST_CONFIG_WITH_TARGETS : TEST_CONFIG));
  const table = `foxops-test-${++harnessCount}`;
  const env: Record<string, string> = {
    FOXOPS_CONFIG: configPath,
    FOXOPS_TABLE: table,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_ID: 'B0FOXOPS',
    SLACK_BOT_USER_ID: 'U0FOXOPS',
    SLACK_API_URL: slack.apiUrl,
    ...(options.githubApp
      ? { GITHUB_APP_ID: options.githubApp.appId, GITHUB_PRIVATE_KEY: options.githubApp.privateKey, GITHUB_INSTALLATION_ID: options.githubApp.installationId }
      : { GITHUB_TOKEN: 'ghp_test' }),
    GITHUB_API_URL: github.url,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: stream.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.url,
    LOG_LEVEL: process.env.FOXOPS_TEST_LOG_LEVEL ?? options.logLevel ?? 'error',
  };
  const dynamoClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await ensureTable(dynamoClient, table);
  github.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  github.requireToken('ghp_test');
  slack.setUserGroup('S0RELEASE', ['U0CAROL']);

  // Decisions see a clock that stands still until a test moves it; card-edit slots keep real time (slotClock).
  const clock = { now: new Date() };
  // The handler builds its logger from LOG_LEVEL and writes to stdout; the capture is the seam a test can reach.
  const logs = captureLogLines();
  const handler = (options.createHandler ?? createHandler)(env, {
    now: () => clock.now,
    github: { retryBaseMs: options.githubRetryBaseMs ?? 5, throttleId: table, ...(options.githubTimeoutMs ? { timeoutMs: options.githubTimeoutMs } : {}) },
    ...(options.cardSpacingMs !== undefined ? { cards: { spacingMs: options.cardSpacingMs } } : {}),
    ...(options.alarmPostSpacingMs !== undefined ? { alarms: { postSpacingMs: options.alarmPostSpacingMs } } : {}),
    // Drift detection status is read every few ms instead of every 2 s; the fake finishes after its `drift.polls`.
    stackPolls: { intervalMs: 2 },
  });
  stream.subscribe((event) => handler(event) as Promise<StreamResponse>);

  const slackRequest: Harness['slackRequest'] = async (body, o = {}) => {
    const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
    const signature = o.signature === undefined ? slackSignature(SIGNING_SECRET, timestamp, body) : o.signature;
    const headers: Record<string, string> = {
      'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      ...(signature === null ? {} : { 'x-slack-signature': signature }),
      ...o.headers,
    };
    const result = await handler(
      {
        rawPath: '/slack/events',
        headers,
        body: o.base64 ? Buffer.from(body).toString('base64') : body,
        isBase64Encoded: Boolean(o.base64),
        requestContext: { http: { method: 'POST', path: '/slack/events' } },
      },
      {},
    );
    return result as HttpResult;
  };

  let triggers = 0;
  const command: Harness['command'] = (text, o = {}) =>
    slackRequest(
      new URLSearchParams({
        token: 'legacy',
        team_id: 'T0FOXY',
        team_domain: 'foxy',
        channel_id: o.channel ?? 'C0PROD',
        channel_name: 'prod',
        user_id: o.user ?? 'U0DAVE',
        user_name: 'dave',
        command: '/deploy',
        text,
        api_app_id: 'A0FOXOPS',
        is_enterprise_install: 'false',
        response_url: slack.responseUrl('cmd'),
        trigger_id: o.triggerId ?? `trigger-${Date.now()}-${++triggers}`,
      }).toString(),
      { headers: o.headers },
    );

  const click: Harness['click'] = async (actionId, requestId, o) => {
    const stored = await store.requests.get(requestId);
    const payload = {
      type: 'block_actions',
      team: { id: 'T0FOXY', domain: 'foxy' },
      user: { id: o.user, username: o.user.toLowerCase(), team_id: 'T0FOXY' },
      api_app_id: 'A0FOXOPS',
      token: 'legacy',
      container: { type: 'message', message_ts: o.ts ?? stored?.cardTs, channel_id: o.channel ?? stored?.channel, is_ephemeral: false },
      trigger_id: `trigger-click-${Math.random()}`,
      channel: { id: o.channel ?? stored?.channel, name: 'prod' },
      message: { type: 'message', ts: o.ts ?? stored?.cardTs, text: 'card' },
      response_url: slack.responseUrl(`click-${o.user}`),
      actions: [{ action_id: actionId, block_id: `deploy_actions:${requestId}`, type: 'button', value: requestId, action_ts: String(Date.now() / 1000) }],
    };
    return slackRequest(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  };

  const webhook: Harness['webhook'] = async (event, payload, o = {}) => {
    const body = JSON.stringify(payload);
    const signature = o.signature === undefined ? githubSignature(WEBHOOK_SECRET, body) : o.signature;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': o.delivery ?? randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    };
    const result = await handler(
      { rawPath: '/github/webhooks', headers, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/github/webhooks' } } },
      {},
    );
    return result as HttpResult;
  };

  const submitView: Harness['submitView'] = (callbackId, privateMetadata, values, user) => {
    const state = {
      values: Object.fromEntries(
        Object.entries(values).map(([block, actions]) => [
          block,
          Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }])),
        ]),
      ),
    };
    const payload = {
      type: 'view_submission',
      team: { id: 'T0FOXY', domain: 'foxy' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T0FOXY' },
      api_app_id: 'A0FOXOPS',
      token: 'legacy',
      trigger_id: `trigger-view-${Math.random()}`,
      view: { id: 'V0MODAL1', team_id: 'T0FOXY', type: 'modal', callback_id: callbackId, private_metadata: privateMetadata, state, hash: 'h', blocks: [] },
      response_urls: [],
    };
    return slackRequest(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  };

  const store = dynamoStore(dynamoClient, table);
  return {
    env,
    slack,
    github,
    lambda,
    cloudformation,
    cloudwatch,
    stream,
    handler,
    store,
    clock,
    logs,
    slackRequest,
    command,
    click,
    submitView,
    webhook,
    idle: () => stream.idle(),
    async close() {
      await stream.idle();
      dynamoClient.destroy();
      await cloudwatch.close();
      await Promise.all([slack.close(), github.close(), lambda.close(), cloudformation.close(), stream.close(), dynamo.close()]);
      logs.stop();
    },
  };
}

/** The deploy id named in the ephemeral answer to `/deploy <env> …`. */
export function deployIdFrom(result: HttpResult): string {
  const match = /`(d-[0-9a-z]{10})`/.exec(JSON.parse(result.body).text);
  if (!match) throw new Error(`no deploy id in ${result.body}`);
  return match[1]!;
}
