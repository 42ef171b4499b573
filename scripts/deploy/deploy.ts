/**
 * `npm run deploy -- --env staging|production`: builds foxops, uploads the bundle, backs up the live stack,
 * and updates the stack through a CloudFormation change set that a person reviews (unless `--yes`), then
 * publishes a Lambda version and moves the `live` alias to it.
 *
 * Everything that can be checked is checked before anything changes: the environment, the parameter file,
 * the template (against the CloudFormation resource specification), foxops.yml, AWS credentials and region,
 * the stack's state, the secrets in SSM and the artifact bucket. A problem there stops the run with a
 * {@link DeployError} that says what to do, and nothing has been uploaded or changed.
 *
 * AWS clients and the terminal are injected, so test/integration/deploy-script.test.ts runs this against
 * loopback fakes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type Change,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetAliasCommand, PublishVersionCommand, UpdateAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parse as parseYaml } from 'yaml';
import { parseCatalog } from '../../src/config/catalog-schema.js';
import { validatedCatalogFile } from '../../src/config/validated-catalog.js';
import { formatProblems } from '../../src/config/errors.js';
import type { Catalog } from '../../src/domain/catalog.js';
import { lintTemplate, loadResourceSpec } from './cfn-lint.js';
import { parseTemplate, type CfnTemplate } from '../../src/aws/cfn-yaml.js';
import { createZip, directoryEntries } from './zip.js';

/** The environments foxops itself is deployed to; each has infra/foxops/<env>.json. */
export const ENVIRONMENTS = ['staging', 'production'] as const;
/** One of {@link ENVIRONMENTS}. */
export type FoxopsEnvironment = (typeof ENVIRONMENTS)[number];

/** The stack of one environment. */
export const stackNameFor = (env: FoxopsEnvironment): string => `foxops-${env}`;

/** The SSM prefix the function reads its secrets from (the template's FOXOPS_SSM_PREFIX). */
export const ssmPrefixFor = (env: FoxopsEnvironment): string => `/foxops/${env}/`;

/** Secrets foxops cannot start without; names under the SSM prefix, as src/aws/ssm-secrets.ts reads them. */
export const REQUIRED_SECRETS = ['slack-bot-token', 'slack-signing-secret', 'github-webhook-secret'] as const;
/** GitHub credentials: a token, or all three of a GitHub App's. */
export const GITHUB_SECRET_CHOICES = [['github-token'], ['github-app-id', 'github-private-key', 'github-installation-id']] as const;

/** Parameters that the deploy computes, so the parameter files must not set them. */
const COMPUTED_PARAMETERS = ['CodeS3Key', 'TargetFunctionNames', 'TargetStackNames'] as const;

/** CloudFormation's limit for an inline TemplateBody. */
const TEMPLATE_BODY_LIMIT = 51_200;

/** What the user asked for. */
export interface DeployOptions {
  /** `staging` or `production`; anything else is refused before any call. */
  env: string;
  /** Execute the change set without asking. */
  yes?: boolean;
  /** Zip whatever is in dist/lambda instead of running `npm run build` first. */
  skipBuild?: boolean;
  /** The repository root (infra/, dist/, foxops.yml). */
  rootDir: string;
  /** The services file to validate and ship as foxops.json; default `<rootDir>/foxops.yml`. */
  configFile?: string;
  /** Where backups go; default `<rootDir>/.foxops-backups`. */
  backupDir?: string;
  /** How often to poll CloudFormation; default 5 s. */
  pollIntervalMs?: number;
  /** How long to wait for the stack before giving up (the stack carries on regardless); default 30 min. */
  stackTimeoutMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** The AWS clients, created by the caller (region, credentials and endpoints are theirs). */
export interface DeployClients {
  cloudFormation: CloudFormationClient;
  s3: S3Client;
  lambda: LambdaClient;
  ssm: SSMClient;
}

/** The terminal. */
export interface DeployIo {
  print(line: string): void;
  /** Asks a question and resolves with the answer ('' when there is no one to ask). */
  prompt(question: string): Promise<string>;
  /** Runs a command in `cwd`, rejecting when it fails. */
  run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<void>;
}

/** How a run ended when it did not throw. */
export type DeployResult =
  | { outcome: 'declined'; stackName: string; changeSetName: string; backupDir?: string }
  | {
      outcome: 'deployed';
      stackName: string;
      codeKey: string;
      changes: number;
      backupDir?: string;
      functionName: string;
      aliasName: string;
      version: string;
      previousVersion?: string;
      functionUrl?: string;
    };

/** A problem the user can fix; the message says how. Thrown before anything changed unless it says otherwise. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

const isEnvironment = (env: string): env is FoxopsEnvironment => (ENVIRONMENTS as readonly string[]).includes(env);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorName = (err: unknown) => (err as { name?: string })?.name ?? '';
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads `{ "Parameters": { Key: value } }` (the format `aws cloudformation deploy --parameter-overrides file://` takes). */
export function readParameterFile(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeployError(`${file}: cannot be read as JSON (${errorMessage(err)})`);
  }
  const params = (raw as { Parameters?: unknown })?.Parameters;
  if (!params || typeof params !== 'object' || Array.isArray(params)) {
    throw new DeployError(`${file}: expected { "Parameters": { "Name": "value", ... } }`);
  }
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
}

/**
 * The function and stack names of every target in the catalog, for the TargetFunctionNames and
 * TargetStackNames parameters (the resources foxops' role may touch). ARNs are reduced to names.
 */
export function targetNames(catalog: Catalog): { functions: string[]; stacks: string[] } {
  const functions = new Set<string>();
  const stacks = new Set<string>();
  for (const service of catalog.services) {
    for (const target of Object.values(service.targets)) {
      if (target.functionName)
        functions.add(target.functionName.startsWith('arn:') ? (target.functionName.split(':')[6] ?? target.functionName) : target.functionName);
      if (target.stack) stacks.add(target.stack.startsWith('arn:') ? (target.stack.split('/')[1] ?? target.stack) : target.stack);
    }
  }
  return { functions: [...functions].sort(), stacks: [...stacks].sort() };
}

/** Checks and merges the parameter file with the computed parameters against the template's declarations. */
function stackParameters(
  template: CfnTemplate,
  fileParams: Record<string, string>,
  computed: Record<string, string>,
  file: string,
  env: string,
): Record<string, string> {
  const declared = template.Parameters ?? {};
  const problems: string[] = [];
  for (const key of Object.keys(fileParams)) {
    if (!declared[key]) problems.push(`\`${key}\` is not a parameter of the template (it has: ${Object.keys(declared).join(', ')})`);
    if ((COMPUTED_PARAMETERS as readonly string[]).includes(key))
      problems.push(`\`${key}\` is computed by npm run deploy (from the bundle and foxops.yml); remove it`);
  }
  if (fileParams.Environment !== env) problems.push(`Environment is \`${fileParams.Environment ?? ''}\`, but this is the parameter file of ${env}`);
  const merged = { ...fileParams, ...computed };
  for (const [key, decl] of Object.entries(declared)) {
    const value = merged[key];
    if (value === undefined) {
      if (decl.Default === undefined) problems.push(`\`${key}\` has no default and is not set${decl.Description ? ` (${decl.Description})` : ''}`);
      continue;
    }
    if (decl.AllowedValues && !decl.AllowedValues.map(String).includes(value))
      problems.push(`\`${key}\` is \`${value}\`, expected one of ${decl.AllowedValues.join(', ')}`);
    if (decl.AllowedPattern && !new RegExp(`^(?:${decl.AllowedPattern})$`).test(value))
      problems.push(`\`${key}\` is \`${value}\`, which does not match ${decl.AllowedPattern}`);
  }
  if (problems.length) throw new DeployError(`${file} has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return merged;
}

/** Reads and validates the services file with foxops' own schema, so a bad catalog never reaches Lambda. */
function loadCatalog(file: string): { raw: unknown; catalog: Catalog } {
  if (!existsSync(file))
    throw new DeployError(`${file} does not exist: copy foxops.yml from the repository and describe your services (or pass --config <file>)`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeployError(`${file} cannot be parsed: ${errorMessage(err).split('\n')[0]}`);
  }
  const result = parseCatalog(raw, path.basename(file));
  if ('problems' in result) throw new DeployError(`${file} is not valid, the function would not start:\n${formatProblems(result.problems)}`);
  return { raw, catalog: result.catalog };
}

type StackState = { kind: 'new' } | { kind: 'review'; stack: Stack } | { kind: 'ready'; stack: Stack };

/** Why a stack in `status` cannot be updated now, and what to do about it; undefined when it can. */
export function blockedStackAdvice(stackName: string, status: string): string | undefined {
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') {
    return `stack ${stackName} is busy (${status}): wait until it settles (aws cloudformation describe-stacks --stack-name ${stackName}) and deploy again`;
  }
  switch (status) {
    case 'ROLLBACK_COMPLETE':
    case 'ROLLBACK_FAILED':
    case 'CREATE_FAILED':
      return (
        `stack ${stackName} is ${status}: its creation failed and a stack in this state cannot be updated. ` +
        `Look at the failed events (aws cloudformation describe-stack-events --stack-name ${stackName}), delete it ` +
        `(aws cloudformation delete-stack --stack-name ${stackName}; the table is kept, DeletionPolicy Retain) and deploy again`
      );
    case 'UPDATE_ROLLBACK_FAILED':
      return (
        `stack ${stackName} is UPDATE_ROLLBACK_FAILED: finish the rollback first ` +
        `(aws cloudformation continue-update-rollback --stack-name ${stackName}, skipping resources that cannot roll back if it says so), then deploy again`
      );
    case 'DELETE_FAILED':
      return `stack ${stackName} is DELETE_FAILED: delete it again (aws cloudformation delete-stack --stack-name ${stackName}) and deploy once it is gone`;
    case 'UPDATE_FAILED':
    case 'IMPORT_ROLLBACK_FAILED':
      return `stack ${stackName} is ${status}: resolve it in the CloudFormation console before deploying`;
    default:
      return undefined;
  }
}

async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (err) {
    if (errorName(err) === 'ValidationError' && /does not exist/i.test(errorMessage(err))) return undefined;
    throw err;
  }
}

async function stackState(cfn: CloudFormationClient, stackName: string): Promise<StackState> {
  const stack = await describeStack(cfn, stackName);
  if (!stack) return { kind: 'new' };
  const status = stack.StackStatus ?? 'UNKNOWN';
  const blocked = blockedStackAdvice(stackName, status);
  if (blocked) throw new DeployError(`${blocked}. Nothing was changed.`);
  // A stack that only ever had a change set created (never executed) is created again with a CREATE change set.
  return status === 'REVIEW_IN_PROGRESS' ? { kind: 'review', stack } : { kind: 'ready', stack };
}

async function checkCredentials(clients: DeployClients): Promise<void> {
  try {
    const region = await clients.cloudFormation.config.region();
    if (!region) throw new Error('empty region');
  } catch {
    throw new DeployError('No AWS region is set: export AWS_REGION (or set region in your AWS profile, or pass --region). Nothing was changed.');
  }
  try {
    await clients.cloudFormation.config.credentials();
  } catch (err) {
    throw new DeployError(
      `No AWS credentials were found (${errorMessage(err).split('\n')[0]}): sign in first, e.g. \`aws sso login --profile <profile>\` ` +
        'and `export AWS_PROFILE=<profile>`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for a deploy role session. Nothing was changed.',
    );
  }
}

async function checkSecrets(ssm: SSMClient, env: FoxopsEnvironment): Promise<void> {
  const prefix = ssmPrefixFor(env);
  const names = new Set<string>();
  let next: string | undefined;
  do {
    // Names only: the values stay encrypted and never reach this machine.
    const page = await ssm.send(new GetParametersByPathCommand({ Path: prefix, WithDecryption: false, NextToken: next }));
    for (const p of page.Parameters ?? []) if (p.Name?.startsWith(prefix)) names.add(p.Name.slice(prefix.length));
    next = page.NextToken;
  } while (next);
  const missing: string[] = REQUIRED_SECRETS.filter((n) => !names.has(n));
  let githubNote = '';
  if (!GITHUB_SECRET_CHOICES.some((choice) => choice.every((n) => names.has(n)))) {
    const [token, app] = GITHUB_SECRET_CHOICES;
    if (app.some((n) => names.has(n))) missing.push(...app.filter((n) => !names.has(n)));
    else {
      missing.push(...token);
      githubNote = `\n(For a GitHub App instead of a token, create ${app.join(', ')}.)`;
    }
  }
  if (missing.length) {
    throw new DeployError(
      `The function would not start: ${missing.length} secret(s) missing under ${prefix}. Create each as a SecureString:\n` +
        missing.map((n) => `  aws ssm put-parameter --name ${prefix}${n} --type SecureString --value '<${n}>'`).join('\n') +
        `${githubNote}\nSee README > Deploying to AWS, step 2. Nothing was changed.`,
    );
  }
}

async function checkBucket(s3: S3Client, bucket: string, paramFile: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why =
      status === 404
        ? 'does not exist'
        : status === 403
          ? 'belongs to another account or is not readable with these credentials'
          : `cannot be reached (${errorMessage(err)})`;
    throw new DeployError(
      `The artifact bucket ${bucket} ${why}. ` +
        'Create it once (aws s3api create-bucket --bucket <name> --create-bucket-configuration LocationConstraint=<region>) ' +
        `and set ArtifactBucket in ${paramFile}. Nothing was changed.`,
    );
  }
}

function formatChanges(changes: Change[]): string[] {
  if (!changes.length) return ['  (no resource changes)'];
  return changes.map((c) => {
    const r = c.ResourceChange ?? {};
    const replacement = r.Replacement && r.Replacement !== 'False' ? `  replacement: ${r.Replacement}` : '';
    return `  ${(r.Action ?? '?').padEnd(8)} ${(r.LogicalResourceId ?? '?').padEnd(28)} ${r.ResourceType ?? ''}${replacement}`;
  });
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/**
 * Deploys foxops to `options.env`. Resolves with the outcome, or throws {@link DeployError} for problems the
 * user can fix (the message says whether anything changed) and the SDK's errors for anything else.
 */
export async function deploy(options: DeployOptions, clients: DeployClients, io: DeployIo): Promise<DeployResult> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const poll = options.pollIntervalMs ?? 5000;
  const root = options.rootDir;

  // ---- checks that need no AWS call
  if (!isEnvironment(options.env)) {
    throw new DeployError(`Unknown environment \`${options.env || '(none)'}\`: use --env ${ENVIRONMENTS.join(' or --env ')}. Nothing was changed.`);
  }
  const env = options.env;
  const stackName = stackNameFor(env);
  const templateFile = path.join(root, 'infra/foxops/template.yml');
  const paramFile = path.join(root, `infra/foxops/${env}.json`);
  if (!existsSync(paramFile)) throw new DeployError(`${paramFile} is missing: copy infra/foxops/staging.json and adjust it. Nothing was changed.`);
  const templateBody = readFileSync(templateFile, 'utf8');
  if (Buffer.byteLength(templateBody) > TEMPLATE_BODY_LIMIT)
    throw new DeployError(`${templateFile} is larger than CloudFormation's ${TEMPLATE_BODY_LIMIT} bytes for an inline template`);
  const template = parseTemplate(templateBody, templateFile);
  const lint = lintTemplate(template, loadResourceSpec());
  if (lint.length) throw new DeployError(`${templateFile} does not pass the CloudFormation specification check:\n${lint.map((p) => `  - ${p}`).join('\n')}`);
  const fileParams = readParameterFile(paramFile);
  const configFile = options.configFile ?? path.join(root, 'foxops.yml');
  const { catalog } = loadCatalog(configFile);
  const targets = targetNames(catalog);
  // CodeS3Key is known only after the build; a placeholder of the right shape lets the parameters be checked now.
  const parameters = stackParameters(
    template,
    fileParams,
    { CodeS3Key: 'pending', TargetFunctionNames: targets.functions.join(','), TargetStackNames: targets.stacks.join(',') },
    paramFile,
    env,
  );
  const bucket = parameters.ArtifactBucket!;

  // ---- checks against AWS, all read-only
  await checkCredentials(clients);
  const state = await stackState(clients.cloudFormation, stackName);
  await checkSecrets(clients.ssm, env);
  await checkBucket(clients.s3, bucket, paramFile);
  io.print(`Deploying foxops ${env}: stack ${stackName} (${state.kind === 'ready' ? state.stack.StackStatus : 'new'}), bucket ${bucket}`);
  io.print(
    `  targets from ${path.relative(root, configFile) || configFile}: ` +
      `functions ${targets.functions.join(', ') || '(none)'}; stacks ${targets.stacks.join(', ') || '(none)'}`,
  );

  // ---- build and package
  const distDir = path.join(root, 'dist/lambda');
  if (!options.skipBuild) {
    io.print('Building: npm run build');
    await io.run('npm', ['run', 'build'], { cwd: root, env: { FOXOPS_CONFIG: configFile } });
  }
  if (!existsSync(path.join(distDir, 'index.mjs'))) {
    throw new DeployError(`${path.join(distDir, 'index.mjs')} is missing: run \`npm run build\` (or deploy without --skip-build). Nothing was changed.`);
  }
  // The validated services file ships as foxops.json, marked as validated so that a cold start skips the schema.
  const entries = directoryEntries(distDir).filter((e) => e.name !== 'foxops.json');
  entries.push({ name: 'foxops.json', data: Buffer.from(JSON.stringify(validatedCatalogFile(catalog, path.basename(configFile)))) });
  const bundle = createZip(entries);
  const sha256 = createHash('sha256').update(bundle).digest();
  const codeKey = `foxops/${env}/${sha256.toString('hex')}.zip`;
  parameters.CodeS3Key = codeKey;
  io.print(`Bundle: ${entries.length} files, ${(bundle.length / 1024).toFixed(0)} KiB, s3://${bucket}/${codeKey}`);

  // ---- backup of the live stack, before anything changes (local and in the bucket)
  const stamp = now().toISOString().replace(/[:.]/g, '-');
  let backupDir: string | undefined;
  if (state.kind === 'ready') {
    const { TemplateBody } = await clients.cloudFormation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
    const body = TemplateBody ?? '';
    const ext = body.trimStart().startsWith('{') ? 'json' : 'yml';
    const stack = state.stack;
    const parameters = (stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]);
    const stackRecord = { StackName: stackName, StackId: stack.StackId, StackStatus: stack.StackStatus, Outputs: stack.Outputs, Tags: stack.Tags };
    const files: Record<string, string> = {
      [`template.${ext}`]: body,
      'parameters.json': `${JSON.stringify({ Parameters: Object.fromEntries(parameters) }, null, 2)}\n`,
      'stack.json': `${JSON.stringify(stackRecord, null, 2)}\n`,
    };
    backupDir = path.join(options.backupDir ?? path.join(root, '.foxops-backups'), stackName, stamp);
    mkdirSync(backupDir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(path.join(backupDir, name), content);
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `backups/${stackName}/${stamp}/${name}`,
          Body: content,
          ContentType: name.endsWith('json') ? 'application/json' : 'application/yaml',
        }),
      );
    }
    io.print(`Backup of the current stack: ${backupDir} and s3://${bucket}/backups/${stackName}/${stamp}/`);
    io.print(
      `  restore with: aws cloudformation deploy --stack-name ${stackName} --template-file ${path.join(backupDir, `template.${ext}`)} ` +
        `--parameter-overrides file://${path.join(backupDir, 'parameters.json')} --capabilities CAPABILITY_NAMED_IAM`,
    );
  }

  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: codeKey, Body: bundle, ContentType: 'application/zip' }));

  // ---- change set
  const changeSetName = `foxops-${stamp.replace(/[^A-Za-z0-9-]/g, '-')}`;
  const changeSetType = state.kind === 'ready' ? 'UPDATE' : 'CREATE';
  await clients.cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: changeSetName,
      ChangeSetType: changeSetType,
      TemplateBody: templateBody,
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      // Role and policy names are fixed (foxops-<env>-function), hence NAMED_IAM.
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Tags: [
        { Key: 'Application', Value: 'foxops' },
        { Key: 'Environment', Value: env },
      ],
      Description: `npm run deploy ${stamp}`,
    }),
  );

  let changes: Change[] = [];
  let noChanges = false;
  for (;;) {
    const described = await clients.cloudFormation.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
    if (described.Status === 'CREATE_COMPLETE') {
      changes = [...(described.Changes ?? [])];
      let token = described.NextToken;
      while (token) {
        const page = await clients.cloudFormation.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName, NextToken: token }));
        changes.push(...(page.Changes ?? []));
        token = page.NextToken;
      }
      break;
    }
    if (described.Status === 'FAILED') {
      if (NO_CHANGES.test(described.StatusReason ?? '')) {
        noChanges = true;
        break;
      }
      await clients.cloudFormation.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
      throw new DeployError(`CloudFormation refused the change set: ${described.StatusReason ?? 'no reason given'}. The stack was not changed.`);
    }
    await sleep(poll);
  }

  if (noChanges) {
    await clients.cloudFormation.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
    io.print(`Change set ${changeSetName}: the stack is already up to date.`);
  } else {
    io.print(`Change set ${changeSetName} (${changeSetType}) on ${stackName}, ${changes.length} change(s):`);
    for (const line of formatChanges(changes)) io.print(line);
    if (!options.yes) {
      const answer = (await io.prompt(`Execute change set ${changeSetName} on ${stackName}? [y/N] `)).trim();
      if (!/^y(es)?$/i.test(answer)) {
        await clients.cloudFormation.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
        io.print('Not executed; the change set was deleted and the stack is unchanged.');
        return { outcome: 'declined', stackName, changeSetName, backupDir };
      }
    }
    const started = Date.now();
    await clients.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
    let last = '';
    for (;;) {
      const stack = await describeStack(clients.cloudFormation, stackName);
      const status = stack?.StackStatus ?? 'UNKNOWN';
      if (status !== last) io.print(`  ${stackName}: ${status}`);
      last = status;
      if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') break;
      if (!status.endsWith('_IN_PROGRESS')) {
        const events = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
        const failed = (events.StackEvents ?? []).filter((e) => e.ResourceStatus?.endsWith('_FAILED')).slice(0, 10);
        throw new DeployError(
          `The stack update failed and ended as ${status}:\n` +
            `${failed.map((e) => `  - ${e.LogicalResourceId} ${e.ResourceStatus}: ${e.ResourceStatusReason ?? ''}`).join('\n') || '  (no failed events)'}\n` +
            `${backupDir ? `The previous template and parameters are in ${backupDir}. ` : ''}The live alias was not moved.`,
        );
      }
      if (Date.now() - started > (options.stackTimeoutMs ?? 30 * 60_000)) {
        throw new DeployError(
          `Gave up waiting for ${stackName} (still ${status}); CloudFormation carries on, follow it in the console. The live alias was not moved.`,
        );
      }
      await sleep(poll);
    }
  }

  // ---- publish the new version and move the alias: a rollback is moving it back
  const stack = await describeStack(clients.cloudFormation, stackName);
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const functionName = output('FunctionName');
  const aliasName = output('AliasName') ?? 'live';
  if (!functionName) throw new DeployError(`Stack ${stackName} has no FunctionName output; is infra/foxops/template.yml the template it runs?`);
  const previousVersion = (await clients.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: aliasName }))).FunctionVersion;
  let version: string | undefined;
  for (let attempt = 1; !version; attempt++) {
    try {
      // CodeSha256 makes Lambda refuse to publish anything but the bundle uploaded above.
      const published = await clients.lambda.send(
        new PublishVersionCommand({ FunctionName: functionName, CodeSha256: sha256.toString('base64'), Description: `npm run deploy ${stamp}` }),
      );
      version = published.Version;
      if (!version) throw new DeployError('Lambda published a version without a number');
    } catch (err) {
      if (errorName(err) === 'InvalidParameterValueException' && /CodeSha256/.test(errorMessage(err))) {
        throw new DeployError(
          `$LATEST of ${functionName} does not hold the bundle uploaded as ${codeKey} (was its code changed outside CloudFormation?): ` +
            `${errorMessage(err)} The live alias was not moved; deploy again, or publish and move it by hand after checking the code.`,
        );
      }
      // The code or configuration update may still be settling right after the stack update.
      if (errorName(err) !== 'ResourceConflictException' || attempt >= 10) throw err;
      await sleep(poll);
    }
  }
  if (version !== previousVersion) {
    await clients.lambda.send(new UpdateAliasCommand({ FunctionName: functionName, Name: aliasName, FunctionVersion: version }));
    io.print(`Alias ${aliasName} of ${functionName}: version ${previousVersion ?? '?'} -> ${version}`);
    io.print(`  roll back with: aws lambda update-alias --function-name ${functionName} --name ${aliasName} --function-version ${previousVersion}`);
  } else {
    io.print(`Alias ${aliasName} of ${functionName} already serves version ${version}.`);
  }
  const functionUrl = output('FunctionUrl');
  if (functionUrl) {
    io.print(`Slack request URL (slash command, interactivity, events): ${output('SlackRequestUrl') ?? `${functionUrl}slack/events`}`);
    io.print(`GitHub webhook payload URL:                              ${output('GitHubWebhookUrl') ?? `${functionUrl}github/webhooks`}`);
  }
  const alarmTopic = output('AlarmTopicArn');
  if (alarmTopic) io.print(`Alarm topic for the service stacks (AlarmTopicArn):       ${alarmTopic}`);
  return { outcome: 'deployed', stackName, codeKey, changes: changes.length, backupDir, functionName, aliasName, version, previousVersion, functionUrl };
}
