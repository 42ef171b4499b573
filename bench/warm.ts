/**
 * Warm ack latency: the bundled handler, already loaded, answering `/deploy prod` and Approve
 * with dynalite and the loopback fakes behind it. Jobs wait in the (fake) table stream while acks are timed,
 * then run, so the timings are the acks alone.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JOB_STREAM_FILTERS } from '../src/jobs/stream.js';
import { ensureTable } from '../src/store/table.js';
import type * as Fakes from '../test/fakes/index.js';

type FakeStarters = Pick<typeof Fakes, 'startDynalite' | 'startDynamoStream' | 'startFakeSlack' | 'startFakeGitHub'>;
type Handler = (event: unknown, context?: unknown) => Promise<{ statusCode: number; body: string } | undefined>;

/** p50 and p99 of a list of ms. */
export interface Percentiles {
  p50: number;
  p99: number;
}

function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

const SAMPLES = Number(process.env.BENCH_WARM_SAMPLES ?? 300);
const SECRET = 'bench-secret';

function signed(body: string) {
  const ts = Math.floor(Date.now() / 1000);
  return {
    rawPath: '/slack/events',
    body,
    isBase64Encoded: false,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
    },
    requestContext: { http: { method: 'POST' } },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Measures warm acks of the bundle at `bundleUrl`. `workDir` holds the bench's config. */
export async function measureWarm(
  bundleUrl: string,
  fakes: FakeStarters,
  workDir: string,
): Promise<{ samples: number; prod: Percentiles; approve: Percentiles }> {
  const [dynamo, slack, github] = await Promise.all([fakes.startDynalite(), fakes.startFakeSlack(), fakes.startFakeGitHub()]);
  const stream = await fakes.startDynamoStream(dynamo.url, { filters: JOB_STREAM_FILTERS });
  const repo = 'foxy-org/foxy-backend';
  github.addRepo(repo, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  github.pushCommits(repo, 'main', 5);
  slack.setUserGroup('S0RELEASE', ['U0CAROL']);
  const config = path.join(workDir, 'foxops.json');
  writeFileSync(
    config,
    JSON.stringify({
      services: { 'foxy-backend': { aliases: ['backend'], repo, workflow: 'deploy.yml', default_ref: 'main' } },
      environments: { production: { aliases: ['prod'], channels: ['C0PROD'], approvals: 2, approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'], requesters: 'any' } },
      default_service: 'foxy-backend',
    }),
  );
  const table = 'foxops-bench-warm';
  const dynamoClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  await ensureTable(dynamoClient, table);
  Object.assign(process.env, {
    FOXOPS_CONFIG: config,
    FOXOPS_TABLE: table,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_ID: 'B0FOXOPS',
    SLACK_BOT_USER_ID: 'U0FOXOPS',
    SLACK_API_URL: slack.apiUrl,
    GITHUB_TOKEN: 'ghp_bench',
    GITHUB_API_URL: github.url,
    GITHUB_WEBHOOK_SECRET: 'bench-webhook',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: stream.url,
    LOG_LEVEL: 'error',
  });
  const { handler } = (await import(`${bundleUrl}?warm`)) as { handler: Handler };
  stream.pause();
  stream.subscribe((event) => handler(event) as Promise<undefined>);
  const runHeldJobs = async () => {
    stream.resume();
    await stream.idle();
    stream.pause();
  };

  let trigger = 0;
  const command = (text: string) =>
    handler(
      signed(
        new URLSearchParams({
          command: '/deploy',
          text,
          user_id: 'U0DAVE',
          channel_id: 'C0PROD',
          team_id: 'T0FOXY',
          trigger_id: `warm-${++trigger}`,
          response_url: slack.responseUrl('warm'),
        }).toString(),
      ),
    );
  const ids: string[] = [];
  const prodTimes: number[] = [];
  for (let i = 0; i < SAMPLES + 20; i++) {
    let answer: { body: string } | undefined;
    const ms = await timed(async () => (answer = await command('prod')));
    const id = /`(d-[0-9a-z]{10})`/.exec((answer as unknown as { body: string }).body)?.[1];
    if (!id) throw new Error(`no deploy id in ${(answer as unknown as { body: string })?.body}`);
    ids.push(id);
    if (i >= 20) prodTimes.push(ms); // the first 20 warm up the JIT and connections
  }
  await runHeldJobs();

  const cards = new Map(slack.callsTo('chat.postMessage').map((c) => [String(c.args.text), c]));
  const tsOf = new Map<string, string>();
  for (const m of slack.messages.values()) {
    const id = /deploy_actions:(d-[0-9a-z]{10})/.exec(JSON.stringify(m.blocks))?.[1];
    if (id) tsOf.set(id, m.ts);
  }
  if (tsOf.size < ids.length) throw new Error(`only ${tsOf.size} of ${ids.length} cards were posted (${cards.size} posts)`);
  const approveTimes: number[] = [];
  for (const [i, id] of ids.entries()) {
    const payload = {
      type: 'block_actions',
      team: { id: 'T0FOXY' },
      user: { id: 'U0ALICE' },
      api_app_id: 'A0FOXOPS',
      container: { type: 'message', message_ts: tsOf.get(id), channel_id: 'C0PROD' },
      channel: { id: 'C0PROD' },
      message: { ts: tsOf.get(id), text: 'card' },
      response_url: slack.responseUrl('approve'),
      trigger_id: `approve-${i}`,
      actions: [{ action_id: 'deploy_approve', block_id: `deploy_actions:${id}`, type: 'button', value: id, action_ts: '1' }],
    };
    const ms = await timed(() => handler(signed(new URLSearchParams({ payload: JSON.stringify(payload) }).toString())));
    if (i >= 20) approveTimes.push(ms);
  }
  await runHeldJobs();
  dynamoClient.destroy();
  await Promise.all([stream.close(), dynamo.close(), slack.close(), github.close()]);
  return { samples: SAMPLES, prod: percentiles(prodTimes), approve: percentiles(approveTimes) };
}
