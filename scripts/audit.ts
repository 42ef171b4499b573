/**
 * `npm run audit -- --env production [--since 30d] [--until <time>] [--format csv|jsonl]`: the command-line face of
 * src/audit/cli.ts (usage there, and with --help). Exit codes: 0 printed, 1 the table could not be read, 2 bad arguments.
 */
// First: it turns off the AWS SDK's Node version warning (Node < 22) before the client is built.
import '../src/aws/client-config.js';
import { auditCli } from '../src/audit/cli.js';

process.exitCode = await auditCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
