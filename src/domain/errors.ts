/** Named errors of the deploy flow, so callers branch on types rather than messages. */

/** Another writer changed the request since it was read; re-read and decide again. */
export class StaleWriteError extends Error {
  constructor(readonly requestId: string, readonly expectedVersion: number) {
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

/** GitHub refused for a reason a person must fix; `code` is stable, `message` says what to do. */
export class SourceControlError extends Error {
  constructor(
    readonly code: 'ref_not_found' | 'workflow_not_found' | 'repo_not_found' | 'unauthorized' | 'forbidden' | 'invalid' | 'unavailable',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SourceControlError';
  }
}
