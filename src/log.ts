/**
 * Structured log lines (one JSON object per line, as CloudWatch Logs Insights likes them).
 * Values under keys that look like secrets are never written.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|private_?key|authorization|signature/i;

/** The logger every module receives. `event` is a stable dotted name; `fields` are the details. */
export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Objects nested deeper are written as a placeholder: never raw, so no secret below slips out, and cycles end. */
const MAX_DEPTH = 8;
/**
 * Bounds on what one line carries, whatever a caller passes (user text, a whole request): longer strings are cut,
 * longer lists and objects keep their first entries, and a line still over {@link MAX_LINE_BYTES} is replaced by a
 * short one with the start of its JSON.
 */
const MAX_STRING = 4000;
const MAX_ENTRIES = 100;
export const MAX_LINE_BYTES = 16_384;
const LINE_PREVIEW = 2000;

/** `text` cut to `max` characters, saying how much was left out: for user text in log fields. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[+${text.length - max} chars]`;
}

function redact(value: unknown, depth = 0): unknown {
  // A field's own error (depth 1) keeps the top of its stack; errors nested deeper only name and message.
  if (value instanceof Error)
    return {
      name: value.name,
      message: clip(String(value.message), MAX_STRING),
      ...(depth <= 1 && value.stack ? { stack: clip(value.stack.split('\n').slice(0, 6).join('\n'), MAX_STRING) } : {}),
    };
  if (typeof value === 'string') return clip(value, MAX_STRING);
  if (!value || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ENTRIES).map((v) => redact(v, depth + 1));
    return value.length > MAX_ENTRIES ? [...items, `[+${value.length - MAX_ENTRIES} more]`] : items;
  }
  const entries = Object.entries(value);
  const kept = entries.slice(0, MAX_ENTRIES).map(([k, v]) => [clip(k, 200), SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]);
  return Object.fromEntries(entries.length > MAX_ENTRIES ? [...kept, ['[more]', `+${entries.length - MAX_ENTRIES} keys`]] : kept);
}

/** A logger that writes JSON lines at or above `level` to `write` (stdout by default). */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  base: Record<string, unknown> = {},
): Logger {
  const safeBase = redact(base) as object;
  const emit =
    (at: LogLevel) =>
    (event: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[at] < ORDER[level]) return;
      // The line's own keys come last so that a field named `level` or `time` cannot disguise it.
      const own = { level: at, event: clip(event, 200), time: new Date().toISOString() };
      const line = JSON.stringify({ ...safeBase, ...(redact(fields) as object), ...own });
      if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return write(line);
      write(JSON.stringify({ ...safeBase, truncated: true, bytes: Buffer.byteLength(line), preview: line.slice(0, LINE_PREVIEW), ...own }));
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that keeps lines in memory, for tests that assert what the operator would see. */
export function memoryLogger(): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
