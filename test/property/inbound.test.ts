/**
 * Properties of the pure checks at foxops' edges: the shape of Slack bodies (src/slack/inbound.ts), SNS records and
 * alarm messages (src/alarms/envelope.ts), job payloads (src/jobs/parse.ts), and the bounds of a log line (src/log.ts).
 * Whatever arrives, they answer without throwing, name problems without quoting what was sent, and let through only
 * what the code behind them can take.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseAlarmMessage, readSnsRecord } from '../../src/alarms/envelope.js';
import type { Job } from '../../src/domain/ports.js';
import { jobKey } from '../../src/jobs/keys.js';
import { parseJob, readJob } from '../../src/jobs/parse.js';
import { createLogger, MAX_LINE_BYTES } from '../../src/log.js';
import { checkInbound, inboundKind, unreadableBody } from '../../src/slack/inbound.js';
import { mutate, mutateAll } from '../support/mutate.js';

/** A value that must never be quoted back whole: longer than the snippets (40 characters at most) that problems quote. */
const MARKER = 'MARKER-0f1e2d3c4b5a69788796a5b4c3d2e1f0-MARKER';

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.constant(MARKER),
  fc.string({ maxLength: 6 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.constant({ id: MARKER }),
);

/** Slack's request bodies as Slack sends them (trimmed to what Bolt and foxops read). */
const bases: Record<string, unknown> = {
  command: {
    command: '/deploy',
    text: 'prod',
    user_id: 'U0DAVE',
    channel_id: 'C0PROD',
    team_id: 'T0FOXY',
    trigger_id: '1.2.3',
    response_url: 'https://hooks.slack.com/x',
  },
  block_actions: {
    type: 'block_actions',
    team: { id: 'T0FOXY' },
    user: { id: 'U0ALICE', team_id: 'T0FOXY' },
    channel: { id: 'C0PROD' },
    message: { ts: '1.2' },
    trigger_id: '1.2.3',
    response_url: 'https://hooks.slack.com/x',
    actions: [{ action_id: 'deploy_approve', block_id: 'b', type: 'button', value: 'd-0123456789' }],
  },
  view_submission: {
    type: 'view_submission',
    team: { id: 'T0FOXY' },
    user: { id: 'U0ALICE' },
    trigger_id: '1.2.3',
    response_urls: [],
    view: {
      id: 'V1',
      callback_id: 'deploy_reject_reason',
      private_metadata: '{"requestId":"d-0123456789"}',
      state: { values: { reason: { reason_input: { type: 'plain_text_input', value: 'no' } } } },
    },
  },
  event_callback: {
    type: 'event_callback',
    team_id: 'T0FOXY',
    authorizations: [{ team_id: 'T0FOXY' }],
    event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0HOME', tab: 'home' },
  },
  shortcut: { type: 'shortcut', callback_id: 'x', user: { id: 'U0ALICE' }, team: { id: 'T0FOXY' }, trigger_id: '1' },
};

/** A Slack body with up to two fields replaced by junk. */
const slackBody = fc
  .constantFrom(...Object.keys(bases))
  .chain((kind) => fc.tuple(fc.constant(bases[kind]), fc.array(fc.tuple(fc.nat(), junk), { maxLength: 2 })))
  .map(([base, changes]) => mutateAll(base, changes));

describe('Slack bodies', () => {
  test('the bodies Slack sends pass', () => {
    for (const body of Object.values(bases)) expect(checkInbound(body)).toEqual({ ok: true, kind: inboundKind(body) });
  });

  test('any body gets a verdict, its kind as Bolt routes it, and a short problem that quotes nothing', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: slackBody }, { weight: 1, arbitrary: fc.anything() }), (body) => {
        const verdict = checkInbound(body);
        expect(verdict.kind).toBe(inboundKind(body));
        if (verdict.ok) return;
        expect(verdict.problem.length).toBeGreaterThan(0);
        expect(verdict.problem.length).toBeLessThanOrEqual(300);
        expect(verdict.problem).not.toContain(MARKER);
      }),
      { numRuns: 300 },
    );
  });

  test('a raw body is readable exactly when it parses (as a form with a JSON payload, or as JSON) to an object', () => {
    const raw = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc.jsonValue().map((v) => `payload=${encodeURIComponent(JSON.stringify(v) ?? '')}`),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('payload=%7B', 'payload=a&payload=b', 'ssl_check=1', 'command=%2Fdeploy&text=prod', '{"type":', MARKER),
    );
    fc.assert(
      fc.property(raw, fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', undefined), (body, contentType) => {
        const problem = unreadableBody(body, contentType);
        if (problem !== undefined) expect(problem).not.toContain(MARKER);
        const form = contentType === 'application/x-www-form-urlencoded';
        const payload = form ? new URLSearchParams(body).getAll('payload') : [];
        // Without exactly one `payload` the form itself is the body, and a form is always an object.
        if (form && payload.length !== 1) return expect(problem).toBeUndefined();
        const text = form ? payload[0]! : body;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        expect(problem === undefined).toBe(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed));
      }),
      { numRuns: 300 },
    );
  });
});

const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
const alarmMessage = JSON.parse(fixture.Records[0].Sns.Message);

describe('SNS records and alarm messages', () => {
  test('any record is read or refused with a reason, never thrown on', () => {
    const record = fc.oneof(
      fc.anything(),
      fc.constant(null),
      fc.record({ EventSource: fc.oneof(fc.constant('aws:sns'), junk), Sns: fc.oneof(junk, fc.record({ Message: junk, MessageId: junk, TopicArn: junk })) }),
    );
    fc.assert(
      fc.property(record, (r) => {
        const read = readSnsRecord(r);
        if ('message' in read) expect(typeof read.message).toBe('string');
        else expect(read.problem).not.toContain(MARKER);
      }),
      { numRuns: 300 },
    );
  });

  test('an alarm message that parses becomes an alarm job that the job parser takes, with a bounded key', () => {
    const field = fc.constantFrom(...Object.keys(alarmMessage), 'Trigger.Dimensions', 'Trigger.MetricName');
    const value = fc.oneof(
      junk,
      fc.string({ maxLength: 3000 }),
      fc.constantFrom('ALARM', 'OK', 'arn:aws:cloudwatch:eu-west-1:1:alarm:x', 'arn:aws:cloudwatch:<b>:1:alarm:x'),
      fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { maxLength: 3 }), (changes) => {
        const message = changes.reduce<unknown>((m, [f, v]) => mutate(m, f.split('.'), v), alarmMessage);
        const notice = parseAlarmMessage(JSON.stringify(message));
        if ('problem' in notice) return;
        const job = parseJob({ type: 'alarm', alarm: notice });
        expect(job).toEqual({ type: 'alarm', alarm: notice });
        expect(jobKey(job!).length).toBeLessThanOrEqual(400);
      }),
      { numRuns: 300 },
    );
  });
});

describe('jobs', () => {
  const deployId = fc.stringMatching(/^d-[0-9a-hjkmnp-tv-z]{10}$/);
  const validJob: fc.Arbitrary<Job> = fc.oneof(
    deployId.map((requestId) => ({ type: 'prepare' as const, requestId })),
    fc.record({ type: fc.constant('dispatch' as const), requestId: deployId, version: fc.nat() }, { requiredKeys: ['type', 'requestId'] }),
    fc.record({ type: fc.constant('reconcile' as const), at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) }, { requiredKeys: ['type'] }),
    fc.record(
      {
        type: fc.constant('card' as const),
        requestId: deployId,
        slot: fc.nat(),
        phase: fc.constantFrom('lead' as const, 'trail' as const),
        tries: fc.nat({ max: 5 }),
      },
      { requiredKeys: ['type', 'requestId', 'slot', 'phase'] },
    ),
    fc.record({
      type: fc.constant('notice' as const),
      requestId: deployId,
      notice: fc.constantFrom('started' as const, 'succeeded' as const, 'failed' as const),
      attempt: fc.integer({ min: 1, max: 9 }),
    }),
    fc.constant({ type: 'alarm' as const, alarm: parseAlarmMessage(fixture.Records[0].Sns.Message) as never }),
  );

  test('every job foxops queues is read back as itself', () => {
    fc.assert(
      fc.property(validJob, (job) => {
        expect(parseJob(job)).toEqual(job);
      }),
      { numRuns: 200 },
    );
  });

  test('anything else is refused with a reason, or read as a job whose key is bounded', () => {
    const jobish = fc
      .tuple(
        validJob,
        fc.array(
          fc.tuple(fc.nat(), fc.oneof(junk, fc.string({ maxLength: 3000 }), fc.constantFrom('prepare', 'alarm', 'card', 'd-0123456789', -1, 1.5, 2 ** 60))),
          { maxLength: 2 },
        ),
      )
      .map(([job, changes]) => mutateAll(job, changes));
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: jobish }, { weight: 1, arbitrary: fc.anything() }), (value) => {
        const read = readJob(value);
        if ('problem' in read) {
          expect(read.problem).not.toContain(MARKER);
          expect(parseJob(value)).toBeUndefined();
          return;
        }
        expect(parseJob(read.job)).toEqual(read.job);
        expect(jobKey(read.job).length).toBeLessThanOrEqual(400);
      }),
      { numRuns: 300 },
    );
  });
});

describe('log lines', () => {
  test('whatever the fields, a line is one JSON object of at most 16 KB that keeps its level and event', () => {
    const big = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', minLength: 3000, maxLength: 9000 }), fc.constant('\u0000"\\'.repeat(3000)));
    const fields = fc.dictionary(fc.string({ maxLength: 30 }), fc.oneof(big, fc.array(big, { maxLength: 150 }), fc.anything({ maxDepth: 3 })), { maxKeys: 8 });
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fields, (event, f) => {
        const lines: string[] = [];
        createLogger('debug', (line) => lines.push(line)).warn(event, f);
        expect(lines).toHaveLength(1);
        expect(Buffer.byteLength(lines[0]!)).toBeLessThanOrEqual(MAX_LINE_BYTES);
        const line = JSON.parse(lines[0]!);
        expect(line.level).toBe('warn');
        expect(event.startsWith(line.event.replace(/….*$/s, ''))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
