/**
 * Read–decide–write with optimistic concurrency: the decision is made on the stored request and
 * written only if nobody changed it meanwhile; otherwise it is made again on the fresh copy.
 */
import { RequestNotFoundError, StaleWriteError } from '../domain/errors.js';
import type { RequestRepository } from '../domain/ports.js';
import type { DeployRequest } from '../domain/request.js';

/** What a decision can be: a new request to write, nothing to do, or a refusal to report. */
export type Decision<R> = { write: DeployRequest; result: R } | { skip: R };

const MAX_ATTEMPTS = 12;

/** Tuning of {@link mutateRequest}. */
export interface MutateOptions {
  /** Writes tried before the `StaleWriteError` is thrown; default 12. Many concurrent writers (a burst of webhooks for one run) need more. */
  maxAttempts?: number;
  /** The request as the caller just read it, to decide on without reading it again; a stale copy only costs a retry. */
  current?: DeployRequest;
}

/**
 * Applies `decide` to the stored request until its write wins or it decides to skip.
 * Returns the decision's result and the request as stored afterwards.
 */
export async function mutateRequest<R>(
  requests: RequestRepository,
  id: string,
  decide: (current: DeployRequest) => Decision<R> | Promise<Decision<R>>,
  options: MutateOptions = {},
): Promise<{ result: R; request: DeployRequest; written: boolean }> {
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  let current = options.current ?? (await requests.get(id));
  for (let attempt = 1; ; attempt++) {
    if (!current) throw new RequestNotFoundError(id);
    const decision = await decide(current);
    if ('skip' in decision) return { result: decision.skip, request: current, written: false };
    try {
      const saved = await requests.save(decision.write, current.version);
      return { result: decision.result, request: saved, written: true };
    } catch (err) {
      if (!(err instanceof StaleWriteError) || attempt >= maxAttempts) throw err;
      // Jitter spreads out writers that lost the same race.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      current = await requests.get(id);
    }
  }
}
