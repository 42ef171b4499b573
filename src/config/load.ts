/**
 * `loadConfig(env)`: the one place that reads the environment and the services file.
 * Secrets come from environment variables (on Lambda, filled from SSM at cold start by `loadSsmSecrets`).
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../domain/catalog.js';
import { isValidatedCatalogFile } from './validated-catalog.js';
import { ConfigError, type ConfigProblem } from './errors.js';

/** How foxops authenticates to GitHub. */
export type GitHubAuth = { kind: 'token'; token: string } | { kind: 'app'; appId: string; privateKey: string; installationId: string };

/** Everything foxops needs to run, validated. */
export interface FoxopsConfig {
  catalog: Catalog;
  /** Where the catalog was read from, for messages. */
  catalogPath: string;
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    /** Given together, Bolt makes no `auth.test` call at cold start. */
    botId?: string;
    botUserId?: string;
    apiUrl?: string;
  };
  github: { auth?: GitHubAuth; apiUrl?: string; webhookSecret?: string; oidc: OidcSettings };
  tableName: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Settings that are missing; fatal on Lambda, reported by `npm start`. */
  missing: ConfigProblem[];
}

/**
 * Where the OIDC tokens of workflow runs come from and whom they are for (`POST /github/verify`): GitHub's issuer
 * and its key set unless set (GitHub Enterprise Server, tests), audience `foxops` unless set.
 */
export interface OidcSettings {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

/** GitHub.com's issuer of Actions OIDC tokens. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** Environment variables, as in `process.env`. */
export type Env = Record<string, string | undefined>;

const SLACK_HELP = 'create the Slack app from manifest.yml (api.slack.com/apps > Create New App > From a manifest), install it';

/** Reads and parses the catalog file: JSON (what the Lambda bundle ships) or YAML. */
async function readCatalogFile(file: string): Promise<unknown> {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) return JSON.parse(text);
  // The YAML parser is loaded only here: the Lambda bundle ships the catalog as JSON and never pays for it.
  const { parseYaml } = await import('./yaml.js');
  return parseYaml(text);
}

/** Where the catalog file is: `FOXOPS_CONFIG`, else `foxops.json` beside the Lambda code, else `foxops.yml` in the working folder. */
export function catalogPathFrom(env: Env): string {
  if (env.FOXOPS_CONFIG) return path.resolve(env.FOXOPS_CONFIG);
  if (env.LAMBDA_TASK_ROOT) return path.join(env.LAMBDA_TASK_ROOT, 'foxops.json');
  return path.resolve('foxops.yml');
}

/**
 * Loads and validates the configuration from `env` (default `process.env`).
 * Throws {@link ConfigError} listing every problem with its key path and fix when the services file is bad,
 * or, with `strict` (Lambda), when a required secret is missing. Without `strict`, missing secrets land in `missing`.
 */
export async function loadConfig(env: Env = process.env, options: { strict?: boolean } = {}): Promise<FoxopsConfig> {
  const problems: ConfigProblem[] = [];
  const missing: ConfigProblem[] = [];
  const catalogPath = catalogPathFrom(env);
  let catalog: Catalog | undefined;
  if (!existsSync(catalogPath)) {
    problems.push({
      where: catalogPath,
      problem: 'the services and environments file does not exist',
      fix: 'create it (copy foxops.yml from the repository) or point FOXOPS_CONFIG at it',
    });
  } else if (statSync(catalogPath).isDirectory()) {
    problems.push({ where: catalogPath, problem: 'is a folder, not a file', fix: 'point FOXOPS_CONFIG at the services file itself, e.g. ./foxops.yml' });
  } else {
    let raw: unknown;
    try {
      raw = await readCatalogFile(catalogPath);
    } catch (err) {
      const message = (err as Error).message.split('\n')[0] ?? '';
      problems.push({
        where: catalogPath,
        problem: `cannot be parsed: ${message}`,
        fix: /line \d+/.test(message)
          ? 'fix the syntax at the line and column shown'
          : 'make it plain YAML (or JSON): no aliases that expand it, nothing but text',
      });
    }
    if (raw === null) {
      // An empty file, or one with only comments or `---`.
      problems.push({ where: catalogPath, problem: 'is empty', fix: 'add `services:` and `environments:` (foxops.yml in the repository is a full example)' });
    } else if (raw !== undefined) {
      if (isValidatedCatalogFile(raw)) {
        // Validated by `npm run build`: a cold start need not load the schema (see validated-catalog.ts).
        catalog = raw.catalog;
      } else {
        const { parseCatalog } = await import('./catalog-schema.js');
        const result = parseCatalog(raw, path.basename(catalogPath));
        if ('problems' in result) problems.push(...result.problems);
        else catalog = result.catalog;
      }
    }
  }

  const need = (name: string, fix: string) => {
    const value = env[name]?.trim();
    if (!value) missing.push({ where: `env: ${name}`, problem: 'is not set', fix });
    return value || undefined;
  };
  const optional = (name: string) => env[name]?.trim() || undefined;

  const botToken = need('SLACK_BOT_TOKEN', `${SLACK_HELP}, then copy OAuth & Permissions > Bot User OAuth Token (xoxb-…)`);
  const signingSecret = need('SLACK_SIGNING_SECRET', `${SLACK_HELP}, then copy Basic Information > App Credentials > Signing Secret`);
  if (botToken && !botToken.startsWith('xoxb-'))
    problems.push({ where: 'env: SLACK_BOT_TOKEN', problem: 'is not a bot token', fix: 'use the Bot User OAuth Token, which starts with xoxb-' });
  const appToken = optional('SLACK_APP_TOKEN');
  if (appToken && !appToken.startsWith('xapp-'))
    problems.push({
      where: 'env: SLACK_APP_TOKEN',
      problem: 'is not an app-level token',
      fix: 'use an app-level token with connections:write (Basic Information > App-Level Tokens), which starts with xapp-',
    });

  let auth: GitHubAuth | undefined;
  const token = optional('GITHUB_TOKEN');
  const appId = optional('GITHUB_APP_ID');
  if (token) auth = { kind: 'token', token };
  else if (appId) {
    const installationFix = 'the number at the end of the app installation URL (github.com/settings/installations/<id>)';
    const privateKey = need('GITHUB_PRIVATE_KEY', 'paste the GitHub App private key (PEM); newlines may be written as \\n');
    const installationId = need('GITHUB_INSTALLATION_ID', installationFix);
    // Checked now: a path or a URL here would only fail at the first GitHub call, in a job.
    if (!/^\d+$/.test(appId))
      problems.push({ where: 'env: GITHUB_APP_ID', problem: 'is not a number', fix: "the App ID on the GitHub App's settings page (General > About)" });
    if (privateKey && !/-----BEGIN [A-Z ]*KEY-----/.test(privateKey))
      problems.push({
        where: 'env: GITHUB_PRIVATE_KEY',
        problem: 'is not a PEM private key (a file path?)',
        fix: 'paste the contents of the .pem file, from -----BEGIN RSA PRIVATE KEY----- on; newlines may be written as \\n',
      });
    if (installationId && !/^\d+$/.test(installationId))
      problems.push({ where: 'env: GITHUB_INSTALLATION_ID', problem: 'is not a number (a URL?)', fix: installationFix });
    if (privateKey && installationId) auth = { kind: 'app', appId, privateKey: privateKey.replace(/\\n/g, '\n'), installationId };
  } else {
    missing.push({
      where: 'env: GITHUB_TOKEN',
      problem: 'no GitHub credentials are set',
      fix:
        'set GITHUB_TOKEN to a fine-grained token with Actions: read & write and Contents: read on the service repositories, ' +
        'or set GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID',
    });
  }

  const logLevel = (optional('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    problems.push({ where: 'env: LOG_LEVEL', problem: `\`${logLevel}\` is not a level`, fix: 'use debug, info, warn or error' });

  // URLs of the services foxops talks to: checked now, as a wrong one would only fail (or retry) at the first call.
  const httpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
  const slackApiUrl = optional('SLACK_API_URL');
  if (slackApiUrl && !(httpUrl(slackApiUrl) && slackApiUrl.endsWith('/api/')))
    problems.push({
      where: 'env: SLACK_API_URL',
      problem: httpUrl(slackApiUrl) ? 'does not end in /api/' : 'is not an http(s) URL',
      fix: "the Web API's base, including /api/: e.g. https://slack.com/api/",
    });
  const githubApiUrl = optional('GITHUB_API_URL');
  if (githubApiUrl && !httpUrl(githubApiUrl))
    problems.push({
      where: 'env: GITHUB_API_URL',
      problem: 'is not an http(s) URL',
      fix: 'the REST base with its scheme, e.g. https://github.example.com/api/v3',
    });
  const tableName = optional('FOXOPS_TABLE');
  if (tableName && !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName))
    problems.push({
      where: 'env: FOXOPS_TABLE',
      problem: 'is not a DynamoDB table name',
      fix: '3 to 255 letters, digits, `_`, `-` or `.`, e.g. foxops-production',
    });
  const issuerSet = optional('GITHUB_OIDC_ISSUER');
  if (issuerSet && !httpUrl(issuerSet))
    problems.push({
      where: 'env: GITHUB_OIDC_ISSUER',
      problem: 'is not an http(s) URL',
      fix: 'include the scheme: https://token.actions.githubusercontent.com (GHES: https://<host>/_services/token)',
    });
  const issuer = (issuerSet ?? GITHUB_OIDC_ISSUER).replace(/\/+$/, '');
  // The key set sits under the issuer on github.com and GHES; a separate URL is for tests and proxies.
  const oidc: OidcSettings = {
    issuer,
    jwksUrl: optional('GITHUB_OIDC_JWKS_URL') ?? `${issuer}/.well-known/jwks`,
    audience: optional('GITHUB_OIDC_AUDIENCE') ?? 'foxops',
  };
  // A key set derived from a bad issuer is the issuer's problem, said above.
  if (optional('GITHUB_OIDC_JWKS_URL') && !httpUrl(oidc.jwksUrl))
    problems.push({
      where: 'env: GITHUB_OIDC_JWKS_URL',
      problem: 'is not an http(s) URL',
      fix: 'set it to the key set of the issuer, e.g. <issuer>/.well-known/jwks',
    });

  if (options.strict) problems.push(...missing);
  if (problems.length || !catalog) throw new ConfigError(problems);
  return {
    catalog,
    catalogPath,
    slack: { botToken, signingSecret, appToken, botId: optional('SLACK_BOT_ID'), botUserId: optional('SLACK_BOT_USER_ID'), apiUrl: slackApiUrl },
    github: { auth, apiUrl: githubApiUrl, webhookSecret: optional('GITHUB_WEBHOOK_SECRET'), oidc },
    tableName: tableName ?? 'foxops',
    logLevel: logLevel as FoxopsConfig['logLevel'],
    missing: options.strict ? [] : missing,
  };
}
