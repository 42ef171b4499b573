/**
 * Builds the {@link DeployContext} from configuration and clients. Both entry points use it,
 * so Lambda and `npm start` run the same code over different transports.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WebClient } from '@slack/web-api';
import type { Env, FoxopsConfig } from './config/load.js';
import type { DeployContext } from './deploys/context.js';
import { auditRetentionDaysOf } from './domain/audit.js';
import type {
  AlarmStates,
  CardPublisher,
  FileDelivery,
  FunctionAliases,
  MetricGraphs,
  ProtectionRules,
  SourceControl,
  StackBackups,
  Stacks,
} from './domain/ports.js';
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
  /** Least time between new alarm messages in one channel (tests that are not about Slack's pace shorten it; default 1 s). */
  alarms?: { postSpacingMs?: number };
  /** CloudFormation polls of the stack check and the stack rollback (tests shorten them; default 8 polls, 2 s apart). */
  stackPolls?: { polls?: number; intervalMs?: number };
}

/** The clients and settings a context is made of. */
export interface ContextParts extends ContextTuning {
  config: FoxopsConfig;
  logger: Logger;
  dynamo: DynamoDBClient;
  /**
   * Slack's Web API client, or a function that makes it on first use: on Lambda the ack of a command never calls
   * Slack through it, and its constructor builds the whole API method tree (about 2 ms of a cold start).
   */
  slackClient: WebClient | (() => WebClient);
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

/** `load` once, on first use; a failed load is not kept, so the next use tries again. */
function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    }));
}

/**
 * The card publisher, loaded on first use: the paths that answer Slack only store and queue, while the jobs render
 * cards, so the card blocks (some 40 KiB) stay off a cold `/deploy prod`.
 */
function lazyCards(load: () => Promise<CardPublisher>): CardPublisher {
  const cards = onFirstUse(load);
  return {
    post: async (request) => (await cards()).post(request),
    refresh: async (requestId, options) => (await cards()).refresh(requestId, options),
    whisper: async (message) => (await cards()).whisper(message),
    reply: async (request, notice) => (await cards()).reply(request, notice),
    announce: async (channel, report) => (await cards()).announce(channel, report),
    postAlarm: async (channel, view) => (await cards()).postAlarm(channel, view),
    alarmReply: async (channel, threadTs, view) => (await cards()).alarmReply(channel, threadTs, view),
    reviseAlarm: async (channel, ts, view) => (await cards()).reviseAlarm(channel, ts, view),
    tell: async (channel, notice) => (await cards()).tell(channel, notice),
    dm: async (userId, message) => (await cards()).dm(userId, message),
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
  const appAuth = config.github.auth?.kind === 'app' ? config.github.auth : undefined;
  // One client per installation that sent a protection rule event; an app is usually installed once or twice.
  const installations = new Map<number, () => Promise<ProtectionRules>>();
  const protectionRules = (installationId: number) => {
    let client = installations.get(installationId);
    if (!client) {
      client = onFirstUse(async () => {
        const [{ createOctokit }, { GitHubProtectionRules }] = await Promise.all([import('./github/octokit.js'), import('./github/protection-rules.js')]);
        const auth = { ...(appAuth as NonNullable<typeof appAuth>), installationId: String(installationId) };
        return new GitHubProtectionRules(await createOctokit({ auth, baseUrl: config.github.apiUrl, logger, ...parts.github }));
      });
      installations.set(installationId, client);
    }
    return client();
  };
  const env = parts.env ?? process.env;
  /**
   * An AWS adapter over one client per region (`clients(service, make)`: `make` gets the service's client settings for a
   * region), its SDK and module loaded on first use (jobs only, never an ack path).
   */
  type Clients = <C>(service: string, make: (settings: object) => C) => (region: string | undefined) => C;
  const awsAdapter = <A>(load: (clients: Clients) => Promise<A>) =>
    onFirstUse(async () => {
      const { awsClientConfig, perRegion } = await import('./aws/client-config.js');
      return load((service, make) => perRegion((region) => make({ ...awsClientConfig(env, service), ...(region ? { region } : {}) })));
    });
  const functionAliases = awsAdapter<FunctionAliases>(async (clients) => {
    const [{ LambdaClient }, { LambdaFunctionAliases }] = await Promise.all([import('@aws-sdk/client-lambda'), import('./aws/lambda-aliases.js')]);
    return new LambdaFunctionAliases(clients('LAMBDA', (settings) => new LambdaClient(settings)));
  });
  const alarmStates = awsAdapter<AlarmStates>(async (clients) => {
    const [{ CloudWatchClient }, { CloudWatchAlarmStates }] = await Promise.all([import('@aws-sdk/client-cloudwatch'), import('./aws/cloudwatch-alarms.js')]);
    return new CloudWatchAlarmStates(clients('CLOUDWATCH', (settings) => new CloudWatchClient(settings)));
  });
  const metricGraphs = awsAdapter<MetricGraphs>(async (clients) => {
    const [{ CloudWatchClient }, { CloudWatchMetricGraphs }] = await Promise.all([import('@aws-sdk/client-cloudwatch'), import('./aws/metric-graphs.js')]);
    return new CloudWatchMetricGraphs(clients('CLOUDWATCH', (settings) => new CloudWatchClient(settings)));
  });
  const stacks = awsAdapter<Stacks>(async (clients) => {
    const [{ CloudFormationClient }, { CloudFormationStacks }] = await Promise.all([
      import('@aws-sdk/client-cloudformation'),
      import('./aws/cloudformation-stacks.js'),
    ]);
    return new CloudFormationStacks(clients('CLOUDFORMATION', (settings) => new CloudFormationClient(settings)));
  });
  const stackBackups = onFirstUse<StackBackups>(() =>
    import('./store/stack-backups.js').then(({ DynamoStackBackups }) => new DynamoStackBackups(parts.dynamo, config.tableName)),
  );
  let client: WebClient | undefined;
  const slackClient = (): WebClient => (client ??= typeof parts.slackClient === 'function' ? parts.slackClient() : parts.slackClient);
  const files = onFirstUse<FileDelivery>(() => import('./slack/files.js').then(({ SlackFileDelivery }) => new SlackFileDelivery(slackClient(), logger)));
  const outbox = new DynamoJobOutbox(parts.dynamo, config.tableName);
  // Local delivery loads the job runner on first use, so the Lambda ack path never does.
  const deliver = parts.runJobsHere ? async (key: string) => (await import('./jobs/run.js')).runQueuedJob(context, outbox, key) : undefined;
  const jobs = new OutboxJobQueue(outbox, now, logger, deliver);
  const context: DeployContext = {
    catalog: config.catalog,
    ...store,
    outbox,
    jobs,
    cards: lazyCards(() => import('./slack/cards.js').then(({ SlackCardPublisher }) => new SlackCardPublisher(slackClient(), store.requests, logger))),
    directory: new SlackDirectory(slackClient, logger),
    sourceControl,
    ...(appAuth ? { protectionRules } : {}),
    functionAliases,
    alarmStates,
    metricGraphs,
    stacks,
    stackBackups,
    files,
    ...(parts.stackPolls ? { stackPolls: parts.stackPolls } : {}),
    logger,
    now,
    ...(parts.cards?.spacingMs !== undefined ? { cardUpdateSpacingMs: parts.cards.spacingMs } : {}),
    ...(parts.alarms?.postSpacingMs !== undefined ? { alarmPostSpacingMs: parts.alarms.postSpacingMs } : {}),
  };
  return { context, jobs };
}
