/**
 * `check_suite` and `status` deliveries (signature already verified by src/github/webhooks.ts): CI on a commit
 * settled. Requests that wait for approval with their `ci` check ⏳ on that SHA get a `ci_check` job, which reads
 * GitHub again and updates the card (src/deploys/ci-check.ts); nothing is read from GitHub on this path.
 *
 * Cheap for the many deliveries that concern nothing foxops waits for: a suite that has not completed, a status
 * still `pending`, or a repository of no service is answered before the store is read.
 */
import * as z from 'zod/mini';
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import { type HttpResult, json } from '../http.js';
import type { Logger } from '../log.js';
import { sameRepo } from '../domain/catalog.js';

const repository = z.object({ full_name: z.string().check(z.maxLength(200)) });
const sha = z.string().check(z.regex(/^[0-9a-f]{40}$/i, 'expected a commit SHA'));
const checkSuiteSchema = z.object({ action: z.string(), check_suite: z.object({ head_sha: sha, status: z.nullish(z.string()) }), repository });
const statusSchema = z.object({ sha, state: z.string(), context: z.string(), repository });

/** The CI events foxops follows. */
export type CiEventName = 'check_suite' | 'status';

/** A delivery id as GitHub makes them: it keys the jobs, so it must look like one. */
const DELIVERY_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Handles a `check_suite` or `status` delivery: 200 with `queued` (the request ids given a `ci_check` job) or
 * `ignored`; 400 for a payload (the body, as JSON) that is not such an event; 500 when the store fails (the reconciler catches up).
 */
export async function handleCiEvent(
  config: FoxopsConfig,
  context: () => Promise<DeployContext>,
  logger: Logger,
  name: CiEventName,
  payload: unknown,
  delivery: string | undefined,
  fields: Record<string, unknown>,
): Promise<HttpResult> {
  const parsed = name === 'check_suite' ? checkSuiteSchema.safeParse(payload) : statusSchema.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    logger.warn('github.webhook_invalid', { ...fields, issues });
    return json(400, { error: 'payload does not look like a GitHub webhook of this event', issues });
  }
  const news =
    name === 'check_suite'
      ? (() => {
          const e = parsed.data as z.infer<typeof checkSuiteSchema>;
          return { repo: e.repository.full_name, sha: e.check_suite.head_sha.toLowerCase(), settled: e.action === 'completed' };
        })()
      : (() => {
          const e = parsed.data as z.infer<typeof statusSchema>;
          return { repo: e.repository.full_name, sha: e.sha.toLowerCase(), settled: e.state !== 'pending' };
        })();
  if (!news.settled) {
    logger.debug('github.webhook_ignored', { ...fields, reason: 'CI not settled yet' });
    return json(200, { ok: true, ignored: 'event' });
  }
  if (!config.catalog.services.some((s) => sameRepo(s.repo, news.repo))) {
    logger.debug('github.webhook_ignored', { ...fields, repo: news.repo, reason: 'repository of no service in the configuration' });
    return json(200, { ok: true, ignored: 'repository' });
  }
  if (!delivery || !DELIVERY_ID.test(delivery)) {
    logger.warn('github.webhook_invalid', { ...fields, problem: 'no X-GitHub-Delivery header that is a delivery id' });
    return json(400, { error: 'X-GitHub-Delivery is missing or not a delivery id' });
  }
  try {
    const ctx = await context();
    const { queueCiChecks } = await import('../deploys/ci-check.js');
    const queued = await queueCiChecks(ctx, news.repo, news.sha, delivery);
    if (queued.length === 0) {
      logger.debug('github.webhook_ignored', { ...fields, repo: news.repo, sha: news.sha, reason: 'no request waits for CI on this SHA' });
      return json(200, { ok: true, ignored: 'sha' });
    }
    logger.info('github.ci_news', { ...fields, repo: news.repo, sha: news.sha, requests: queued });
    return json(200, { ok: true, queued });
  } catch (err) {
    logger.error('github.webhook_failed', { ...fields, repo: news.repo, sha: news.sha, err });
    return json(500, { error: 'foxops could not store this event; it will catch up from GitHub within minutes' });
  }
}
