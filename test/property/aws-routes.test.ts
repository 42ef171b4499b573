/**
 * Properties of the other inbound routes through the real Lambda handler (dynalite, the fakes, jobs through the
 * table's stream):
 *  - `POST /github/webhooks`: any event name, any JSON, any delivery id. Signed: 200 or 400, never 5xx, no error
 *    line. Not signed (none, or with another secret): 401, and nothing changes.
 *  - SNS: records that are null, of another source, without text, or alarm messages of any shape. Never a throw;
 *    each record that is no alarm gets one `alarm.unreadable` line and is skipped.
 *  - EventBridge: the schedule's input or a Scheduled Event runs the reconciler, anything else one
 *    `lambda.unknown_event` line; never a throw.
 *  - `{ foxopsJob }`: a payload of no known job type is logged and dropped, changing nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { parseAlarmMessage, readSnsRecord } from '../../src/alarms/envelope.js';
import { parseJob } from '../../src/jobs/parse.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { deploymentStatusEvent, fixture, workflowJobEvent, workflowRunEvent } from '../support/github-events.js';
import { type Harness, REPO, startHarness } from '../support/harness.js';
import type { LogLine } from '../support/logs.js';
import { mutateAll } from '../support/mutate.js';
import { drain, invoke, tableClient, warnHandler, webhookEvent, world } from '../support/routes.js';

let h: Harness;
let handler: ReturnType<typeof warnHandler>;
let dynamo: DynamoDBClient;
let seeded: Seeded;

beforeAll(async () => {
  // No pacing of card edits or alarm posts: these properties are about routes, not Slack's pace.
  h = await startHarness({ cardSpacingMs: 0, alarmPostSpacingMs: 1 });
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

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.string({ minLength: 2100, maxLength: 3000 }),
);
/** Up to two changes (a field replaced or removed), none in a good share of cases. */
const changes = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 3, arbitrary: fc.array(fc.tuple(fc.nat(), fc.oneof(junk, fc.constant(undefined))), { minLength: 1, maxLength: 2 }) },
);
const errorsOf = (lines: LogLine[]) => lines.filter((l) => l.level === 'error');

// ---------------------------------------------------------------- GitHub webhooks

/** A delivery: a followed event about the seeded run (or another), a ping, or any event name with any JSON. */
const delivery = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('workflow_run', 'workflow_job', 'deployment_status', 'ping'),
        fc.constantFrom('requested', 'in_progress', 'completed'),
        fc.boolean(),
        changes,
      )
      .map(([name, action, ours, change]) => {
        const run = { repo: REPO, runId: ours ? 0 : 424242, title: 'Deploy' };
        const payload =
          name === 'workflow_run'
            ? workflowRunEvent(action, run)
            : name === 'workflow_job'
              ? workflowJobEvent(action === 'requested' ? 'queued' : action, { ...run, jobId: 7, name: 'deploy' })
              : name === 'deployment_status'
                ? deploymentStatusEvent({ ...run, state: 'success', environment: 'production' })
                : fixture('ping');
        return { name: name as string | undefined, payload: mutateAll(payload, change), ours };
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), fc.jsonValue())
      .map(([name, payload]) => ({ name, payload: payload as unknown, ours: false })),
  },
);
const deliveryId = fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }) });

/** The delivery's body, with the seeded run's id where the generator left a 0. */
function bodyOf(d: { payload: unknown; ours: boolean }): string {
  const text = JSON.stringify(d.payload) ?? 'null';
  return d.ours ? text.replaceAll(':0,', `:${seeded.runId},`) : text;
}

test('a webhook not signed with the secret is refused with 401 and changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(delivery, deliveryId, fc.constantFrom('unsigned' as const, 'other-secret' as const), async (d, id, auth) => {
      const before = await world(h, dynamo);
      await drain(h);
      const { result, thrown } = await invoke(handler, webhookEvent(d.name, bodyOf(d), id, auth));
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      expect(result!.statusCode).toBe(401);
      expect(lines.map((l) => l.event)).toEqual(['github.webhook_bad_signature']);
      expect(await world(h, dynamo)).toEqual(before);
    }),
    { numRuns: 50 },
  );
});

test('a signed webhook of any event and content gets 200 or 400, never a 5xx or an error line', async () => {
  await fc.assert(
    fc.asyncProperty(delivery, deliveryId, async (d, id) => {
      await drain(h);
      const { result, thrown } = await invoke(handler, webhookEvent(d.name, bodyOf(d), id, 'signed'));
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      expect([200, 400]).toContain(result!.statusCode);
      expect(errorsOf(lines)).toEqual([]);
    }),
    { numRuns: 80 },
  );
});

// ---------------------------------------------------------------- SNS

const snsFixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
const alarmMessage = JSON.parse(snsFixture.Records[0].Sns.Message);

/** A record: SNS's own with the alarm message changed, or null, junk, another source, a message that is no JSON. */
const snsRecord = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(changes, fc.constantFrom('ALARM', 'OK'), fc.integer({ min: 0, max: 1e6 })).map(([change, state, n]) => {
      const message = mutateAll({ ...alarmMessage, NewStateValue: state, StateChangeTime: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString() }, change);
      return { ...snsFixture.Records[0], Sns: { ...snsFixture.Records[0].Sns, Message: JSON.stringify(message) ?? 'null' } };
    }),
  },
  { weight: 2, arbitrary: fc.tuple(changes, fc.constant(snsFixture.Records[0])).map(([change, record]) => mutateAll(record, change)) },
  { weight: 1, arbitrary: junk },
);

test('SNS: never a throw; every record that is no alarm is logged once and skipped', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(snsRecord, { minLength: 1, maxLength: 4 }), async (records) => {
      await drain(h);
      const { thrown } = await invoke(handler, { Records: records });
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      const isSns = records.some((r) => (r as { EventSource?: unknown } | null)?.EventSource === 'aws:sns');
      const unreadable = records.filter((r) => {
        const read = readSnsRecord(r);
        return 'problem' in read || 'problem' in parseAlarmMessage(read.message);
      });
      const count = (event: string) => lines.filter((l) => l.event === event).length;
      if (isSns) expect(count('alarm.unreadable')).toBe(unreadable.length);
      else expect(count('lambda.unknown_event')).toBe(1);
      // Alarms of names foxops does not know are told to the operator; nothing else is an error.
      expect(errorsOf(lines).filter((l) => !['alarm.unreadable', 'alarm.unknown_target', 'lambda.unknown_event'].includes(l.event))).toEqual([]);
    }),
    { numRuns: 50 },
  );
});

// ---------------------------------------------------------------- EventBridge schedule and other events

const scheduleLike = fc.record(
  {
    foxops: fc.oneof(fc.constant('reconcile'), junk),
    'detail-type': fc.oneof(fc.constant('Scheduled Event'), junk),
    source: fc.oneof(fc.constant('aws.events'), junk),
    detail: junk,
    id: fc.uuid(),
  },
  { requiredKeys: [] },
);

test('schedule: its input or a Scheduled Event runs the reconciler; anything else is one line; never a throw', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: scheduleLike }, { weight: 1, arbitrary: fc.anything() }), async (event) => {
      fc.pre(!(typeof event === 'object' && event !== null && ('foxopsJob' in event || 'Records' in event || 'requestContext' in event)));
      await drain(h);
      const { thrown } = await invoke(handler, event);
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      const e = (typeof event === 'object' && event !== null && !Array.isArray(event) ? event : {}) as Record<string, unknown>;
      const isSchedule = e.foxops === 'reconcile' || (e['detail-type'] === 'Scheduled Event' && e.source === 'aws.events');
      expect(lines.filter((l) => l.event === 'lambda.unknown_event')).toHaveLength(isSchedule ? 0 : 1);
      expect(errorsOf(lines).filter((l) => l.event !== 'lambda.unknown_event')).toEqual([]);
    }),
    { numRuns: 60 },
  );
});

// ---------------------------------------------------------------- { foxopsJob }

test('a foxopsJob of no known type is logged once and dropped, changing nothing', async () => {
  const unknownType = fc.oneof(
    junk,
    fc.record({ type: fc.oneof(junk, fc.string({ maxLength: 12 })), requestId: fc.constant(seeded.request.id) }, { requiredKeys: [] }),
  );
  await fc.assert(
    fc.asyncProperty(unknownType, async (job) => {
      fc.pre(!['prepare', 'dispatch', 'reconcile', 'card', 'notice', 'alarm'].includes((job as { type?: unknown } | null)?.type as string));
      const before = await world(h, dynamo);
      await drain(h);
      const { thrown } = await invoke(handler, { foxopsJob: job });
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      expect(lines.map((l) => l.level === 'error' || l.level === 'warn')).toEqual([true]);
      expect(await world(h, dynamo)).toEqual(before);
    }),
    { numRuns: 50 },
  );
});

/** The `{ foxopsJob }` route checks payloads with `readJob` (src/jobs/parse.ts), logs the ones it refuses and drops them. */
test('a foxopsJob of a known type but malformed is logged once and dropped, changing nothing', async () => {
  const validJob = fc.constantFrom<Record<string, unknown>>(
    { type: 'prepare', requestId: 'd-0123456789' },
    { type: 'dispatch', requestId: 'd-0123456789', version: 1 },
    { type: 'card', requestId: 'd-0123456789', slot: 1, phase: 'lead' },
    { type: 'notice', requestId: 'd-0123456789', notice: 'started', attempt: 1 },
    { type: 'alarm', alarm: { name: 'x', state: 'OK', reason: 'r', at: '2026-01-01T00:00:00.000Z' } },
  );
  const malformed = fc
    .tuple(validJob, fc.array(fc.tuple(fc.nat(), fc.oneof(junk, fc.constant(undefined))), { minLength: 1, maxLength: 2 }))
    .map(([job, change]) => mutateAll(job, change));
  await fc.assert(
    fc.asyncProperty(malformed, async (job) => {
      fc.pre(
        parseJob(job) === undefined &&
          ['prepare', 'dispatch', 'reconcile', 'card', 'notice', 'alarm'].includes((job as { type?: unknown } | null)?.type as string),
      );
      const before = await world(h, dynamo);
      await drain(h);
      const { thrown } = await invoke(handler, { foxopsJob: job });
      const lines = await drain(h);
      expect(thrown).toBeUndefined();
      expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toHaveLength(1);
      expect(await world(h, dynamo)).toEqual(before);
    }),
    { numRuns: 50, examples: [[{ type: 'alarm' }], [{ type: 'prepare', requestId: 'x'.repeat(3000) }]] },
  );
});
