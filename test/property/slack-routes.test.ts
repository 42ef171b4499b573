/**
 * Properties of `POST /slack/events` through the real Lambda handler (Bolt's AwsLambdaReceiver, dynalite, the
 * fakes), with generated slash commands, button clicks, dialog submissions, Events API callbacks and bodies that
 * are no JSON at all:
 *  - signed: never a throw or a 5xx; a malformed body gets 200 (or 400 when it cannot be parsed) and exactly one
 *    `slack.malformed_payload` line; no error line, and no line over 16 KB, whatever was sent;
 *  - not signed (no signature, another secret, stale, over another body, malformed): 401, one `slack.bad_signature`
 *    line, and nothing changes: not the table, not a call to Slack or GitHub.
 */
import { parse as parseForm } from 'node:querystring';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { REJECT_VIEW } from '../../src/slack/blocks/reject-modal.js';
import { checkInbound, unreadableBody } from '../../src/slack/inbound.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { type Harness, REPO, startHarness } from '../support/harness.js';
import { mutateAll } from '../support/mutate.js';
import { drain, FORGED, formBody, invoke, type SlackAuth, slackEvent, tableClient, warnHandler, world } from '../support/routes.js';

let h: Harness;
let handler: ReturnType<typeof warnHandler>;
let dynamo: DynamoDBClient;
let seeded: Seeded;

beforeAll(async () => {
  h = await startHarness({ cardSpacingMs: 0 });
  h.github.pushCommits(REPO, 'main', 2);
  seeded = await seedDeploy(h);
  handler = warnHandler(h);
  dynamo = tableClient(h);
});
afterAll(async () => {
  await drain(h);
  dynamo.destroy();
  await h.close();
});

// ---------------------------------------------------------------- generators

/** Replaced by the harness' own values when a body is built (generators are made before the harness runs). */
const SEEDED_ID = '<seeded-id>';
const RESPONSE_URL = '<response-url>';
const CARD_TS = '<card-ts>';

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.string({ minLength: 2100, maxLength: 3000 }),
);
const deployId = fc.stringMatching(/^d-[0-9a-hjkmnp-tv-z]{10}$/);
const user = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant('U'.repeat(300)) },
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('prod', 'stg backend', 'prod backend main', 'prod api') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('', 'help', 'status', 'status backend', 'history prod', 'history prod backend 5', 'prdo', 'prod backend no..ref', 'histroy'),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 3990, maxLength: 4100 }) },
);
/** A form value, now and then given twice (a form may repeat a key). */
const field = (arb: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 20, arbitrary: arb }, { weight: 1, arbitrary: fc.tuple(arb, arb).map((pair): string[] => [...pair]) });

/** A slash command as Slack sends it, now and then without one of its fields. */
const command = fc
  .tuple(
    fc.record({
      command: field(fc.oneof({ weight: 6, arbitrary: fc.constant('/deploy') }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) })),
      text: field(text),
      user_id: field(user),
      channel_id: field(fc.constantFrom('C0PROD', 'C0PROD', 'C0STAGING', 'C0ELSEWHERE')),
      team_id: fc.constant('T0FOXY'),
      trigger_id: field(fc.oneof({ weight: 5, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) })),
      response_url: fc.constant(RESPONSE_URL),
    }),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('command', 'text', 'user_id', 'channel_id', 'trigger_id') },
    ),
  )
  .map(([fields, dropped]) => ({
    body: formBody({ ...fields, ...(dropped ? { [dropped]: undefined } : {}) }),
    contentType: 'application/x-www-form-urlencoded',
  }));

/** Up to two changes (a field replaced or removed), none in a good share of cases. */
const changes = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 3, arbitrary: fc.array(fc.tuple(fc.nat(), fc.oneof(junk, fc.constant(undefined))), { minLength: 1, maxLength: 2 }) },
);

/** A payload with some of its fields replaced or removed. */
const mutated = (base: fc.Arbitrary<Record<string, unknown>>) =>
  fc.tuple(base, changes).map(([payload, changes]) => ({
    body: formBody({ payload: JSON.stringify(mutateAll(payload, changes)) ?? 'null' }),
    contentType: 'application/x-www-form-urlencoded',
  }));

const click = mutated(
  fc.record({
    type: fc.constant('block_actions'),
    team: fc.constant({ id: 'T0FOXY', domain: 'foxy' }),
    user: user.map((id) => ({ id, team_id: 'T0FOXY' })),
    api_app_id: fc.constant('A0FOXOPS'),
    trigger_id: fc.uuid(),
    channel: fc.constantFrom({ id: 'C0PROD' }, { id: 'C0STAGING' }),
    message: fc.constantFrom({ ts: CARD_TS }, { ts: '1.2' }),
    container: fc.constant({ type: 'message' }),
    response_url: fc.constant(RESPONSE_URL),
    actions: fc.array(
      fc.record({
        action_id: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.values(ACTION_IDS)) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }),
        block_id: fc.constant('deploy_actions'),
        type: fc.constant('button'),
        value: fc.oneof(
          { weight: 3, arbitrary: fc.constant(SEEDED_ID) },
          { weight: 2, arbitrary: deployId },
          { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
          { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 4000 }) },
        ),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
);

const submission = mutated(
  fc.record({
    type: fc.constant('view_submission'),
    team: fc.constant({ id: 'T0FOXY' }),
    user: user.map((id) => ({ id })),
    trigger_id: fc.uuid(),
    response_urls: fc.constant([]),
    view: fc.record({
      id: fc.constant('V0MODAL1'),
      type: fc.constant('modal'),
      callback_id: fc.oneof({ weight: 5, arbitrary: fc.constant(REJECT_VIEW.callbackId) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }),
      private_metadata: fc.oneof(
        fc.oneof(fc.constant(SEEDED_ID), deployId, fc.string({ maxLength: 3000 })).map((requestId) => JSON.stringify({ requestId })),
        fc.string({ maxLength: 50 }),
        fc.constant('null'),
      ),
      state: fc
        .string({ maxLength: 700 })
        .map((reason) => ({ values: { [REJECT_VIEW.block]: { [REJECT_VIEW.input]: { type: 'plain_text_input', value: reason } } } })),
    }),
  }),
);

const callback = fc
  .tuple(
    fc.record({
      type: fc.constant('event_callback'),
      team_id: fc.constant('T0FOXY'),
      api_app_id: fc.constant('A0FOXOPS'),
      authorizations: fc.constant([{ team_id: 'T0FOXY', is_bot: true }]),
      event: fc.record(
        {
          type: fc.constantFrom('app_home_opened', 'app_home_opened', 'message', 'app_mention', 'reaction_added', 'tokens_revoked'),
          user: user,
          channel: fc.constantFrom('D0HOME', 'C0PROD'),
          tab: fc.constantFrom('home', 'messages'),
          item: fc.constant({ type: 'message', channel: 'C0PROD', ts: '1.2' }),
        },
        { requiredKeys: ['type'] },
      ),
    }),
    changes,
  )
  .map(([payload, changes]) => ({ body: JSON.stringify(mutateAll(payload, changes)) ?? 'null', contentType: 'application/json' }));

const odd = fc.oneof(
  fc
    .constantFrom('null', '5', '"text"', '[]', '{', '{"type":"url_verification","challenge":"c-1"}', '{"type":"app_rate_limited"}')
    .map((body) => ({ body, contentType: 'application/json' })),
  fc
    .constantFrom('payload=null', 'payload=%7B', 'payload=1', 'payload=a&payload=b', 'text=prod', '')
    .map((body) => ({ body, contentType: 'application/x-www-form-urlencoded' })),
  fc.jsonValue().map((v) => ({ body: JSON.stringify(v) ?? 'null', contentType: 'application/json' })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((body) => ({ body, contentType: 'text/plain' })),
);

/** Any Slack request body. */
const anyRequest = fc.oneof(command, click, submission, callback, odd);

// ---------------------------------------------------------------- properties

/** The generated body with the harness' own values in. */
function concrete({ body, contentType }: { body: string; contentType: string }): { body: string; contentType: string } {
  const url = encodeURIComponent(h.slack.responseUrl('prop'));
  const swap = (text: string) =>
    text
      .replaceAll(encodeURIComponent(RESPONSE_URL), url)
      .replaceAll(encodeURIComponent(SEEDED_ID), seeded.request.id)
      .replaceAll(encodeURIComponent(CARD_TS), seeded.request.cardTs!);
  return { body: contentType.includes('form') ? swap(body) : body, contentType };
}

/** What foxops should make of a body: unreadable, malformed (with its check), or fine. */
function verdictOf(body: string, contentType: string): 'unreadable' | 'malformed' | 'ok' {
  if (unreadableBody(body, contentType) !== undefined) return 'unreadable';
  const form = contentType === 'application/x-www-form-urlencoded' ? parseForm(body) : undefined;
  const parsed = form ? (typeof form.payload === 'string' ? JSON.parse(form.payload) : form) : JSON.parse(body);
  // Bolt answers url_verification itself, before any check.
  if (parsed?.type === 'url_verification') return 'ok';
  return checkInbound(parsed).ok ? 'ok' : 'malformed';
}

async function assertSignedAnswer(request: { body: string; contentType: string }): Promise<void> {
  const { body, contentType } = concrete(request);
  await drain(h);
  const { result, thrown } = await invoke(handler, slackEvent(body, contentType, 'signed'));
  const lines = await drain(h);
  expect(thrown).toBeUndefined();
  const verdict = verdictOf(body, contentType);
  // A well-formed request that no listener takes (another command, another button) is acknowledged too.
  expect(verdict === 'unreadable' ? [400] : [200]).toContain(result!.statusCode);
  expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  if (verdict === 'ok') expect(lines.map((l) => l.event)).not.toContain('slack.malformed_payload');
  else expect(lines.map((l) => [l.event, l.kind])).toEqual([['slack.malformed_payload', verdict === 'unreadable' ? 'unreadable' : expect.any(String)]]);
}

test('a request that is not signed is refused with 401 and one line, and changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(anyRequest, fc.constantFrom(...FORGED), async (request, auth: SlackAuth) => {
      const { body, contentType } = concrete(request);
      const before = await world(h, dynamo);
      await drain(h);
      const { result, thrown } = await invoke(handler, slackEvent(body, contentType, auth));
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      expect(result!.statusCode).toBe(401);
      expect(lines.map((l) => l.event)).toEqual(['slack.bad_signature']);
      expect(await world(h, dynamo)).toEqual(before);
    }),
    { numRuns: 60 },
  );
});

test('signed slash commands: answered, never 5xx, one line for a malformed one', async () => {
  await fc.assert(fc.asyncProperty(command, assertSignedAnswer), { numRuns: 60 });
});

test('signed button clicks: answered, never 5xx, one line for a malformed one', async () => {
  await fc.assert(fc.asyncProperty(click, assertSignedAnswer), { numRuns: 80 });
});

test('signed dialog submissions: answered, never 5xx, one line for a malformed one', async () => {
  await fc.assert(fc.asyncProperty(submission, assertSignedAnswer), { numRuns: 60 });
});

test('signed Events API callbacks: answered, never 5xx, one line for a malformed one', async () => {
  await fc.assert(fc.asyncProperty(callback, assertSignedAnswer), { numRuns: 60 });
});

test('signed bodies that are no Slack request at all: 200 or 400, one line', async () => {
  await fc.assert(fc.asyncProperty(odd, assertSignedAnswer), { numRuns: 40 });
});

// ---------------------------------------------------------------- examples of bounded input

test('a button whose value is 3 KB is refused to the clicker with one line, before any store read', async () => {
  // Prepare
  const value = 'x'.repeat(3000);
  const payload = {
    type: 'block_actions',
    team: { id: 'T0FOXY' },
    user: { id: 'U0ALICE' },
    trigger_id: 't',
    channel: { id: 'C0PROD' },
    message: { ts: seeded.request.cardTs },
    response_url: h.slack.responseUrl('big-value'),
    actions: [{ action_id: ACTION_IDS.approve, block_id: 'b', type: 'button', value }],
  };
  const before = await world(h, dynamo);

  // Act
  const { result } = await invoke(handler, slackEvent(formBody({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded', 'signed'));
  const lines = await drain(h);

  // Assess
  expect(result!.statusCode).toBe(200);
  expect(lines).toEqual([expect.objectContaining({ event: 'card.bad_request_id', level: 'warn', length: 3000, value: expect.stringMatching(/^x{40}…/) })]);
  expect(h.slack.responsesTo('big-value')).toEqual([
    expect.objectContaining({ body: expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('does not name a deploy request') }) }),
  ]);
  const after = await world(h, dynamo);
  expect({ ...after, slackResponses: before.slackResponses }).toEqual(before);
});

test('a dialog naming a 3 KB request id, or with a reason longer than the dialog takes, is refused in the dialog', async () => {
  const submit = (privateMetadata: string, reason: string) =>
    invoke(
      handler,
      slackEvent(
        formBody({
          payload: JSON.stringify({
            type: 'view_submission',
            team: { id: 'T0FOXY' },
            user: { id: 'U0BOB' },
            trigger_id: 't',
            response_urls: [],
            view: {
              id: 'V1',
              type: 'modal',
              callback_id: REJECT_VIEW.callbackId,
              private_metadata: privateMetadata,
              state: { values: { [REJECT_VIEW.block]: { [REJECT_VIEW.input]: { type: 'plain_text_input', value: reason } } } },
            },
          }),
        }),
        'application/x-www-form-urlencoded',
        'signed',
      ),
    );
  const before = await world(h, dynamo);

  // Act
  const bigId = await submit(JSON.stringify({ requestId: 'd-'.padEnd(3000, 'x') }), 'no');
  const bigIdLines = await drain(h);
  const longReason = await submit(JSON.stringify({ requestId: seeded.request.id }), 'why '.repeat(200));
  const longReasonLines = await drain(h);

  // Assess
  expect(JSON.parse(bigId.result!.body)).toEqual({
    response_action: 'errors',
    errors: { [REJECT_VIEW.block]: expect.stringContaining('does not name a deploy request') },
  });
  expect(bigIdLines).toEqual([
    expect.objectContaining({ event: 'view.reject_bad_metadata', length: expect.any(Number), metadata: expect.stringContaining('…[+') }),
  ]);
  expect(JSON.parse(longReason.result!.body)).toEqual({ response_action: 'errors', errors: { [REJECT_VIEW.block]: expect.stringContaining('at most 500') } });
  expect(longReasonLines).toEqual([expect.objectContaining({ event: 'view.reject_reason_too_long', length: 799 })]);
  expect(await world(h, dynamo)).toEqual(before);
});
