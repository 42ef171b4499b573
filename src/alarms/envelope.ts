/**
 * CloudWatch alarm notifications as SNS delivers them to Lambda: validated (only the fields foxops
 * reads) and turned into {@link AlarmNotice}s.
 */
import * as z from 'zod/mini';
import type { AlarmNotice } from '../domain/alarm.js';

/** Keys that would reach Object's own members rather than a plain property. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const state = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

/** Text of at most `max` characters. CloudWatch's own limits are lower; these only keep a forged message bounded. */
const text = (max: number) => z.string().check(z.maxLength(max));

const alarmMessageSchema = z.object({
  // CloudWatch allows 255 characters; the name becomes part of the alarm job's key.
  AlarmName: z.string().check(z.minLength(1), z.maxLength(255)),
  AlarmDescription: z.nullish(text(1024)),
  AWSAccountId: z.nullish(text(64)),
  NewStateValue: state,
  OldStateValue: z.nullish(state),
  NewStateReason: text(4096),
  StateChangeTime: text(64),
  AlarmArn: z.nullish(text(2048)),
  Trigger: z.nullish(
    z.object({
      MetricName: z.nullish(text(255)),
      Namespace: z.nullish(text(255)),
      Dimensions: z.nullish(z.array(z.object({ name: text(255), value: text(1024) })).check(z.maxLength(30))),
    }),
  ),
});

/** An SNS event for Lambda (the parts foxops reads). Records are checked one by one ({@link readSnsRecord}). */
export interface SnsEvent {
  Records: Array<{ EventSource?: string; Sns?: { MessageId?: string; Message?: string; TopicArn?: string } } | null>;
}

/** One SNS record's message, with the ids that name it in logs (cut short: they are for reading). */
export type SnsRecordMessage = { message: string; messageId?: string; topic?: string };

const short = (value: unknown): string | undefined => (typeof value === 'string' ? value.slice(0, 200) : undefined);

/** The message of one record of an SNS event, or why there is none (a null record, another source, no text). */
export function readSnsRecord(record: unknown): SnsRecordMessage | { problem: string; messageId?: string; topic?: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { problem: `the record is ${record === null ? 'null' : Array.isArray(record) ? 'a list' : `a ${typeof record}`}, not an SNS record` };
  const r = record as { EventSource?: unknown; Sns?: unknown };
  if (r.EventSource !== 'aws:sns') return { problem: `the record comes from ${JSON.stringify(short(r.EventSource)?.slice(0, 40) ?? null)}, not from SNS` };
  const sns = r.Sns as { MessageId?: unknown; Message?: unknown; TopicArn?: unknown } | null | undefined;
  if (typeof sns !== 'object' || sns === null) return { problem: 'the record has no `Sns` object' };
  const ids = { ...(short(sns.MessageId) ? { messageId: short(sns.MessageId) } : {}), ...(short(sns.TopicArn) ? { topic: short(sns.TopicArn) } : {}) };
  if (typeof sns.Message !== 'string') return { problem: 'the SNS record has no message text', ...ids };
  return { message: sns.Message, ...ids };
}

/** CloudWatch writes `+0000`; JavaScript dates want `+00:00`. */
function isoTime(text: string): string {
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? new Date().toISOString() : new Date(ms).toISOString();
}

/** Parses one SNS message body; returns why not when it is not a CloudWatch alarm notification. */
export function parseAlarmMessage(message: string | undefined): AlarmNotice | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(message ?? '');
  } catch {
    return { problem: 'the SNS message is not JSON (only CloudWatch alarm notifications are expected on this topic)' };
  }
  const parsed = alarmMessageSchema.safeParse(raw);
  if (!parsed.success) {
    return { problem: `not a CloudWatch alarm notification: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'} ${i.message}`).join('; ')}` };
  }
  const m = parsed.data;
  // arn:aws:cloudwatch:<region>:<account>:alarm:<name>; only a region name goes into console links.
  const arnRegion = m.AlarmArn?.split(':')[3] ?? '';
  const region = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(arnRegion) ? arnRegion : undefined;
  return {
    name: m.AlarmName,
    ...(m.AlarmDescription ? { description: m.AlarmDescription } : {}),
    state: m.NewStateValue,
    ...(m.OldStateValue ? { previousState: m.OldStateValue } : {}),
    reason: m.NewStateReason,
    at: isoTime(m.StateChangeTime),
    ...(region ? { region } : {}),
    ...(m.AWSAccountId ? { accountId: m.AWSAccountId } : {}),
    ...(m.Trigger
      ? {
          metric: {
            ...(m.Trigger.Namespace ? { namespace: m.Trigger.Namespace } : {}),
            ...(m.Trigger.MetricName ? { name: m.Trigger.MetricName } : {}),
            // A dimension named like an Object member (`__proto__`) is no CloudWatch dimension, and would not survive
            // the job payload's round trip: dropped here.
            dimensions: Object.fromEntries((m.Trigger.Dimensions ?? []).filter((d) => !UNSAFE_KEYS.has(d.name)).map((d) => [d.name, d.value])),
          },
        }
      : {}),
  };
}
