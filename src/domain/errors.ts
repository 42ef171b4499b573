/** Named errors of the deploy flow, so callers branch on types rather than messages. */
import type { Failure } from './request.js';

/** Another writer changed the request since it was read; re-read and decide again. */
export class StaleWriteError extends Error {
  constructor(
    readonly requestId: string,
    readonly expectedVersion: number,
  ) {
    super(`request ${requestId} changed since version ${expectedVersion}`);
    this.name = 'StaleWriteError';
  }
}

/** A request id that does not exist (a forged or very old button). */
export class RequestNotFoundError extends Error {
  constructor(readonly requestId: string) {
    super(`request ${requestId} does not exist`);
    this.name = 'RequestNotFoundError';
  }
}

/** The reasons GitHub (or any source control) refuses; stable, stored as {@link Failure.code}. */
export type SourceControlErrorCode = 'ref_not_found' | 'workflow_not_found' | 'repo_not_found' | 'unauthorized' | 'forbidden' | 'invalid' | 'unavailable';

/**
 * GitHub refused for a reason a person must fix. It carries an outcome, not a sentence: `code`, the `params` of the
 * explanation (action, repo, workflow, ref, status…) and GitHub's own words in `cause`; the Slack adapter words it.
 * `message` is a plain line for logs and developers.
 */
export class SourceControlError extends Error {
  /** Names and numbers for the explanation (see {@link Failure.params}). */
  readonly params: NonNullable<Failure['params']>;
  /** What GitHub said, verbatim (see {@link Failure.cause}). Not an `Error` like the standard `cause`: a string. */
  override readonly cause?: string;
  /** GitHub's HTTP status, when it answered at all. */
  readonly status?: number;

  constructor(
    readonly code: SourceControlErrorCode,
    details: { params?: Record<string, string | number | boolean | undefined>; cause?: string | undefined; status?: number | undefined } = {},
  ) {
    // Absent fields are left out, so that the stored failure holds only what is known.
    const params: NonNullable<Failure['params']> = {};
    for (const [k, v] of Object.entries({ ...details.params, status: details.status })) if (v !== undefined) params[k] = v;
    const fields = Object.entries(params).map(([k, v]) => `${k}=${v}`);
    super(`source control: ${code}${fields.length ? ` (${fields.join(' ')})` : ''}${details.cause !== undefined ? `: ${details.cause}` : ''}`);
    this.name = 'SourceControlError';
    this.params = params;
    this.cause = details.cause;
    this.status = details.status;
  }
}

/**
 * The failure to store when a job's call to source control threw: a {@link SourceControlError} as it is, anything
 * else as `error` with the `step` it broke and its message as the cause. The one mapping of the prepare and dispatch jobs.
 */
export function failureFrom(err: unknown, step: 'prepare' | 'dispatch'): Failure {
  if (err instanceof SourceControlError) {
    return {
      code: err.code,
      ...(Object.keys(err.params).length ? { params: { ...err.params } } : {}),
      ...(err.cause !== undefined ? { cause: err.cause } : {}),
    };
  }
  return { code: 'error', params: { step }, cause: err instanceof Error ? err.message : String(err) };
}

/** Why an alias could not be read or moved; `action` and `resource` say which call on which ARN. */
export class AliasError extends Error {
  constructor(
    readonly code: 'not_found' | 'version_not_found' | 'moved_meanwhile' | 'access_denied' | 'unavailable',
    readonly action: string,
    readonly resource: string,
    /** What AWS said, verbatim. */
    readonly said?: string,
  ) {
    super(`lambda ${action} on ${resource}: ${code}${said ? ` (${said})` : ''}`);
    this.name = 'AliasError';
  }
}

/** The failure codes of a rollback by alias, by {@link AliasError} code. */
const ALIAS_FAILURE: Record<AliasError['code'], string> = {
  not_found: 'alias_not_found',
  version_not_found: 'version_pruned',
  moved_meanwhile: 'alias_moved',
  access_denied: 'access_denied',
  unavailable: 'unavailable',
};

/**
 * The failure to store when a call about a Lambda alias threw: an {@link AliasError} by its code with the action and
 * resource (`access_denied` names which call on which ARN), anything else as `unavailable` with its message as the cause.
 */
export function failureFromAlias(err: unknown, fallback: { action: string; resource: string }): Failure {
  if (err instanceof AliasError) {
    return { code: ALIAS_FAILURE[err.code], params: { action: err.action, resource: err.resource }, ...(err.said !== undefined ? { cause: err.said } : {}) };
  }
  return { code: 'unavailable', params: { ...fallback }, cause: err instanceof Error ? err.message : String(err) };
}

/**
 * Slack refused a file for a reason that does not pass by trying again (the app lacks the scope, is not in the
 * channel, the channel is archived): `code` is Slack's error code. Other failures of an upload may pass and are
 * thrown as they are, so the job is delivered again.
 */
export class FileRefusedError extends Error {
  constructor(
    readonly code: string,
    readonly method: string,
  ) {
    super(`Slack refused ${method}: ${code}`);
    this.name = 'FileRefusedError';
  }
}
