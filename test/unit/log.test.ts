/**
 * Structured logs: one JSON object per line, secrets never written, errors readable, levels respected.
 */
import { scrubSecrets } from '../../src/slack/app.js';
import { IllegalTransitionError } from '../../src/domain/request.js';
import { type LogLevel, createLogger, memoryLogger } from '../../src/log.js';

/** A logger at `level` that keeps the raw lines it writes. */
function capture(level: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line), base);
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRET = 'hunter2-very-secret-value';

describe('createLogger: line format', () => {
  it('writes one JSON object per call with level, event, ISO time and the fields', () => {
    // Prepare
    const { logger, lines, parsed } = capture();

    // Act
    logger.info('deploy.requested', { requestId: 'd-0123456789', approvals: 2 });

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', event: 'deploy.requested', requestId: 'd-0123456789', approvals: 2 });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('adds the base fields to every line', () => {
    // Prepare
    const { logger, parsed } = capture('debug', { service: 'foxops', coldStart: true });

    // Act
    logger.warn('a');
    logger.error('b', { x: 1 });

    // Assess
    expect(parsed()).toEqual([
      expect.objectContaining({ event: 'a', service: 'foxops', coldStart: true }),
      expect.objectContaining({ event: 'b', service: 'foxops', coldStart: true, x: 1 }),
    ]);
  });

  it('writes a line without fields', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.debug('tick');

    // Assess
    expect(Object.keys(parsed()[0]!).sort()).toEqual(['event', 'level', 'time']);
  });
});

describe('createLogger: level filtering', () => {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];

  it.each<[LogLevel, LogLevel[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('at %p writes only %p', (threshold, written) => {
    // Prepare
    const { logger, parsed } = capture(threshold);

    // Act
    for (const level of levels) logger[level](`at.${level}`);

    // Assess
    expect(parsed().map((l) => l.level)).toEqual(written);
  });

  it('defaults to info', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger(undefined, (line) => lines.push(line));

    // Act
    logger.debug('hidden');
    logger.info('shown');

    // Assess
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['shown']);
  });
});

describe('createLogger: secrets', () => {
  it.each([
    'token',
    'botToken',
    'SLACK_BOT_TOKEN',
    'secret',
    'signingSecret',
    'client_secret',
    'password',
    'authorization',
    'Authorization',
    'signature',
    'x-slack-signature',
    'private_key',
    'privateKey',
    'GITHUB_PRIVATE_KEY',
  ])('redacts a top-level %p', (key) => {
    // Prepare
    const { logger, lines, parsed } = capture();

    // Act
    logger.info('x', { [key]: SECRET });

    // Assess
    expect(lines[0]).not.toContain(SECRET);
    expect(parsed()[0]![key]).toBe('[redacted]');
  });

  it('redacts nested keys and keeps the rest', () => {
    // Prepare
    const { logger, lines, parsed } = capture();

    // Act
    logger.info('http', { request: { headers: { Authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, url: '/slack/events' } });

    // Assess
    expect(lines[0]).not.toContain(SECRET);
    expect(parsed()[0]!.request).toEqual({ headers: { Authorization: '[redacted]', 'content-type': 'application/json' }, url: '/slack/events' });
  });

  it('redacts inside arrays', () => {
    // Prepare
    const { logger, lines, parsed } = capture();

    // Act
    logger.info('x', {
      installs: [
        { id: 1, token: SECRET },
        { id: 2, private_key: SECRET },
      ],
    });

    // Assess
    expect(lines[0]).not.toContain(SECRET);
    expect(parsed()[0]!.installs).toEqual([
      { id: 1, token: '[redacted]' },
      { id: 2, private_key: '[redacted]' },
    ]);
  });

  it('redacts a whole object under a secret-looking key', () => {
    // Prepare
    const { logger, lines } = capture();

    // Act
    logger.info('x', { secrets: { a: SECRET, b: [SECRET] } });

    // Assess
    expect(lines[0]).not.toContain(SECRET);
  });

  it.each([3, 5, 8, 20])('never writes a secret nested %p levels deep', (depth) => {
    // Prepare
    const { logger, lines } = capture();
    let fields: Record<string, unknown> = { signature: SECRET, token: SECRET };
    for (let i = 0; i < depth; i++) fields = { [`level${i}`]: fields };

    // Act
    logger.info('deep', fields);

    // Assess
    expect(lines[0]).not.toContain(SECRET);
  });

  it('shows a redacted secret at the depth of a Slack payload', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.info('slack', { body: { event: { item: { message: { token: SECRET } } } } });

    // Assess
    expect(parsed()[0]).toMatchObject({ body: { event: { item: { message: { token: '[redacted]' } } } } });
  });

  it('never writes a secret given in the base fields', () => {
    // Prepare
    const { logger, lines } = capture('debug', { app: 'foxops', botToken: SECRET });

    // Act
    logger.info('x');

    // Assess
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!)).toMatchObject({ app: 'foxops', botToken: '[redacted]' });
  });

  it('leaves the caller’s object untouched', () => {
    // Prepare
    const { logger } = capture();
    const fields = { auth: { token: SECRET } };

    // Act
    logger.info('x', fields);

    // Assess
    expect(fields.auth.token).toBe(SECRET);
  });

  it('writes a cyclic object without throwing', () => {
    // Prepare
    const { logger, lines } = capture();
    const node: Record<string, unknown> = { name: 'loop', token: SECRET };
    node.self = node;

    // Act
    const act = () => logger.info('x', { node });

    // Assess
    expect(act).not.toThrow();
    expect(lines[0]).not.toContain(SECRET);
  });
});

describe('createLogger: errors', () => {
  it('writes an error field with its name, message and the top of its stack', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.error('job.failed', { err: new TypeError('cannot read x') });

    // Assess
    const err = parsed()[0]!.err as { name: string; message: string; stack?: string };
    expect(err.name).toBe('TypeError');
    expect(err.message).toBe('cannot read x');
    expect(err.stack).toMatch(/^TypeError: cannot read x\n\s+at /);
    expect(err.stack!.split('\n').length).toBeLessThanOrEqual(6);
  });

  it('keeps the name of a custom error class', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.error('x', { err: new IllegalTransitionError('succeeded', 'approved', 'd-0123456789') });

    // Assess
    expect(parsed()[0]!.err).toMatchObject({ name: 'IllegalTransitionError', message: 'request d-0123456789: succeeded -> approved is not allowed' });
  });

  it('writes a nested error with name and message but without a stack', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.error('x', { job: { kind: 'dispatch', lastError: new RangeError('too far') } });

    // Assess
    expect(parsed()[0]!.job).toEqual({ kind: 'dispatch', lastError: { name: 'RangeError', message: 'too far' } });
  });

  it('writes errors inside arrays', () => {
    // Prepare
    const { logger, parsed } = capture();

    // Act
    logger.warn('x', { errors: [new Error('one'), new Error('two')] });

    // Assess
    expect((parsed()[0]!.errors as Array<{ message: string }>).map((e) => e.message)).toEqual(['one', 'two']);
  });
});

describe('memoryLogger', () => {
  it('keeps every level as parsed, redacted lines', () => {
    // Prepare
    const logger = memoryLogger();

    // Act
    logger.debug('a', { token: SECRET });
    logger.error('b');

    // Assess
    expect(logger.lines.map((l) => [l.level, l.event])).toEqual([
      ['debug', 'a'],
      ['error', 'b'],
    ]);
    expect(logger.lines[0]!.token).toBe('[redacted]');
  });
});

describe('Bolt messages', () => {
  test('tokens and signatures in free text are masked', () => {
    // Prepare: what Bolt prints at debug level for a slash command
    const text =
      'AWS event: {"headers":{"x-slack-signature":"v0=abc123"},"body":"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0&text=prod"} ' +
      'with xoxb-123-456-abc and xapp-1-A0-99';
    // Act
    const scrubbed = scrubSecrets(text);
    // Assess
    expect(scrubbed).not.toMatch(/gIkuvaNzQIHg97ATvDxqgjtO|v0=abc123|xoxb-123|xapp-1-A0/);
    expect(scrubbed).toContain('team_id=T0&text=prod');
  });
});
