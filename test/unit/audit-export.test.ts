/**
 * The audit export's pieces without I/O: CSV cells (RFC 4180 quoting, no spreadsheet formulas), JSON Lines, the
 * writer's backpressure, who may export what, the month partitions, the merge of environments, the CLI's arguments
 * and the words of the command.
 */
import { PassThrough, Writable } from 'node:stream';
import { CSV_COLUMNS, csvCell, csvRow, exportFileStem, jsonLine, writeAuditExport } from '../../src/audit/export.js';
import { parseAuditArgs } from '../../src/audit/cli.js';
import { exportableEnvironments, mergeByTime, monthsBetween } from '../../src/domain/audit.js';
import type { EnvironmentDefinition } from '../../src/domain/catalog.js';
import type { AuditEntry } from '../../src/domain/ports.js';
import { jobKey } from '../../src/jobs/keys.js';
import { readJob } from '../../src/jobs/parse.js';
import { auditExportComment, auditRefusalText } from '../../src/slack/blocks/audit.js';

const entry = (at: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({ at, actor: 'U0ALICE', action: 'approve', outcome: 'ok', ...extra });

async function* lazy<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Everything written to a stream, as text. */
function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('CSV cells', () => {
  it.each([
    ['plain', 'plain'],
    ['with, comma', '"with, comma"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r\nlf', '"cr\r\nlf"'],
    ['', ''],
  ])('quotes %j as RFC 4180 asks', (value, cell) => {
    // Act, Assess
    expect(csvCell(value)).toBe(cell);
  });

  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1 555', "'+1 555"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
  ])('keeps a spreadsheet from running %j as a formula', (value, cell) => {
    // Act, Assess
    expect(csvCell(value)).toBe(cell);
  });

  it('writes an absent field as an empty cell', () => {
    // Act, Assess
    expect(csvCell(undefined)).toBe('');
  });
});

describe('rows', () => {
  it('writes a CSV row in the column order, CRLF-terminated, and the same entry as one JSON line', () => {
    // Prepare
    const e = entry('2025-03-10T09:00:00.000Z', {
      requestId: 'd-aaaaaaaaaa',
      environment: 'production',
      service: 'foxy-backend',
      outcome: 'refused',
      detail: '{"code":"not_approver","approvers":["U0ALICE"]}',
    });

    // Act
    const row = csvRow(e);
    const line = jsonLine(e);

    // Assess
    expect(CSV_COLUMNS).toEqual(['at', 'environment', 'service', 'request', 'actor', 'action', 'outcome', 'detail']);
    expect(row).toBe(
      '2025-03-10T09:00:00.000Z,production,foxy-backend,d-aaaaaaaaaa,U0ALICE,approve,refused,"{""code"":""not_approver"",""approvers"":[""U0ALICE""]}"\r\n',
    );
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(e);
    expect(Object.keys(JSON.parse(line))).toEqual(['at', 'environment', 'service', 'requestId', 'actor', 'action', 'outcome', 'detail']);
  });

  it('leaves absent fields out of the JSON line and empty in the CSV', () => {
    // Prepare
    const e = entry('2025-03-10T09:00:00.000Z');

    // Act, Assess
    expect(csvRow(e)).toBe('2025-03-10T09:00:00.000Z,,,,U0ALICE,approve,ok,\r\n');
    expect(jsonLine(e)).toBe('{"at":"2025-03-10T09:00:00.000Z","actor":"U0ALICE","action":"approve","outcome":"ok"}\n');
  });

  it('names the files after the environments and the period', () => {
    // Act, Assess
    expect(exportFileStem({ environments: ['production', 'staging'], since: '2025-02-08T09:00:00.000Z', until: '2025-03-10T09:00:00.000Z' })).toBe(
      'foxops-audit-production+staging-2025-02-08-to-2025-03-10',
    );
  });
});

describe('writeAuditExport', () => {
  it('writes the CSV header and every row, and the JSON lines, to their outputs', async () => {
    // Prepare
    const entries = [entry('2025-03-10T09:00:00.000Z'), entry('2025-03-10T09:01:00.000Z', { detail: 'a, b' })];
    const csv = collect();
    const jsonl = collect();

    // Act
    const count = await writeAuditExport(lazy(entries), [
      { format: 'csv', out: csv.out },
      { format: 'jsonl', out: jsonl.out },
    ]);

    // Assess
    expect(count).toBe(2);
    expect(csv.text()).toBe(`${CSV_COLUMNS.join(',')}\r\n${entries.map(csvRow).join('')}`);
    expect(jsonl.text()).toBe(entries.map(jsonLine).join(''));
  });

  it('waits for a slow output to drain before reading on (backpressure)', async () => {
    // Prepare: an output that takes a chunk only every few ms, with a tiny buffer
    let pendingCallbacks = 0;
    let maxBuffered = 0;
    const written: string[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        pendingCallbacks += 1;
        written.push(chunk.toString('utf8'));
        setTimeout(() => {
          pendingCallbacks -= 1;
          callback();
        }, 2);
      },
    });
    const sampled = setInterval(() => (maxBuffered = Math.max(maxBuffered, slow.writableLength)), 1);
    let read = 0;
    async function* counted(): AsyncGenerator<AuditEntry> {
      for (let i = 0; i < 5000; i++) {
        read += 1;
        yield entry(new Date(Date.UTC(2025, 2, 10, 9, 0, 0, i)).toISOString(), { detail: 'x'.repeat(100) });
      }
    }

    // Act
    const count = await writeAuditExport(counted(), [{ format: 'jsonl', out: slow }]);
    clearInterval(sampled);

    // Assess: every entry arrived, and the writer never let more than one chunk queue up behind the slow output
    expect(count).toBe(5000);
    expect(read).toBe(5000);
    expect(written.join('').split('\n').filter(Boolean)).toHaveLength(5000);
    expect(maxBuffered).toBeLessThanOrEqual(2 * 64 * 1024 + 1024);
    expect(pendingCallbacks).toBeLessThanOrEqual(1);
  });

  it('fails, instead of waiting for ever, when the output closes half-way', async () => {
    // Prepare: an output that never drains and is destroyed soon
    const stuck = new Writable({ highWaterMark: 16, write: () => undefined });
    setTimeout(() => stuck.destroy(), 20);
    async function* many(): AsyncGenerator<AuditEntry> {
      for (let i = 0; i < 10_000; i++) yield entry('2025-03-10T09:00:00.000Z', { detail: 'y'.repeat(200) });
    }

    // Act, Assess
    await expect(writeAuditExport(many(), [{ format: 'csv', out: stuck }])).rejects.toThrow(/closed before the export was written/);
  });
});

describe('who may export', () => {
  const env = (name: string, approvers: string[], auditors?: string[]): EnvironmentDefinition => ({
    name,
    aliases: [],
    channels: ['C0X'],
    approvals: approvers.length ? 1 : 0,
    approvers,
    requesters: 'any',
    requestTtlMs: 1,
    staleAfterMs: 1,
    runTimeoutMs: 1,
    ...(auditors ? { auditors } : {}),
  });
  const production = env('production', ['U0ALICE', 'S0RELEASE'], ['U0ERIN']);
  const staging = env('staging', []);

  it('lets approvers, members of an approver group and auditors export, and refuses others naming who may', () => {
    // Act
    const alice = exportableEnvironments([production], { userId: 'U0ALICE', groups: [] });
    const carol = exportableEnvironments([production], { userId: 'U0CAROL', groups: ['S0RELEASE'] });
    const erin = exportableEnvironments([production], { userId: 'U0ERIN', groups: [] });
    const dave = exportableEnvironments([production, staging], { userId: 'U0DAVE', groups: [] });

    // Assess
    expect(alice).toEqual({ environments: ['production'] });
    expect(carol).toEqual({ environments: ['production'] });
    expect(erin).toEqual({ environments: ['production'] });
    expect(dave).toEqual({
      refusal: {
        code: 'not_auditor',
        environments: [
          { environment: 'production', readers: ['U0ALICE', 'S0RELEASE', 'U0ERIN'] },
          { environment: 'staging', readers: [] },
        ],
      },
    });
  });

  it('words the refusal with mentions, and says when nobody may', () => {
    // Prepare
    const refusal = exportableEnvironments([production, staging], { userId: 'U0DAVE', groups: [] });

    // Act
    const text = 'refusal' in refusal ? auditRefusalText(refusal.refusal) : '';

    // Assess
    expect(text).toContain('*production*: <@U0ALICE>, <!subteam^S0RELEASE>, <@U0ERIN>');
    expect(text).toContain('*staging*: nobody yet');
  });

  it('says in the file comment what the files hold', () => {
    // Act
    const some = auditExportComment({ environments: ['production'], since: '2025-02-08T09:00:00.000Z', until: '2025-03-10T09:00:00.000Z', count: 1234 });
    const none = auditExportComment({ environments: ['production'], since: '2025-02-08T09:00:00.000Z', until: '2025-03-10T09:00:00.000Z', count: 0 });

    // Assess
    expect(some).toBe(
      ':ledger: The audit trail of *production* from 2025-02-08 09:00 UTC to 2025-03-10 09:00 UTC: 1,234 entries, oldest first, as CSV and as JSON Lines.',
    );
    expect(none).toContain('has no entries');
  });
});

describe('month partitions and the merge', () => {
  it('lists every UTC month the period touches, the end excluded', () => {
    // Act, Assess
    expect(monthsBetween(new Date('2024-11-20T00:00:00Z'), new Date('2025-02-01T00:00:00Z'))).toEqual(['2024-11', '2024-12', '2025-01']);
    expect(monthsBetween(new Date('2025-03-10T00:00:00Z'), new Date('2025-03-10T00:00:01Z'))).toEqual(['2025-03']);
    expect(monthsBetween(new Date('2025-03-10T00:00:00Z'), new Date('2025-03-10T00:00:00Z'))).toEqual([]);
  });

  it('merges oldest-first streams by time, the first stream first at the same instant, reading each only as needed', async () => {
    // Prepare
    const pulled: string[] = [];
    async function* stream(name: string, times: string[]): AsyncGenerator<AuditEntry> {
      for (const at of times) {
        pulled.push(`${name}@${at}`);
        yield entry(at, { environment: name });
      }
    }
    const a = stream('a', ['2025-01-01T00:00:01.000Z', '2025-01-01T00:00:03.000Z', '2025-01-01T00:00:03.000Z']);
    const b = stream('b', ['2025-01-01T00:00:02.000Z', '2025-01-01T00:00:03.000Z', '2025-01-01T00:00:09.000Z']);

    // Act
    const merged: string[] = [];
    for await (const e of mergeByTime([a, b])) {
      merged.push(`${e.environment}@${e.at.slice(17, 19)}`);
      if (merged.length === 2) expect(pulled).toHaveLength(3);
    }

    // Assess
    expect(merged).toEqual(['a@01', 'b@02', 'a@03', 'a@03', 'b@03', 'b@09']);
  });
});

describe('the CLI arguments', () => {
  const now = new Date('2025-03-10T09:00:00.000Z');

  it('takes environments (repeated or comma-separated), a duration or a date, and a format; csv and 30 days by default', () => {
    // Act
    const plain = parseAuditArgs(['--env', 'production'], now);
    const full = parseAuditArgs(['--env', 'production,staging', '--env', 'production', '--since', '2025-01-31', '--until', '1d', '--format', 'jsonl'], now);

    // Assess
    expect(plain).toEqual({ environments: ['production'], since: new Date('2025-02-08T09:00:00.000Z'), until: now, format: 'csv' });
    expect(full).toEqual({
      environments: ['production', 'staging'],
      since: new Date('2025-01-31T00:00:00.000Z'),
      until: new Date('2025-03-09T09:00:00.000Z'),
      format: 'jsonl',
    });
  });

  it.each([
    [[], /say which environment/],
    [['--env', 'Prod!'], /is not an environment name/],
    [['--env', 'production', '--since', 'yesterday'], /--since "yesterday" is neither/],
    [['--env', 'production', '--until', '2025-13-45'], /--until "2025-13-45" is neither/],
    [['--env', 'production', '--since', '1d', '--until', '2d'], /must be before --until/],
    [['--env', 'production', '--format', 'xlsx'], /use csv or jsonl/],
    [['--env', 'production', '--verbose'], /Unknown option '--verbose'/],
  ])('refuses %j with a clear message', (argv, message) => {
    // Act
    const parsed = parseAuditArgs(argv, now);

    // Assess
    expect(parsed).toEqual({ problem: expect.stringMatching(message) });
  });
});

describe('the audit_export job', () => {
  const job = { type: 'audit_export', userId: 'U0ALICE', environments: ['production'], since: '2025-02-08T09:00:00.000Z', until: '2025-03-10T09:00:00.000Z' };

  it('is read back as stored, and keyed by the ask when it carries one', () => {
    // Act
    const read = readJob({ ...job, key: 'abc123' });

    // Assess
    expect(read).toEqual({ job: { ...job, key: 'abc123' } });
    expect(jobKey({ ...job, key: 'abc123' } as Parameters<typeof jobKey>[0])).toBe('audit-export:abc123');
    expect(jobKey(job as Parameters<typeof jobKey>[0])).toMatch(/^audit-export:[0-9a-f]{32}$/);
  });

  it.each([
    [{ ...job, environments: [] }, /environments/],
    [{ ...job, environments: ['Prod!'] }, /environments\.0/],
    [{ ...job, userId: 'alice' }, /userId/],
    [{ ...job, since: 'last week' }, /since/],
  ])('refuses a malformed one: %j', (value, where) => {
    // Act
    const read = readJob(value);

    // Assess
    expect(read).toEqual({ problem: expect.stringMatching(where) });
  });
});
