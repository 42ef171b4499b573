/**
 * `npm start`: foxops on this machine, no AWS account needed. Reads `.env` if present. Without any Slack credential
 * (no SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN) it starts the sandbox (src/sandbox/main.ts): a page
 * that plays Slack, with simulated GitHub and AWS. With them it runs foxops for a real workspace, keeps its DynamoDB
 * data in `.foxops-data/`, and says what is missing to talk to Slack and GitHub.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { formatProblems } from '../config/errors.js';
import { createLogger } from '../log.js';
import { type LocalServer, setupInstructions, startLocalServer } from './server.js';

/** True when nothing says which Slack workspace to talk to: a fresh clone. */
function noSlackCredentials(env: NodeJS.ProcessEnv): boolean {
  return !env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN;
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  if (noSlackCredentials(process.env)) {
    const { runSandboxCli } = await import('../sandbox/main.js');
    return runSandboxCli();
  }
  const dataDir = path.resolve(process.env.FOXOPS_DATA_DIR ?? '.foxops-data/dynamodb');
  mkdirSync(dataDir, { recursive: true });
  let server: LocalServer;
  try {
    // The level as the configuration reads it (`Warn` is `warn`); a bad one is refused by loadConfig below.
    const level = (process.env.LOG_LEVEL ?? 'info').trim().toLowerCase();
    const logger = createLogger((['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info') as 'info');
    server = await startLocalServer({ env: process.env, dataDir, logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    // What an operator can act on, in one line each, rather than a stack.
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'EADDRINUSE') {
      console.error(`foxops could not start: port ${process.env.PORT ?? 3000} is in use. Stop what uses it, or pick another: PORT=3001 npm start`);
      process.exit(1);
    }
    if (/Database is closed|LOCK|lock hold/i.test(String((err as Error)?.message))) {
      console.error(`foxops could not start: its data folder ${dataDir} is in use by another foxops. Stop it, or set FOXOPS_DATA_DIR to another folder.`);
      process.exit(1);
    }
    throw err;
  }
  const { config, url } = server;
  console.log(`\nfoxops is listening on ${url}`);
  console.log(`  Slack:  ${config.slack.appToken ? 'Socket Mode' : `${url}/slack/events`}`);
  console.log(`  GitHub: ${url}/github/webhooks`);
  console.log(`  data:   ${dataDir}`);
  console.log(
    `  config: ${config.catalogPath} (${config.catalog.services.map((s) => s.name).join(', ')} ` +
      `to ${config.catalog.environments.map((e) => e.name).join(', ')})\n`,
  );
  if (config.missing.length) {
    const slackMissing = config.missing.some((m) => m.where.includes('SLACK'));
    console.log(slackMissing ? setupInstructions(config, url) : `Missing settings:\n${formatProblems(config.missing)}`);
  }
  const stop = async () => {
    console.log('\nstopping foxops…');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error('foxops failed to start:', err);
  process.exit(1);
});
