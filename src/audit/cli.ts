/**
 * `npm run audit -- --env production [--env staging] [--since 30d] [--until <time>] [--format csv|jsonl]`: the audit
 * trail for operators, printed to stdout from the table named in the environment (`FOXOPS_TABLE`, as the app reads it;
 * `AWS_ENDPOINT_URL_DYNAMODB` for a local DynamoDB). Read page by page and written as it comes, so any period fits
 * in memory. Exit codes: 0 printed, 1 the table could not be read, 2 bad arguments. scripts/audit.ts runs it.
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '../aws/client-config.js';
import type { Env } from '../config/load.js';
import { parseDuration } from '../domain/duration.js';
import { DynamoAuditLog } from '../store/dynamo-store.js';
import { type ExportFormat, writeAuditExport } from './export.js';

export const AUDIT_USAGE = `Usage: npm run audit -- --env <environment> [options]

Prints foxops' audit trail of one or more environments, oldest first, from the DynamoDB table FOXOPS_TABLE
(default foxops) with the usual AWS settings (AWS_PROFILE, AWS_REGION; AWS_ENDPOINT_URL_DYNAMODB for a local one).

Options:
  --env <name>        the environment's name as in foxops.yml (required; repeat it, or separate names with commas)
  --since <when>      how far back: a duration (30d, 12h, 1d12h) or a time (2025-01-31, 2025-01-31T08:00:00Z); default 30d
  --until <when>      where to stop (excluded), the same way; default now
  --format <format>   csv (default) or jsonl
  --region <region>   AWS region (default: AWS_REGION or your profile's region)
  --help, -h          this text`;

/** Where the CLI writes: the export to `stdout`, everything else to `stderr`. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

/** The parsed arguments, or why they are wrong. */
export type AuditArgs =
  | { help: true }
  | { help?: false; environments: string[]; since: Date; until: Date; format: ExportFormat; region?: string }
  | { problem: string };

const ENV_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** `30d` back from `now`, or an ISO date or time; undefined when it is neither. */
function pointInTime(text: string, now: Date): Date | undefined {
  const ago = parseDuration(text.toLowerCase());
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  // A date or time without a zone is UTC, as every time foxops stores.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(iso.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Parses the command line (without `node` and the script) against `now`. Pure. */
export function parseAuditArgs(argv: string[], now: Date): AuditArgs {
  let values: { env?: string[]; since?: string; until?: string; format?: string; region?: string; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        env: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        format: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (values.help) return { help: true };
  const environments = [
    ...new Set(
      (values.env ?? [])
        .flatMap((e) => e.split(','))
        .map((e) => e.trim())
        .filter(Boolean),
    ),
  ];
  if (environments.length === 0) return { problem: 'say which environment: --env production (or several: --env production,staging)' };
  const bad = environments.find((e) => !ENV_NAME.test(e));
  if (bad !== undefined)
    return { problem: `--env ${JSON.stringify(bad)} is not an environment name (lower-case letters, digits and dashes, as in foxops.yml)` };
  const since = pointInTime(values.since ?? '30d', now);
  if (!since)
    return { problem: `--since ${JSON.stringify(values.since)} is neither a duration (30d, 12h) nor a date (2025-01-31) or time (2025-01-31T08:00:00Z)` };
  const until = values.until === undefined ? now : pointInTime(values.until, now);
  if (!until)
    return { problem: `--until ${JSON.stringify(values.until)} is neither a duration (30d, 12h) nor a date (2025-01-31) or time (2025-01-31T08:00:00Z)` };
  if (since.getTime() >= until.getTime()) return { problem: `--since (${since.toISOString()}) must be before --until (${until.toISOString()})` };
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') return { problem: `--format ${JSON.stringify(format)}: use csv or jsonl` };
  return { environments, since, until, format, ...(values.region ? { region: values.region } : {}) };
}

const isBrokenPipe = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'EPIPE';

/**
 * Runs the CLI: parses `argv`, reads the trail from the table `env` names and writes it to `io.stdout`; returns the
 * exit code. `dynamo` replaces the client built from `env` (tests).
 */
export async function auditCli(argv: string[], env: Env, io: CliIo, now = new Date(), dynamo?: DynamoDBClient): Promise<number> {
  const args = parseAuditArgs(argv, now);
  if ('problem' in args) {
    io.stderr.write(`${args.problem}\n\n${AUDIT_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  const tableName = env.FOXOPS_TABLE?.trim() || 'foxops';
  // awsClientConfig's region default is for loopback runs; here the SDK may take the profile's region instead.
  const { region: _defaultRegion, ...settings } = awsClientConfig(env, 'DYNAMODB');
  const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const client = dynamo ?? new DynamoDBClient({ ...settings, ...(region ? { region } : {}) });
  try {
    const audit = new DynamoAuditLog(client, tableName);
    const count = await writeAuditExport(audit.read({ environments: args.environments, since: args.since, until: args.until }), [
      { format: args.format, out: io.stdout },
    ]);
    io.stderr.write(
      `${count} ${count === 1 ? 'entry' : 'entries'} of ${args.environments.join(', ')} from ${args.since.toISOString()} to ${args.until.toISOString()} (table ${tableName})\n`,
    );
    return 0;
  } catch (err) {
    // `npm run audit … | head` closes the pipe early: what was wanted was printed.
    if (isBrokenPipe(err)) return 0;
    io.stderr.write(`Could not read the audit trail from table ${tableName}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!dynamo) client.destroy();
  }
}
