/**
 * The audit trail as files people can read: CSV (RFC 4180) and JSON Lines, written as the entries arrive, to Node
 * writables with backpressure. Nothing here holds more than a chunk of rows, so an export of any length stays
 * within a small, fixed amount of memory (test/unit/audit-export-memory.test.ts exports 100,000 entries).
 */
import type { Writable } from 'node:stream';
import type { AuditEntry } from '../domain/ports.js';

/** The file formats of an export. */
export type ExportFormat = 'csv' | 'jsonl';

/** The CSV columns, in order; JSON Lines objects carry the same fields under the entry's own names. */
export const CSV_COLUMNS = ['at', 'environment', 'service', 'request', 'actor', 'action', 'outcome', 'detail'] as const;

/** The file name of an export without its extension: `foxops-audit-production-2025-02-08-to-2025-03-10`. */
export function exportFileStem(period: { environments: readonly string[]; since: string; until: string }): string {
  const safe = period.environments.map((e) => e.replace(/[^a-zA-Z0-9_-]/g, '_')).join('+');
  return `foxops-audit-${safe}-${period.since.slice(0, 10)}-to-${period.until.slice(0, 10)}`;
}

/** Rows are gathered up to this many characters before a write, so 100,000 rows are a few hundred writes. */
const CHUNK_CHARS = 64 * 1024;

/**
 * One CSV cell. A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return) gets a leading `'`, so opening an export never runs what someone typed into a reason; a cell with
 * a comma, a quote or a line break is quoted, its quotes doubled (RFC 4180).
 */
export function csvCell(value: string | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line, with its CRLF. */
export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

/** One entry as a CSV line (RFC 4180: CRLF at the end). */
export function csvRow(entry: AuditEntry): string {
  const cells = [entry.at, entry.environment, entry.service, entry.requestId, entry.actor, entry.action, entry.outcome, entry.detail];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** One entry as a JSON Lines line: the fields in a fixed order, absent ones left out. */
export function jsonLine(entry: AuditEntry): string {
  const { at, environment, service, requestId, actor, action, outcome, detail } = entry;
  return `${JSON.stringify({ at, environment, service, requestId, actor, action, outcome, detail })}\n`;
}

/** Resolves when `out` wants more, rejects when it fails or closes first (a closed pipe never drains). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(new Error('the output closed before the export was written'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/** One output of {@link writeAuditExport}: where it goes, in which format, and what is waiting to be written. */
interface Sink {
  format: ExportFormat;
  out: Writable;
  pending: string;
}

async function flush(sink: Sink): Promise<void> {
  if (!sink.pending) return;
  const chunk = sink.pending;
  sink.pending = '';
  if (sink.out.destroyed) throw new Error('the output closed before the export was written');
  if (!sink.out.write(chunk)) await drained(sink.out);
}

/**
 * Writes `entries` to every output in its format (the CSV with its header), as they arrive, waiting whenever an
 * output asks to (backpressure); returns how many entries each output got. The outputs are left open: the caller
 * ends its files, and stdout is not ended.
 */
export async function writeAuditExport(entries: AsyncIterable<AuditEntry>, outputs: ReadonlyArray<{ format: ExportFormat; out: Writable }>): Promise<number> {
  const sinks: Sink[] = outputs.map(({ format, out }) => ({ format, out, pending: format === 'csv' ? csvHeader() : '' }));
  let count = 0;
  for await (const entry of entries) {
    count += 1;
    for (const sink of sinks) {
      sink.pending += sink.format === 'csv' ? csvRow(entry) : jsonLine(entry);
      if (sink.pending.length >= CHUNK_CHARS) await flush(sink);
    }
  }
  for (const sink of sinks) await flush(sink);
  return count;
}
