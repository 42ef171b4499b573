/**
 * Builds the Octokit that foxops uses: REST client with retries on 5xx and timeouts, and
 * throttling that waits out primary and secondary rate limits. Created per process, passed in.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { GitHubAuth } from '../config/load.js';
import type { Logger } from '../log.js';

/** Options for {@link createOctokit}. */
export interface OctokitOptions {
  auth: GitHubAuth;
  /** GitHub Enterprise Server or a test fake; default api.github.com. */
  baseUrl?: string;
  logger: Logger;
  /** Base of the retry back-off in ms (GitHub's plugin waits base x attempt²). */
  retryBaseMs?: number;
  /** Per-request timeout; a timed-out request is retried like a 5xx. */
  timeoutMs?: number;
  /** Name of the throttling group; clients with the same id share GitHub's write spacing. */
  throttleId?: string;
  /** Retries after rate limits before giving up. */
  rateLimitRetries?: number;
}

const FoxopsOctokit = Octokit.plugin(retry, throttling);

export type FoxopsOctokitClient = InstanceType<typeof FoxopsOctokit>;

/**
 * Octokit's only `log.error` is its request log's line for each failed attempt, e.g.
 * `GET /repos/o/r/actions/runs/1 - 404 with id … in 3ms`. Such a failure is not an error of its own: it reaches
 * the caller (source-control.ts), which handles it (getRun's 404 means "no such run") or turns it into a
 * SourceControlError that is logged once, at the level it deserves, where the deploy fails. So a 4xx,
 * GitHub's definite answer, is kept for debugging; a 5xx or no answer is GitHub failing, retried by the retry
 * plugin, and a warning, since GitHub failing again and again is worth seeing even when a retry succeeds.
 */
function requestFailed(logger: Logger): (msg: string) => void {
  return (msg: string) => {
    const status = Number(/ - (\d{3}) with id /.exec(msg)?.[1]) || undefined;
    if (status !== undefined && status < 500) logger.debug('github.octokit', { msg, status });
    else logger.warn('github.octokit', { msg, status });
  };
}

/** Creates the Octokit client with auth, retries, throttling and timeouts. */
export async function createOctokit(options: OctokitOptions): Promise<FoxopsOctokitClient> {
  const { auth, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const authOptions =
    auth.kind === 'token'
      ? { auth: auth.token }
      : {
          authStrategy: (await import('@octokit/auth-app')).createAppAuth,
          auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId },
        };
  return new FoxopsOctokit({
    ...authOptions,
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/$/, '') } : {}),
    userAgent: 'foxops',
    request: {
      fetch: (url: string, init: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
    },
    retry: { retryAfterBaseValue: options.retryBaseMs ?? 1000 },
    throttle: {
      // Bottleneck keys its limiters by id: one per client keeps tests (and several apps in a process) independent.
      id: options.throttleId ?? 'foxops',
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      onRateLimit: (retryAfter: number, opts: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        logger.warn('github.rate_limited', { method: opts.method, url: opts.url, retryAfter, retryCount });
        return retryCount < rateLimitRetries;
      },
      onSecondaryRateLimit: (retryAfter: number, opts: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        logger.warn('github.secondary_rate_limited', { method: opts.method, url: opts.url, retryAfter, retryCount });
        return retryCount < rateLimitRetries;
      },
    },
    log: { debug: () => {}, info: () => {}, warn: (msg: string) => logger.warn('github.octokit', { msg }), error: requestFailed(logger) },
  });
}
