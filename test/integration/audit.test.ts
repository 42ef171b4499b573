/**
 * The audit trail on dynalite with the real DynamoDB client: entries with and without a request, their keys, index
 * items and retention; reading back one environment or several in time order across month partitions, page by page
 * (a small page size) and only as far as the reader goes; the export of what was read; and `npm run audit`, in
 * process and as the script itself.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { auditCli } from '../../src/audit/cli.js';
import { CSV_COLUMNS, csvRow, jsonLine, writeAuditExport } from '../../src/audit/export.js';
import type { AuditEntry } from '../../src/domain/ports.js';
import { DynamoAuditLog } from '../../src/store/dynamo-store.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/dynamodb.js';

const ROOT = path.resolve(__dirname, '../..');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let db: Dynalite;
let client: DynamoDBClient;
let table: string;
let tableCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
beforeEach(async () => {
  table = `foxops-audit-${++tableCount}`;
  await ensureTable(client, table);
});

const T0 = Date.parse('2025-02-20T00:00:00.000Z');
const HOUR = 3_600_000;

/**
 * `n` entries from 2025-02-20 on, one every 3 hours (so they cross into March), alternating production and staging;
 * every fifth has no request (a refusal), and entries 10 and 11 share one instant in both environments.
 */
function entries(n: number): AuditEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(T0 + (i === 11 ? 10 : i) * 3 * HOUR).toISOString();
    const environment = i % 2 === 0 ? 'production' : 'staging';
    const base = { environment, service: 'foxy-backend', at, actor: i % 3 ? 'U0ALICE' : 'foxops', action: i % 5 ? 'approve' : 'request' };
    return i % 5 === 0
      ? { ...base, outcome: 'refused' as const, detail: JSON.stringify({ code: 'wrong_channel', i }) }
      : { ...base, requestId: `d-${String(i).padStart(10, '0')}`, outcome: 'ok' as const, detail: `#${i}` };
  });
}

/** Entries recorded in shuffled order (the store must sort them, not the test). */
async function recordAll(audit: DynamoAuditLog, list: AuditEntry[]): Promise<void> {
  const shuffled = list.map((e, i) => ({ e, k: (i * 7919) % list.length })).sort((a, b) => a.k - b.k);
  for (let i = 0; i < shuffled.length; i += 25) await Promise.all(shuffled.slice(i, i + 25).map(({ e }) => audit.record(e)));
}

async function readAll(iterable: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

const byTime = (list: AuditEntry[]) => [...list].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

describe('audit items', () => {
  it('keeps a request’s entries with the request, the others under ENVLOG#, all on GSI2 by environment and month, with the retention as ttl', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, table, { retentionDays: 30 });
    const withRequest: AuditEntry = {
      requestId: 'd-aaaaaaaaaa',
      environment: 'production',
      service: 'foxy-backend',
      at: '2025-03-10T09:00:00.000Z',
      actor: 'U0ALICE',
      action: 'approve',
      outcome: 'ok',
    };
    const refusal: AuditEntry = {
      environment: 'production',
      service: 'foxy-backend',
      at: '2025-03-10T09:00:01.000Z',
      actor: 'U0DAVE',
      action: 'request',
      outcome: 'refused',
      detail: '{"code":"wrong_channel"}',
    };
    const nowhere: AuditEntry = { at: '2025-03-10T09:00:02.000Z', actor: 'U0DAVE', action: 'audit_export', outcome: 'refused' };

    // Act
    for (const e of [withRequest, refusal, nowhere]) await audit.record(e);
    const items = await Promise.all(
      ['REQ#d-aaaaaaaaaa', 'ENVLOG#production', 'ENVLOG#-'].map(
        async (pk) =>
          (await client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } })))
            .Items ?? [],
      ),
    );

    // Assess
    expect(items.map((list) => list.length)).toEqual([1, 1, 1]);
    const [request, env, none] = items.map((list) => list[0]!);
    expect(request).toMatchObject({ SK: { S: expect.stringMatching(/^AUDIT#2025-03-10T09:00:00\.000Z#/) }, GSI2PK: { S: 'AUDIT#production#2025-03' } });
    expect(env).toMatchObject({ GSI2PK: { S: 'AUDIT#production#2025-03' }, GSI2SK: { S: expect.stringMatching(/^2025-03-10T09:00:01\.000Z#/) } });
    expect(none).toMatchObject({ GSI2PK: { S: 'AUDIT#-#2025-03' } });
    expect(Number(request!.ttl!.N)).toBe(Date.parse(withRequest.at) / 1000 + 30 * 86_400);
    expect(JSON.parse(env!.data!.S!)).toEqual(refusal);
    expect(await audit.list('d-aaaaaaaaaa')).toEqual([withRequest]);
  });

  it('keeps entries 400 days by default', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, table);
    const e: AuditEntry = { requestId: 'd-bbbbbbbbbb', environment: 'staging', at: '2025-03-10T09:00:00.000Z', actor: 'foxops', action: 'run', outcome: 'ok' };

    // Act
    await audit.record(e);
    const { Items } = await client.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: 'REQ#d-bbbbbbbbbb' } } }),
    );
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { PK: Items![0]!.PK!, SK: Items![0]!.SK! } }));

    // Assess
    expect(Number(item.Item!.ttl!.N)).toBe(Date.parse(e.at) / 1000 + 400 * 86_400);
  });
});

describe('reading the trail back', () => {
  const all = entries(300);
  /** One table for these tests, written once: reads change nothing. */
  let readTable: string;

  beforeAll(async () => {
    readTable = `foxops-audit-read-${++tableCount}`;
    await ensureTable(client, readTable);
    await recordAll(new DynamoAuditLog(client, readTable), all);
  });

  /** A client of its own that counts its Query calls. */
  function countingClient(): { client: DynamoDBClient; queries: { count: number } } {
    const counted = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials });
    const queries = { count: 0 };
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries.count += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    return { client: counted, queries };
  }

  it('reads one environment oldest first across two months, page by page', async () => {
    // Prepare: pages of 7 items, so a month partition takes many queries
    const { client: counted, queries } = countingClient();
    const audit = new DynamoAuditLog(counted, readTable, { pageSize: 7 });

    // Act
    const production = await readAll(audit.read({ environments: ['production'], since: new Date(T0), until: new Date(T0 + 400 * 3 * HOUR) }));
    counted.destroy();

    // Assess
    const expected = all.filter((e) => e.environment === 'production');
    expect(production).toEqual(expected);
    expect(new Set(production.map((e) => e.at.slice(0, 7)))).toEqual(new Set(['2025-02', '2025-03']));
    expect(queries.count).toBeGreaterThanOrEqual(Math.ceil(expected.length / 7));
  });

  it('merges two environments by time, takes `since` and leaves `until` out', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, readTable, { pageSize: 7 });
    const since = new Date(all[40]!.at);
    const until = new Date(all[250]!.at);

    // Act
    const both = await readAll(audit.read({ environments: ['production', 'staging'], since, until }));
    const tie = await readAll(audit.read({ environments: ['staging', 'production'], since: new Date(all[10]!.at), until: new Date(all[12]!.at) }));

    // Assess: entries 40 to 249, by time; 10 and 11 share an instant, in the order the environments were asked for
    const expected = byTime(all.slice(40, 250));
    expect(both).toHaveLength(210);
    expect(both.map((e) => e.at)).toEqual(expected.map((e) => e.at));
    expect(new Set(both.map((e) => JSON.stringify(e)))).toEqual(new Set(expected.map((e) => JSON.stringify(e))));
    expect(tie.map((e) => e.environment)).toEqual(['staging', 'production']);
  });

  it('reads only as far as the reader goes: a page per environment at a time', async () => {
    // Prepare
    const { client: counted, queries } = countingClient();
    const audit = new DynamoAuditLog(counted, readTable, { pageSize: 5 });

    // Act: take 3 entries and stop
    const taken: AuditEntry[] = [];
    for await (const e of audit.read({ environments: ['production', 'staging'], since: new Date(T0), until: new Date(T0 + 400 * 3 * HOUR) })) {
      taken.push(e);
      if (taken.length === 3) break;
    }
    counted.destroy();

    // Assess
    expect(taken).toEqual(all.slice(0, 3));
    expect(queries.count).toBe(2);
  });

  it('exports what it reads, as CSV and as JSON Lines', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, readTable, { pageSize: 9 });
    const csv = new PassThrough();
    const jsonl = new PassThrough();
    const texts = ['', ''];
    csv.on('data', (chunk: Buffer) => (texts[0] += chunk.toString('utf8')));
    jsonl.on('data', (chunk: Buffer) => (texts[1] += chunk.toString('utf8')));

    // Act
    const count = await writeAuditExport(audit.read({ environments: ['production', 'staging'], since: new Date(T0), until: new Date(T0 + 400 * 3 * HOUR) }), [
      { format: 'csv', out: csv },
      { format: 'jsonl', out: jsonl },
    ]);

    // Assess
    const expected = byTime(all);
    expect(count).toBe(300);
    expect(texts[0]).toBe(`${CSV_COLUMNS.join(',')}\r\n${expected.map(csvRow).join('')}`);
    expect(texts[1]).toBe(expected.map(jsonLine).join(''));
  });
});

describe('npm run audit', () => {
  const env = () => ({
    FOXOPS_TABLE: table,
    AWS_ENDPOINT_URL_DYNAMODB: db.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const now = new Date(T0 + 40 * HOUR);

  /** An in-process run: exit code and what went to stdout and stderr. */
  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const texts = { stdout: '', stderr: '' };
    stdout.on('data', (c: Buffer) => (texts.stdout += c.toString('utf8')));
    stderr.on('data', (c: Buffer) => (texts.stderr += c.toString('utf8')));
    const code = await auditCli(argv, env(), { stdout, stderr }, now);
    return { code, ...texts };
  }

  it('prints the environment’s trail as CSV by default, or as JSON Lines, from the table named in the environment', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, table);
    const list = entries(20);
    await recordAll(audit, list);

    // Act
    const csv = await run(['--env', 'production', '--since', '1d']);
    const jsonl = await run(['--env', 'production,staging', '--since', '2025-02-20', '--format', 'jsonl']);

    // Assess: now is T0 + 40 h; the day before holds entries 6 to 13 (one every 3 h)
    const lastDay = list.filter((e) => e.environment === 'production' && e.at >= new Date(T0 + 16 * HOUR).toISOString() && e.at < now.toISOString());
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(`${CSV_COLUMNS.join(',')}\r\n${lastDay.map(csvRow).join('')}`);
    expect(csv.stderr).toMatch(/^4 entries of production from 2025-02-20T16:00:00.000Z to 2025-02-21T16:00:00.000Z/);
    expect(jsonl.code).toBe(0);
    expect(jsonl.stdout).toBe(
      byTime(list.filter((e) => e.at < now.toISOString()))
        .map(jsonLine)
        .join(''),
    );
  });

  it('answers bad arguments with the reason and the usage, exit code 2, and reads nothing', async () => {
    // Act
    const result = await run(['--env', 'production', '--format', 'xml']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^--format "xml": use csv or jsonl\n\nUsage: npm run audit -- --env <environment>/);
  });

  it('says which table it could not read, exit code 1', async () => {
    // Act
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const code = await auditCli(['--env', 'production'], { ...env(), FOXOPS_TABLE: 'no-such-table' }, { stdout, stderr }, now);

    // Assess
    expect(code).toBe(1);
    expect(text).toMatch(/^Could not read the audit trail from table no-such-table: /);
  });

  it('runs as the npm script: scripts/audit.ts prints the trail, and exits 2 on bad arguments', async () => {
    // Prepare
    const audit = new DynamoAuditLog(client, table);
    await audit.record({ requestId: 'd-cccccccccc', environment: 'production', at: new Date().toISOString(), actor: 'U0ALICE', action: '=cmd', outcome: 'ok' });
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const options = { cwd: ROOT, env: { ...process.env, ...env() } };

    // Act
    const printed = await promisify(execFile)(tsx, ['scripts/audit.ts', '--env', 'production', '--since', '1h'], options);
    const refused = await promisify(execFile)(tsx, ['scripts/audit.ts', '--since', '1h'], options).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );

    // Assess
    expect(printed.stdout.split('\r\n')).toEqual([CSV_COLUMNS.join(','), expect.stringMatching(/,production,,d-cccccccccc,U0ALICE,'=cmd,ok,$/), '']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/say which environment/);
  }, 30_000);
});
