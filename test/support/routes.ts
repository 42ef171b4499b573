/**
 * Helpers for property tests of the inbound routes through the real Lambda handler: requests signed or not,
 * the state an unsigned request must leave alone, and the log lines one request produced.
 */
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { createHandler, type HttpResult } from '../../src/lambda/index.js';
import { MAX_LINE_BYTES } from '../../src/log.js';
import { githubSignature, type Harness, SIGNING_SECRET, slackSignature, WEBHOOK_SECRET } from './harness.js';
import type { LogLine } from './logs.js';

/** How a request is (not) signed. Everything but `signed` must be refused with 401 and change nothing. */
export type SlackAuth = 'signed' | 'unsigned' | 'other-secret' | 'stale' | 'future' | 'other-body' | 'malformed-signature';
export const FORGED: SlackAuth[] = ['unsigned', 'other-secret', 'stale', 'future', 'other-body', 'malformed-signature'];

/** A Function URL event for `POST /slack/events` with `body`, signed as `auth` says. */
export function slackEvent(body: string, contentType: string, auth: SlackAuth): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  // Stale and future: signed correctly, 6 minutes from the clock either way (Slack's window is 5).
  const ts = auth === 'stale' ? now - 6 * 60 : auth === 'future' ? now + 6 * 60 : now;
  const signature = {
    signed: slackSignature(SIGNING_SECRET, ts, body),
    unsigned: undefined,
    'other-secret': slackSignature('not-the-signing-secret', ts, body),
    stale: slackSignature(SIGNING_SECRET, ts, body),
    future: slackSignature(SIGNING_SECRET, ts, body),
    'other-body': slackSignature(SIGNING_SECRET, ts, `${body} `),
    'malformed-signature': `v0=${'z'.repeat(64)}`,
  }[auth];
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
    ...(signature ? { 'x-slack-signature': signature } : {}),
  };
  return { rawPath: '/slack/events', headers, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/slack/events' } } };
}

/** A Function URL event for `POST /github/webhooks`. */
export function webhookEvent(
  name: string | undefined,
  body: string,
  delivery: string | undefined,
  auth: 'signed' | 'unsigned' | 'other-secret',
): Record<string, unknown> {
  const signature =
    auth === 'signed' ? githubSignature(WEBHOOK_SECRET, body) : auth === 'other-secret' ? githubSignature('not-the-webhook-secret', body) : undefined;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(name === undefined ? {} : { 'x-github-event': name }),
    ...(delivery === undefined ? {} : { 'x-github-delivery': delivery }),
    ...(signature ? { 'x-hub-signature-256': signature } : {}),
  };
  return { rawPath: '/github/webhooks', headers, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/github/webhooks' } } };
}

/** A form body; a list value repeats its key, as a form may. */
export function formBody(fields: Record<string, string | string[] | undefined>): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) form.append(key, v);
  return form.toString();
}

/** What a forged request must leave as it was: every item of the table, and the calls the fakes received. */
export interface World {
  items: string;
  slackCalls: number;
  slackResponses: number;
  githubRequests: number;
}

/** Reads the whole table and the fakes' call counts, once every queued job has run. */
export async function world(h: Harness, dynamo: DynamoDBClient): Promise<World> {
  await h.idle();
  const items: string[] = [];
  for await (const page of paginateScan({ client: dynamo }, { TableName: h.env.FOXOPS_TABLE! }))
    for (const item of page.Items ?? []) items.push(JSON.stringify(item));
  return {
    items: items.sort().join('\n'),
    slackCalls: h.slack.calls.length,
    slackResponses: h.slack.responses.length,
    githubRequests: h.github.requests.length,
  };
}

/** A client on the harness' table. */
export function tableClient(h: Harness): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint: h.env.AWS_ENDPOINT_URL_DYNAMODB!, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** Takes every captured line (all of them, so that none is printed at the end) once queued jobs have run. */
export async function drain(h: Harness): Promise<LogLine[]> {
  await h.idle();
  const lines = [...h.logs.lines];
  for (const event of new Set(lines.map((l) => l.event))) h.logs.take(event);
  for (const line of lines) expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThanOrEqual(MAX_LINE_BYTES);
  return lines;
}

/**
 * A second handler on the harness' table and fakes that logs at `warn`, so a test sees the warnings a request
 * caused (the harness' own handler, which runs the queued jobs, logs errors only).
 */
export function warnHandler(h: Harness): ReturnType<typeof createHandler> {
  return createHandler({ ...h.env, LOG_LEVEL: 'warn' }, { now: () => h.clock.now, github: { retryBaseMs: 5, throttleId: `${h.env.FOXOPS_TABLE}-warn` } });
}

/** Calls `handler` and tells its answer, or what it threw. */
export async function invoke(handler: ReturnType<typeof createHandler>, event: unknown): Promise<{ result?: HttpResult; thrown?: unknown }> {
  try {
    return { result: (await handler(event, {})) as HttpResult | undefined };
  } catch (thrown) {
    return { thrown };
  }
}
