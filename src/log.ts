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

function redact(value: unknown, depth = 0): unknown {
  // A field's own error (depth 1) keeps the top of its stack; errors nested deeper only name and message.
  if (value instanceof Error) return { name: value.name, message: value.message, ...(depth <= 1 && value.stack ? { stack: value.stack.split('\n').slice(0, 6).join('\n') } : {}) };
  if (!value || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

/** A logger that writes JSON lines at or above `level` to `write` (stdout by default). */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stdout.write(line + '\n'), base: Record<string, unknown> = {}): Logger {
  const safeBase = redact(base) as object;
  const emit = (at: LogLevel) => (event: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    // The line's own keys come last so that a field named `level` or `time` cannot disguise it.
    write(JSON.stringify({ ...safeBase, ...(redact(fields) as object), level: at, event, time: new Date().toISOString() }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that keeps lines in memory, for tests that assert what the operator would see. */
export function memoryLogger(): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
