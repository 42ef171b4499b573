/**
 * `/deploy audit [env] [since <duration>]`: the answer within the ack. The check and the queueing are the use case's
 * (src/audit/request-export.ts, loaded on first use); the files come later, by direct message, from the job.
 */
import type { SlashCommand } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { auditQueuedText, auditRefusalText } from '../blocks/audit.js';

/** The parsed `/deploy audit` (src/domain/command.ts): one environment by name, or all the user may read, over `sinceMs`. */
export type AuditCommand = { kind: 'audit'; environment?: string; sinceMs: number };

/**
 * Answers `/deploy audit` ephemerally: the export is queued and its files come by direct message, or a refusal
 * naming who may export each environment asked about.
 */
export async function answerAudit(
  deps: SlackDeps,
  parsed: AuditCommand,
  command: Pick<SlashCommand, 'user_id' | 'trigger_id'>,
): Promise<{ response_type: 'ephemeral'; text: string }> {
  const [ctx, { requestAuditExport }] = await Promise.all([deps.context(), import('../../audit/request-export.js')]);
  const outcome = await requestAuditExport(ctx, {
    userId: command.user_id,
    triggerId: command.trigger_id,
    sinceMs: parsed.sinceMs,
    ...(parsed.environment ? { environment: parsed.environment } : {}),
  });
  if (outcome.kind === 'refused') return { response_type: 'ephemeral', text: auditRefusalText(outcome.refusal) };
  return { response_type: 'ephemeral', text: auditQueuedText(outcome.environments, parsed.sinceMs, outcome.since, outcome.until) };
}
