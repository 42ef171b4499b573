/**
 * Loading `foxops.yml` and the environment: a good setup loads, a bad one stops the start with
 * every problem, its key path and its fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ConfigProblem, ConfigError, type Env, catalogPathFrom, formatProblems, loadConfig, parseCatalog } from '../../src/config/index.js';
import { parseCommand } from '../../src/domain/command.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../src/domain/catalog.js';
import { DEFAULT_EPISODE_SETTINGS, episodeSettingsOf } from '../../src/domain/alarm-episode.js';
import { validatedCatalogFile } from '../../src/config/validated-catalog.js';

const REPO_CONFIG = path.join(__dirname, '..', '..', 'foxops.yml');

/** Everything a Lambda needs besides the catalog. */
const SECRETS: Env = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'signing-secret',
  GITHUB_TOKEN: 'github_pat_abc',
};

const GOOD_YAML = `
services:
  foxy-backend:
    aliases: [backend]
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
environments:
  production:
    aliases: [prod]
    channels: [C0PROD]
    approvals: 1
    approvers: [U0ALICE]
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'foxops-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to a fresh file in the temp folder and returns its path. */
let fileCount = 0;
function writeConfig(text: string, ext = 'yml'): string {
  const file = path.join(dir, `foxops-${++fileCount}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** Runs loadConfig and returns the problems of the ConfigError it must throw. */
async function problemsOf(env: Env, options: { strict?: boolean } = {}): Promise<ConfigProblem[]> {
  try {
    await loadConfig(env, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

const problemAt = (problems: ConfigProblem[], where: string) => problems.find((p) => p.where === where);

describe('loadConfig: the repository foxops.yml', () => {
  it('loads with every service, environment and target', async () => {
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: REPO_CONFIG });

    // Assess
    expect(config.catalogPath).toBe(path.resolve(REPO_CONFIG));
    expect(config.catalog.defaultService).toBe('foxy-backend');
    expect(config.catalog.services).toEqual([
      {
        name: 'foxy-backend',
        aliases: ['backend', 'api'],
        repo: 'foxy-org/foxy-backend',
        workflow: 'deploy.yml',
        defaultRef: 'main',
        targets: {
          staging: { functionName: 'foxy-backend-staging', alias: 'live', stack: 'foxy-backend-staging', region: 'eu-west-1' },
          production: { functionName: 'foxy-backend-production', alias: 'live', stack: 'foxy-backend-production', region: 'eu-west-1' },
        },
        // Every target names a function: a rollback moves the alias back.
        rollback: 'alias',
      },
    ]);
    expect(config.catalog.environments.map((e) => [e.name, e.approvals])).toEqual([
      ['staging', 0],
      ['production', 2],
    ]);
    expect(config.catalog.environments[1]).toMatchObject({
      aliases: ['prod', 'prd'],
      channels: ['C0PROD'],
      approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'],
      requesters: 'any',
      requestTtlMs: 30 * 60_000,
      staleAfterMs: 3 * 60_000,
      runTimeoutMs: 60 * 60_000,
    });
    expect(config.missing).toEqual([]);
  });

  it('gives a catalog the command parser understands', async () => {
    // Prepare
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: REPO_CONFIG });

    // Act
    const command = parseCommand('prod api v1.2.3', config.catalog);

    // Assess
    expect(command).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'v1.2.3', refGiven: true });
  });

  it('passes the optional settings through and defaults the rest', async () => {
    // Act
    const config = await loadConfig({
      ...SECRETS,
      FOXOPS_CONFIG: REPO_CONFIG,
      SLACK_APP_TOKEN: 'xapp-1-abc',
      SLACK_BOT_ID: 'B0BOT',
      SLACK_BOT_USER_ID: 'U0BOT',
      GITHUB_WEBHOOK_SECRET: 'whsec',
      AWS_LAMBDA_FUNCTION_NAME: 'foxops-fn',
    });

    // Assess
    expect(config.slack).toMatchObject({
      botToken: 'xoxb-1-2-abc',
      signingSecret: 'signing-secret',
      appToken: 'xapp-1-abc',
      botId: 'B0BOT',
      botUserId: 'U0BOT',
    });
    expect(config.github).toMatchObject({ auth: { kind: 'token', token: 'github_pat_abc' }, webhookSecret: 'whsec' });
    expect(config.tableName).toBe('foxops');
    expect(config.logLevel).toBe('info');
  });
});

describe('catalogPathFrom', () => {
  it('resolves FOXOPS_CONFIG against the working folder', () => {
    // Act
    const file = catalogPathFrom({ FOXOPS_CONFIG: 'conf/foxops.yml' });

    // Assess
    expect(file).toBe(path.resolve('conf/foxops.yml'));
  });

  it('uses foxops.json beside the Lambda code', () => {
    // Act
    const file = catalogPathFrom({ LAMBDA_TASK_ROOT: '/var/task' });

    // Assess
    expect(file).toBe(path.join('/var/task', 'foxops.json'));
  });

  it('prefers FOXOPS_CONFIG over the Lambda folder', () => {
    // Act
    const file = catalogPathFrom({ FOXOPS_CONFIG: '/etc/foxops.yml', LAMBDA_TASK_ROOT: '/var/task' });

    // Assess
    expect(file).toBe('/etc/foxops.yml');
  });

  it('falls back to foxops.yml in the working folder', () => {
    // Act
    const file = catalogPathFrom({});

    // Assess
    expect(file).toBe(path.resolve('foxops.yml'));
  });
});

describe('loadConfig: a services file with schema errors', () => {
  const BAD = `
services:
  foxy-backend:
    repo: foxy-org/foxy-backend
    workflow: deploy.sh
    colour: red
environments:
  production:
    channels: ['#prod']
    approvals: -1
    request_ttl: soon
`;

  it('reports every problem at once, each with its key path and a fix', async () => {
    // Prepare
    const file = writeConfig(BAD);
    const name = path.basename(file);

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems.map((p) => p.where).sort()).toEqual(
      [
        `${name}: environments.production.approvals`,
        `${name}: environments.production.channels.0`,
        `${name}: environments.production.request_ttl`,
        `${name}: services.foxy-backend`,
        `${name}: services.foxy-backend.workflow`,
      ].sort(),
    );
    for (const p of problems) {
      expect(p.problem).not.toBe('');
      expect(p.fix).not.toBe('');
    }
  });

  it('explains a channel name given instead of a channel id', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const problem = problemAt(await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file }), `${path.basename(file)}: environments.production.channels.0`);

    // Assess
    expect(problem?.problem).toContain('not the #name');
    expect(problem?.fix).toContain('channels: [C0PROD]');
  });

  it('explains a negative number of approvals', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const problem = problemAt(await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file }), `${path.basename(file)}: environments.production.approvals`);

    // Assess
    expect(problem?.fix).toContain('from 0 to 10');
  });

  it('names an unknown key and says to remove it', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const problem = problemAt(await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file }), `${path.basename(file)}: services.foxy-backend`);

    // Assess
    expect(problem?.problem).toBe('unknown key(s) `colour`');
    expect(problem?.fix).toContain('remove or rename');
  });

  it('explains a workflow that is not a .yml file', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const problem = problemAt(await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file }), `${path.basename(file)}: services.foxy-backend.workflow`);

    // Assess
    expect(problem?.problem).toContain('like deploy.yml');
    expect(problem?.fix).toContain('`workflow: deploy.yml`');
  });

  it('explains a duration that is not one', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const problem = problemAt(await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file }), `${path.basename(file)}: environments.production.request_ttl`);

    // Assess
    expect(problem?.fix).toContain('`30m`');
  });

  it('puts every problem, with its fix, into the error message', async () => {
    // Prepare
    const file = writeConfig(BAD);

    // Act
    const error = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: file }).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('the configuration has 5 problem(s)');
    expect(message).toContain(`${path.basename(file)}: environments.production.approvals: `);
    expect(message.match(/\n {4}fix: /g)).toHaveLength(5);
  });

  it('reports an unknown top-level key at the top level', async () => {
    // Prepare
    const file = writeConfig(`${GOOD_YAML}\nextra: 1\n`);

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toEqual([{ where: `${path.basename(file)}: (top level)`, problem: 'unknown key(s) `extra`', fix: expect.stringContaining('remove') }]);
  });

  it('asks for at least one service and one environment', async () => {
    // Prepare
    const file = writeConfig('services: {}\nenvironments: {}\n');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems.map((p) => [p.where.split(': ')[1], p.problem])).toEqual([
      ['services', 'name at least one service'],
      ['environments', 'name at least one environment'],
    ]);
  });

  it('reports an empty file instead of crashing', async () => {
    // Prepare
    const file = writeConfig('');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ where: file, problem: 'is empty' });
  });
});

describe('loadConfig: a services file with errors across keys', () => {
  const CROSS = `
services:
  foxy-backend:
    aliases: [api]
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
    targets:
      prod-eu: { function: foxy-backend-eu }
environments:
  production:
    aliases: [api]
    channels: [C0PROD]
    approvals: 3
    approvers: [U0ALICE, U0BOB]
default_service: frontend
`;

  it('reports every problem with its key path and fix', async () => {
    // Prepare
    const file = writeConfig(CROSS);
    const name = path.basename(file);

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toEqual([
      {
        where: `${name}: environments.production.approvers`,
        problem: '3 approvals are needed but only 2 approver(s) are listed, so no request could ever be approved',
        fix: 'list at least 3 approvers, or a user group (S…), or lower `approvals`',
      },
      {
        where: `${name}: services.foxy-backend.aliases.0`,
        problem: '`api` already names environment production',
        fix: 'give every service, environment and alias a distinct word',
      },
      { where: `${name}: services.foxy-backend.targets.prod-eu`, problem: 'there is no environment `prod-eu`', fix: 'use one of: production' },
      { where: `${name}: default_service`, problem: 'there is no service `frontend`', fix: 'use one of: foxy-backend' },
    ]);
  });

  it('accepts more approvals than named approvers when a user group can supply them', async () => {
    // Prepare
    const file = writeConfig(GOOD_YAML.replace('approvals: 1', 'approvals: 3').replace('[U0ALICE]', '[U0ALICE, S0RELEASE]'));

    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(config.catalog.environments[0]!.approvals).toBe(3);
  });

  it('counts an approver listed twice once', async () => {
    // Prepare
    const file = writeConfig(GOOD_YAML.replace('approvals: 1', 'approvals: 2').replace('[U0ALICE]', '[U0ALICE, U0ALICE]'));

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.where).toBe(`${path.basename(file)}: environments.production.approvers`);
    expect(problems[0]!.problem).toContain('only 1 approver(s)');
  });

  it('refuses two services with the same alias', async () => {
    // Prepare
    const file = writeConfig(
      `${GOOD_YAML.replace(
        'environments:',
        `  foxy-frontend:
    aliases: [backend]
    repo: foxy-org/foxy-frontend
    workflow: deploy.yml
environments:`,
      )}`,
    );

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toEqual([
      expect.objectContaining({ where: `${path.basename(file)}: services.foxy-frontend.aliases.0`, problem: '`backend` already names service foxy-backend' }),
    ]);
  });

  it('refuses a service named like an environment alias', async () => {
    // Prepare
    const file = writeConfig(GOOD_YAML.replace('foxy-backend:', 'prod:'));

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toEqual([
      expect.objectContaining({ where: `${path.basename(file)}: services.prod`, problem: '`prod` already names environment production' }),
    ]);
  });
});

describe('loadConfig: unreadable or missing file', () => {
  it('names the line of a YAML syntax error', async () => {
    // Prepare
    const file = writeConfig('services:\n  foxy-backend: [\n  repo: x\n');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.where).toBe(file);
    expect(problems[0]!.problem).toMatch(/^cannot be parsed: .*line 3/);
    expect(problems[0]!.fix).toContain('line and column');
  });

  it('reports a JSON syntax error', async () => {
    // Prepare
    const file = writeConfig('{ "services": ', 'json');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.problem).toMatch(/^cannot be parsed: /);
  });

  it('says to create a missing file', async () => {
    // Prepare
    const file = path.join(dir, 'does-not-exist.yml');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems).toEqual([
      {
        where: file,
        problem: 'the services and environments file does not exist',
        fix: 'create it (copy foxops.yml from the repository) or point FOXOPS_CONFIG at it',
      },
    ]);
  });
});

describe('loadConfig: JSON catalog files', () => {
  it('reads a JSON catalog like the YAML one', async () => {
    // Prepare
    const file = writeConfig(JSON.stringify(parseYaml(GOOD_YAML)), 'json');

    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(config.catalog.services.map((s) => s.name)).toEqual(['foxy-backend']);
    expect(config.catalog.environments[0]).toMatchObject({ name: 'production', aliases: ['prod'], approvals: 1, approvers: ['U0ALICE'] });
  });

  it('reports problems in a JSON catalog with the file name and key path', async () => {
    // Prepare
    const raw = parseYaml(GOOD_YAML) as { environments: { production: { approvals: number } } };
    raw.environments.production.approvals = 11;
    const file = writeConfig(JSON.stringify(raw), 'json');

    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: file });

    // Assess
    expect(problems.map((p) => p.where)).toEqual([`${path.basename(file)}: environments.production.approvals`]);
  });
});

describe('loadConfig: secrets and credentials', () => {
  let good: string;
  beforeAll(() => {
    good = writeConfig(GOOD_YAML);
  });

  it('in strict mode, lists each missing secret with where to find it', async () => {
    // Act
    const problems = await problemsOf({ FOXOPS_CONFIG: good }, { strict: true });

    // Assess
    expect(problems.map((p) => p.where)).toEqual(['env: SLACK_BOT_TOKEN', 'env: SLACK_SIGNING_SECRET', 'env: GITHUB_TOKEN']);
    expect(problemAt(problems, 'env: SLACK_BOT_TOKEN')?.fix).toContain('Bot User OAuth Token (xoxb-…)');
    expect(problemAt(problems, 'env: SLACK_SIGNING_SECRET')?.fix).toContain('Signing Secret');
    expect(problemAt(problems, 'env: GITHUB_TOKEN')?.fix).toContain('GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID');
  });

  it('in strict mode, reports missing secrets together with catalog problems', async () => {
    // Prepare
    const bad = writeConfig(GOOD_YAML.replace('[C0PROD]', '["#prod"]'));

    // Act
    const problems = await problemsOf({ FOXOPS_CONFIG: bad }, { strict: true });

    // Assess
    expect(problems.map((p) => p.where)).toEqual([
      `${path.basename(bad)}: environments.production.channels.0`,
      'env: SLACK_BOT_TOKEN',
      'env: SLACK_SIGNING_SECRET',
      'env: GITHUB_TOKEN',
    ]);
  });

  it('without strict, loads and puts the missing secrets into `missing`', async () => {
    // Act
    const config = await loadConfig({ FOXOPS_CONFIG: good });

    // Assess
    expect(config.missing.map((p) => p.where)).toEqual(['env: SLACK_BOT_TOKEN', 'env: SLACK_SIGNING_SECRET', 'env: GITHUB_TOKEN']);
    expect(config.slack.botToken).toBeUndefined();
    expect(config.github.auth).toBeUndefined();
  });

  it('in strict mode with everything set, loads with nothing missing', async () => {
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: good }, { strict: true });

    // Assess
    expect(config.missing).toEqual([]);
  });

  it('treats a blank value as missing', async () => {
    // Act
    const config = await loadConfig({ ...SECRETS, SLACK_SIGNING_SECRET: '   ', FOXOPS_CONFIG: good });

    // Assess
    expect(config.missing.map((p) => p.where)).toEqual(['env: SLACK_SIGNING_SECRET']);
  });

  it('refuses a bot token that is not xoxb-, even without strict', async () => {
    // Act
    const problems = await problemsOf({ ...SECRETS, SLACK_BOT_TOKEN: 'xoxp-user-token', FOXOPS_CONFIG: good });

    // Assess
    expect(problems).toEqual([{ where: 'env: SLACK_BOT_TOKEN', problem: 'is not a bot token', fix: expect.stringContaining('starts with xoxb-') }]);
  });

  it('refuses an app token that is not xapp-', async () => {
    // Act
    const problems = await problemsOf({ ...SECRETS, SLACK_APP_TOKEN: 'xoxb-1-2-abc', FOXOPS_CONFIG: good });

    // Assess
    expect(problems).toEqual([{ where: 'env: SLACK_APP_TOKEN', problem: 'is not an app-level token', fix: expect.stringContaining('starts with xapp-') }]);
  });

  it('uses GitHub App credentials and restores newlines in the private key', async () => {
    // Prepare
    const { GITHUB_TOKEN: _token, ...slackOnly } = SECRETS;

    // Act
    const config = await loadConfig(
      {
        ...slackOnly,
        FOXOPS_CONFIG: good,
        GITHUB_APP_ID: '12345',
        GITHUB_PRIVATE_KEY: '-----BEGIN KEY-----\\nabc\\n-----END KEY-----',
        GITHUB_INSTALLATION_ID: '678',
      },
      { strict: true },
    );

    // Assess
    expect(config.github.auth).toEqual({ kind: 'app', appId: '12345', privateKey: '-----BEGIN KEY-----\nabc\n-----END KEY-----', installationId: '678' });
  });

  it('with only a GitHub App id, asks for the private key and installation id', async () => {
    // Prepare
    const { GITHUB_TOKEN: _token, ...slackOnly } = SECRETS;

    // Act
    const problems = await problemsOf({ ...slackOnly, FOXOPS_CONFIG: good, GITHUB_APP_ID: '12345' }, { strict: true });

    // Assess
    expect(problems.map((p) => p.where)).toEqual(['env: GITHUB_PRIVATE_KEY', 'env: GITHUB_INSTALLATION_ID']);
    expect(problems[1]!.fix).toContain('installations/<id>');
  });

  it('with only a GitHub App id and no strict, has no GitHub auth and lists what is missing', async () => {
    // Prepare
    const { GITHUB_TOKEN: _token, ...slackOnly } = SECRETS;

    // Act
    const config = await loadConfig({ ...slackOnly, FOXOPS_CONFIG: good, GITHUB_APP_ID: '12345', GITHUB_INSTALLATION_ID: '678' });

    // Assess
    expect(config.github.auth).toBeUndefined();
    expect(config.missing.map((p) => p.where)).toEqual(['env: GITHUB_PRIVATE_KEY']);
  });

  it('prefers GITHUB_TOKEN over GitHub App settings', async () => {
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: good, GITHUB_APP_ID: '12345' });

    // Assess
    expect(config.github.auth).toEqual({ kind: 'token', token: 'github_pat_abc' });
  });
});

describe('loadConfig: LOG_LEVEL and other settings', () => {
  let good: string;
  beforeAll(() => {
    good = writeConfig(GOOD_YAML);
  });

  it.each([
    ['debug', 'debug'],
    ['WARN', 'warn'],
    [' error ', 'error'],
  ])('reads LOG_LEVEL %p as %p', async (value, level) => {
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: good, LOG_LEVEL: value });

    // Assess
    expect(config.logLevel).toBe(level);
  });

  it('refuses an unknown LOG_LEVEL and lists the levels', async () => {
    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: good, LOG_LEVEL: 'verbose' });

    // Assess
    expect(problems).toEqual([{ where: 'env: LOG_LEVEL', problem: '`verbose` is not a level', fix: 'use debug, info, warn or error' }]);
  });

  it('reads the table name', async () => {
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: good, FOXOPS_TABLE: 'foxops-test' });

    // Assess
    expect(config.tableName).toBe('foxops-test');
  });
});

describe('parseCatalog', () => {
  it('fills in the defaults', () => {
    // Prepare
    const raw = parseYaml(GOOD_YAML);

    // Act
    const result = parseCatalog(raw, 'foxops.yml');

    // Assess
    if (!('catalog' in result)) throw new Error(formatProblems(result.problems));
    expect(result.catalog.services[0]).toMatchObject({ defaultRef: 'main', targets: {} });
    expect(result.catalog.environments[0]).toMatchObject({ requesters: 'any', requestTtlMs: 30 * 60_000, staleAfterMs: 3 * 60_000, runTimeoutMs: 60 * 60_000 });
    expect('defaultService' in result.catalog).toBe(false);
  });

  it('accepts a numeric workflow id and keeps it as a string', () => {
    // Prepare
    const raw = parseYaml(GOOD_YAML.replace('workflow: deploy.yml', 'workflow: 161335'));

    // Act
    const result = parseCatalog(raw, 'foxops.yml');

    // Assess
    expect('catalog' in result && result.catalog.services[0]!.workflow).toBe('161335');
  });

  it('prefixes each key path with the source name', () => {
    // Prepare
    const raw = parseYaml(GOOD_YAML.replace('repo: foxy-org/foxy-backend', 'repo: foxy-backend'));

    // Act
    const result = parseCatalog(raw, 'custom.yml');

    // Assess
    expect('problems' in result && result.problems).toEqual([
      {
        where: 'custom.yml: services.foxy-backend.repo',
        problem: 'expected owner/name of a GitHub repository',
        fix: 'the GitHub repository as owner/name, e.g. `repo: foxy-org/foxy-backend`',
      },
    ]);
  });

  it.each([
    ['an upper-case service name', (y: string) => y.replace('foxy-backend:', 'Foxy-Backend:'), 'services.Foxy-Backend'],
    ['a bad approver id', (y: string) => y.replace('[U0ALICE]', '[alice]'), 'environments.production.approvers.0'],
    [
      'a bad region',
      (y: string) => y.replace('workflow: deploy.yml', 'workflow: deploy.yml\n    targets:\n      production: { region: europe }'),
      'services.foxy-backend.targets.production.region',
    ],
    ['a fractional approvals', (y: string) => y.replace('approvals: 1', 'approvals: 1.5'), 'environments.production.approvals'],
    ['too many approvals', (y: string) => y.replace('approvals: 1', 'approvals: 11'), 'environments.production.approvals'],
    [
      'an empty requester list',
      (y: string) => y.replace('approvers: [U0ALICE]', 'approvers: [U0ALICE]\n    requesters: []'),
      'environments.production.requesters',
    ],
  ])('reports %s at its key path', (_why, edit, keyPath) => {
    // Prepare
    const raw = parseYaml(edit(GOOD_YAML));

    // Act
    const result = parseCatalog(raw, 'f.yml');

    // Assess
    const wheres = 'problems' in result ? result.problems.map((p) => p.where) : [];
    expect(wheres).toContain(`f.yml: ${keyPath}`);
  });
});

describe('parseCatalog: rollback settings', () => {
  const withTargets = (targets: string, extra = '') => GOOD_YAML.replace('workflow: deploy.yml', `workflow: deploy.yml\n    targets:\n${targets}${extra}`);
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const catalogOf = (yaml: string) => {
    const result = parse(yaml);
    if ('problems' in result) throw new Error(formatProblems(result.problems));
    return result.catalog;
  };
  const problemsAt = (yaml: string, where: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems.filter((p) => p.where === `f.yml: ${where}`) : [];
  };

  it('defaults rollback_approvals to 1, and to 0 where deploys need no approval', () => {
    // Prepare
    const yaml = `${GOOD_YAML}  staging:\n    channels: [C0STAGING]\n    approvals: 0\n`;

    // Act
    const catalog = catalogOf(yaml);

    // Assess
    expect(catalog.environments.map((e) => [e.name, e.rollbackApprovals])).toEqual([
      ['production', 1],
      ['staging', 0],
    ]);
  });

  it('reads rollback_approvals', () => {
    // Act
    const catalog = catalogOf(GOOD_YAML.replace('approvers: [U0ALICE]', 'approvers: [U0ALICE]\n    rollback_approvals: 0'));

    // Assess
    expect(catalog.environments[0]!.rollbackApprovals).toBe(0);
  });

  it.each([
    ['every target names a function', '      production: { function: fb-prod }\n', 'alias'],
    ['a target names no function', '      production: { stack: fb-prod }\n', 'redeploy'],
  ])('defaults `rollback` to the mode the targets allow: %s', (_why, targets, mode) => {
    // Act
    const catalog = catalogOf(withTargets(targets));

    // Assess
    expect(catalog.services[0]!.rollback).toBe(mode);
  });

  it('defaults `rollback` to redeploy for a service without targets, and reads an explicit one', () => {
    // Act
    const none = catalogOf(GOOD_YAML);
    const explicit = catalogOf(withTargets('      production: { function: fb-prod }\n', '    rollback: redeploy\n'));

    // Assess
    expect(none.services[0]!.rollback).toBe('redeploy');
    expect(explicit.services[0]!.rollback).toBe('redeploy');
  });

  it('refuses `rollback: alias` where a target names no function, naming the target and the fix', () => {
    // Act
    const problems = problemsAt(withTargets('      production: { stack: fb-prod }\n', '    rollback: alias\n'), 'services.foxy-backend.rollback');

    // Assess
    expect(problems).toEqual([
      {
        where: 'f.yml: services.foxy-backend.rollback',
        problem: "`alias` moves each target's Lambda alias, but targets.production name(s) no `function`",
        fix: 'add `function: <name>` (and `alias:` unless it is `live`) to targets.production, or set `rollback: redeploy`',
      },
    ]);
  });

  it('refuses `rollback: alias` for a service without targets', () => {
    // Act
    const problems = problemsAt(GOOD_YAML.replace('workflow: deploy.yml', 'workflow: deploy.yml\n    rollback: alias'), 'services.foxy-backend.rollback');

    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        problem: "`alias` moves each target's Lambda alias, but the service has no `targets`",
        fix: expect.stringContaining('`rollback: redeploy`'),
      }),
    ]);
  });

  it.each([
    [
      'an unknown rollback mode',
      (y: string) => y.replace('workflow: deploy.yml', 'workflow: deploy.yml\n    rollback: revert'),
      'services.foxy-backend.rollback',
      /`rollback: alias`.*or `rollback: redeploy`/,
    ],
    [
      'too many rollback approvals',
      (y: string) => y.replace('approvers: [U0ALICE]', 'approvers: [U0ALICE]\n    rollback_approvals: 11'),
      'environments.production.rollback_approvals',
      /from 0 to 10, e\.g\. `rollback_approvals: 1`/,
    ],
    [
      'fractional rollback approvals',
      (y: string) => y.replace('approvers: [U0ALICE]', 'approvers: [U0ALICE]\n    rollback_approvals: 0.5'),
      'environments.production.rollback_approvals',
      /`rollback_approvals: 1`/,
    ],
    [
      'more rollback approvals than approvers',
      (y: string) => y.replace('approvers: [U0ALICE]', 'approvers: [U0ALICE]\n    rollback_approvals: 2'),
      'environments.production.rollback_approvals',
      /list at least 2 approvers, or a user group \(S…\), or lower `rollback_approvals`/,
    ],
  ])('reports %s at its key path with the fix', (_why, edit, keyPath, fix) => {
    // Act
    const problems = problemsAt(edit(GOOD_YAML), keyPath);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.fix).toMatch(fix);
  });
});

describe('parseCatalog: promotion settings', () => {
  const STAGING = '  staging:\n    channels: [C0STAGING]\n    approvals: 0\n';
  const withProduction = (lines: string, extra = STAGING) => `${GOOD_YAML.replace('approvers: [U0ALICE]', `approvers: [U0ALICE]\n${lines}`)}${extra}`;
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const catalogOf = (yaml: string) => {
    const result = parse(yaml);
    if ('problems' in result) throw new Error(formatProblems(result.problems));
    return result.catalog;
  };
  const problemsAt = (yaml: string, where: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems.filter((p) => p.where === `f.yml: ${where}`) : [];
  };

  it('defaults to no promotion: no promote_from, promote_after 0, require_promotion false, no alarms', () => {
    // Act
    const catalog = catalogOf(GOOD_YAML);

    // Assess
    expect(catalog.environments[0]).toMatchObject({ promoteAfterMs: 0, requirePromotion: false });
    expect(catalog.environments[0]!.promoteFrom).toBeUndefined();
  });

  it('reads promote_from, promote_after, require_promotion and a target’s alarms', () => {
    // Prepare
    const yaml = withProduction('    promote_from: staging\n    promote_after: 15m\n    require_promotion: true').replace(
      'workflow: deploy.yml',
      'workflow: deploy.yml\n    targets:\n      staging: { function: fb-stg, alarms: [fb-stg-errors, fb-stg-*] }',
    );

    // Act
    const catalog = catalogOf(yaml);

    // Assess
    expect(catalog.environments[0]).toMatchObject({ name: 'production', promoteFrom: 'staging', promoteAfterMs: 15 * 60_000, requirePromotion: true });
    expect(catalog.services[0]!.targets.staging).toMatchObject({ functionName: 'fb-stg', alarms: ['fb-stg-errors', 'fb-stg-*'] });
  });

  it('accepts promote_after: 0s', () => {
    // Act
    const catalog = catalogOf(withProduction('    promote_from: staging\n    promote_after: 0s'));

    // Assess
    expect(catalog.environments[0]!.promoteAfterMs).toBe(0);
  });

  it.each([
    [
      'promote_from naming no environment',
      withProduction('    promote_from: stagign'),
      'environments.production.promote_from',
      { problem: 'there is no environment `stagign`', fix: 'use one of: staging' },
    ],
    [
      'promote_from naming itself',
      withProduction('    promote_from: production'),
      'environments.production.promote_from',
      { problem: 'an environment cannot promote from itself', fix: 'name another environment' },
    ],
    [
      'require_promotion on a promote_from circle',
      withProduction(
        '    promote_from: staging\n    require_promotion: true',
        '  staging:\n    channels: [C0STAGING]\n    approvals: 0\n    promote_from: production\n',
      ),
      'environments.production.require_promotion',
      {
        problem:
          '`promote_from` goes round in a circle (production → staging → production), so with `require_promotion: true` nothing could ever be deployed here',
        fix: 'break the circle: one of them promotes from none (remove its `promote_from`), or set `require_promotion: false` on environments.production',
      },
    ],
    [
      'require_promotion without promote_from',
      withProduction('    require_promotion: true'),
      'environments.production.require_promotion',
      {
        problem: '`require_promotion: true` needs an environment to promote from, but `promote_from` is not set',
        fix: 'add `promote_from: <environment>` to environments.production, or set `require_promotion: false`',
      },
    ],
  ])('refuses %s, naming the key and the fix', (_why, yaml, where, expected) => {
    // Act
    const problems = problemsAt(yaml, where);

    // Assess
    expect(problems).toEqual([{ where: `f.yml: ${where}`, ...expected }]);
  });

  it.each([
    [
      'a promote_after that is no duration',
      withProduction('    promote_from: staging\n    promote_after: soon'),
      'environments.production.promote_after',
      /`promote_after: 15m`/,
    ],
    [
      'a require_promotion that is no boolean',
      withProduction('    promote_from: staging\n    require_promotion: yes'),
      'environments.production.require_promotion',
      /`require_promotion: true`/,
    ],
    [
      'an alarm pattern with a * inside',
      GOOD_YAML.replace('workflow: deploy.yml', 'workflow: deploy.yml\n    targets:\n      production: { alarms: ["fb-*-errors"] }'),
      'services.foxy-backend.targets.production.alarms.0',
      /alarm names or prefixes ending in \*/,
    ],
    [
      'an empty alarm list',
      GOOD_YAML.replace('workflow: deploy.yml', 'workflow: deploy.yml\n    targets:\n      production: { alarms: [] }'),
      'services.foxy-backend.targets.production.alarms',
      /alarm names or prefixes ending in \*/,
    ],
  ])('reports %s at its key path with the fix', (_why, yaml, where, fix) => {
    // Act
    const problems = problemsAt(yaml, where);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.fix).toMatch(fix);
  });
});

describe('parseCatalog: freezes, break-glass and audit settings', () => {
  /** GOOD_YAML with `lines` added to environments.production and `top` at the top level. */
  const withProduction = (lines: string, top = '') => `${GOOD_YAML.replace('approvers: [U0ALICE]', `approvers: [U0ALICE]\n${lines}`)}${top}`;
  /** A production environment with freezes `entries` (YAML list items) and enough break-glass approvers. */
  const withFreezes = (entries: string, extra = '') => withProduction(`    break_glass_approvers: [U0ALICE, U0BOB]\n    freezes:\n${entries}${extra}`);
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const catalogOf = (yaml: string) => {
    const result = parse(yaml);
    if ('problems' in result) throw new Error(formatProblems(result.problems));
    return result.catalog;
  };
  const problemsAt = (yaml: string, where: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems.filter((p) => p.where === `f.yml: ${where}`) : [];
  };

  it('defaults to UTC, no freezes, rollbacks allowed, no break-glass approvers, auditors or audit channel, and 400 days of audit', () => {
    // Act
    const catalog = catalogOf(GOOD_YAML);

    // Assess
    expect(catalog.environments[0]).toMatchObject({ timeZone: 'UTC', freezes: [], rollbacksInFreeze: 'allow', breakGlassApprovers: [], auditors: [] });
    expect('auditChannel' in catalog.environments[0]!).toBe(false);
    expect(catalog.auditRetentionDays).toBe(400);
    expect(DEFAULT_AUDIT_RETENTION_DAYS).toBe(400);
  });

  it('reads every key', () => {
    // Prepare
    const yaml = withProduction(
      [
        '    time_zone: Europe/Berlin',
        '    rollbacks_in_freeze: break_glass',
        '    break_glass_approvers: [U0ALICE, S0RELEASE]',
        '    audit_channel: G0AUDIT',
        '    auditors: [U0CAROL, S0AUDIT]',
        '',
      ].join('\n'),
      'audit_retention_days: 30\n',
    );

    // Act
    const catalog = catalogOf(yaml);

    // Assess
    expect(catalog.environments[0]).toMatchObject({
      timeZone: 'Europe/Berlin',
      rollbacksInFreeze: 'break_glass',
      breakGlassApprovers: ['U0ALICE', 'S0RELEASE'],
      auditChannel: 'G0AUDIT',
      auditors: ['U0CAROL', 'S0AUDIT'],
    });
    expect(catalog.auditRetentionDays).toBe(30);
  });

  it('reads weekly freezes with 3-letter or full weekday names in any case, in the environment’s zone', () => {
    // Prepare
    const yaml = withFreezes(
      '      - { from: Fri 15:00, to: Mon 08:00, reason: weekend }\n      - { from: WEDNESDAY 9:30, to: wed 23:59, reason: standup, time_zone: America/New_York }\n',
      '    time_zone: Europe/Berlin\n',
    );

    // Act
    const catalog = catalogOf(yaml);

    // Assess
    expect(catalog.environments[0]!.freezes).toEqual([
      {
        kind: 'weekly',
        from: { weekday: 5, hour: 15, minute: 0 },
        to: { weekday: 1, hour: 8, minute: 0 },
        timeZone: 'Europe/Berlin',
        reason: 'weekend',
      },
      {
        kind: 'weekly',
        from: { weekday: 3, hour: 9, minute: 30 },
        to: { weekday: 3, hour: 23, minute: 59 },
        timeZone: 'America/New_York',
        reason: 'standup',
      },
    ]);
  });

  it('reads one-off freezes as local date-times; a date-only `to` runs to the end of that day', () => {
    // Prepare: bare dates need no quotes
    const yaml = withFreezes(
      [
        '      - { from: 2026-12-23, to: 2027-01-04, reason: year end }',
        '      - { from: 2026-12-31 18:00, to: 2026-12-31T23:30, reason: new year }',
        '      - { from: "2026-02-28T22:00", to: 2026-02-28, reason: leap }',
        '',
      ].join('\n'),
    );

    // Act
    const catalog = catalogOf(yaml);

    // Assess
    expect(catalog.environments[0]!.freezes).toEqual([
      { kind: 'once', from: '2026-12-23T00:00', to: '2027-01-05T00:00', timeZone: 'UTC', reason: 'year end' },
      { kind: 'once', from: '2026-12-31T18:00', to: '2026-12-31T23:30', timeZone: 'UTC', reason: 'new year' },
      { kind: 'once', from: '2026-02-28T22:00', to: '2026-03-01T00:00', timeZone: 'UTC', reason: 'leap' },
    ]);
  });

  it('takes a bare date that the YAML 1.1 schema parses to a Date, and refuses a Date with a time', () => {
    // Prepare
    const yaml = withFreezes('      - { from: 2026-12-23, to: 2026-12-24, reason: party }\n      - { from: 2026-12-30, to: 2026-12-31, reason: eve }\n');
    const raw = parseYaml(`%YAML 1.1\n---\n${yaml}`) as { environments: { production: { freezes: Array<{ from: unknown; to: unknown }> } } };
    const freezes = raw.environments.production.freezes;
    freezes[1]!.to = new Date('2026-12-31T12:00:00Z');

    // Act
    const result = parseCatalog(raw, 'f.yml');

    // Assess
    expect(freezes[0]!.from).toBeInstanceOf(Date);
    expect('problems' in result && result.problems.map((p) => p.where)).toEqual(['f.yml: environments.production.freezes.1.to']);
    freezes[1]!.to = new Date('2026-12-31T00:00:00Z');
    const fixed = parseCatalog(raw, 'f.yml');
    expect('catalog' in fixed && fixed.catalog.environments[0]!.freezes![0]).toEqual({
      kind: 'once',
      from: '2026-12-23T00:00',
      to: '2026-12-25T00:00',
      timeZone: 'UTC',
      reason: 'party',
    });
  });

  it.each([
    ['an unknown time zone', withProduction('    time_zone: Mars/Olympus\n'), 'environments.production.time_zone', /IANA time zone such as `Europe\/Berlin`/],
    ['an offset for a time zone', withProduction('    time_zone: "+01:00"\n'), 'environments.production.time_zone', /IANA time zone/],
    [
      'an unknown time zone of a freeze',
      withFreezes('      - { from: Fri 15:00, to: Mon 08:00, reason: weekend, time_zone: CEST+1 }\n'),
      'environments.production.freezes.0.time_zone',
      /IANA time zone/,
    ],
    [
      'an hour past 23',
      withFreezes('      - { from: Fri 24:00, to: Mon 08:00, reason: weekend }\n'),
      'environments.production.freezes.0.from',
      /`from: Fri 15:00`/,
    ],
    [
      'a weekday without a time',
      withFreezes('      - { from: Friday, to: Mon 08:00, reason: weekend }\n'),
      'environments.production.freezes.0.from',
      /`to: Mon 08:00`/,
    ],
    [
      'a misspelt weekday',
      withFreezes('      - { from: Fri 15:00, to: Mo 08:00, reason: weekend }\n'),
      'environments.production.freezes.0.to',
      /weekly freeze/,
    ],
    ['a 12-hour time', withFreezes('      - { from: Fri 3:00pm, to: Mon 08:00, reason: weekend }\n'), 'environments.production.freezes.0.from', /24h time/],
    [
      'a date that does not exist',
      withFreezes('      - { from: 2026-02-29, to: 2026-03-02, reason: x }\n'),
      'environments.production.freezes.0.from',
      /`from: 2026-12-23`/,
    ],
    ['a date in another format', withFreezes('      - { from: 23.12.2026, to: 2027-01-04, reason: x }\n'), 'environments.production.freezes.0.from', /one-off/],
    ['a number for a time', withFreezes('      - { from: 1500, to: Mon 08:00, reason: x }\n'), 'environments.production.freezes.0.from', /weekly freeze/],
    ['a missing `to`', withFreezes('      - { from: Fri 15:00, reason: weekend }\n'), 'environments.production.freezes.0.to', /`to: Mon 08:00`/],
    ['a missing reason', withFreezes('      - { from: Fri 15:00, to: Mon 08:00 }\n'), 'environments.production.freezes.0.reason', /`reason: year-end freeze`/],
    [
      'a blank reason',
      withFreezes('      - { from: Fri 15:00, to: Mon 08:00, reason: " " }\n'),
      'environments.production.freezes.0.reason',
      /up to 300 characters/,
    ],
    [
      'a reason over 300 characters',
      withFreezes(`      - { from: Fri 15:00, to: Mon 08:00, reason: ${'x'.repeat(301)} }\n`),
      'environments.production.freezes.0.reason',
      /up to 300 characters/,
    ],
    ['freezes that are no list', withProduction('    freezes: weekends\n'), 'environments.production.freezes', /`freezes: \[\{ from: Fri 15:00/],
    ['an unknown rollbacks_in_freeze', withProduction('    rollbacks_in_freeze: never\n'), 'environments.production.rollbacks_in_freeze', /`break_glass`/],
    [
      'a bad break-glass approver id',
      withProduction('    break_glass_approvers: [alice]\n'),
      'environments.production.break_glass_approvers.0',
      /`break_glass_approvers: \[U0ALICE, U0BOB\]`/,
    ],
    ['an audit channel name', withProduction('    audit_channel: "#audit"\n'), 'environments.production.audit_channel', /`audit_channel: C0AUDIT`/],
    ['a direct message as audit channel', withProduction('    audit_channel: D0DM\n'), 'environments.production.audit_channel', /`audit_channel: C0AUDIT`/],
    ['a bad auditor id', withProduction('    auditors: [carol]\n'), 'environments.production.auditors.0', /`auditors: \[U0CAROL\]`/],
    ['no days of audit', withProduction('', 'audit_retention_days: 0\n'), 'audit_retention_days', /from 1 to 3650, e\.g\. `audit_retention_days: 400`/],
    ['too many days of audit', withProduction('', 'audit_retention_days: 3651\n'), 'audit_retention_days', /from 1 to 3650/],
    ['fractional days of audit', withProduction('', 'audit_retention_days: 1.5\n'), 'audit_retention_days', /from 1 to 3650/],
  ])('reports %s at its key path with the fix', (_why, yaml, where, fix) => {
    // Act
    const problems = problemsAt(yaml, where);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.fix).toMatch(fix);
  });

  it('names an unknown key of a freeze', () => {
    // Act
    const problems = problemsAt(
      withFreezes('      - { from: Fri 15:00, to: Mon 08:00, reason: weekend, until: Tue 08:00 }\n'),
      'environments.production.freezes.0',
    );

    // Assess
    expect(problems).toEqual([expect.objectContaining({ problem: 'unknown key(s) `until`' })]);
  });

  it.each([
    [
      'a weekly freeze that ends when it starts',
      '      - { from: Fri 15:00, to: friday 15:00, reason: weekend }\n',
      'environments.production.freezes.0.to',
      '`to` is the same time of the week as `from`, so the freeze would have no length',
      'end it at another time, e.g. `from: Fri 15:00`, `to: Mon 08:00`',
    ],
    [
      'a one-off freeze that ends before it starts',
      '      - { from: 2026-12-23, to: 2026-12-20, reason: year end }\n',
      'environments.production.freezes.0.to',
      '`to` (2026-12-20) is not after `from` (2026-12-23)',
      'put `to` after `from`; a date-only `to` includes that whole day, so `from: 2026-12-23`, `to: 2026-12-23` freezes that one day',
    ],
    [
      'a one-off freeze that ends when it starts',
      '      - { from: 2026-12-23 18:00, to: 2026-12-23T18:00, reason: x }\n',
      'environments.production.freezes.0.to',
      '`to` (2026-12-23T18:00) is not after `from` (2026-12-23 18:00)',
      expect.stringContaining('put `to` after `from`'),
    ],
    [
      'a freeze from a weekday to a date',
      '      - { from: Fri 15:00, to: 2026-12-24, reason: x }\n',
      'environments.production.freezes.0',
      'one of `from` and `to` is a weekday and time, the other a date: a freeze is either weekly or one-off',
      'write both as weekdays with times (`from: Fri 15:00`, `to: Mon 08:00`) or both as dates (`from: 2026-12-23`, `to: 2027-01-04`)',
    ],
  ])('refuses %s, naming the key and the fix', (_why, entries, where, problem, fix) => {
    // Act
    const problems = problemsAt(withFreezes(entries), where);

    // Assess
    expect(problems).toEqual([{ where: `f.yml: ${where}`, problem, fix }]);
  });

  it('accepts a one-off freeze of one whole day, given as the same date twice', () => {
    // Act
    const catalog = catalogOf(withFreezes('      - { from: 2026-12-24, to: 2026-12-24, reason: christmas eve }\n'));

    // Assess
    expect(catalog.environments[0]!.freezes).toEqual([
      { kind: 'once', from: '2026-12-24T00:00', to: '2026-12-25T00:00', timeZone: 'UTC', reason: 'christmas eve' },
    ]);
  });

  describe('break-glass approvers when there are freezes', () => {
    const FREEZE = '    freezes:\n      - { from: Fri 15:00, to: Mon 08:00, reason: weekend }\n';

    it.each([
      ['none', ''],
      ['one', '    break_glass_approvers: [U0ALICE]\n'],
      ['one, listed twice', '    break_glass_approvers: [U0ALICE, U0ALICE]\n'],
    ])('refuses %s: no emergency deploy could be approved', (_count, lines) => {
      // Act
      const result = parse(withProduction(`${lines}${FREEZE}`));

      // Assess
      const users = lines.includes('U0ALICE') ? 1 : 0;
      expect('problems' in result && result.problems).toEqual([
        {
          where: 'f.yml: environments.production.break_glass_approvers',
          problem:
            `freezes are set, and a break-glass deploy needs two different approvers besides the requester, but only ${users} ` +
            'approver(s) are listed, so no emergency deploy during a freeze could ever be approved',
          fix: 'list at least two user ids or a user group (S…), e.g. `break_glass_approvers: [U0ALICE, U0BOB]`',
        },
      ]);
    });

    it.each([
      ['two users', '    break_glass_approvers: [U0ALICE, W0BOB]\n'],
      ['a user group', '    break_glass_approvers: [S0RELEASE]\n'],
    ])('accepts %s', (_who, lines) => {
      // Act
      const catalog = catalogOf(withProduction(`${lines}${FREEZE}`));

      // Assess
      expect(catalog.environments[0]!.freezes).toHaveLength(1);
    });

    it('asks for none without freezes', () => {
      // Act
      const catalog = catalogOf(withProduction('    freezes: []\n'));

      // Assess
      expect(catalog.environments[0]!.breakGlassApprovers).toEqual([]);
    });
  });
});

describe('parseCatalog: bake and auto_rollback', () => {
  const withProduction = (lines: string) => GOOD_YAML.replace('approvers: [U0ALICE]', `approvers: [U0ALICE]\n${lines}`);
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const catalogOf = (yaml: string) => {
    const result = parse(yaml);
    if ('problems' in result) throw new Error(formatProblems(result.problems));
    return result.catalog;
  };
  const problemsOfYaml = (yaml: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems : [];
  };

  it('defaults to no bake window and no auto-rollback', () => {
    // Act
    const env = catalogOf(GOOD_YAML).environments[0]!;

    // Assess
    expect(env.bakeMs).toBeUndefined();
    expect(env.autoRollback).toBeUndefined();
  });

  it('reads `bake` as a duration and `auto_rollback`', () => {
    // Act
    const env = catalogOf(withProduction('    bake: 30m\n    auto_rollback: true\n')).environments[0]!;

    // Assess
    expect(env).toMatchObject({ bakeMs: 30 * 60_000, autoRollback: true });
  });

  it('refuses `auto_rollback: true` without `bake`, naming both ways out', () => {
    // Act
    const problems = problemsOfYaml(withProduction('    auto_rollback: true\n'));

    // Assess
    expect(problems).toEqual([
      {
        where: 'f.yml: environments.production.auto_rollback',
        problem: '`auto_rollback: true` acts on alarms during the bake window, but `bake` is not set',
        fix: 'add `bake: <duration>` (e.g. `bake: 30m`) to environments.production, or set `auto_rollback: false`',
      },
    ]);
  });

  it.each([
    ['a bake that is no duration', '    bake: soon\n', 'environments.production.bake', /e\.g\. `bake: 30m`/],
    ['an auto_rollback that is no boolean', '    bake: 30m\n    auto_rollback: yes please\n', 'environments.production.auto_rollback', /`auto_rollback: true`/],
  ])('reports %s at its key path with the fix', (_why, lines, keyPath, fix) => {
    // Act
    const problems = problemsOfYaml(withProduction(lines));

    // Assess
    expect(problems).toEqual([expect.objectContaining({ where: `f.yml: ${keyPath}`, fix: expect.stringMatching(fix) })]);
  });
});

describe('parseCatalog: alarm episodes (flapping, storm, new_message_after)', () => {
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const catalogOf = (yaml: string) => {
    const result = parse(yaml);
    if ('problems' in result) throw new Error(formatProblems(result.problems));
    return result.catalog;
  };
  const problemsOfYaml = (yaml: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems : [];
  };

  it('leaves them out when foxops.yml says nothing, so the defaults of src/domain/alarm-episode.ts apply', () => {
    // Act
    const catalog = catalogOf(GOOD_YAML);

    // Assess
    expect(episodeSettingsOf(catalog)).toEqual(DEFAULT_EPISODE_SETTINGS);
    expect(DEFAULT_EPISODE_SETTINGS).toEqual({
      flapping: { changes: 5, withinMs: 10 * 60_000 },
      storm: { alarms: 10, withinMs: 60_000 },
      newMessageAfterMs: 30 * 60_000,
    });
  });

  it('reads flapping, storm and new_message_after next to the other alarms keys', () => {
    // Act
    const catalog = catalogOf(
      `${GOOD_YAML}alarms:\n  window: 30m\n  flapping: { changes: 3, within: 5m }\n  storm: { alarms: 20, within: 2m }\n  new_message_after: 1h\n`,
    );

    // Assess
    expect(catalog.alarms).toEqual({
      windowMs: 30 * 60_000,
      flapping: { changes: 3, withinMs: 5 * 60_000 },
      storm: { alarms: 20, withinMs: 2 * 60_000 },
      newMessageAfterMs: 60 * 60_000,
    });
  });

  it('defaults each key it is not given inside flapping and storm', () => {
    // Act
    const catalog = catalogOf(`${GOOD_YAML}alarms:\n  flapping: { within: 15m }\n  storm: { alarms: 4 }\n`);

    // Assess
    expect(episodeSettingsOf(catalog)).toEqual({
      flapping: { changes: 5, withinMs: 15 * 60_000 },
      storm: { alarms: 4, withinMs: 60_000 },
      newMessageAfterMs: 30 * 60_000,
    });
  });

  it.each([
    [
      'a flapping count that is no whole number',
      '  flapping: { changes: 2.5 }\n',
      'alarms.flapping.changes',
      /`alarms: \{ flapping: \{ changes: 5, within: 10m \} \}`/,
    ],
    ['a flapping window that is no duration', '  flapping: { within: often }\n', 'alarms.flapping.within', /more than `changes` state changes `within`/],
    ['a storm threshold of 0', '  storm: { alarms: 0 }\n', 'alarms.storm.alarms', /`alarms: \{ storm: \{ alarms: 10, within: 1m \} \}`/],
    ['a storm window that is no duration', '  storm: { within: 0s }\n', 'alarms.storm.within', /a digest lists the rest/],
    ['a new_message_after that is no duration', '  new_message_after: later\n', 'alarms.new_message_after', /`alarms: \{ new_message_after: 30m \}`/],
    ['an unknown key in storm', '  storm: { alarm: 3 }\n', 'alarms.storm', /remove or rename/],
  ])('reports %s at its key path with the fix', (_why, lines, keyPath, fix) => {
    // Act
    const problems = problemsOfYaml(`${GOOD_YAML}alarms:\n${lines}`);

    // Assess
    expect(problems).toEqual([expect.objectContaining({ where: `f.yml: ${keyPath}`, fix: expect.stringMatching(fix) })]);
  });
});

describe('the catalog as the build ships it', () => {
  test('a file marked as validated is read as it is, without the schema', async () => {
    // Prepare: what `npm run build` writes for the repository's foxops.yml
    const result = parseCatalog(parseYaml(GOOD_YAML), 'foxops.yml');
    if ('problems' in result) throw new Error('GOOD_YAML must be valid');
    const file = writeConfig(JSON.stringify(validatedCatalogFile(result.catalog, 'foxops.yml')), 'json');
    // Act
    const config = await loadConfig({ ...SECRETS, FOXOPS_CONFIG: file });
    // Assess
    expect(config.catalog).toEqual(result.catalog);
  });

  test('an unmarked JSON file still goes through the schema', async () => {
    const file = writeConfig(JSON.stringify({ catalog: {}, mark: 'something-else' }), 'json');
    await expect(loadConfig({ ...SECRETS, FOXOPS_CONFIG: file })).rejects.toThrow(/unknown key\(s\) `catalog`, `mark`/);
  });
});

describe('parseCatalog: required_checks (the ci pre-flight check)', () => {
  const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
  const withRequired = (list: string) => GOOD_YAML.replace('approvers: [U0ALICE]', `approvers: [U0ALICE]\n    required_checks: ${list}`);

  it('reads the list, keeps `[]` (none required), and leaves it out when absent (the default branch protection decides)', () => {
    // Act
    const listed = parse(withRequired('[build, test]'));
    const none = parse(withRequired('[]'));
    const absent = parse(GOOD_YAML);

    // Assess
    if ('problems' in listed || 'problems' in none || 'problems' in absent) throw new Error('unexpected problems');
    expect(listed.catalog.environments[0]!.requiredChecks).toEqual(['build', 'test']);
    expect(none.catalog.environments[0]!.requiredChecks).toEqual([]);
    expect(absent.catalog.environments[0]!.requiredChecks).toBeUndefined();
  });

  it('explains a list that is not one of names', () => {
    // Act
    const result = parse(withRequired('build'));

    // Assess
    const problem = 'problems' in result ? result.problems.find((p) => p.where.includes('required_checks')) : undefined;
    expect(problem?.fix).toContain('required_checks: [build, test]');
  });
});

describe('loadConfig: settings checked at start, not at their first use', () => {
  let good: string;
  beforeAll(() => {
    good = writeConfig(GOOD_YAML);
  });
  const app = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 's', GITHUB_APP_ID: '12345' };

  it.each<[string, Env, string, RegExp]>([
    ['SLACK_API_URL without /api/', { SLACK_API_URL: 'http://127.0.0.1:3912' }, 'env: SLACK_API_URL', /including \/api\//],
    ['SLACK_API_URL that is no URL', { SLACK_API_URL: 'not a url' }, 'env: SLACK_API_URL', /https:\/\/slack\.com\/api\//],
    ['GITHUB_API_URL without a scheme', { GITHUB_API_URL: 'github.example.com' }, 'env: GITHUB_API_URL', /with its scheme/],
    ['GITHUB_OIDC_ISSUER without a scheme', { GITHUB_OIDC_ISSUER: 'token.actions.githubusercontent.com' }, 'env: GITHUB_OIDC_ISSUER', /include the scheme/],
    ['a table name DynamoDB refuses', { FOXOPS_TABLE: 'my table!' }, 'env: FOXOPS_TABLE', /3 to 255 letters/],
  ])('refuses %s, naming it and the fix', async (_what, extra, where, fix) => {
    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: good, ...extra });

    // Assess: that variable alone (a bad issuer is not blamed on the key set derived from it)
    expect(problems.map((p) => p.where)).toEqual([where]);
    expect(problems[0]!.fix).toMatch(fix);
  });

  it.each<[string, Env, string]>([
    ['a private key given as a path', { GITHUB_PRIVATE_KEY: '/home/me/key.pem', GITHUB_INSTALLATION_ID: '678' }, 'env: GITHUB_PRIVATE_KEY'],
    [
      'an installation id given as its URL',
      {
        GITHUB_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----',
        GITHUB_INSTALLATION_ID: 'https://github.com/settings/installations/999',
      },
      'env: GITHUB_INSTALLATION_ID',
    ],
  ])('refuses %s for the GitHub App', async (_what, extra, where) => {
    // Act
    const problems = await problemsOf({ ...app, FOXOPS_CONFIG: good, ...extra });

    // Assess
    expect(problems.map((p) => p.where)).toEqual([where]);
  });

  it('says an empty services file is empty, and what to put in it', async () => {
    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: writeConfig('# nothing yet\n') });

    // Assess
    expect(problems).toEqual([expect.objectContaining({ problem: 'is empty', fix: expect.stringContaining('`services:` and `environments:`') })]);
  });

  it('says FOXOPS_CONFIG names a folder, not a file', async () => {
    // Act
    const problems = await problemsOf({ ...SECRETS, FOXOPS_CONFIG: dir });

    // Assess
    expect(problems).toEqual([expect.objectContaining({ where: dir, problem: 'is a folder, not a file' })]);
  });
});
