/**
 * The Lambda entry: wires and routes, nothing else.
 *  - Function URL / HTTP API (payload v2): `POST /slack/events` through Bolt's AwsLambdaReceiver,
 *    `POST /github/webhooks`, `POST /github/verify` (a workflow's OIDC token, src/github/verify.ts), `GET /health`.
 *  - DynamoDB stream: the jobs of the outbox (prepare, dispatch, card edits, replies, alarm posts); failed ones are
 *    reported back (`batchItemFailures`) so that the stream delivers them again.
 *  - `{ foxopsJob }`: a job handed over directly (operators, tests); queued and run at once.
 *  - EventBridge schedule (`{ "foxops": "reconcile" }` or a Scheduled Event): the reconciler.
 *  - SNS, and EventBridge (`CloudWatch Alarm State Change`): CloudWatch alarms of the deployed services, each state
 *    change queued as one alarm job (posted by the stream's delivery), once even when both sources deliver it.
 * Each path loads only the modules it needs, so a cold `/deploy help` does not pay for GitHub or DynamoDB.
 */
import type { SnsEvent } from '../alarms/envelope.js';
import type { Env, FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import type { AlarmNotice } from '../domain/alarm.js';
import { type HttpEvent, type HttpResult, json } from '../http.js';
import { createLogger, type Logger } from '../log.js';
import type { ContextTuning } from '../wiring.js';
import type { BatchResponse, StreamEvent } from '../jobs/stream.js';
import type { SlackHandler } from './slack-handler.js';

export type { HttpEvent, HttpResult } from '../http.js';

const isHttp = (e: unknown): e is HttpEvent => typeof (e as HttpEvent)?.requestContext?.http?.method === 'string';
const isSns = (e: unknown): boolean => Array.isArray((e as SnsEvent)?.Records) && (e as SnsEvent).Records.some((r) => r?.EventSource === 'aws:sns');
/** A DynamoDB stream batch (the outbox); each record is checked by `runStreamBatch` in src/jobs/stream.ts. */
const isDynamoStream = (e: unknown): boolean => Array.isArray((e as StreamEvent)?.Records) && (e as StreamEvent).Records[0]?.eventSource === 'aws:dynamodb';
/** A job handed over directly; its shape is checked by `readJob` (src/jobs/parse.ts) before anything runs. */
const isJobEvent = (e: unknown): e is { foxopsJob: unknown } => typeof e === 'object' && e !== null && 'foxopsJob' in e;
/**
 * CloudWatch's own alarm state change, through an EventBridge rule on this account's bus (or forwarded there from
 * another account's); its shape is checked by `parseAlarmEvent` (src/alarms/envelope.ts).
 */
const isAlarmEvent = (e: unknown): boolean => {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const a = e as { 'detail-type'?: unknown; source?: unknown };
  return a.source === 'aws.cloudwatch' && a['detail-type'] === 'CloudWatch Alarm State Change';
};
/** The reconciler's schedule: the rule's input `{ "foxops": "reconcile" }`, or EventBridge's own Scheduled Event. */
const isSchedule = (e: unknown): boolean => {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const s = e as { foxops?: unknown; 'detail-type'?: unknown; source?: unknown };
  return s.foxops === 'reconcile' || (s['detail-type'] === 'Scheduled Event' && s.source === 'aws.events');
};

/**
 * True when a Slack request will touch the store: every button, and every `/deploy` except help.
 * Only a hint for prefetching; Bolt still parses and verifies the request.
 */
export function needsDeployContext(body: string): boolean {
  const form = new URLSearchParams(body);
  if (form.has('payload')) return true;
  if (!form.has('command')) return false;
  const text = (form.get('text') ?? '').trim().toLowerCase();
  return text !== '' && !/^(help|-h|--help|\?)$/.test(text);
}

/** Options for tests and the benchmark: clock, GitHub tuning and card edit spacing (see {@link ContextTuning}). */
export type HandlerOptions = ContextTuning;

/** Creates a Lambda handler reading its settings from `env`. */
export function createHandler(env: Env = process.env, options: HandlerOptions = {}) {
  let logger: Logger = createLogger((env.LOG_LEVEL as 'info') ?? 'info');
  let configPromise: Promise<FoxopsConfig> | undefined;
  let contextPromise: Promise<DeployContext> | undefined;
  let slackPromise: Promise<SlackHandler> | undefined;

  const config = () =>
    (configPromise ??= (async () => {
      let effective = env;
      if (env.FOXOPS_SSM_PREFIX) {
        const { loadSsmSecrets } = await import('../aws/ssm-secrets.js');
        effective = await loadSsmSecrets(env, env.FOXOPS_SSM_PREFIX);
      }
      const { loadConfig } = await import('../config/load.js');
      const loaded = await loadConfig(effective, { strict: true });
      logger = createLogger(loaded.logLevel);
      return loaded;
    })().catch((err) => {
      // Do not cache a failed start: the next event tries again after the operator fixed SSM.
      configPromise = undefined;
      throw err;
    }));

  // Neither is cached when it fails (its config could not load): the next event tries again.
  const context = () =>
    (contextPromise ??= (async () => {
      const cfg = await config();
      const { createLambdaContext } = await import('./deploy-context.js');
      return createLambdaContext(env, cfg, logger, options);
    })().catch((err) => {
      contextPromise = undefined;
      throw err;
    }));

  const slack = () =>
    (slackPromise ??= (async () => {
      const cfg = await config();
      const { createSlackHandler } = await import('./slack-handler.js');
      return createSlackHandler(cfg, logger, context);
    })().catch((err) => {
      slackPromise = undefined;
      throw err;
    }));

  async function http(event: HttpEvent, lambdaContext: unknown): Promise<HttpResult> {
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    // Bolt decodes base64 bodies as ASCII, which breaks non-ASCII text and its signature: decode here as UTF-8.
    const raw = typeof event.body === 'string' ? event.body : '';
    const body = raw && event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const plain = { ...event, headers: event.headers ?? {}, body, isBase64Encoded: false };
    if (method === 'GET' && path === '/health') return json(200, { ok: true });
    if (method === 'POST' && path === '/slack/events') {
      // Start loading the deploy context (AWS SDK clients) while Bolt loads, when the request will need it.
      if (needsDeployContext(body)) void context().catch(() => undefined);
      try {
        return await (await slack())(plain, lambdaContext);
      } catch (err) {
        logger.error('slack.request_failed', { err });
        return json(400, { error: 'bad request' });
      }
    }
    if (method === 'POST' && path === '/github/webhooks') {
      const { handleGitHubWebhook } = await import('../github/webhooks.js');
      return handleGitHubWebhook(await config(), context, logger, plain);
    }
    if (method === 'POST' && path === '/github/verify') {
      // jose is loaded here only: no other path pays for it.
      const { handleGitHubVerify } = await import('../github/verify.js');
      return handleGitHubVerify(await config(), context, logger, plain);
    }
    return json(404, { error: `no route for ${method} ${path}` });
  }

  /**
   * CloudWatch alarms of deployed services, through the alarm topic: each state change becomes one alarm job in the
   * outbox (its key is the alarm, state and time, so a repeated SNS delivery queues nothing new). A job that could
   * not be stored fails the invocation, and Lambda's async retries (then the on-failure queue) keep the alarm.
   */
  async function alarms(event: SnsEvent): Promise<undefined> {
    const [ctx, { parseAlarmMessage, readSnsRecord }] = await Promise.all([context(), import('../alarms/envelope.js')]);
    const failures: unknown[] = [];
    for (const record of event.Records) {
      // A null or foreign record, or one without text, is logged and skipped like a message that is no alarm.
      const read = readSnsRecord(record);
      const notice = 'problem' in read ? read : parseAlarmMessage(read.message);
      if ('problem' in notice) {
        logger.error('alarm.unreadable', { via: 'sns', messageId: read.messageId, topic: read.topic, problem: notice.problem });
        continue;
      }
      const failed = await queueAlarm(ctx, notice);
      if (failed) failures.push(failed);
    }
    if (failures.length) throw new Error(`${failures.length} alarm(s) could not be queued; Lambda will deliver them again`);
    return undefined;
  }

  /**
   * A CloudWatch alarm state change through an EventBridge rule, queued like an SNS notification: the same change from
   * both sources has the same job key, so the second queues nothing. A job that could not be stored fails the
   * invocation (EventBridge invokes asynchronously, so Lambda's retries and on-failure queue keep the alarm).
   */
  async function alarmEvent(event: unknown): Promise<undefined> {
    const [ctx, { parseAlarmEvent, readEventIds }] = await Promise.all([context(), import('../alarms/envelope.js')]);
    const notice = parseAlarmEvent(event);
    if ('problem' in notice) {
      logger.error('alarm.unreadable', { via: 'eventbridge', ...readEventIds(event), problem: notice.problem });
      return undefined;
    }
    if (await queueAlarm(ctx, notice)) throw new Error('the alarm could not be queued; Lambda will deliver it again');
    return undefined;
  }

  /** Queues the alarm job of `notice`; returns the error when it could not be stored (logged here), else undefined. */
  async function queueAlarm(ctx: DeployContext, notice: AlarmNotice): Promise<unknown> {
    try {
      const queued = await ctx.jobs.enqueue({ type: 'alarm', alarm: notice });
      // Not new: a repeated delivery, or the same change through the other source (SNS and EventBridge both on).
      if (!queued) logger.debug('alarm.already_queued', { alarm: notice.name, state: notice.state, at: notice.at, via: notice.source });
      return undefined;
    } catch (err) {
      logger.error('alarm.queue_failed', { alarm: notice.name, via: notice.source, err });
      return err ?? new Error('queue failed');
    }
  }

  return async function handler(event: unknown, lambdaContext?: unknown): Promise<HttpResult | BatchResponse | undefined> {
    if (isHttp(event)) return http(event, lambdaContext);
    if (isSns(event)) return alarms(event as SnsEvent);
    if (isAlarmEvent(event)) return alarmEvent(event);
    if (isDynamoStream(event)) {
      const [ctx, { runStreamBatch }] = await Promise.all([context(), import('../jobs/stream.js')]);
      return runStreamBatch(ctx, event as StreamEvent);
    }
    if (isJobEvent(event)) {
      // A job handed over directly (an operator's `aws lambda invoke`, tests): queued under its key leased to this
      // invocation and run at once; the stream's delivery of its item leaves it to this runner (queueAndRun).
      const [ctx, { queueAndRun }, { readJob }] = await Promise.all([context(), import('../jobs/run.js'), import('../jobs/parse.js')]);
      const read = readJob(event.foxopsJob);
      if ('problem' in read) {
        logger.warn('job.unreadable', { via: 'invoke', problem: read.problem });
        return;
      }
      await queueAndRun(ctx, ctx.outbox, read.job);
      return;
    }
    if (isSchedule(event)) {
      const [ctx, { runJob }] = await Promise.all([context(), import('../jobs/run.js')]);
      await runJob(ctx, { type: 'reconcile' });
      return;
    }
    logger.error('lambda.unknown_event', { keys: Object.keys((event as object) ?? {}) });
  };
}

/** The function's handler (`dist/lambda/index.mjs`). */
export const handler = createHandler();
