/**
 * `deployment_protection_rule` deliveries on `POST /github/webhooks` (signature already checked by the caller): a
 * workflow run waits on an environment protected by foxops' GitHub App. Reading the run and deciding may take longer
 * than GitHub's 10 s, so the delivery only queues a `protection_rule` job (src/deploys/protection-rule.ts) that
 * decides and answers; the answer goes to GitHub's callback, not to this response.
 *
 * Every repository the app is installed on is answered, configured or not: an unconfigured one is rejected by the job
 * (no deploy can name it) rather than left waiting.
 */
import * as z from 'zod/mini';
import type { DeployContext } from '../deploys/context.js';
import type { ProtectionRuleJob } from '../domain/ports.js';
import { type HttpResult, json } from '../http.js';
import type { Logger } from '../log.js';
import { sameRepo } from '../domain/catalog.js';

/** The fields foxops uses; GitHub sends more (`deployment`, `pull_requests`, `sender`, …). */
const protectionRuleSchema = z.object({
  action: z.string().check(z.maxLength(64)),
  environment: z.string().check(z.minLength(1), z.maxLength(255)),
  deployment_callback_url: z.string().check(z.maxLength(2048)),
  installation: z.object({ id: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)) }),
  repository: z.object({ full_name: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/)) }),
  deployment: z.nullish(z.object({ id: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)) })),
});

/** `…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`: the run GitHub waits to hear about. */
const CALLBACK_PATH = /\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d{1,16})\/deployment_protection_rule$/;

/** The run id in the event's callback URL, when the URL is GitHub's callback for a run of `repo`. */
export function runIdOfCallback(url: string, repo: string): number | undefined {
  if (!URL.canParse(url)) return undefined;
  const match = CALLBACK_PATH.exec(new URL(url).pathname);
  if (!match || !sameRepo(`${match[1]}/${match[2]}`, repo)) return undefined;
  const runId = Number(match[3]);
  return Number.isSafeInteger(runId) && runId > 0 ? runId : undefined;
}

/**
 * Queues the decision of one `deployment_protection_rule` delivery: 400 for a payload foxops cannot answer (no callback
 * URL of a run, no installation), 200 when queued (`queued: false` for a delivery queued before) or not `requested`.
 */
export async function handleProtectionRuleEvent(
  context: () => Promise<DeployContext>,
  logger: Logger,
  payload: unknown,
  delivery: string,
  fields: Record<string, unknown>,
): Promise<HttpResult> {
  const action = (payload as { action?: unknown } | null)?.action;
  if (action !== 'requested') {
    logger.debug('github.webhook_ignored', { ...fields, reason: 'protection rule event other than requested' });
    return json(200, { ok: true, ignored: 'action' });
  }
  const checked = protectionRuleSchema.safeParse(payload);
  if (!checked.success) {
    const issues = checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    logger.warn('github.webhook_invalid', { ...fields, issues });
    return json(400, { error: 'payload does not look like a GitHub deployment_protection_rule event', issues });
  }
  const e = checked.data;
  const repo = e.repository.full_name;
  const runId = runIdOfCallback(e.deployment_callback_url, repo);
  if (runId === undefined) {
    logger.warn('github.webhook_invalid', { ...fields, repo, problem: 'deployment_callback_url is not the callback of a run of this repository' });
    return json(400, { error: 'deployment_callback_url is not the callback of a run of this repository' });
  }
  const job: ProtectionRuleJob = {
    type: 'protection_rule',
    repo,
    runId,
    environment: e.environment,
    installationId: e.installation.id,
    ...(e.deployment ? { deploymentId: e.deployment.id } : {}),
    delivery,
  };
  try {
    const ctx = await context();
    const queued = await ctx.jobs.enqueue(job);
    logger.info('github.protection_rule_queued', { ...fields, repo, runId, environment: e.environment, queued });
    return json(200, { ok: true, queued });
  } catch (err) {
    // GitHub does not redeliver by itself: the run waits until someone redelivers this event or re-runs the run.
    logger.error('github.webhook_failed', { ...fields, repo, runId, err });
    return json(500, { error: 'foxops could not queue this protection rule; redeliver the event or re-run the run' });
  }
}
