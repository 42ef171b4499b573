/**
 * What the sandbox starts with: the people of the person switcher, the channels, the repository with a few commits
 * whose CI is green, the services' Lambda functions with versions and the alias `live`, their CloudWatch alarms (OK)
 * and their CloudFormation stacks (healthy, in sync). The ids agree with src/sandbox/foxops.yml.
 */
import type { DeploymentLedger } from '../domain/ports.js';
import type { FakeCloudFormation } from './sim/cloudformation.js';
import type { FakeCloudWatch } from './sim/cloudwatch.js';
import type { FakeCommitSpec, FakeGitHub } from './sim/github.js';
import type { FakeLambda, LambdaSnapshot } from './sim/aws.js';
import type { FakeSlack } from './sim/slack.js';
import type { SandboxChannel, SandboxPerson, SandboxState } from './protocol.js';
import type { SandboxAlarm, SandboxBook } from './state.js';

/** foxops' bot in the sandbox. */
export const BOT = { userId: 'U0FOXOPS', botId: 'B0FOXOPS' } as const;
export const REPO = 'foxy-org/foxy-backend';
export const DEFAULT_BRANCH = 'main';
/** The alias foxops moves in each environment's function. */
export const LIVE_ALIAS = 'live';
export const SERVICE = 'foxy-backend';
/** The jobs of deploy.yml, as a run lists them from its dispatch on: the run driver plays VERIFY_JOBS. */
export const WORKFLOW_JOBS = ['verify', 'build', 'deploy'];

/** The person switcher. */
export const PEOPLE: SandboxPerson[] = [
  { id: 'U0DAVE', name: 'Dave', role: 'requester' },
  { id: 'U0ALICE', name: 'Alice', role: 'approver' },
  { id: 'U0BOB', name: 'Bob', role: 'approver' },
  { id: 'U0CAROL', name: 'Carol', role: 'approver through @release' },
  { id: 'U0ERIN', name: 'Erin', role: 'not allowed' },
];

export const GROUPS: SandboxState['groups'] = { S0RELEASE: { handle: 'release', users: ['U0CAROL'] } };

/** The direct message channel `conversations.open` gives for a person (as the Slack simulator makes it). */
export const dmOf = (user: string): string => `D${user.slice(1)}`;

export const CHANNELS: SandboxChannel[] = [
  { id: 'C0STAGING', name: 'staging', kind: 'channel', topic: 'Deploys to staging: no approvals needed' },
  { id: 'C0PROD', name: 'production', kind: 'channel', topic: 'Deploys to production: 2 approvals from Alice, Bob or @release' },
  { id: 'C0AUDIT', name: 'audit', kind: 'channel', topic: 'Break-glass requests and audit exports' },
  ...PEOPLE.map((p): SandboxChannel => ({ id: dmOf(p.id), name: 'foxops', kind: 'dm', user: p.id, topic: `${p.name}'s direct messages with foxops` })),
];

/** The environments and their Lambda functions and stacks (as in foxops.yml's targets). */
export const ENVIRONMENTS = [
  { name: 'staging', functionName: 'foxy-backend-staging', stack: 'foxy-backend-staging' },
  { name: 'production', functionName: 'foxy-backend-production', stack: 'foxy-backend-production' },
] as const;

/** The first commits of the repository, oldest first: realistic messages and authors. */
const FIRST_COMMITS: Array<{ message: string; author: string }> = [
  { message: 'Add health check endpoint for the load balancer', author: 'alice-foxy' },
  { message: 'Bump aws-sdk to 3.1169 and drop the v2 shim', author: 'bob-foxy' },
  { message: 'Orders: validate the currency before pricing (#412)', author: 'dave-foxy' },
  { message: 'Cache product lookups for 60 s in the catalog client', author: 'carol-foxy' },
  { message: 'Fix off-by-one in invoice pagination (#418)', author: 'dave-foxy' },
  { message: 'Log the request id on every error response', author: 'alice-foxy' },
];

/** Messages for commits pushed from the GitHub panel, taken in turn. */
export const MORE_COMMITS: Array<{ message: string; author: string }> = [
  { message: 'Retry payment provider timeouts once (#421)', author: 'bob-foxy' },
  { message: 'Speed up the orders query with an index hint', author: 'carol-foxy' },
  { message: 'Add a feature flag for the new checkout', author: 'dave-foxy' },
  { message: 'Tidy up the error messages of the cart API', author: 'alice-foxy' },
  { message: 'Upgrade Node to 20.19 in the build image', author: 'bob-foxy' },
  { message: 'Refund: send the receipt e-mail again on retry (#430)', author: 'dave-foxy' },
];

/** A small CloudFormation template of a service: its function and alias. */
const stackTemplate = (functionName: string) => `AWSTemplateFormatVersion: '2010-09-09'
Description: ${functionName}
Resources:
  Function:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: ${functionName}
      Runtime: nodejs20.x
      Handler: index.handler
      MemorySize: 512
  LiveAlias:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Function
      Name: live
      FunctionVersion: '3'
`;

/** The alarms of every environment's function. */
export function seedAlarms(): SandboxAlarm[] {
  return ENVIRONMENTS.flatMap((env) => [
    {
      name: `${env.functionName}-errors`,
      state: 'OK' as const,
      service: SERVICE,
      environment: env.name,
      functionName: env.functionName,
      metricName: 'Errors',
      threshold: 5,
      description: `More than 5 errors a minute in ${SERVICE} (${env.name})`,
    },
    {
      name: `${env.functionName}-latency`,
      state: 'OK' as const,
      service: SERVICE,
      environment: env.name,
      functionName: env.functionName,
      metricName: 'Duration',
      threshold: 1000,
      description: `p99 latency of ${SERVICE} (${env.name}) above 1 s`,
    },
  ]);
}

/** The sandbox's own book at the start. */
export function freshBook(): SandboxBook {
  return { alarms: seedAlarms(), nextRun: 'succeed', outcomes: {}, verifications: {}, triggers: {} };
}

/** The people, the release group and the bot token in the Slack simulator. */
export function seedSlack(slack: FakeSlack, botToken: string): void {
  for (const person of PEOPLE) slack.setUser(person.id, { name: person.name.toLowerCase(), real_name: person.name, tz: 'Europe/Berlin' });
  for (const [id, group] of Object.entries(GROUPS)) slack.setUserGroup(id, group.users);
  slack.requireToken(botToken);
}

/** Sets the CI of `sha` in the simulator: one check run (`pending` is one in progress). */
export function setCi(github: FakeGitHub, sha: string, state: 'success' | 'failure' | 'pending'): void {
  github.setCheckRuns(REPO, sha, [
    state === 'pending' ? { name: 'ci / test', status: 'in_progress', conclusion: null } : { name: 'ci / test', status: 'completed', conclusion: state },
  ]);
}

/**
 * The repository, its workflow and its first commits (an hour apart, the last an hour ago; the first of them is the
 * repository's first), with green CI; returns their SHAs, oldest first.
 */
export function seedGitHub(github: FakeGitHub, token: string, now = Date.now()): string[] {
  const [first, ...rest] = FIRST_COMMITS.map((c, i) => ({ ...c, date: new Date(now - (FIRST_COMMITS.length - i) * 3_600_000) }));
  declareRepo(github, token, first);
  const initial = github.headOf(REPO, DEFAULT_BRANCH);
  setCi(github, initial, 'success');
  return [initial, ...pushCommits(github, rest)];
}

/** The repository and its workflow (before restoring the simulator's snapshot: commits and all), and the token it takes. */
export function declareRepo(github: FakeGitHub, token: string, initialCommit?: FakeCommitSpec): void {
  github.addRepo(REPO, {
    defaultBranch: DEFAULT_BRANCH,
    workflows: [{ file: 'deploy.yml', name: 'Deploy', jobs: WORKFLOW_JOBS }],
    ...(initialCommit ? { initialCommit } : {}),
  });
  github.requireToken(token);
}

/** Pushes `specs` to the default branch (dated now unless they say otherwise) with green CI; returns their SHAs. */
export function pushCommits(github: FakeGitHub, specs: Array<{ message: string; author: string; date?: Date }>): string[] {
  const shas = github.pushCommits(
    REPO,
    DEFAULT_BRANCH,
    specs.map((spec) => ({ ...spec, date: spec.date ?? new Date() })),
  );
  for (const sha of shas) setCi(github, sha, 'success');
  return shas;
}

/**
 * Each environment's function, as the deploys of {@link seedHistory} left it: production's versions 1–3 (described by the
 * three oldest SHAs) with `live` on 3; staging one deploy ahead, versions 1–4 with `live` on 4.
 */
export function seedLambda(lambda: FakeLambda, shas: string[]): void {
  const snapshot = lambda.snapshot() as LambdaSnapshot;
  const lastModified = new Date(Date.now() - 86_400_000).toISOString().replace('Z', '+0000');
  for (const env of ENVIRONMENTS) {
    const live = liveVersionOf(env.name);
    const versions = ['$LATEST', ...Array.from({ length: live }, (_, i) => String(i + 1))].map((version, i) => ({
      version,
      description: version === '$LATEST' ? '' : (shas[i - 1] ?? ''),
      codeSha256: Buffer.from(`${env.functionName}@${version}`).toString('base64'),
      lastModified,
    }));
    const alias = {
      name: LIVE_ALIAS,
      functionVersion: String(live),
      description: '',
      revisionId: `00000000-0000-4000-8000-5eed${env.name === 'staging' ? '00000001' : '00000002'}`,
    };
    snapshot.functions = [...snapshot.functions.filter((f) => f.name !== env.functionName), { name: env.functionName, versions, aliases: [alias] }];
  }
  lambda.restore(snapshot);
}

/** Each environment's stack: UPDATE_COMPLETE, every resource in sync. */
export function seedStacks(cloudformation: FakeCloudFormation): void {
  for (const env of ENVIRONMENTS) {
    cloudformation.addStack({
      StackName: env.stack,
      StackStatus: 'UPDATE_COMPLETE',
      TemplateBody: stackTemplate(env.functionName),
      Tags: { service: SERVICE, environment: env.name },
      drift: { resources: [], polls: 1 },
    });
  }
}

/** The alarms' states in the CloudWatch simulator. */
export function seedAlarmStates(cloudwatch: FakeCloudWatch, alarms: SandboxAlarm[]): void {
  for (const alarm of alarms) cloudwatch.setAlarm(alarm.name, alarm.state);
}

/** The version `live` serves in an environment at the start: staging is one deploy ahead of production. */
const liveVersionOf = (environment: string): number => (environment === 'staging' ? 4 : 3);

/**
 * What foxops deployed before the sandbox started, written through foxops' own ledger: each environment's last two
 * deploys, the versions before `live` (two days ago) and `live` itself (a day ago), each the commit its version was
 * built from, by Alice with Bob's and Carol's approval. So the first card lists the commits since then,
 * `/deploy rollback` has a known good version to go back to, and a promotion has a staging SHA.
 */
export async function seedHistory(ledger: DeploymentLedger, shas: string[], now = Date.now()): Promise<void> {
  for (const [i, env] of ENVIRONMENTS.entries()) {
    const live = liveVersionOf(env.name);
    for (const [n, version] of [live - 1, live].entries()) {
      const sha = shas[version - 1];
      if (!sha) continue;
      const finishedAt = new Date(now - (2 - i) * 3_600_000 - (2 - n) * 86_400_000);
      await ledger.record({
        service: SERVICE,
        environment: env.name,
        sha,
        shaUrl: `https://github.com/${REPO}/commit/${sha}`,
        ref: DEFAULT_BRANCH,
        // Ten characters after `d-`, like every deploy id: `seedprodu1`, then `seedproduc` for the live one.
        requestId: `d-seed${version === live ? env.name.slice(0, 6).padEnd(6, '0') : `${env.name.slice(0, 5).padEnd(5, '0')}1`}`,
        kind: 'deploy',
        requester: 'U0ALICE',
        approvers: env.name === 'production' ? ['U0BOB', 'U0CAROL'] : [],
        outcome: 'succeeded',
        requestedAt: new Date(finishedAt.getTime() - 15 * 60_000).toISOString(),
        startedAt: new Date(finishedAt.getTime() - 4 * 60_000).toISOString(),
        finishedAt: finishedAt.toISOString(),
        version: String(version),
      });
    }
  }
}
