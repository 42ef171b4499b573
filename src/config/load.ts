/**
 * `loadConfig(env)`: the one place that reads the environment and the services file.
 * Secrets come from environment variables (on Lambda, filled from SSM at cold start by `loadSsmSecrets`).
 */
import { readFileSync, existsSync } from 'node:fs';
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
  } else {
    let raw: unknown;
    try {
      raw = await readCatalogFile(catalogPath);
    } catch (err) {
      problems.push({
        where: catalogPath,
        problem: `cannot be parsed: ${(err as Error).message.split('\n')[0]}`,
        fix: 'fix the syntax at the line and column shown',
      });
    }
    if (raw !== undefined) {
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
    const privateKey = need('GITHUB_PRIVATE_KEY', 'paste the GitHub App private key (PEM); newlines may be written as \\n');
    const installationId = need('GITHUB_INSTALLATION_ID', 'the number at the end of the app installation URL (github.com/settings/installations/<id>)');
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

  const issuer = (optional('GITHUB_OIDC_ISSUER') ?? GITHUB_OIDC_ISSUER).replace(/\/+$/, '');
  // The key set sits under the issuer on github.com and GHES; a separate URL is for tests and proxies.
  const oidc: OidcSettings = {
    issuer,
    jwksUrl: optional('GITHUB_OIDC_JWKS_URL') ?? `${issuer}/.well-known/jwks`,
    audience: optional('GITHUB_OIDC_AUDIENCE') ?? 'foxops',
  };
  if (!URL.canParse(oidc.jwksUrl) || !/^https?:$/.test(new URL(oidc.jwksUrl).protocol))
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
    slack: { botToken, signingSecret, appToken, botId: optional('SLACK_BOT_ID'), botUserId: optional('SLACK_BOT_USER_ID'), apiUrl: optional('SLACK_API_URL') },
    github: { auth, apiUrl: optional('GITHUB_API_URL'), webhookSecret: optional('GITHUB_WEBHOOK_SECRET'), oidc },
    tableName: optional('FOXOPS_TABLE') ?? 'foxops',
    logLevel: logLevel as FoxopsConfig['logLevel'],
    missing: options.strict ? [] : missing,
  };
}
