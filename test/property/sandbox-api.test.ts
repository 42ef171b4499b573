/**
 * Properties of the sandbox's own routes (src/sandbox/protocol.ts) with generated bodies, the page's side of the
 * sandbox: whatever a page (or a curious person with curl) sends, the answer is 200, 400 or 404 with a JSON
 * `{ ok, … }`, never a 5xx; the sandbox keeps answering; and foxops behind it writes no error line. Bodies of the
 * right shape carry generated text, so foxops itself hears odd commands, button values and modal input.
 */
import fc from 'fast-check';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { captureLogLines, type CapturedLogs } from '../support/logs.js';

let sandbox: Sandbox;
let logs: CapturedLogs;

beforeAll(async () => {
  logs = captureLogLines();
  sandbox = await startSandbox({
    port: 0,
    dataDir: null,
    runTotalMs: 600,
    reconcileEveryMs: 0,
    cardSpacingMs: 0,
    page: false,
    logLevel: 'error',
    log: () => undefined,
  });
});

afterAll(async () => {
  await sandbox?.close();
  logs?.stop();
});

async function post(route: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${sandbox.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, json: await response.json() };
}

const ROUTES = [
  '/api/command',
  '/api/action',
  '/api/view',
  '/api/view/close',
  '/api/home',
  '/api/github/next-run',
  '/api/github/commits',
  '/api/github/ci',
  '/api/github/manual-run',
  '/api/aws/alarm',
];
const PEOPLE = ['U0DAVE', 'U0ALICE', 'U0BOB', 'U0CAROL', 'U0ERIN'];
const CHANNELS = ['C0PROD', 'C0STAGING', 'C0AUDIT', 'D0DAVE'];

/** Words foxops knows, mixed with anything: the parser, policy and suggestions all get exercised. */
const commandLine = fc
  .array(
    fc.oneof(
      fc.constantFrom('prod', 'staging', 'status', 'history', 'rollback', 'promote', 'lock', 'unlock', 'help', 'backend', 'main', '--stats'),
      fc.string(),
    ),
    {
      maxLength: 6,
    },
  )
  .map((words) => `/deploy ${words.join(' ')}`);

/** A body of the right shape for a route, with generated values in it. */
const shapedBody = fc.oneof(
  fc.record({
    route: fc.constant('/api/command'),
    body: fc.record({ user: fc.constantFrom(...PEOPLE), channel: fc.constantFrom(...CHANNELS), text: fc.oneof(commandLine, fc.string()) }),
  }),
  fc.record({
    route: fc.constant('/api/action'),
    body: fc.record({
      user: fc.constantFrom(...PEOPLE),
      actionId: fc.oneof(fc.constantFrom('deploy_approve', 'deploy_reject', 'deploy_retry', 'deploy_cancel', 'alarm_rollback', 'home_failure_dm'), fc.string()),
      blockId: fc.string(),
      value: fc.oneof(fc.string(), fc.stringMatching(/^d-[0-9a-z]{10}$/)),
      container: fc.oneof(
        fc.record({ type: fc.constant('message'), channel: fc.constantFrom(...CHANNELS), ts: fc.string() }),
        fc.record({ type: fc.constant('ephemeral'), id: fc.string() }),
        fc.constant({ type: 'home' }),
        fc.record({ type: fc.constant('modal'), viewId: fc.string() }),
      ),
    }),
  }),
  fc.record({
    route: fc.constant('/api/view'),
    body: fc.record({ user: fc.constantFrom(...PEOPLE), viewId: fc.string(), values: fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.string())) }),
  }),
  fc.record({ route: fc.constant('/api/home'), body: fc.record({ user: fc.oneof(fc.constantFrom(...PEOPLE), fc.string()) }) }),
  fc.record({ route: fc.constant('/api/github/next-run'), body: fc.record({ outcome: fc.oneof(fc.constantFrom('succeed', 'fail', 'hang'), fc.string()) }) }),
  fc.record({
    route: fc.constant('/api/github/commits'),
    body: fc.record({ count: fc.oneof(fc.integer({ min: -5, max: 3 }), fc.string()), message: fc.string() }),
  }),
  fc.record({
    route: fc.constant('/api/github/ci'),
    body: fc.record({ state: fc.oneof(fc.constantFrom('success', 'failure', 'pending'), fc.string()), sha: fc.string() }),
  }),
  fc.record({
    route: fc.constant('/api/aws/alarm'),
    body: fc.record({
      alarm: fc.oneof(fc.constantFrom('foxy-backend-production-errors', 'foxy-backend-staging-latency'), fc.string()),
      state: fc.oneof(fc.constantFrom('ALARM', 'OK'), fc.string()),
      via: fc.oneof(fc.constantFrom('sns', 'eventbridge'), fc.string()),
    }),
  }),
);

/** Anything at all, on any route: not JSON, JSON that is not an object, objects with wrong types. */
const anyBody = fc.record({
  route: fc.constantFrom(...ROUTES),
  body: fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .dictionary(fc.constantFrom('user', 'channel', 'text', 'actionId', 'container', 'viewId', 'values', 'outcome', 'alarm', 'count'), fc.jsonValue())
      .map((o) => JSON.stringify(o)),
  ),
});

describe('the sandbox API with generated bodies', () => {
  it('answers 200, 400 or 404 with JSON, never a 5xx, and foxops behind it writes no error line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          shapedBody.map((c) => ({ route: c.route, body: JSON.stringify(c.body) })),
          anyBody,
        ),
        async ({ route, body }) => {
          const answer = await post(route, body);
          expect([200, 400, 404]).toContain(answer.status);
          expect(answer.json).toEqual(expect.objectContaining({ ok: expect.any(Boolean) }));
        },
      ),
      { numRuns: 150 },
    );
    await sandbox.idle();

    // The sandbox still answers, and nothing foxops did on the way was an error.
    const health = await fetch(`${sandbox.url}/api/state`);
    expect(health.status).toBe(200);
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  }, 120_000);
});
