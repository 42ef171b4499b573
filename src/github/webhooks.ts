/**
 * `POST /github/webhooks`: GitHub tells foxops how its runs go. Same function on the Lambda Function URL
 * and on the local server.
 *
 * Subscribe the webhook (repository or organisation, content type `application/json`, secret =
 * `GITHUB_WEBHOOK_SECRET`) to: Workflow runs, Workflow jobs, Deployment statuses; and for the `ci` pre-flight check,
 * Check suites and Statuses (src/github/ci-webhook.ts).
 * As a GitHub App with a custom deployment protection rule, also to Deployment protection rule: those deliveries
 * queue a decision (src/github/protection-rule-webhook.ts, docs/github-enforcement.md).
 *
 * A run is matched to its request by the run id that the dispatch returned; where GitHub returned none
 * (GitHub Enterprise Server without `return_run_details`), by the deploy id in the run's name. For that the
 * deploy workflow needs this line, next to `name:`:
 *
 *     run-name: "Deploy ${{ inputs.environment }} ${{ inputs.sha }} [${{ inputs.deploy_id }}]"
 *
 * The answer comes from the store alone (no GitHub or Slack call on this path), well within GitHub's 10 s:
 * verify → parse → match → claim the delivery → conditional write → queue the card edit and replies.
 */
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import { findRequestForRun, recordRunUpdate } from '../deploys/run-progress.js';
import type { RunUpdate } from '../domain/run-events.js';
import { type HttpEvent, type HttpResult, header, json } from '../http.js';
import { clip, type Logger } from '../log.js';
import { type WebhookEventName, type WebhookPayload, deploymentOf, runUpdateFromJob, runUpdateFromRun, webhookSchemas } from './run-payloads.js';
import { verifyWebhookSignature } from './signature.js';

/** GitHub redelivers by hand or by API for up to three days; a delivery id is remembered that long. */
const DELIVERY_TTL_SECONDS = 3 * 86_400;
/** GitHub's delivery ids are GUIDs; anything printable up to 128 characters is taken, nothing that could not be a key. */
const DELIVERY_ID = /^[\x21-\x7e]{1,128}$/;

/** Run news taken from one event, or why the event concerns no run. */
type RunNews = { repo: string; runId: number; update: RunUpdate; title?: string; workflowPath?: string } | { ignore: string };

/** The run news in a payload already validated against `webhookSchemas[name]`. */
function runNews(name: WebhookEventName, payload: unknown): RunNews {
  switch (name) {
    case 'workflow_run': {
      const e = payload as WebhookPayload<'workflow_run'>;
      const update = runUpdateFromRun(e.workflow_run);
      return { repo: e.repository.full_name, runId: e.workflow_run.id, update, title: update.title, workflowPath: e.workflow_run.path ?? undefined };
    }
    case 'workflow_job': {
      const e = payload as WebhookPayload<'workflow_job'>;
      return { repo: e.repository.full_name, runId: e.workflow_job.run_id, update: runUpdateFromJob(e.workflow_job) };
    }
    case 'deployment_status': {
      const e = payload as WebhookPayload<'deployment_status'>;
      if (!e.workflow_run) return { ignore: 'deployment not made by a workflow run' };
      const update = { ...runUpdateFromRun(e.workflow_run), deployment: deploymentOf(e) };
      return { repo: e.repository.full_name, runId: e.workflow_run.id, update, title: update.title, workflowPath: e.workflow_run.path ?? undefined };
    }
  }
}

const isFollowed = (name: string): name is WebhookEventName => Object.hasOwn(webhookSchemas, name);

/** A delivery's body as JSON, or the 400 that says it is not (logged): one answer for every event foxops reads. */
function parseBody(body: string, logger: Logger, fields: Record<string, unknown>): { payload: unknown } | { invalid: HttpResult } {
  try {
    return { payload: JSON.parse(body) as unknown };
  } catch (err) {
    logger.warn('github.webhook_invalid', {
      ...fields,
      problem: `body is not JSON: ${(err as Error).message}`,
      hint: 'set the webhook content type to application/json',
    });
    return { invalid: json(400, { error: 'body is not JSON; set the webhook content type to application/json' }) };
  }
}

/**
 * Handles one GitHub webhook delivery. 503 without a configured secret, 401 for a missing or wrong
 * signature (nothing read or written), 400 for a payload foxops cannot read, 200 otherwise: applied,
 * repeated (`duplicate`) or not foxops' business (`ignored`). 500 only when the store fails; the
 * reconciler then catches up from GitHub.
 */
export async function handleGitHubWebhook(config: FoxopsConfig, context: () => Promise<DeployContext>, logger: Logger, event: HttpEvent): Promise<HttpResult> {
  const started = performance.now();
  const delivery = header(event, 'x-github-delivery');
  const name = header(event, 'x-github-event');
  // Header values are not signed: cut short in logs, and a delivery id must look like one before it becomes a key.
  const fields = { delivery: delivery === undefined ? undefined : clip(delivery, 100), event: name === undefined ? undefined : clip(name, 100) };
  const secret = config.github.webhookSecret;
  if (!secret) {
    logger.error('github.webhook_secret_missing', {
      ...fields,
      fix:
        'set GITHUB_WEBHOOK_SECRET to the secret of the GitHub webhook (Settings > Webhooks of the repository or organisation), ' +
        'then restart or redeploy foxops',
    });
    return json(503, { error: 'GitHub webhooks are not set up on this foxops: GITHUB_WEBHOOK_SECRET is missing' });
  }
  const body = event.body ?? '';
  const signature = header(event, 'x-hub-signature-256');
  if (!verifyWebhookSignature(secret, body, signature)) {
    logger.warn('github.webhook_bad_signature', {
      ...fields,
      reason: signature ? 'signature does not match GITHUB_WEBHOOK_SECRET' : 'no X-Hub-Signature-256 header',
    });
    return json(401, { error: 'bad signature' });
  }
  if (!name) {
    logger.warn('github.webhook_invalid', { ...fields, problem: 'no X-GitHub-Event header' });
    return json(400, { error: 'X-GitHub-Event is missing' });
  }
  if (name === 'ping') {
    logger.info('github.webhook_ping', fields);
    return json(200, { ok: true, pong: true });
  }
  if (name === 'deployment_protection_rule') {
    // The delivery id keys the job when GitHub names no deployment: it must look like one before it becomes a key.
    if (!delivery || !DELIVERY_ID.test(delivery)) {
      logger.warn('github.webhook_invalid', { ...fields, problem: 'no X-GitHub-Delivery header that is a delivery id' });
      return json(400, { error: 'X-GitHub-Delivery is missing or not a delivery id' });
    }
    // Loaded on first use: the run events' path does not carry it.
    const read = parseBody(body, logger, fields);
    if ('invalid' in read) return read.invalid;
    const { handleProtectionRuleEvent } = await import('./protection-rule-webhook.js');
    return handleProtectionRuleEvent(context, logger, read.payload, delivery, fields);
  }
  if (name === 'check_suite' || name === 'status') {
    // CI settled on a commit: requests waiting for it get their `ci` check computed again (src/github/ci-webhook.ts).
    const read = parseBody(body, logger, fields);
    if ('invalid' in read) return read.invalid;
    const { handleCiEvent } = await import('./ci-webhook.js');
    return handleCiEvent(config, context, logger, name, read.payload, delivery, fields);
  }
  if (!isFollowed(name)) {
    logger.debug('github.webhook_ignored', { ...fields, reason: 'event not followed' });
    return json(200, { ok: true, ignored: 'event' });
  }

  const read = parseBody(body, logger, fields);
  if ('invalid' in read) return read.invalid;
  const checked = webhookSchemas[name].safeParse(read.payload);
  if (!checked.success) {
    const issues = checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    logger.warn('github.webhook_invalid', { ...fields, issues });
    return json(400, { error: 'payload does not look like a GitHub webhook of this event', issues });
  }
  const action = (checked.data as { action: string }).action;
  const news = runNews(name, checked.data);
  if ('ignore' in news) {
    logger.debug('github.webhook_ignored', { ...fields, action, reason: news.ignore });
    return json(200, { ok: true, ignored: 'event' });
  }
  const known = config.catalog.services.some((s) => s.repo.toLowerCase() === news.repo.toLowerCase());
  if (!known) {
    logger.debug('github.webhook_ignored', { ...fields, action, repo: news.repo, reason: 'repository of no service in the configuration' });
    return json(200, { ok: true, ignored: 'repository' });
  }
  if (!delivery) {
    logger.warn('github.webhook_invalid', { ...fields, action, problem: 'no X-GitHub-Delivery header, so a redelivery could not be recognised' });
    return json(400, { error: 'X-GitHub-Delivery is missing' });
  }
  if (!DELIVERY_ID.test(delivery)) {
    logger.warn('github.webhook_invalid', { ...fields, action, problem: `the X-GitHub-Delivery header (${delivery.length} characters) is not a delivery id` });
    return json(400, { error: 'X-GitHub-Delivery is not a delivery id' });
  }

  const deliveryKey = `github-delivery:${delivery}`;
  let claimed: DeployContext | undefined;
  try {
    const ctx = await context();
    const match = await findRequestForRun(ctx, news.repo, news.runId, { title: news.title, workflowPath: news.workflowPath });
    if (!match) {
      logger.debug('github.webhook_unknown_run', { ...fields, action, repo: news.repo, runId: news.runId, title: news.title });
      return json(200, { ok: true, ignored: 'run' });
    }
    if (!(await ctx.idempotency.claim(deliveryKey, DELIVERY_TTL_SECONDS))) {
      logger.info('github.webhook_duplicate', { ...fields, action, requestId: match.request.id });
      return json(200, { ok: true, duplicate: true });
    }
    claimed = ctx;
    const outcome = await recordRunUpdate(ctx, match.request, news.update, 'webhook');
    logger.info('github.webhook_applied', {
      ...fields,
      action,
      requestId: match.request.id,
      runId: news.runId,
      attempt: news.update.attempt,
      via: match.via,
      changed: outcome.changed,
      status: outcome.request.status,
      ms: Math.round(performance.now() - started),
    });
    return json(200, { ok: true, requestId: match.request.id, changed: outcome.changed, status: outcome.request.status });
  } catch (err) {
    logger.error('github.webhook_failed', { ...fields, action, repo: news.repo, runId: news.runId, err });
    // Give the delivery back, so that a redelivery from GitHub is applied rather than taken for a duplicate.
    await claimed?.idempotency.release(deliveryKey).catch(() => undefined);
    return json(500, { error: 'foxops could not store this event; it will catch up from GitHub within minutes' });
  }
}
