/**
 * The `record_version` job: once a deploy (or a rollback by redeploy) succeeded in an environment whose target names
 * a Lambda function, it reads which version the target's alias serves (GetAlias) and records it in the deploy's
 * ledger entry, next to the SHA. It runs as a job, never on the webhook's path; a run that failed records no version.
 */
import { findService } from '../domain/catalog.js';
import { AliasError } from '../domain/errors.js';
import { aliasTargetOf } from '../domain/rollback.js';
import type { DeployContext } from './context.js';

/**
 * Records the version the alias serves for request `requestId`, whose run attempt `attempt` succeeded. Does nothing
 * when that attempt is no longer the request's last word (a re-run started), or when a later deploy already replaced
 * it as what runs: then the alias serves that deploy's version, not this one's. Re-recording the entry is harmless.
 */
export async function recordVersion(ctx: DeployContext, requestId: string, attempt: number): Promise<void> {
  const request = await ctx.requests.get(requestId);
  if (request?.status !== 'succeeded' || (request.run?.attempt ?? 1) !== attempt) {
    ctx.logger.debug('version.skipped', { requestId, status: request?.status, attempt });
    return;
  }
  const service = findService(ctx.catalog, request.service);
  const target = service?.name === request.service ? aliasTargetOf(service, request.environment) : undefined;
  if (!target) return;
  const current = await ctx.ledger.current(request.service, request.environment);
  if (current?.requestId !== requestId) {
    ctx.logger.info('version.superseded', { requestId, current: current?.requestId });
    return;
  }
  let version: string;
  try {
    version = (await (await ctx.functionAliases()).get(target)).version;
  } catch (err) {
    // Missing or forbidden stays so until someone changes the setup: say so once. Anything else may pass: retried.
    if (err instanceof AliasError && err.code !== 'unavailable') {
      ctx.logger.warn('version.unreadable', { requestId, code: err.code, action: err.action, resource: err.resource, said: err.said });
      return;
    }
    throw err;
  }
  if (current.version === version) return;
  await ctx.ledger.record({ ...current, version });
  ctx.logger.info('version.recorded', {
    requestId,
    service: request.service,
    environment: request.environment,
    function: target.functionName,
    alias: target.alias,
    version,
  });
}
