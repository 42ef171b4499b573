/**
 * The local runtime: the same app as on Lambda, on Bolt's HTTP receiver (or Socket Mode), with an
 * embedded DynamoDB (dynalite) and jobs run in-process. `npm start` and the integration tests use it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { awsClientConfig } from '../aws/client-config.js';
import { type Env, type FoxopsConfig, loadConfig } from '../config/load.js';
import { formatProblems } from '../config/errors.js';
import type { DeployContext } from '../deploys/context.js';
import { handleGitHubWebhook } from '../github/webhooks.js';
import type { HttpEvent } from '../http.js';
import { createLogger, type Logger } from '../log.js';
import { guardHttpReceiver } from '../slack/guard.js';
import { slackLogger } from '../slack/logger.js';
import { buildApp } from '../slack/app.js';
import { ensureTable } from '../store/table.js';
import { type ContextTuning, createDeployContext } from '../wiring.js';
import { startEmbeddedDynamo } from '../store/embedded-dynamo.js';

/** Options for {@link startLocalServer}. */
export interface LocalServerOptions extends ContextTuning {
  env: Env;
  /** 0 picks a free port. Default `PORT` or 3000. */
  port?: number;
  /** Folder for dynalite's data; undefined keeps it in memory. */
  dataDir?: string;
  logger?: Logger;
  /** How often the reconciler runs; 0 turns it off (tests drive it by hand). */
  reconcileEveryMs?: number;
}

/** A running local foxops. */
export interface LocalServer {
  url: string;
  config: FoxopsConfig;
  /** Resolves when no job is running. */
  idle(): Promise<void>;
  /** The deploy context, for tests and the reconciler. */
  context: DeployContext;
  close(): Promise<void>;
}

/** The body as text; past `limit` bytes the rest is read but dropped (the route then answers 413), so memory stays bounded. */
async function readBody(req: http.IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (size > limit) continue;
    size += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Adapts a node request to the Function URL event shape, so webhooks share the Lambda code path. */
async function toHttpEvent(req: http.IncomingMessage, bodyLimit?: number): Promise<HttpEvent> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  return {
    rawPath: url.pathname,
    headers,
    body: await readBody(req, bodyLimit),
    isBase64Encoded: false,
    requestContext: { http: { method: req.method ?? 'GET' } },
  };
}

/** What `npm start` prints when Slack is not set up yet. */
export function setupInstructions(config: FoxopsConfig, url: string): string {
  return [
    'foxops is running without Slack, because these settings are missing:',
    formatProblems(config.missing),
    '',
    'To connect it to Slack:',
    '  1. api.slack.com/apps > Create New App > From a manifest > paste manifest.yml ' +
      '(replace the request URL placeholders with a public URL to this server, e.g. from a tunnel).',
    '  2. Install the app to your workspace.',
    '  3. Put SLACK_BOT_TOKEN (xoxb-…) and SLACK_SIGNING_SECRET in a .env file or your shell, ' +
      'or SLACK_APP_TOKEN (xapp-…) for Socket Mode without a public URL.',
    '  4. Run `npm start` again.',
    `Health check: ${url}/health`,
  ].join('\n');
}

/** Starts foxops locally. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const config = await loadConfig(options.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const dynamo = await startEmbeddedDynamo(options.dataDir);
  const env: Env = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', ...options.env, AWS_ENDPOINT_URL_DYNAMODB: dynamo.url };
  const dynamoClient = new DynamoDBClient(awsClientConfig(env, 'DYNAMODB'));
  await ensureTable(dynamoClient, config.tableName);

  const slackClient = new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    logger: slackLogger(logger, config.logLevel, 'slack.web_api'),
  });
  const { context, jobs } = createDeployContext({
    config,
    logger,
    dynamo: dynamoClient,
    slackClient,
    env,
    runJobsHere: true,
    now: options.now,
    github: options.github,
    cards: options.cards,
  });

  const webhookRoute = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const result = await handleGitHubWebhook(config, async () => context, logger, await toHttpEvent(req));
    res.writeHead(result.statusCode, result.headers ?? {}).end(result.body);
  };
  const verifyRoute = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Loaded on first use, as on Lambda: jose is for this route only.
    const { handleGitHubVerify, MAX_VERIFY_BODY_BYTES } = await import('../github/verify.js');
    const result = await handleGitHubVerify(config, async () => context, logger, await toHttpEvent(req, MAX_VERIFY_BODY_BYTES));
    res.writeHead(result.statusCode, result.headers ?? {}).end(result.body);
  };
  const healthRoute = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, slack: config.missing.length === 0 }));
  };
  const port = options.port ?? Number(options.env.PORT ?? 3000);

  let server: http.Server | undefined;
  let stopSlack: () => Promise<void> = async () => {};
  const slackReady = config.slack.botToken && (config.slack.signingSecret || config.slack.appToken);
  if (slackReady) {
    const socketMode = Boolean(config.slack.appToken);
    const receiver: Receiver = socketMode
      ? new SocketModeReceiver({ appToken: config.slack.appToken!, customRoutes: [], logger: undefined })
      : guardHttpReceiver(
          new HTTPReceiver({
            signingSecret: config.slack.signingSecret!,
            logger: slackLogger(logger, config.logLevel, 'bolt'),
            endpoints: '/slack/events',
            // Answer after the listener, as on Lambda: the same semantics everywhere, and no listener
            // still running when a caller (or a test) moves on.
            processBeforeResponse: true,
            customRoutes: [
              { path: '/github/webhooks', method: ['POST'], handler: webhookRoute },
              { path: '/github/verify', method: ['POST'], handler: verifyRoute },
              { path: '/health', method: ['GET'], handler: healthRoute },
            ],
          }),
          config.slack.signingSecret!,
          logger,
        );
    const app = buildApp(config, { config, logger, context: async () => context }, { receiver });
    const started = (await (socketMode ? app.start() : app.start(port))) as unknown;
    if (!socketMode) server = started as http.Server;
    stopSlack = () => app.stop() as Promise<void>;
  }
  if (!server) {
    // Socket Mode or no Slack at all: webhooks and health still need a port.
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'POST' && path === '/github/webhooks') return void webhookRoute(req, res).catch(() => res.writeHead(500).end());
      if (req.method === 'POST' && path === '/github/verify') return void verifyRoute(req, res).catch(() => res.writeHead(500).end());
      if (req.method === 'GET' && path === '/health') return healthRoute(req, res);
      if (path === '/slack/events')
        return void res.writeHead(503, { 'content-type': 'text/plain' }).end(slackReady ? 'Slack runs over Socket Mode' : setupInstructions(config, ''));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
  }
  const address = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;

  let reconciler: NodeJS.Timeout | undefined;
  const every = options.reconcileEveryMs ?? 60_000;
  if (every > 0) {
    // One pass a minute, as EventBridge does on AWS.
    reconciler = setInterval(() => void jobs.enqueue({ type: 'reconcile', at: new Date().toISOString() }).catch(() => undefined), every);
    reconciler.unref();
  }
  if (!slackReady) logger.warn('local.slack_not_configured', { missing: config.missing.map((m) => m.where), health: `${url}/health` });

  return {
    url,
    config,
    context,
    idle: () => jobs.idle(),
    async close() {
      if (reconciler) clearInterval(reconciler);
      await jobs.idle();
      await stopSlack();
      await new Promise<void>((resolve) => (server!.listening ? server!.close(() => resolve()) : resolve()));
      dynamoClient.destroy();
      await dynamo.close();
    },
  };
}
