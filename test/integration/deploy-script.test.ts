/**
 * `npm run deploy` (scripts/deploy/deploy.ts) against loopback fakes of CloudFormation, S3, Lambda and SSM,
 * with the real AWS SDK clients: refusals that change nothing, the backup, the change set and its prompt,
 * execution, and the version and alias move at the end.
 */
import { isValidatedCatalogFile } from '../../src/config/validated-catalog.js';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  deploy,
  DeployError,
  GITHUB_SECRET_CHOICES,
  REQUIRED_SECRETS,
  type DeployClients,
  type DeployIo,
  type DeployOptions,
} from '../../scripts/deploy/deploy.js';
import { SSM_PARAMETERS } from '../../src/aws/ssm-secrets.js';
import { readZipDirectory, readZipEntry } from '../../scripts/deploy/zip.js';
import { startFakeCloudFormation, type FakeCloudFormation, type FakeStack } from '../fakes/cloudformation.js';
import { startFakeLambdaDeploy, startFakeS3, startFakeSsm, type FakeLambdaDeploy, type FakeS3, type FakeSsm } from '../fakes/deploy-aws.js';

const REPO = path.resolve(__dirname, '../..');
const BUCKET = (JSON.parse(readFileSync(path.join(REPO, 'infra/foxops/staging.json'), 'utf8')) as { Parameters: { ArtifactBucket: string } }).Parameters
  .ArtifactBucket;
const FUNCTION = 'foxops-staging';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const CATALOG = `
services:
  foxy-backend:
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
    targets:
      staging: { function: foxy-backend-staging, alias: live, stack: foxy-backend-staging, region: eu-west-1 }
      production: { function: 'arn:aws:lambda:eu-west-1:123456789012:function:foxy-backend-production', alias: live, stack: foxy-backend-production }
  foxy-web:
    repo: foxy-org/foxy-web
    workflow: deploy.yml
    targets:
      production: { function: foxy-web-production }
environments:
  staging: { channels: [C0STAGING], approvals: 0 }
  production: { channels: [C0PROD], approvals: 1, approvers: [U0ALICE] }
`;

const SECRETS = {
  '/foxops/staging/slack-bot-token': 'xoxb-1',
  '/foxops/staging/slack-signing-secret': 'sign',
  '/foxops/staging/github-token': 'ghp_1',
  '/foxops/staging/github-webhook-secret': 'hook',
  '/foxops/production/slack-bot-token': 'xoxb-2',
};

interface World {
  root: string;
  cfn: FakeCloudFormation;
  s3: FakeS3;
  lambda: FakeLambdaDeploy;
  ssm: FakeSsm;
  clients: DeployClients;
  printed: string[];
  questions: string[];
  commands: string[];
  io: DeployIo;
  options: (extra?: Partial<DeployOptions>) => DeployOptions;
}

let world: World;
/** What afterEach stops and removes: the fakes, clients and temp folder of each world set up. */
const cleanups: Array<() => Promise<void>> = [];

/** Everything a deploy touches, fresh per test: a repository copy in a temp folder and four fakes. */
async function setUp(answers: string[] = [], secrets: Record<string, string> = SECRETS): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'foxops-deploy-'));
  cpSync(path.join(REPO, 'infra/foxops'), path.join(root, 'infra/foxops'), { recursive: true });
  writeFileSync(path.join(root, 'foxops.yml'), CATALOG);
  mkdirSync(path.join(root, 'dist/lambda/chunks'), { recursive: true });
  writeFileSync(path.join(root, 'dist/lambda/index.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
  writeFileSync(path.join(root, 'dist/lambda/chunks/slack-abc.mjs'), 'export const x = 1;\n');
  writeFileSync(path.join(root, 'dist/lambda/foxops.json'), '{"stale":true}');

  const s3 = await startFakeS3({ buckets: [BUCKET] });
  const lambda = await startFakeLambdaDeploy();
  const ssm = await startFakeSsm({ parameters: secrets, pageSize: 2 });
  const cfn = await startFakeCloudFormation({
    changeSetPolls: 1,
    executePolls: 2,
    outputs: (stack: FakeStack) => ({
      FunctionName: FUNCTION,
      AliasName: 'live',
      FunctionUrl: 'https://abc123.lambda-url.eu-west-1.on.aws/',
      SlackRequestUrl: 'https://abc123.lambda-url.eu-west-1.on.aws/slack/events',
      GitHubWebhookUrl: 'https://abc123.lambda-url.eu-west-1.on.aws/github/webhooks',
      AlarmTopicArn: `arn:aws:sns:eu-west-1:123456789012:${stack.StackName}-alarms`,
    }),
    // What CloudFormation does to the function: $LATEST takes the code at CodeS3Key (a new stack also gets
    // version 1 and the live alias from the template's Version and Alias resources).
    onExecute: (stack: FakeStack) => {
      const object = s3.objects.get(`${BUCKET}/${stack.Parameters.CodeS3Key}`);
      if (!object) throw new Error(`CodeS3Key ${stack.Parameters.CodeS3Key} was never uploaded`);
      if (lambda.functions.has(FUNCTION)) lambda.setCode(FUNCTION, object.body);
      else lambda.addFunction(FUNCTION, { code: object.body, versions: 1, aliases: { live: '1' } });
    },
  });
  const endpoint = (url: string) => ({ endpoint: url, region: 'eu-west-1', credentials });
  const clients: DeployClients = {
    cloudFormation: new CloudFormationClient(endpoint(cfn.url)),
    s3: new S3Client({ ...endpoint(s3.url), forcePathStyle: true }),
    lambda: new LambdaClient(endpoint(lambda.url)),
    ssm: new SSMClient(endpoint(ssm.url)),
  };
  const printed: string[] = [];
  const questions: string[] = [];
  const commands: string[] = [];
  const io: DeployIo = {
    print: (line) => printed.push(line),
    prompt: async (question) => {
      questions.push(question);
      return answers.shift() ?? '';
    },
    run: async (command, args, opts) => {
      commands.push([command, ...args].join(' '));
      // Stands in for `npm run build`: a fresh bundle.
      writeFileSync(path.join(opts.cwd, 'dist/lambda/index.mjs'), 'export const handler = async () => ({ statusCode: 204 });\n');
    },
  };
  const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
    env: 'staging',
    rootDir: root,
    backupDir: path.join(root, '.foxops-backups'),
    pollIntervalMs: 1,
    now: () => new Date('2025-03-04T05:06:07.890Z'),
    ...extra,
  });
  cleanups.push(async () => {
    for (const client of Object.values(clients)) client.destroy();
    await Promise.all([cfn.close(), s3.close(), lambda.close(), ssm.close()]);
    rmSync(root, { recursive: true, force: true });
  });
  return { root, cfn, s3, lambda, ssm, clients, printed, questions, commands, io, options };
}

/** A live stack as a previous deploy left it: old template and code, version 1 behind `live`. */
function addLiveStack(w: World, status = 'UPDATE_COMPLETE'): FakeStack {
  const oldTemplate = readFileSync(path.join(REPO, 'infra/foxops/template.yml'), 'utf8').replace('Default: 512', 'Default: 256');
  const params = {
    ...(JSON.parse(readFileSync(path.join(REPO, 'infra/foxops/staging.json'), 'utf8')) as { Parameters: Record<string, string> }).Parameters,
    CodeS3Key: 'foxops/staging/old.zip',
  };
  w.lambda.addFunction(FUNCTION, { code: 'old bundle', versions: 1, aliases: { live: '1' } });
  return w.cfn.addStack({
    StackName: 'foxops-staging',
    StackStatus: status,
    TemplateBody: oldTemplate,
    Parameters: params,
    Outputs: { FunctionName: FUNCTION, AliasName: 'live', FunctionUrl: 'https://abc123.lambda-url.eu-west-1.on.aws/' },
  });
}

const changedNothing = (w: World) => {
  expect(w.cfn.actions().filter((a) => a !== 'DescribeStacks')).toEqual([]);
  expect(w.s3.calls.filter((c) => c.action === 'PutObject')).toEqual([]);
  expect(w.lambda.calls).toEqual([]);
  expect(existsSync(path.join(w.root, '.foxops-backups'))).toBe(false);
};

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('refusals change nothing', () => {
  it('refuses an unknown environment before any AWS call', async () => {
    // Prepare
    world = await setUp();

    // Act
    const run = deploy(world.options({ env: 'qa' }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(new DeployError('Unknown environment `qa`: use --env staging or --env production. Nothing was changed.'));
    expect([...world.cfn.calls, ...world.s3.calls, ...world.lambda.calls, ...world.ssm.calls]).toEqual([]);
    expect(world.commands).toEqual([]);
  });

  it('says how to sign in when there are no AWS credentials', async () => {
    // Prepare
    world = await setUp();
    const noCredentials = new CloudFormationClient({
      endpoint: world.cfn.url,
      region: 'eu-west-1',
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
    });
    world.clients.cloudFormation.destroy();
    world.clients.cloudFormation = noCredentials;

    // Act
    const run = deploy(world.options(), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(/No AWS credentials were found \(Could not load credentials from any providers\): sign in first, e\.g\. `aws sso login/);
    expect([...world.cfn.calls, ...world.s3.calls, ...world.lambda.calls, ...world.ssm.calls]).toEqual([]);
  });

  it.each([
    ['ROLLBACK_COMPLETE', /ROLLBACK_COMPLETE: its creation failed.*aws cloudformation delete-stack --stack-name foxops-staging/s],
    ['UPDATE_ROLLBACK_FAILED', /UPDATE_ROLLBACK_FAILED: finish the rollback first \(aws cloudformation continue-update-rollback --stack-name foxops-staging/],
    ['UPDATE_IN_PROGRESS', /foxops-staging is busy \(UPDATE_IN_PROGRESS\): wait/],
  ])('refuses a stack in %s with what to do', async (status, message) => {
    // Prepare
    world = await setUp();
    addLiveStack(world, status);

    // Act
    const run = deploy(world.options({ yes: true }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toThrow(/Nothing was changed\.$/);
    changedNothing(world);
    expect(world.cfn.stacks.get('foxops-staging')?.StackStatus).toBe(status);
  });

  it('lists the put-parameter commands for missing secrets', async () => {
    // Prepare
    const secrets = { ...SECRETS };
    delete (secrets as Record<string, string>)['/foxops/staging/github-webhook-secret'];
    delete (secrets as Record<string, string>)['/foxops/staging/github-token'];
    world = await setUp([], secrets);
    addLiveStack(world);

    // Act
    const run = deploy(world.options({ yes: true }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(
      '2 secret(s) missing under /foxops/staging/. Create each as a SecureString:\n' +
        "  aws ssm put-parameter --name /foxops/staging/github-webhook-secret --type SecureString --value '<github-webhook-secret>'\n" +
        "  aws ssm put-parameter --name /foxops/staging/github-token --type SecureString --value '<github-token>'\n" +
        '(For a GitHub App instead of a token, create github-app-id, github-private-key, github-installation-id.)',
    );
    expect(world.ssm.calls.every((c) => c.input.WithDecryption === false)).toBe(true);
    changedNothing(world);
  });

  it('refuses an artifact bucket that does not exist', async () => {
    // Prepare
    world = await setUp();
    world.s3.buckets.clear();

    // Act
    const run = deploy(world.options({ yes: true }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(`The artifact bucket ${BUCKET} does not exist. Create it once`);
    changedNothing(world);
  });

  it('refuses a services file that the function could not load', async () => {
    // Prepare
    world = await setUp();
    writeFileSync(path.join(world.root, 'foxops.yml'), CATALOG.replace('approvals: 1', 'approvals: 3'));

    // Act
    const run = deploy(world.options({ yes: true }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(/foxops\.yml is not valid, the function would not start:\n.*environments\.production\.approvers/);
    expect([...world.cfn.calls, ...world.s3.calls, ...world.lambda.calls, ...world.ssm.calls]).toEqual([]);
  });
});

describe('an update of the live stack', () => {
  it('backs up, shows the change set, and deletes it when the answer is no', async () => {
    // Prepare
    world = await setUp(['n']);
    const stack = addLiveStack(world);
    const before = { template: stack.TemplateBody, params: { ...stack.Parameters } };

    // Act
    const result = await deploy(world.options({ skipBuild: true }), world.clients, world.io);

    // Assess: the backup, local and in S3, holds the template and parameters as they were
    expect(result).toMatchObject({ outcome: 'declined', stackName: 'foxops-staging' });
    const backup = path.join(world.root, '.foxops-backups/foxops-staging/2025-03-04T05-06-07-890Z');
    expect(result.backupDir).toBe(backup);
    expect(readdirSync(backup).sort()).toEqual(['parameters.json', 'stack.json', 'template.yml']);
    expect(readFileSync(path.join(backup, 'template.yml'), 'utf8')).toBe(before.template);
    expect(JSON.parse(readFileSync(path.join(backup, 'parameters.json'), 'utf8'))).toEqual({ Parameters: before.params });
    expect(world.s3.keys(BUCKET).filter((k) => k.startsWith('backups/'))).toEqual([
      'backups/foxops-staging/2025-03-04T05-06-07-890Z/parameters.json',
      'backups/foxops-staging/2025-03-04T05-06-07-890Z/stack.json',
      'backups/foxops-staging/2025-03-04T05-06-07-890Z/template.yml',
    ]);
    // ... taken before the change set was made
    const order = world.cfn.actions();
    expect(order.indexOf('GetTemplate')).toBeLessThan(order.indexOf('CreateChangeSet'));
    // The change set was printed, asked about once, and deleted; the stack and alias did not move
    expect(world.printed).toContainEqual(expect.stringMatching(/^ {2}Modify {3}Function +AWS::Lambda::Function$/));
    expect(world.questions).toEqual([expect.stringMatching(/^Execute change set foxops-2025-03-04T05-06-07-890Z on foxops-staging\? \[y\/N\] $/)]);
    expect(order).toContain('DeleteChangeSet');
    expect(order).not.toContain('ExecuteChangeSet');
    expect(world.cfn.changeSets.size).toBe(0);
    expect(stack.TemplateBody).toBe(before.template);
    expect(stack.Parameters).toEqual(before.params);
    expect(world.lambda.calls).toEqual([]);
  });

  it('with --yes builds, uploads, executes, publishes a version and moves live to it', async () => {
    // Prepare
    world = await setUp();
    const stack = addLiveStack(world);

    // Act
    const result = await deploy(world.options({ yes: true }), world.clients, world.io);

    // Assess: built, and the bundle holds the build plus the validated services file as foxops.json
    expect(world.commands).toEqual(['npm run build']);
    if (result.outcome !== 'deployed') throw new Error(`expected a deploy, got ${result.outcome}`);
    const bundle = world.s3.objects.get(`${BUCKET}/${result.codeKey}`)!.body;
    expect(result.codeKey).toBe(`foxops/staging/${createHash('sha256').update(bundle).digest('hex')}.zip`);
    const entries = readZipDirectory(bundle);
    expect(entries.map((e) => e.name)).toEqual(['chunks/slack-abc.mjs', 'foxops.json', 'index.mjs']);
    const shipped = JSON.parse(readZipEntry(bundle, entries[1]!).toString('utf8'));
    expect(isValidatedCatalogFile(shipped)).toBe(true);
    expect(shipped.catalog.services.map((s: { name: string }) => s.name)).toEqual(['foxy-backend', 'foxy-web']);
    expect(readZipEntry(bundle, entries[2]!).toString('utf8')).toContain('statusCode: 204');
    // The change set carried the parameter file, the code key and the targets from foxops.yml
    const create = world.cfn.calls.find((c) => c.action === 'CreateChangeSet')!.params;
    expect(create).toMatchObject({ ChangeSetType: 'UPDATE', 'Capabilities.member.1': 'CAPABILITY_NAMED_IAM' });
    expect(stack.Parameters).toMatchObject({
      Environment: 'staging',
      ArtifactBucket: BUCKET,
      CodeS3Key: result.codeKey,
      TargetFunctionNames: 'foxy-backend-production,foxy-backend-staging,foxy-web-production',
      TargetStackNames: 'foxy-backend-production,foxy-backend-staging',
    });
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    expect(world.questions).toEqual([]);
    expect(world.printed).toEqual(expect.arrayContaining(['  foxops-staging: UPDATE_IN_PROGRESS', '  foxops-staging: UPDATE_COMPLETE']));
    // Version 2 holds exactly the uploaded bytes, and live moved from 1 to 2
    const publish = world.lambda.calls.find((c) => c.action === 'PublishVersion')!;
    expect(publish.input.CodeSha256).toBe(createHash('sha256').update(bundle).digest('base64'));
    expect(result).toMatchObject({
      version: '2',
      previousVersion: '1',
      functionName: FUNCTION,
      aliasName: 'live',
      functionUrl: 'https://abc123.lambda-url.eu-west-1.on.aws/',
    });
    expect(world.lambda.functions.get(FUNCTION)!.aliases.get('live')).toBe('2');
    expect(world.printed).toContain(`  roll back with: aws lambda update-alias --function-name ${FUNCTION} --name live --function-version 1`);
    expect(world.printed).toContain('Slack request URL (slash command, interactivity, events): https://abc123.lambda-url.eu-west-1.on.aws/slack/events');
  });

  it('publishes after Lambda reports the update still in progress', async () => {
    // Prepare
    world = await setUp();
    addLiveStack(world);
    world.lambda.conflictNext('PublishVersion', 2);

    // Act
    const result = await deploy(world.options({ yes: true, skipBuild: true }), world.clients, world.io);

    // Assess
    expect(world.lambda.calls.filter((c) => c.action === 'PublishVersion')).toHaveLength(3);
    expect(result).toMatchObject({ outcome: 'deployed', version: '2' });
  });

  it('reports the failed resources and leaves the alias when the update rolls back', async () => {
    // Prepare
    world = await setUp();
    addLiveStack(world);
    world.cfn.failNextExecution('FunctionRole', 'Resource handler returned message: "AccessDenied"');

    // Act
    const run = deploy(world.options({ yes: true, skipBuild: true }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(
      /ended as UPDATE_ROLLBACK_COMPLETE:\n {2}- FunctionRole UPDATE_FAILED: Resource handler returned message: "AccessDenied"/,
    );
    await expect(run).rejects.toThrow(/previous template and parameters are in .*\.foxops-backups\/foxops-staging\/.*The live alias was not moved\./s);
    expect(world.lambda.calls.map((c) => c.action)).toEqual([]);
    expect(world.lambda.functions.get(FUNCTION)!.aliases.get('live')).toBe('1');
  });

  it('skips the prompt when nothing changed and leaves live where it is', async () => {
    // Prepare: a first deploy, then the same bundle again
    world = await setUp();
    addLiveStack(world);
    await deploy(world.options({ yes: true, skipBuild: true }), world.clients, world.io);
    world.printed.length = 0;

    // Act
    const result = await deploy(world.options({ skipBuild: true, now: () => new Date('2025-03-04T06:00:00.000Z') }), world.clients, world.io);

    // Assess
    expect(world.questions).toEqual([]);
    expect(world.printed).toContain('Change set foxops-2025-03-04T06-00-00-000Z: the stack is already up to date.');
    expect(result).toMatchObject({ outcome: 'deployed', changes: 0, version: '2', previousVersion: '2' });
    expect(world.printed).toContain(`Alias live of ${FUNCTION} already serves version 2.`);
    expect(world.lambda.calls.filter((c) => c.action === 'UpdateAlias')).toHaveLength(1);
  });

  it('stops before moving live when $LATEST holds other code than the bundle', async () => {
    // Prepare: a deploy, then someone changes the code in the console
    world = await setUp();
    addLiveStack(world);
    await deploy(world.options({ yes: true, skipBuild: true }), world.clients, world.io);
    world.lambda.setCode(FUNCTION, Buffer.from('hotfix from the console'));

    // Act
    const run = deploy(world.options({ yes: true, skipBuild: true, now: () => new Date('2025-03-04T07:00:00.000Z') }), world.clients, world.io);

    // Assess
    await expect(run).rejects.toThrow(
      /\$LATEST of foxops-staging does not hold the bundle uploaded as foxops\/staging\/[0-9a-f]{64}\.zip .*The live alias was not moved/s,
    );
    expect(world.lambda.functions.get(FUNCTION)!.aliases.get('live')).toBe('2');
  });
});

describe('a first deploy', () => {
  it('creates the stack through a CREATE change set once the answer is yes', async () => {
    // Prepare
    world = await setUp(['yes']);

    // Act
    const result = await deploy(world.options({ skipBuild: true }), world.clients, world.io);

    // Assess
    expect(world.cfn.calls.find((c) => c.action === 'CreateChangeSet')!.params.ChangeSetType).toBe('CREATE');
    expect(world.cfn.actions()).not.toContain('GetTemplate');
    expect(existsSync(path.join(world.root, '.foxops-backups'))).toBe(false);
    expect(world.printed).toContainEqual(expect.stringMatching(/^Change set foxops-.* \(CREATE\) on foxops-staging, \d+ change\(s\):$/));
    expect(world.printed).toContainEqual(expect.stringMatching(/^ {2}Add {6}Table +AWS::DynamoDB::Table$/));
    expect(world.questions).toHaveLength(1);
    expect(world.cfn.stacks.get('foxops-staging')!.StackStatus).toBe('CREATE_COMPLETE');
    expect(result).toMatchObject({ outcome: 'deployed', version: '1', previousVersion: '1' });
  });
});

describe('the secrets check', () => {
  it('asks for names that the function reads from SSM', () => {
    // Prepare
    const names = [...REQUIRED_SECRETS, ...GITHUB_SECRET_CHOICES.flat()];

    // Act
    const unknown = names.filter((n) => !(n in SSM_PARAMETERS));

    // Assess: a name the function does not read would be a secret nobody uses
    expect(unknown).toEqual([]);
  });
});
