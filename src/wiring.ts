/**
 * Builds the {@link DeployContext} from configuration and clients. Both entry points use it,
 * so Lambda and `npm start` run the same code over different transports.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WebClient } from '@slack/web-api';
import type { Env, FoxopsConfig } from './config/load.js';
import type { DeployContext } from './deploys/context.js';
import { auditRetentionDaysOf } from './domain/audit.js';
import type { AlarmStates, CardPublisher, FileDelivery, FunctionAliases, SourceControl, StackBackups, Stacks } from './domain/ports.js';
import { OutboxJobQueue } from './jobs/queues.js';
import type { Logger } from './log.js';
import { SlackDirectory } from './slack/directory.js';
import { dynamoStore } from './store/dynamo-store.js';
import { DynamoJobOutbox } from './store/job-outbox.js';

/** What tests, the benchmark and the sandbox may tune; every entry point takes the same shape. */
export interface ContextTuning {
  /** The clock of decisions and card-edit slots (default: the real one). */
  now?: () => Date;
  /** Retry and timeout tuning for GitHub calls (tests shorten them). */
  github?: { retryBaseMs?: number; timeoutMs?: number; throttleId?: string };
  /** Card edit coalescing (tests and the benchmark shorten the spacing; default 1 s). */
  cards?: { spacingMs?: number };
  /** CloudFormation polls of the stack check and the stack rollback (tests shorten them; default 8 polls, 2 s apart). */
  stackPolls?: { polls?: number; intervalMs?: number };
}

/** The clients and settings a context is made of. */
export interface ContextParts extends ContextTuning {
  config: FoxopsConfig;
  logger: Logger;
  dynamo: DynamoDBClient;
  slackClient: WebClient;
  /** Where AWS endpoints and credentials for the deployed services' Lambda aliases come from (default `process.env`). */
  env?: Env;
  /**
   * Run queued jobs in this process (npm start, the sandbox). On Lambda the table's stream delivers them to the
   * function instead, so queueing costs the ack one conditional put and nothing else.
   */
  runJobsHere?: boolean;
}

/** The deploy context and its job queue (whose `idle()` local runs and tests wait on). */
export interface Wired {
  context: DeployContext;
  jobs: OutboxJobQueue;
}

/**
 * The card publisher, loaded on first use: the paths that answer Slack only store and queue, while the jobs render
 * cards, so the card blocks (some 40 KiB) stay off a cold `/deploy prod`.
 */
function lazyCards(load: () => Promise<CardPublisher>): CardPublisher {
  let loaded: Promise<CardPublisher> | undefined;
  const cards = () =>
    (loaded ??= load().catch((err) => {
      // A failed load is not kept: the next call tries again.
      loaded = undefined;
      throw err;
    }));
  return {
    post: async (request) => (await cards()).post(request),
    refresh: async (requestId, options) => (await cards()).refresh(requestId, options),
    whisper: async (message) => (await cards()).whisper(message),
    reply: async (request, notice) => (await cards()).reply(request, notice),
    announce: async (channel, report) => (await cards()).announce(channel, report),
    tell: async (channel, notice) => (await cards()).tell(channel, notice),
  };
}

/** Creates the deploy context; GitHub's client is created on first use. */
export function createDeployContext(parts: ContextParts): Wired {
  const { config, logger } = parts;
  const now = parts.now ?? (() => new Date());
  const store = dynamoStore(parts.dynamo, config.tableName, now, { retentionDays: auditRetentionDaysOf(config.catalog) });
  let scm: Promise<SourceControl> | undefined;
  const sourceControl = () =>
    (scm ??= (async () => {
      if (!config.github.auth) throw new Error('GitHub credentials are missing: set GITHUB_TOKEN or the GitHub App variables');
      const [{ createOctokit }, { GitHubSourceControl }] = await Promise.all([import('./github/octokit.js'), import('./github/source-control.js')]);
      const octokit = await createOctokit({ auth: config.github.auth, baseUrl: config.github.apiUrl, logger, ...parts.github });
      return new GitHubSourceControl(octokit, logger, parts.github?.retryBaseMs);
    })());
  let aliases: Promise<FunctionAliases> | undefined;
  const functionAliases = () =>
    (aliases ??= (async () => {
      const [{ LambdaClient }, { LambdaFunctionAliases }, { awsClientConfig }] = await Promise.all([
        import('@aws-sdk/client-lambda'),
        import('./aws/lambda-aliases.js'),
        import('./aws/client-config.js'),
      ]);
      const env = parts.env ?? process.env;
      return new LambdaFunctionAliases((region) => new LambdaClient({ ...awsClientConfig(env, 'LAMBDA'), ...(region ? { region } : {}) }));
    })());
  let alarms: Promise<AlarmStates> | undefined;
  const alarmStates = () =>
    (alarms ??= (async () => {
      const [{ CloudWatchClient }, { CloudWatchAlarmStates }, { awsClientConfig }] = await Promise.all([
        import('@aws-sdk/client-cloudwatch'),
        import('./aws/cloudwatch-alarms.js'),
        import('./aws/client-config.js'),
      ]);
      const env = parts.env ?? process.env;
      return new CloudWatchAlarmStates((region) => new CloudWatchClient({ ...awsClientConfig(env, 'CLOUDWATCH'), ...(region ? { region } : {}) }));
    })());
  let cfn: Promise<Stacks> | undefined;
  const stacks = () =>
    (cfn ??= (async () => {
      const [{ CloudFormationClient }, { CloudFormationStacks }, { awsClientConfig }] = await Promise.all([
        import('@aws-sdk/client-cloudformation'),
        import('./aws/cloudformation-stacks.js'),
        import('./aws/client-config.js'),
      ]);
      const env = parts.env ?? process.env;
      return new CloudFormationStacks((region) => new CloudFormationClient({ ...awsClientConfig(env, 'CLOUDFORMATION'), ...(region ? { region } : {}) }));
    })());
  let backups: Promise<StackBackups> | undefined;
  const stackBackups = () =>
    (backups ??= import('./store/stack-backups.js').then(({ DynamoStackBackups }) => new DynamoStackBackups(parts.dynamo, config.tableName)));
  let delivery: Promise<FileDelivery> | undefined;
  const files = () => (delivery ??= import('./slack/files.js').then(({ SlackFileDelivery }) => new SlackFileDelivery(parts.slackClient, logger)));
  const outbox = new DynamoJobOutbox(parts.dynamo, config.tableName);
  // Local delivery loads the job runner on first use, so the Lambda ack path never does.
  const deliver = parts.runJobsHere ? async (key: string) => (await import('./jobs/run.js')).runQueuedJob(context, outbox, key) : undefined;
  const jobs = new OutboxJobQueue(outbox, now, logger, deliver);
  const context: DeployContext = {
    catalog: config.catalog,
    ...store,
    outbox,
    jobs,
    cards: lazyCards(() => import('./slack/cards.js').then(({ SlackCardPublisher }) => new SlackCardPublisher(parts.slackClient, store.requests, logger))),
    directory: new SlackDirectory(parts.slackClient, logger),
    sourceControl,
    functionAliases,
    alarmStates,
    stacks,
    stackBackups,
    files,
    ...(parts.stackPolls ? { stackPolls: parts.stackPolls } : {}),
    logger,
    now,
    ...(parts.cards?.spacingMs !== undefined ? { cardUpdateSpacingMs: parts.cards.spacingMs } : {}),
  };
  return { context, jobs };
}
