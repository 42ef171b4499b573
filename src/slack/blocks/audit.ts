/** The words of `/deploy audit`: the answer, the refusal, and the comment on the files in the direct message. */
import type { AuditRefusal } from '../../domain/audit.js';
import { formatDuration } from '../../domain/duration.js';
import type { AuditExportSummary } from '../../domain/ports.js';
import { mention } from './text.js';

/** `2025-03-10 09:00 UTC`: exports are documents, read later and elsewhere, so their times say their zone. */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const names = (environments: readonly string[]) => environments.map((e) => `*${e}*`).join(', ');

/** The ephemeral answer once the export is queued. */
export function auditQueuedText(environments: readonly string[], sinceMs: number, since: string, until: string): string {
  return (
    `:inbox_tray: Exporting the audit trail of ${names(environments)} for the last ${formatDuration(sinceMs)} ` +
    `(${utc(since)} to ${utc(until)}). A CSV and a JSON Lines file come to you in a direct message from foxops ` +
    '(only the CSV, with its header, when the period holds nothing).'
  );
}

/** The ephemeral refusal: who may export each environment asked about. */
export function auditRefusalText(refusal: AuditRefusal): string {
  const lines = refusal.environments.map(
    ({ environment, readers }) =>
      `• *${environment}*: ${readers.length ? readers.map(mention).join(', ') : 'nobody yet (add `auditors:` to the environment in foxops.yml)'}`,
  );
  return `:no_entry_sign: Only an environment's approvers and auditors may export its audit trail. Ask one of them:\n${lines.join('\n')}`;
}

/** The comment on the files in the direct message: what they hold. */
export function auditExportComment(summary: AuditExportSummary): string {
  const period = `${names(summary.environments)} from ${utc(summary.since)} to ${utc(summary.until)}`;
  // An empty JSON Lines file is not sent (Slack takes no empty upload): the CSV with its header says it all.
  if (summary.count === 0) return `:ledger: The audit trail of ${period} has no entries; the CSV holds its header only.`;
  const entries = summary.count === 1 ? '1 entry' : `${summary.count.toLocaleString('en-US')} entries`;
  return `:ledger: The audit trail of ${period}: ${entries}, oldest first, as CSV and as JSON Lines.`;
}
