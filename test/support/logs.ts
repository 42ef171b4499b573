/**
 * Log capture for tests, so that passing tests print nothing and tests that expect a failure assert the line
 * the operator would see.
 *
 * - {@link captureLogLines}: foxops' JSON lines written to stdout by loggers the test cannot inject (the Lambda
 *   handler builds its own from LOG_LEVEL). Where a logger can be injected, use `memoryLogger()` of src/log.ts.
 * - {@link captureConsole}: what Bolt's and the Slack WebClient's default ConsoleLogger print, for the runtimes
 *   that do not hand them foxops' logger.
 */
import type { LogLevel } from '../../src/log.js';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: LogLevel; event: string };

/** Log lines captured since {@link captureLogLines}. */
export interface CapturedLogs {
  /** The lines no test has taken yet, oldest first. */
  readonly lines: LogLine[];
  /** Removes and returns the lines of `event`: a test takes the failure it caused, and asserts on it. */
  take(event: string): LogLine[];
  /** Stops capturing; prints and returns the error lines that no test took. */
  stop(): LogLine[];
}

const LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);

function asLogLine(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LogLine> | null;
    return value && typeof value.event === 'string' && LEVELS.has(String(value.level)) ? (value as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

type Write = typeof process.stdout.write;
const sinks = new Set<(line: LogLine) => void>();
let original: Write | undefined;

/** Routes stdout through the sinks while one is open: chunks that are all log lines go to them, the rest through. */
function install(): void {
  const real = process.stdout.write;
  original = real;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : undefined;
    const lines = (text ?? '').split('\n').filter(Boolean).map(asLogLine);
    if (lines.length === 0 || lines.some((l) => !l)) return (real as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    for (const line of lines) for (const sink of sinks) sink(line!);
    const done = rest.find((a): a is () => void => typeof a === 'function');
    if (done) process.nextTick(done);
    return true;
  } as Write;
}

/**
 * Captures the JSON log lines written to stdout until `stop()`. With FOXOPS_TEST_LOG_LEVEL set (a person
 * debugging a test), the lines are printed as well.
 */
export function captureLogLines(): CapturedLogs {
  let lines: LogLine[] = [];
  const echo = Boolean(process.env.FOXOPS_TEST_LOG_LEVEL);
  const sink = (line: LogLine) => {
    lines.push(line);
    if (echo) original?.call(process.stdout, `${JSON.stringify(line)}\n`);
  };
  if (sinks.size === 0) install();
  sinks.add(sink);
  return {
    get lines() {
      return lines;
    },
    take(event) {
      const taken = lines.filter((l) => l.event === event);
      lines = lines.filter((l) => l.event !== event);
      return taken;
    },
    stop() {
      const write = original;
      if (sinks.delete(sink) && sinks.size === 0 && original) {
        process.stdout.write = original;
        original = undefined;
      }
      // An error no test expected stays visible: it is printed as it would have been without the capture.
      const untaken = lines.filter((l) => l.level === 'error');
      if (!echo) for (const line of untaken) write?.call(process.stdout, `${JSON.stringify(line)}\n`);
      return untaken;
    },
  };
}

/** Messages written through `console` while captured, one string per call. */
export interface CapturedConsole {
  readonly lines: string[];
  restore(): void;
}

/** Captures `console.info`, `warn` and `error` (where Bolt's and the WebClient's ConsoleLogger write) until `restore()`. */
export function captureConsole(): CapturedConsole {
  const lines: string[] = [];
  const spies = (['info', 'warn', 'error'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
  );
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
