/**
 * The sandbox: foxops' real Lambda handler on loopback, with simulated Slack, GitHub and AWS around it, and a page
 * that plays Slack. Wiring only, as on AWS:
 *  - foxops' own port: a node:http adapter turns requests into Function URL events for the handler;
 *  - jobs: the handler writes them to the table's outbox (dynalite), the stream simulator delivers them back to it;
 *  - the reconciler: `handler({ foxops: 'reconcile' })` every minute, as the EventBridge schedule does;
 *  - alarms: SNS or EventBridge events handed to the handler, as AWS invokes it;
 *  - every outbound call of foxops reaches a simulator through its endpoint variable;
 *  - GitHub enforces the approvals: foxops is a GitHub App whose deployment protection rule guards `production`, and
 *    each run's first job (`verify`) shows foxops its OIDC token, minted by the GitHub simulator as GitHub's issuer.
 * The page's port serves the page and the routes of ./protocol.ts; the server talks to foxops as Slack and GitHub do
 * (signed requests over HTTP). Everything binds to 127.0.0.1.
 */
// First: it turns off the AWS SDK's Node version warning before any client is made (Node 20 here, 22 on Lambda).
import '../aws/client-config.js';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JOB_STREAM_FILTERS } from '../jobs/stream.js';
import { createHandler, type HttpEvent, type HttpResult } from '../lambda/index.js';
import { dynamoStore } from '../store/dynamo-store.js';
import { startEmbeddedDynamo } from '../store/embedded-dynamo.js';
import { ensureTable } from '../store/table.js';
import type { ActionRequest, AlarmRequest, CommandAnswer, CommandRequest, RunOutcome, SandboxChange, SandboxState, ViewSubmitRequest } from './protocol.js';
import {
  BOT,
  CHANNELS,
  declareRepo,
  DEFAULT_BRANCH,
  ENVIRONMENTS,
  freshBook,
  GROUPS,
  LIVE_ALIAS,
  MORE_COMMITS,
  PEOPLE,
  pushCommits,
  REPO,
  seedAlarmStates,
  seedGitHub,
  seedHistory,
  seedLambda,
  seedSlack,
  seedStacks,
  setCi,
} from './seed.js';
import { eventBridgeAlarmEvent, type SimAlarm, snsAlarmEvent } from './sim/alarm-events.js';
import { type FakeLambda, startFakeLambda } from './sim/aws.js';
import { type FakeCloudFormation, startFakeCloudFormation } from './sim/cloudformation.js';
import { type FakeCloudWatch, startFakeCloudWatch } from './sim/cloudwatch.js';
import { type FakeDynamoStream, type StreamResponse, startDynamoStream } from './sim/dynamodb-streams.js';
import { type FakeGitHub, type FakeRun, startFakeGitHub } from './sim/github.js';
import { type RunDriver, startRunDriver, VERIFY_JOBS, type VerifyAnswer } from './sim/run-driver.js';
import { type FakeSlack, startFakeSlack } from './sim/slack.js';
import {
  appHomeOpenedBody,
  blockActionsPayload,
  type ActionSource,
  payloadForm,
  signSlackRequest,
  slashCommandBody,
  splitSlashCommand,
  viewClosedPayload,
  viewSubmissionPayload,
} from './slack-requests.js';
import { awsStateOf, changeOfSlack, ephemeralOf, githubStateOf, isManualRun, type SandboxBook, type SandboxLayout, sandboxState } from './state.js';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** The page's port: 0 picks a free one. Default `PORT` or 3000. A busy port rejects with an error whose `code` is `EADDRINUSE`. */
  port?: number;
  /** Where foxops' table (dynalite) and the simulators' state live; `null` keeps everything in memory. Default `.foxops-data/sandbox`. */
  dataDir?: string | null;
  /** About how long a workflow run takes, dispatch to completion; default 20 000 ms. */
  runTotalMs?: number;
  /** How often the reconciler runs; 0 turns it off. Default 60 000 ms, as the schedule on AWS. */
  reconcileEveryMs?: number;
  /** foxops' LOG_LEVEL; default `LOG_LEVEL` or `warn`. */
  logLevel?: string;
  /** Least time between two edits of one card; default 1000 ms, as in production. */
  cardSpacingMs?: number;
  /** Build and serve the page (esbuild); default true. */
  page?: boolean;
  /** SSE heartbeat comment interval; default 15 000 ms. */
  heartbeatMs?: number;
  /** Lines the sandbox itself logs (not foxops'); default `console.error`. */
  log?: (line: string) => void;
}

/** A running sandbox. */
export interface Sandbox {
  /** The page: `http://127.0.0.1:<port>`. */
  url: string;
  /** foxops' own port (its Function URL, as it were). */
  foxopsUrl: string;
  /** Where state is kept; undefined in memory. */
  dataDir: string | undefined;
  /** Whether this start restored the state of an earlier one. */
  restored: boolean;
  slack: FakeSlack;
  github: FakeGitHub;
  lambda: FakeLambda;
  cloudwatch: FakeCloudWatch;
  cloudformation: FakeCloudFormation;
  /** Everything the page draws, now. */
  state(): SandboxState;
  /** Resolves when no job, webhook or alarm is under way (a run still being played does not count). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** A request the page got wrong: answered 400 with its message. */
class BadRequest extends Error {}

const TABLE = 'foxops-sandbox';
const BOT_TOKEN = 'xoxb-sandbox';
/** The token the sandbox itself (a person's "Run workflow") uses; foxops is the GitHub App below and uses installation tokens. */
const GITHUB_TOKEN = 'ghp_sandbox';
const GITHUB_APP_ID = '424242';
const GITHUB_INSTALLATION_ID = 4242;
/** The environments whose runs wait for foxops' deployment protection rule, as set up in GitHub's environment settings. */
const PROTECTED_ENVIRONMENTS = ['production'];
const SNAPSHOT_FILE = 'simulators.json';
const MAX_BODY = 1_000_000;
/** Where the side panels look (src/sandbox/seed.ts seeds these). */
const LAYOUT: SandboxLayout = { repo: REPO, defaultBranch: DEFAULT_BRANCH, alias: LIVE_ALIAS, environments: ENVIRONMENTS };
/** The one slash command foxops declares (manifest.yml). */
const SLASH_COMMAND = '/deploy';
/** Trigger ids remembered (to show a modal to the person who clicked); Slack's expire after 3 s. */
const MAX_TRIGGERS = 200;

/** This folder, for the sample foxops.yml (jest runs the sources as CommonJS, where `import.meta.url` is rewritten). */
function sandboxDir(): string {
  try {
    return path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return path.resolve(process.cwd(), 'src/sandbox');
  }
}

/** Listens on 127.0.0.1; a busy port rejects with the listen error (code `EADDRINUSE`). */
async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest(`the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const needString = (body: Record<string, unknown>, key: string): string => {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new BadRequest(`\`${key}\` should be a non-empty string`);
  return value;
};
const optionalString = (body: Record<string, unknown>, key: string): string | undefined => {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`\`${key}\` should be a string`);
  return value;
};

/**
 * Why a request to the page's port is not the page's own, or undefined when it is. Binding to 127.0.0.1 keeps other
 * machines out, not other web sites open in the same browser: a site could post to the sandbox (a simple cross-site
 * POST needs no preflight), or reach it under its own name through DNS rebinding. So the Host must be the loopback
 * address, and a POST must be JSON (which a cross-site page can only send after a preflight that nobody answers).
 */
export function refuseForeignRequest(req: http.IncomingMessage): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    return `the sandbox answers only on 127.0.0.1, not ${JSON.stringify(req.headers.host ?? '')}`;
  if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return 'a POST to the sandbox must be application/json';
  return undefined;
}

/** The placeholder page until the page's assets are there (or when they cannot be built). */
const placeholder = (why: string) =>
  new Map([
    [
      '/',
      {
        body: Buffer.from(
          `<!doctype html><meta charset="utf-8"><title>foxops sandbox</title><h1>foxops sandbox</h1><p>The page is not built: ${why.replace(/</g, '&lt;')}</p><p>The API is up: <a href="/api/state">/api/state</a>.</p>`,
        ),
        contentType: 'text/html; charset=utf-8',
      },
    ],
  ]);

/** Starts the sandbox; see the module comment. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? ((line: string) => console.error(line));
  const wantedPort = options.port ?? Number(process.env.PORT ?? 3000);
  // A busy port is found before anything starts (or the data dir is touched): nothing half-started to tear down.
  if (wantedPort !== 0) {
    const probe = http.createServer();
    await listen(probe, wantedPort);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  const dataDir = options.dataDir === null ? undefined : path.resolve(options.dataDir ?? '.foxops-data/sandbox');
  const snapshotPath = dataDir ? path.join(dataDir, SNAPSHOT_FILE) : undefined;
  let saved: Record<string, unknown> | undefined;
  if (dataDir && snapshotPath) {
    if (existsSync(snapshotPath)) {
      try {
        saved = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        log(`sandbox: ${snapshotPath} is unreadable (${(err as Error).message}); starting afresh`);
      }
    }
    // Without the simulators' state the table would name messages and runs nobody has: start both afresh. Only the
    // sandbox's own subfolder goes: FOXOPS_SANDBOX_DIR may point anywhere.
    if (!saved) rmSync(path.join(dataDir, 'dynamodb'), { recursive: true, force: true });
    mkdirSync(path.join(dataDir, 'dynamodb'), { recursive: true });
  }

  // Page assets build while everything else starts.
  const assetsPromise: Promise<Map<string, { body: Buffer; contentType: string }>> =
    options.page === false
      ? Promise.resolve(placeholder('started without the page'))
      : import('./page/assets.js')
          .then(({ buildPageAssets }) => buildPageAssets())
          .then((assets) => assets.files)
          .catch((err: unknown) => {
            log(`sandbox: the page could not be built: ${(err as Error).message}`);
            return placeholder((err as Error).message);
          });

  const [dynamo, slack, github, lambda, cloudformation, cloudwatch] = await Promise.all([
    startEmbeddedDynamo(dataDir ? path.join(dataDir, 'dynamodb') : undefined),
    startFakeSlack({ botUserId: BOT.userId, botId: BOT.botId, clockTs: true }),
    startFakeGitHub({ actor: 'foxops[bot]' }),
    startFakeLambda({ region: 'eu-west-1' }),
    startFakeCloudFormation({ region: 'eu-west-1' }),
    startFakeCloudWatch({ graph: 'rendered' }),
  ]);
  const stream: FakeDynamoStream = await startDynamoStream(dynamo.url, { filters: JOB_STREAM_FILTERS });

  const signingSecret = randomBytes(24).toString('hex');
  const webhookSecret = randomBytes(24).toString('hex');
  // The app's private key, PKCS#1 PEM as GitHub hands it out. Made afresh at each start like the other secrets: the
  // simulator issues an installation token for any JWT, and foxops signs its JWTs with whatever key it is given.
  const { privateKey: appPrivateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const env: Record<string, string> = {
    FOXOPS_CONFIG: path.join(sandboxDir(), 'foxops.yml'),
    FOXOPS_TABLE: TABLE,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_BOT_ID: BOT.botId,
    SLACK_BOT_USER_ID: BOT.userId,
    SLACK_API_URL: slack.apiUrl,
    // A GitHub App, not a token: only an app can answer deployment protection rules.
    GITHUB_APP_ID,
    GITHUB_PRIVATE_KEY: appPrivateKey,
    GITHUB_INSTALLATION_ID: String(GITHUB_INSTALLATION_ID),
    GITHUB_API_URL: github.url,
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    GITHUB_OIDC_ISSUER: github.oidcIssuer,
    GITHUB_OIDC_JWKS_URL: github.oidcJwksUrl,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_ENDPOINT_URL_DYNAMODB: stream.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.url,
    // Anything else foxops might call (SSM is not: no FOXOPS_SSM_PREFIX) goes nowhere but loopback.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'warn',
  };
  const dynamoClient = new DynamoDBClient({ region: 'eu-west-1', endpoint: dynamo.url, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } });
  await ensureTable(dynamoClient, TABLE);

  const handler = createHandler(env, {
    github: { throttleId: `sandbox-${randomUUID()}` },
    ...(options.cardSpacingMs !== undefined ? { cards: { spacingMs: options.cardSpacingMs } } : {}),
    // The stack check reads drift detection every 300 ms instead of every 2 s: the simulator answers at the second read.
    stackPolls: { intervalMs: 300 },
  });
  stream.subscribe((event) => handler(event) as Promise<StreamResponse>);

  // ---- The sandbox's own book, and restoring a saved state ----
  let book: SandboxBook = freshBook();
  let restored = false;
  const seed = async () => {
    seedSlack(slack, BOT_TOKEN);
    const shas = seedGitHub(github, GITHUB_TOKEN);
    seedLambda(lambda, shas);
    seedStacks(cloudformation);
    seedAlarmStates(cloudwatch, book.alarms);
    await seedHistory(dynamoStore(dynamoClient, TABLE).ledger, shas);
  };
  if (saved) {
    try {
      book = { ...freshBook(), ...(saved.book as Partial<SandboxBook>) };
      slack.restore(saved.slack);
      seedSlack(slack, BOT_TOKEN);
      lambda.restore(saved.lambda);
      cloudformation.restore(saved.cloudformation);
      declareRepo(github, GITHUB_TOKEN);
      github.restore(saved.github);
      // Nobody plays a run that was under way when the sandbox stopped: it ends cancelled, and the reconciler tells foxops.
      for (const run of github.runs.values()) if (run.status !== 'completed') github.setRunState(run.id, { status: 'completed', conclusion: 'cancelled' });
      seedAlarmStates(cloudwatch, book.alarms);
      restored = true;
    } catch (err) {
      log(`sandbox: the saved state could not be restored (${(err as Error).message}); starting afresh`);
      book = freshBook();
      slack.reset();
      lambda.reset();
      cloudformation.reset();
      github.reset();
      await dynamoClient.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => undefined);
      await ensureTable(dynamoClient, TABLE);
      await seed();
    }
  } else {
    await seed();
  }

  // ---- Changes: pushed to the page, and saved ----
  const clients = new Set<http.ServerResponse>();
  let saveTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const saveNow = () => {
    if (!snapshotPath) return;
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    const snapshot = {
      version: 1,
      savedAt: new Date().toISOString(),
      book,
      slack: slack.snapshot(),
      lambda: lambda.snapshot(),
      cloudformation: cloudformation.snapshot(),
      github: github.snapshot(),
    };
    const tmp = `${snapshotPath}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(snapshot));
      renameSync(tmp, snapshotPath);
    } catch (err) {
      log(`sandbox: could not save ${snapshotPath}: ${(err as Error).message}`);
    }
  };
  const scheduleSave = () => {
    if (!snapshotPath || closed || saveTimer) return;
    saveTimer = setTimeout(saveNow, 250);
    saveTimer.unref();
  };
  /** While a reset is under way the page hears nothing but the `reset` at its end. */
  let muted = false;
  const push = (change: SandboxChange) => {
    if (muted) return;
    const line = `data: ${JSON.stringify(change)}\n\n`;
    for (const client of clients) client.write(line);
    scheduleSave();
  };
  // GitHub and AWS panels change in bursts (a run's steps, a stack check): one change per tick is enough.
  const coalesced = (change: () => SandboxChange) => {
    let pending = false;
    return () => {
      if (pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        push(change());
      });
    };
  };
  const pushGithub = coalesced(() => ({ kind: 'github', github: githubStateOf(github, book, LAYOUT) }));
  const pushAws = coalesced(() => ({ kind: 'aws', aws: awsStateOf(lambda, cloudformation, book, LAYOUT) }));
  slack.onChange((change) => {
    const mapped = changeOfSlack(change, BOT.userId, book.triggers);
    if (mapped) push(mapped);
    else scheduleSave();
  });
  lambda.onChange(pushAws);
  cloudformation.onChange(pushAws);

  // ---- foxops' own port: the Function URL ----
  const foxopsServer = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const event: HttpEvent = {
        rawPath: url.pathname,
        headers,
        body: (await readBody(req)).toString('utf8'),
        isBase64Encoded: false,
        requestContext: { http: { method: req.method ?? 'GET', path: url.pathname } },
      } as HttpEvent;
      const result = (await handler(event, {})) as HttpResult;
      const encoded = (result as HttpResult & { isBase64Encoded?: boolean }).isBase64Encoded;
      const body = encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '');
      res.writeHead(result.statusCode, { ...(result.headers ?? {}), 'content-length': body.length });
      res.end(body);
    })().catch((err: unknown) => {
      log(`sandbox: foxops' handler threw: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('handler error');
    });
  });
  foxopsServer.keepAliveTimeout = 10 * 60_000;
  const foxopsPort = await listen(foxopsServer, 0);
  const foxopsUrl = `http://127.0.0.1:${foxopsPort}`;

  /** POSTs to foxops as Slack or GitHub would; returns the status and body text. */
  const postToFoxops = async (route: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${foxopsUrl}${route}`, { method: 'POST', headers, body });
    return { status: response.status, text: await response.text() };
  };
  const slackPost = (body: string, contentType: string) => {
    const signed = signSlackRequest(signingSecret, body, contentType);
    return postToFoxops('/slack/events', signed.body, signed.headers);
  };

  // ---- The run driver: plays dispatched runs and sends their webhooks ----
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  const deliver = async (event: string, payload: unknown): Promise<void> => {
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
    const answer = await postToFoxops('/github/webhooks', body, {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
    });
    if (answer.status >= 300) throw new Error(`foxops answered ${answer.status} to ${event}: ${answer.text.slice(0, 200)}`);
  };
  /** Who clicked "Run workflow" for each run started by hand (their GitHub login, the token's `actor`). */
  const manualActors = new Map<number, string>();

  /**
   * The verify job's curl: the run's OIDC token (audience foxops), its deploy id and SHA, POSTed to foxops' `/github/verify`
   * over HTTP as the workflow does; foxops' answer is kept for the side panel.
   */
  const verifyRun = async (run: FakeRun): Promise<VerifyAnswer> => {
    const actor = manualActors.get(run.id);
    const token = await github.mintIdToken(run.id, { audience: 'foxops', ...(actor ? { actor } : {}) });
    const deployId = typeof run.inputs.deploy_id === 'string' ? run.inputs.deploy_id : '';
    // The commit the run deploys: its `sha` input (a run started by hand may give any).
    const sha = typeof run.inputs.sha === 'string' ? run.inputs.sha : run.headSha;
    const answer = await postToFoxops('/github/verify', JSON.stringify({ deploy_id: deployId, sha }), {
      'content-type': 'application/json',
      'user-agent': 'curl/8.5.0',
      authorization: `Bearer ${token}`,
    });
    let parsed: Record<string, unknown> = {};
    try {
      const value = JSON.parse(answer.text) as unknown;
      if (isRecord(value)) parsed = value;
    } catch {
      // Not JSON: the status says enough.
    }
    const code = typeof parsed.code === 'string' ? parsed.code : undefined;
    const reason = typeof parsed.reason === 'string' ? parsed.reason : undefined;
    book.verifications[String(run.id)] = { status: answer.status, ...(code ? { code } : {}), ...(reason ? { reason } : {}) };
    pushGithub();
    return { ok: answer.status === 200, status: answer.status, ...(reason ? { reason } : {}) };
  };
  const startDriver = (): RunDriver =>
    startRunDriver({
      github,
      deliver,
      ...(options.runTotalMs !== undefined ? { totalMs: options.runTotalMs } : {}),
      jobs: VERIFY_JOBS,
      verify: verifyRun,
      protection: { environments: PROTECTED_ENVIRONMENTS },
      webhook: { installationId: GITHUB_INSTALLATION_ID },
      outcomeOf: (run) => {
        // A run started by hand is not the "next run" foxops dispatches: it leaves that setting alone.
        if (isManualRun(run)) return 'succeed';
        const outcome = book.nextRun;
        book.outcomes[String(run.id)] = outcome;
        // "Next run" means that one: the one after it succeeds again.
        book.nextRun = 'succeed';
        return outcome;
      },
      // The real workflow publishes a version (described by the SHA) and moves `live` in its deploy step.
      onSucceeded: (run) => {
        const environment = String(run.inputs.environment ?? '');
        const target = ENVIRONMENTS.find((e) => e.name === environment);
        if (!target) return;
        const version = lambda.publishVersion(target.functionName, run.headSha);
        lambda.moveAlias(target.functionName, 'live', version);
      },
      onChange: pushGithub,
      log: (line, data) => log(`sandbox: ${line}${data ? ` ${JSON.stringify(data)}` : ''}`),
    });
  let driver = startDriver();

  // ---- The reconciler's schedule ----
  const reconcileEvery = options.reconcileEveryMs ?? 60_000;
  const reconciler =
    reconcileEvery > 0
      ? setInterval(() => {
          void track(Promise.resolve(handler({ foxops: 'reconcile' }))).catch((err: unknown) => log(`sandbox: reconcile failed: ${(err as Error).message}`));
        }, reconcileEvery)
      : undefined;
  reconciler?.unref();

  // ---- Protocol routes ----
  const person = (id: unknown) => {
    const found = PEOPLE.find((p) => p.id === id);
    if (!found) throw new BadRequest(`unknown person ${JSON.stringify(id)}: one of ${PEOPLE.map((p) => p.id).join(', ')}`);
    return found;
  };
  const channelName = (id: string): string => CHANNELS.find((c) => c.id === id)?.name ?? id.toLowerCase();
  let triggerCount = 0;
  /** A trigger id for `user`: a modal opened with it is shown to that person. */
  const triggerFor = (user: string): string => {
    triggerCount += 1;
    const id = `${Date.now()}.${triggerCount}.${randomBytes(4).toString('hex')}`;
    book.triggers[id] = user;
    // Slack's trigger ids expire within seconds: the book keeps the newest ones only, so it does not grow for ever.
    const ids = Object.keys(book.triggers);
    for (const old of ids.slice(0, Math.max(0, ids.length - MAX_TRIGGERS))) delete book.triggers[old];
    return id;
  };

  const command = async (body: Record<string, unknown>): Promise<CommandAnswer> => {
    const user = person(body.user);
    const channel = needString(body, 'channel');
    if (!CHANNELS.some((c) => c.id === channel)) throw new BadRequest(`unknown channel ${JSON.stringify(channel)}`);
    const text = needString(body, 'text') as CommandRequest['text'];
    const threadTs = optionalString(body, 'threadTs');
    const slash = splitSlashCommand(text);
    if (!slash) {
      slack.postAs(user.id, channel, text, threadTs);
      return { ok: true };
    }
    // Slack sends an app only the commands it declared (manifest.yml: /deploy); anything else Slack answers itself.
    if (slash.command !== SLASH_COMMAND) {
      const ephemeral = slack.addEphemeral({
        channel,
        user: user.id,
        text: `\`${slash.command}\` is not a valid command. In this sandbox, foxops answers \`${SLASH_COMMAND}\`: try \`${SLASH_COMMAND} help\`.`,
      });
      return { ok: true, ephemeral: ephemeralOf(ephemeral) };
    }
    const form = slashCommandBody({
      command: slash.command,
      text: slash.text,
      user: user.id,
      userName: user.name.toLowerCase(),
      channel,
      channelName: channelName(channel),
      responseUrl: slack.responseUrlFor({ channel, user: user.id }),
      triggerId: triggerFor(user.id),
    });
    const answer = await slackPost(form, 'application/x-www-form-urlencoded');
    let reply: Record<string, unknown> | undefined;
    if (answer.text) {
      try {
        const parsed = JSON.parse(answer.text) as unknown;
        if (isRecord(parsed)) reply = parsed;
      } catch {
        // Slack shows a plain-text answer as it is.
        reply = { text: answer.text };
      }
    }
    if (answer.status >= 300) {
      const ephemeral = slack.addEphemeral({ channel, user: user.id, text: `/${slash.command.slice(1)} failed with the error "http_error_${answer.status}"` });
      return { ok: false, status: answer.status, ephemeral: ephemeralOf(ephemeral), error: `foxops answered ${answer.status}` };
    }
    if (!reply || (reply.text === undefined && reply.blocks === undefined)) return { ok: true, status: answer.status };
    const content = {
      ...(typeof reply.text === 'string' ? { text: reply.text } : {}),
      ...(Array.isArray(reply.blocks) ? { blocks: reply.blocks } : {}),
    };
    if (reply.response_type === 'in_channel') {
      slack.postAs(BOT.userId, channel, String(content.text ?? ''), undefined);
      return { ok: true, status: answer.status };
    }
    const ephemeral = slack.addEphemeral({ channel, user: user.id, ...content });
    return { ok: true, status: answer.status, ephemeral: ephemeralOf(ephemeral) };
  };

  const action = async (body: Record<string, unknown>): Promise<{ ok: boolean; status: number }> => {
    const user = person(body.user);
    const actionId = needString(body, 'actionId');
    const blockId = optionalString(body, 'blockId');
    const value = optionalString(body, 'value');
    const container = body.container as ActionRequest['container'] | undefined;
    if (!isRecord(container)) throw new BadRequest('`container` should be an object with a `type`');
    let source: ActionSource;
    if (container.type === 'message') {
      const channel = needString(container as Record<string, unknown>, 'channel');
      const ts = needString(container as Record<string, unknown>, 'ts');
      const m = slack.message(channel, ts);
      if (!m) throw new BadRequest(`no message ${ts} in ${channel}`);
      const message = {
        type: 'message',
        user: m.user,
        ...(m.user === BOT.userId ? { bot_id: BOT.botId, app_id: 'A0FOXOPS' } : {}),
        ts: m.ts,
        text: m.text ?? '',
        ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
        ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
        ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
        team: 'T0FOXY',
      };
      const responseUrl = slack.responseUrlFor({ channel, user: user.id, messageTs: ts, ...(m.thread_ts ? { threadTs: m.thread_ts } : {}) });
      source = { type: 'message', channel, channelName: channelName(channel), message, responseUrl };
    } else if (container.type === 'ephemeral') {
      const id = needString(container as Record<string, unknown>, 'id');
      const e = slack.ephemerals.find((x) => x.message_ts === id);
      if (!e || e.user !== user.id) throw new BadRequest(`no ephemeral message ${id} for ${user.id}`);
      const responseUrl = slack.responseUrlFor({ channel: e.channel, user: user.id, ephemeralTs: id, ...(e.thread_ts ? { threadTs: e.thread_ts } : {}) });
      source = { type: 'ephemeral', channel: e.channel, channelName: channelName(e.channel), messageTs: id, responseUrl };
    } else if (container.type === 'home') {
      const view = slack.homeViews.get(user.id);
      if (!isRecord(view)) throw new BadRequest(`${user.id} has no App Home view yet`);
      source = { type: 'view', view: { ...view, id: `V0HOME${user.id}`, type: 'home', team_id: 'T0FOXY' } };
    } else if (container.type === 'modal') {
      const viewId = needString(container as Record<string, unknown>, 'viewId');
      const opened = slack.openedViews.find((v) => v.view.id === viewId && !v.closed);
      if (!opened || book.triggers[opened.triggerId] !== user.id) throw new BadRequest(`no open modal ${viewId} for ${user.id}`);
      source = { type: 'view', view: opened.view };
    } else {
      throw new BadRequest('`container.type` should be message, ephemeral, home or modal');
    }
    const payload = blockActionsPayload({
      user: user.id,
      userName: user.name.toLowerCase(),
      actionId,
      ...(blockId !== undefined ? { blockId } : {}),
      ...(value !== undefined ? { value } : {}),
      triggerId: triggerFor(user.id),
      source,
    });
    const answer = await slackPost(payloadForm(payload), 'application/x-www-form-urlencoded');
    return { ok: answer.status < 300, status: answer.status };
  };

  const submitView = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const user = person(body.user);
    const viewId = needString(body, 'viewId');
    const values = body.values ?? {};
    if (!isRecord(values) || !Object.values(values).every((v) => isRecord(v) && Object.values(v).every((x) => typeof x === 'string')))
      throw new BadRequest('`values` should be `{ [blockId]: { [actionId]: text } }`');
    const opened = slack.openedViews.find((v) => v.view.id === viewId && !v.closed);
    if (!opened || book.triggers[opened.triggerId] !== user.id) throw new BadRequest(`no open modal ${viewId} for ${user.id}`);
    const payload = viewSubmissionPayload(user.id, user.name.toLowerCase(), opened.view, values as ViewSubmitRequest['values'], triggerFor(user.id));
    const answer = await slackPost(payloadForm(payload), 'application/x-www-form-urlencoded');
    if (answer.status >= 300) return { ok: false, status: answer.status, error: `foxops answered ${answer.status}` };
    let reply: Record<string, unknown> = {};
    try {
      const parsed = answer.text ? (JSON.parse(answer.text) as unknown) : {};
      if (isRecord(parsed)) reply = parsed;
    } catch {
      // An empty or plain answer closes the modal, as in Slack.
    }
    if (reply.response_action === 'errors' && isRecord(reply.errors)) return { ok: true, errors: reply.errors };
    if ((reply.response_action === 'update' || reply.response_action === 'push') && isRecord(reply.view)) {
      slack.replaceView(viewId, reply.view);
      return { ok: true };
    }
    slack.closeView(viewId);
    return { ok: true };
  };

  const closeView = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const user = person(body.user);
    const viewId = needString(body, 'viewId');
    const opened = slack.openedViews.find((v) => v.view.id === viewId && !v.closed);
    if (!opened || book.triggers[opened.triggerId] !== user.id) throw new BadRequest(`no open modal ${viewId} for ${user.id}`);
    slack.closeView(viewId);
    if (opened.view.notify_on_close === true)
      await slackPost(payloadForm(viewClosedPayload(user.id, user.name.toLowerCase(), opened.view)), 'application/x-www-form-urlencoded');
    return { ok: true };
  };

  const openHome = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const user = person(body.user);
    const answer = await slackPost(appHomeOpenedBody(user.id, BOT.userId), 'application/json');
    return { ok: answer.status < 300, status: answer.status };
  };

  const nextRun = (body: Record<string, unknown>): Record<string, unknown> => {
    const outcome = body.outcome;
    if (outcome !== 'succeed' && outcome !== 'fail' && outcome !== 'hang') throw new BadRequest('`outcome` should be succeed, fail or hang');
    book.nextRun = outcome as RunOutcome;
    pushGithub();
    return { ok: true };
  };

  let moreCommits = 0;
  const addCommits = (body: Record<string, unknown>): Record<string, unknown> => {
    const message = optionalString(body, 'message');
    const count = body.count === undefined ? 1 : body.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 20) throw new BadRequest('`count` should be a whole number from 1 to 20');
    if (message !== undefined && message.trim() === '') throw new BadRequest('`message` should not be empty');
    const specs = message
      ? [{ message: message.trim().slice(0, 200), author: 'dave-foxy' }]
      : Array.from({ length: count }, () => MORE_COMMITS[moreCommits++ % MORE_COMMITS.length]!);
    const shas = pushCommits(github, specs);
    pushGithub();
    return { ok: true, shas };
  };

  const setCommitCi = (body: Record<string, unknown>): Record<string, unknown> => {
    const state = body.state;
    if (state !== 'success' && state !== 'failure' && state !== 'pending') throw new BadRequest('`state` should be success, failure or pending');
    const asked = optionalString(body, 'sha');
    // A full SHA or a prefix of at least 7, as GitHub resolves them; none: the default branch's head.
    const sha = asked === undefined ? github.headOf(REPO, DEFAULT_BRANCH) : /^[0-9a-f]{7,40}$/i.test(asked) ? github.resolve(REPO, asked) : undefined;
    if (!sha) throw new BadRequest(`no commit ${JSON.stringify(asked)} in ${REPO}`);
    setCi(github, sha, state);
    pushGithub();
    return { ok: true, sha };
  };

  /** "Run workflow" on deploy.yml in GitHub: a run of the default branch's head that foxops never approved. */
  const manualRun = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const environment = needString(body, 'environment');
    if (!ENVIRONMENTS.some((e) => e.name === environment))
      throw new BadRequest(`\`environment\` should be one of ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
    const user = body.user === undefined ? PEOPLE[0]! : person(body.user);
    const head = github.headOf(REPO, DEFAULT_BRANCH);
    // Through GitHub's REST API with a person's token, as the Run workflow button does; the form's deploy_id is left empty.
    const response = await fetch(`${github.url}/repos/${REPO}/actions/workflows/deploy.yml/dispatches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `token ${GITHUB_TOKEN}` },
      body: JSON.stringify({
        ref: DEFAULT_BRANCH,
        inputs: { environment, sha: head, deploy_id: '', requested_by: user.name.toLowerCase() },
        return_run_details: true,
      }),
    });
    const answer = (await response.json()) as { workflow_run_id?: number; message?: string };
    if (!response.ok || typeof answer.workflow_run_id !== 'number') throw new Error(`GitHub answered ${response.status}: ${answer.message ?? ''}`);
    manualActors.set(answer.workflow_run_id, `${user.name.toLowerCase()}-foxy`);
    pushGithub();
    return { ok: true, runId: answer.workflow_run_id };
  };

  const fireAlarm = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const name = needString(body, 'alarm');
    const alarm = book.alarms.find((a) => a.name === name);
    if (!alarm) throw new BadRequest(`unknown alarm ${JSON.stringify(name)}: one of ${book.alarms.map((a) => a.name).join(', ')}`);
    const state = (body.state ?? 'ALARM') as AlarmRequest['state'];
    if (state !== 'ALARM' && state !== 'OK') throw new BadRequest('`state` should be ALARM or OK');
    const via = (body.via ?? 'sns') as AlarmRequest['via'];
    if (via !== 'sns' && via !== 'eventbridge') throw new BadRequest('`via` should be sns or eventbridge');
    const previousState = alarm.state;
    const event: SimAlarm = {
      name: alarm.name,
      description: alarm.description,
      state,
      previousState,
      reason:
        state === 'ALARM'
          ? `Threshold Crossed: 1 out of the last 1 datapoints [${alarm.threshold * 3}.0] was greater than the threshold (${alarm.threshold}.0).`
          : `Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than the threshold (${alarm.threshold}.0).`,
      namespace: 'AWS/Lambda',
      metricName: alarm.metricName,
      dimensions: [{ name: 'FunctionName', value: alarm.functionName }],
      threshold: alarm.threshold,
      region: 'eu-west-1',
      accountId: '123456789012',
      at: new Date(),
    };
    // CloudWatch has the new state before it tells anyone: reads of the alarm agree with the event.
    alarm.state = state;
    cloudwatch.setAlarm(alarm.name, state);
    pushAws();
    const stat = alarm.metricName === 'Duration' ? 'p99' : 'Sum';
    await track(Promise.resolve(handler(via === 'sns' ? snsAlarmEvent(event, { stat }) : eventBridgeAlarmEvent(event, { stat }))));
    return { ok: true };
  };

  let resetting: Promise<void> | undefined;
  const reset = async (): Promise<void> => {
    muted = true;
    driver.stop();
    await stream.idle();
    await Promise.allSettled([...inFlight, driver.idle()]);
    await dynamoClient.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => undefined);
    await ensureTable(dynamoClient, TABLE);
    slack.reset();
    // GitHub does not forget the installation tokens it issued when the sandbox starts over: foxops keeps using its own.
    const issued = [...github.installationTokens];
    github.reset();
    github.installationTokens.push(...issued);
    manualActors.clear();
    lambda.reset();
    cloudformation.reset();
    book = freshBook();
    await seed();
    driver = startDriver();
    // Let the panels' coalesced changes of the seeding go by first.
    await new Promise((resolve) => setImmediate(resolve));
    muted = false;
    push({ kind: 'reset' });
    saveNow();
  };

  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown> = {
    'POST /api/command': command,
    'POST /api/action': action,
    'POST /api/view': submitView,
    'POST /api/view/close': closeView,
    'POST /api/home': openHome,
    'POST /api/github/next-run': nextRun,
    'POST /api/github/commits': addCommits,
    'POST /api/github/ci': setCommitCi,
    'POST /api/github/manual-run': manualRun,
    'POST /api/aws/alarm': fireAlarm,
    'POST /api/reset': async () => {
      resetting ??= reset().finally(() => {
        resetting = undefined;
      });
      await resetting;
      return { ok: true };
    },
  };

  const state = (): SandboxState =>
    sandboxState({ botUserId: BOT.userId, people: PEOPLE, groups: GROUPS, channels: CHANNELS, slack, github, lambda, cloudformation, book, layout: LAYOUT });

  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const events = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': foxops sandbox\n\n');
    clients.add(res);
    const beat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    beat.unref();
    req.on('close', () => {
      clearInterval(beat);
      clients.delete(res);
    });
  };

  const assets = await assetsPromise;
  const pageServer = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const refused = refuseForeignRequest(req);
      if (refused) return sendJson(res, 403, { ok: false, error: refused });
      if (method === 'GET' && url.pathname === '/api/state') return sendJson(res, 200, state());
      if (method === 'GET' && url.pathname === '/api/events') return events(req, res);
      const file = /^\/api\/files\/([A-Za-z0-9]+)$/.exec(url.pathname);
      if (method === 'GET' && file) {
        const upload = slack.file(file[1]!);
        if (!upload?.content) return sendJson(res, 404, { ok: false, error: `no file ${file[1]}` });
        res.writeHead(200, {
          'content-type': /\.png$/i.test(upload.filename) ? 'image/png' : 'application/octet-stream',
          'content-length': upload.content.length,
        });
        return void res.end(upload.content);
      }
      const route = routes[`${method} ${url.pathname}`];
      if (route) {
        const raw = await readBody(req);
        let body: unknown = {};
        if (raw.length) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new BadRequest('the body should be JSON');
          }
        }
        if (!isRecord(body)) throw new BadRequest('the body should be a JSON object');
        if (resetting && url.pathname !== '/api/reset') await resetting;
        return sendJson(res, 200, await route(body));
      }
      if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: `no route ${method} ${url.pathname}` });
      const asset = method === 'GET' ? assets.get(url.pathname === '/index.html' ? '/' : url.pathname) : undefined;
      if (!asset) return sendJson(res, 404, { ok: false, error: `no page ${url.pathname}` });
      res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
      res.end(asset.body);
    })().catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      if (err instanceof BadRequest) return sendJson(res, 400, { ok: false, error: err.message });
      log(`sandbox: ${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
      sendJson(res, 500, { ok: false, error: (err as Error).message });
    });
  });
  pageServer.keepAliveTimeout = 10 * 60_000;

  const closeAll = async () => {
    closed = true;
    if (reconciler) clearInterval(reconciler);
    driver.stop();
    await stream.idle();
    await Promise.allSettled([...inFlight, driver.idle()]);
    saveNow();
    for (const client of clients) client.end();
    clients.clear();
    await Promise.all(
      [pageServer, foxopsServer].map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    dynamoClient.destroy();
    await Promise.all([slack.close(), github.close(), lambda.close(), cloudformation.close(), cloudwatch.close(), stream.close()]);
    await dynamo.close();
  };

  let port: number;
  try {
    port = await listen(pageServer, wantedPort);
  } catch (err) {
    await closeAll();
    throw err;
  }
  saveNow();

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    foxopsUrl,
    dataDir,
    restored,
    slack,
    github,
    lambda,
    cloudwatch,
    cloudformation,
    state,
    async idle() {
      for (;;) {
        await stream.idle();
        await Promise.allSettled([...inFlight, driver.idle()]);
        await new Promise((resolve) => setImmediate(resolve));
        if (inFlight.size === 0) return;
      }
    },
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}
