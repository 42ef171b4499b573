/**
 * CloudWatch alarm notifications as SNS delivers them to Lambda: validated (only the fields foxops
 * reads) and turned into {@link AlarmNotice}s.
 */
import * as z from 'zod/mini';
import type { AlarmNotice } from '../domain/alarm.js';

const state = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

const alarmMessageSchema = z.object({
  AlarmName: z.string().check(z.minLength(1)),
  AlarmDescription: z.nullish(z.string()),
  AWSAccountId: z.nullish(z.string()),
  NewStateValue: state,
  OldStateValue: z.nullish(state),
  NewStateReason: z.string(),
  StateChangeTime: z.string(),
  AlarmArn: z.nullish(z.string()),
  Trigger: z.nullish(
    z.object({
      MetricName: z.nullish(z.string()),
      Namespace: z.nullish(z.string()),
      Dimensions: z.nullish(z.array(z.object({ name: z.string(), value: z.string() }))),
    }),
  ),
});

/** An SNS event for Lambda (the parts foxops reads). */
export interface SnsEvent {
  Records: Array<{ EventSource?: string; Sns?: { MessageId?: string; Message?: string; TopicArn?: string } }>;
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
  // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
  const region = m.AlarmArn?.split(':')[3] || undefined;
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
            dimensions: Object.fromEntries((m.Trigger.Dimensions ?? []).map((d) => [d.name, d.value])),
          },
        }
      : {}),
  };
}
