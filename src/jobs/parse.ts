/**
 * A job as it arrives from outside the type system (`{ foxopsJob }` invocations, stored outbox items): checked
 * field by field and bounded, so that a job of unknown type or shape is refused with a reason instead of reaching
 * a use case (and the store) with `undefined` or a 3 KB "request id". Pure.
 */
import * as z from 'zod/mini';
import { MAX_ALARM_NOTICE_CHARS } from '../domain/alarm.js';
import type { Job } from '../domain/ports.js';
import { isDeployId } from '../domain/request.js';
import { RUN_OUTCOMES } from '../domain/run-events.js';

const text = (max: number) => z.string().check(z.maxLength(max));
const requestId = z.string().check(z.refine(isDeployId, 'expected a deploy id like d-0123456789'));
/** Counters (tries, versions, slots): whole, not negative, and far below anything that loses precision. */
const counter = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
const tries = z.optional(z.int().check(z.minimum(0), z.maximum(1000)));
const alarmState = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

const dimensions = z.record(text(255), text(1024)).check(z.refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions'));
const metricStatistic = text(64);
const metricPeriod = z.int().check(z.minimum(1), z.maximum(7 * 86_400));

/** An {@link AlarmNotice} as src/alarms/envelope.ts makes it (from SNS or EventBridge), with the same bounds. */
const alarmSchema = z
  .object({
    name: z.string().check(z.minLength(1), z.maxLength(255)),
    description: z.optional(text(1024)),
    state: alarmState,
    previousState: z.optional(alarmState),
    reason: text(4096),
    at: text(64),
    region: z.optional(text(64)),
    accountId: z.optional(text(64)),
    metric: z.optional(
      z.object({
        namespace: z.optional(text(255)),
        name: z.optional(text(255)),
        dimensions,
        stat: z.optional(metricStatistic),
        period: z.optional(metricPeriod),
      }),
    ),
    metrics: z.optional(
      z
        .array(
          z.object({
            id: text(255),
            expression: z.optional(text(2048)),
            label: z.optional(text(255)),
            returnData: z.optional(z.boolean()),
            metric: z.optional(z.object({ namespace: text(255), name: text(255), dimensions })),
            period: z.optional(metricPeriod),
            stat: z.optional(metricStatistic),
          }),
        )
        .check(z.maxLength(20)),
    ),
    threshold: z.optional(z.number()),
    comparison: z.optional(text(64)),
    composite: z.optional(z.literal(true)),
    rule: z.optional(text(10_240)),
    // Optional: jobs queued before EventBridge was a source have none.
    source: z.optional(z.enum(['sns', 'eventbridge'])),
  })
  .check(z.refine((a) => JSON.stringify(a).length <= MAX_ALARM_NOTICE_CHARS, `at most ${MAX_ALARM_NOTICE_CHARS} characters of JSON`));

/** Service and environment names as foxops.yml allows them. */
const name = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a service or environment name'));
const channelId = z.string().check(z.regex(/^[CGD][A-Z0-9]{2,20}$/, 'expected a Slack channel id'));
const isoTime = z.string().check(z.refine((s) => s.length <= 30 && !Number.isNaN(Date.parse(s)), 'expected an ISO time'));
const userId = z.string().check(z.regex(/^[UW][A-Z0-9]{2,20}$/, 'expected a Slack user id'));
/** A Slack message ts (`1700000000.000100`): the thread an alarm graph goes to. */
const messageTs = z.string().check(z.regex(/^\d{1,12}\.\d{1,9}$/, 'expected a Slack message ts'));
const lockSchema = z.object({
  environment: name,
  service: z.optional(name),
  owner: userId,
  reason: text(300),
  at: isoTime,
  until: z.optional(isoTime),
  requestId: z.optional(requestId),
});
const channelNoticeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lock_taken'), lock: lockSchema, renewed: z.boolean() }),
  z.object({ kind: z.literal('lock_released'), lock: lockSchema, by: userId }),
  z.object({ kind: z.literal('break_glass'), requestId, stage: z.enum(['requested', 'approved']) }),
  z.object({ kind: z.literal('auto_rollback'), requestId, alarm: z.string().check(z.minLength(1), z.maxLength(255)), deployId: requestId }),
  z.object({
    kind: z.literal('unapproved_run'),
    environment: name,
    // `owner/name` as GitHub spells it: its limits are 39 and 100 characters.
    repository: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/, 'expected owner/name')),
    runId: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
    runAttempt: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    deployId: z.optional(requestId),
    code: z.enum(['unknown_deploy', 'not_approved', 'wrong_repository', 'wrong_environment', 'wrong_sha', 'wrong_workflow', 'spent']),
    via: z.enum(['protection_rule', 'oidc']),
  }),
]);

const jobSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('prepare'), requestId }),
  z.object({ type: z.literal('dispatch'), requestId, version: z.optional(counter) }),
  z.object({ type: z.literal('reconcile'), at: z.optional(text(64)) }),
  z.object({ type: z.literal('card'), requestId, slot: counter, phase: z.enum(['lead', 'trail']), tries }),
  z.object({
    type: z.literal('notice'),
    requestId,
    notice: z.enum(['started', ...RUN_OUTCOMES]),
    attempt: z.int().check(z.minimum(1), z.maximum(1000)),
    tries,
  }),
  z.object({ type: z.literal('alarm'), alarm: alarmSchema }),
  z.object({
    type: z.literal('alarm_sync'),
    ref: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('episode'), name: z.string().check(z.minLength(1), z.maxLength(255)) }),
      z.object({ kind: z.literal('digest'), channel: channelId, id: text(64) }),
    ]),
    version: counter,
  }),
  z.object({
    type: z.literal('alarm_graph'),
    alarm: alarmSchema,
    channel: channelId,
    threadTs: messageTs,
    deployAt: z.optional(isoTime),
    deploySha: z.optional(z.string().check(z.regex(/^[0-9a-f]{7,40}$/, 'expected a commit SHA'))),
  }),
  z.object({ type: z.literal('record_version'), requestId, attempt: z.int().check(z.minimum(1), z.maximum(1000)) }),
  z.object({
    type: z.literal('audit_export'),
    userId,
    environments: z.array(name).check(z.minLength(1), z.maxLength(50)),
    since: isoTime,
    until: isoTime,
    key: z.optional(text(200)),
  }),
  z.object({ type: z.literal('advance'), service: name, environment: name }),
  z.object({ type: z.literal('ci_check'), requestId }),
  z.object({ type: z.literal('cancel_run'), requestId, force: z.optional(z.boolean()) }),
  z.object({ type: z.literal('failure_dm'), requestId, attempt: z.int().check(z.minimum(1), z.maximum(1000)) }),
  z.object({
    type: z.literal('protection_rule'),
    // `owner/name` as GitHub spells it: its limits are 39 and 100 characters.
    repo: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/, 'expected owner/name')),
    runId: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
    // GitHub's environment names: up to 255 characters.
    environment: z.string().check(z.minLength(1), z.maxLength(255)),
    installationId: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
    deploymentId: z.optional(z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER))),
    delivery: z.string().check(z.regex(/^[\x21-\x7e]{1,128}$/, 'expected a delivery id')),
  }),
  z.object({ type: z.literal('channel_notice'), channel: channelId, notice: channelNoticeSchema }),
]);

/** `value` as a {@link Job} (unknown keys dropped), or why it is none, in words that never quote it. */
export function readJob(value: unknown): { job: Job } | { problem: string } {
  const parsed = jobSchema.safeParse(value);
  if (parsed.success) return { job: parsed.data as Job };
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.').slice(0, 80) || '(top)'}: ${i.message}`);
  return { problem: `not a foxops job: ${issues.join('; ')}` };
}

/** `value` as a {@link Job}, or undefined when it is not one (see {@link readJob} for the reason). */
export function parseJob(value: unknown): Job | undefined {
  const read = readJob(value);
  return 'job' in read ? read.job : undefined;
}
