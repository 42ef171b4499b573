/**
 * `POST /github/verify`: the deploy workflow's first job shows foxops its GitHub OIDC token and the deploy id it was
 * dispatched with, and its deploy job (the one that gets AWS credentials) runs only if foxops answers 200. Same
 * function on the Lambda Function URL and on the local server.
 *
 *     POST /github/verify
 *     Authorization: Bearer <OIDC token, audience foxops>
 *     Content-Type: application/json
 *
 *     {"deploy_id":"d-0123456789","sha":"<the full commit SHA the run deploys: its sha input>"}
 *
 * 200 `{ ok: true, deploy_id, run_id }` when the token is GitHub's and its run may use the approval of the deploy;
 * 401 `{ ok: false, code, reason }` for a missing, forged, expired or foreign token; 403 the same for a genuine run
 * that may not use the approval (src/domain/enforcement.ts); 400 or 413 for a body foxops cannot read; 503 when the
 * issuer's keys or the store cannot be read (the job fails closed and may be re-run).
 *
 * A refused genuine run is audited (by `approveRun`) and told in the environment's channel. A bad token is only logged
 * (and audited when it names an existing deploy): anyone can send garbage, and it must not flood the channel. A token
 * from a repository of no configured service is heard only when it names an existing deploy, for the same reason.
 */
import { auditRequest } from '../deploys/audit.js';
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import { approveRun } from '../deploys/run-approval.js';
import type { EnforcementRefusal, RunClaims } from '../domain/enforcement.js';
import { type DeployRequest, isDeployId } from '../domain/request.js';
import { type HttpEvent, type HttpResult, header, json } from '../http.js';
import { clip, type Logger } from '../log.js';
import { verifyRunToken } from './oidc.js';
import { sameRepo } from '../domain/catalog.js';

/** The body is one deploy id; anything longer than this is not a request from the workflow. */
export const MAX_VERIFY_BODY_BYTES = 4096;

const BODY_FORM = 'send {"deploy_id":"d-…","sha":"<the full commit SHA the run deploys>"}';

/**
 * The deploy id and the SHA the run deploys (its `sha` input, which GitHub's token does not carry: the token's `sha`
 * is the head of the branch the run runs on) of the body, or the 400 answer's reason. An empty id is kept: a run
 * started by hand sends one.
 */
function readBody(body: string): { deployId: string; sha: string } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { problem: `the body is not JSON; ${BODY_FORM}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: `the body is not a JSON object; ${BODY_FORM}` };
  const { deploy_id: deployId, sha } = parsed as { deploy_id?: unknown; sha?: unknown };
  if (typeof deployId !== 'string') return { problem: 'deploy_id is missing or not a string' };
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/i.test(sha.trim())) return { problem: `sha is missing or not a full commit SHA; ${BODY_FORM}` };
  return { deployId: deployId.trim(), sha: sha.trim().toLowerCase() };
}

/** The refusal in words for the workflow's log; expected values of another repository are not told to it. */
export function refusalReason(refusal: EnforcementRefusal): string {
  const deploy = `deploy ${refusal.deployId ?? ''}`.trim();
  switch (refusal.code) {
    case 'unknown_deploy':
      return refusal.deployId
        ? `foxops has no ${deploy}`
        : 'no deploy_id: a run that deploys must be requested (and approved where the environment asks for it) with /deploy';
    case 'not_approved':
      return `${deploy} is ${refusal.status.replace(/_/g, ' ')}, not approved`;
    case 'wrong_repository':
      return `${deploy} is for another repository than ${refusal.got}`;
    case 'wrong_environment':
      return `${deploy} was approved for ${refusal.expected}, not ${refusal.got || 'a job without an environment'}`;
    case 'wrong_sha':
      return `${deploy} was approved for ${refusal.expected || 'another commit'}, not ${refusal.got}`;
    case 'wrong_workflow':
      return `${deploy} may only run from ${refusal.expected}, not ${refusal.got}`;
    case 'spent':
      return `the approval of ${deploy} was used by run ${refusal.runId}`;
  }
}

/** The home channel of the environment the refused run tried to deploy to, if foxops knows it. */
function channelOf(config: FoxopsConfig, environment: string | undefined): string | undefined {
  return environment ? config.catalog.environments.find((e) => e.name === environment)?.channels[0] : undefined;
}

/**
 * Handles one `POST /github/verify`. Never throws, and never answers 5xx for anything the caller sent: 503 only when
 * the issuer's keys or the store cannot be read. The token is never logged.
 */
export async function handleGitHubVerify(config: FoxopsConfig, context: () => Promise<DeployContext>, logger: Logger, event: HttpEvent): Promise<HttpResult> {
  const started = performance.now();
  const body = event.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > MAX_VERIFY_BODY_BYTES) {
    logger.warn('github.verify_invalid', { problem: `body of ${Buffer.byteLength(body, 'utf8')} bytes` });
    return json(413, { ok: false, code: 'too_large', reason: `the body is larger than ${MAX_VERIFY_BODY_BYTES} bytes` });
  }
  const token = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header(event, 'authorization') ?? '')?.[1];
  if (!token) {
    logger.warn('github.verify_refused', { code: 'no_token' });
    return json(401, { ok: false, code: 'no_token', reason: 'send the GitHub OIDC token (audience foxops) as Authorization: Bearer <token>' });
  }
  const read = readBody(body);
  if ('problem' in read) {
    logger.warn('github.verify_invalid', { problem: read.problem });
    return json(400, { ok: false, code: 'bad_request', reason: read.problem });
  }
  const deployId = read.deployId;
  // Not yet checked: cut short in logs, and looked up only when it looks like a deploy id.
  const shownId = clip(deployId, 64);

  let ctx: DeployContext | undefined;
  try {
    ctx = await context();
    const check = await verifyRunToken(token, config.github.oidc, ctx.now());
    if (!check.ok) {
      if (check.code === 'unavailable') {
        logger.error('github.verify_unavailable', { jwks: config.github.oidc.jwksUrl, deployId: shownId, reason: check.reason });
        return json(503, { ok: false, code: check.code, reason: check.reason });
      }
      logger.warn('github.verify_refused', { code: check.code, deployId: shownId, ms: Math.round(performance.now() - started) });
      const request = isDeployId(deployId) ? await ctx.requests.get(deployId) : undefined;
      if (request) await auditBadToken(ctx, request, check.code);
      return json(401, { ok: false, code: check.code, reason: check.reason });
    }
    // The commit the run will check out and deploy, as the workflow says: it must be the approved one.
    const claims = { ...check.claims, deploysSha: read.sha };
    const ours = config.catalog.services.some((s) => sameRepo(s.repo, claims.repository));
    if (!ours && !(isDeployId(deployId) && (await ctx.requests.get(deployId)))) {
      // Any repository on GitHub can get a token for audience foxops: one of no service, naming no deploy, is noise.
      logger.warn('github.verify_refused', { code: 'unknown_deploy', deployId: shownId, repository: clip(claims.repository, 200), runId: claims.runId });
      return json(403, { ok: false, code: 'unknown_deploy', reason: refusalReason({ code: 'unknown_deploy', ...(deployId ? { deployId: shownId } : {}) }) });
    }
    const answer = await approveRun(ctx, deployId || undefined, claims, 'oidc');
    if (answer.ok) return json(200, { ok: true, deploy_id: answer.request.id, run_id: claims.runId });
    await tellChannel(ctx, config, answer.refusal, claims, answer.request);
    return json(403, { ok: false, code: answer.refusal.code, reason: refusalReason(answer.refusal) });
  } catch (err) {
    logger.error('github.verify_failed', { deployId: shownId, err });
    return json(503, { ok: false, code: 'unavailable', reason: 'foxops could not check this run now; re-run the job' });
  }
}

/** The audit entry of a refused token that named an existing deploy: someone holds its id and tried. */
async function auditBadToken(ctx: DeployContext, request: DeployRequest, code: string): Promise<void> {
  await auditRequest(ctx, request, {
    actor: 'github',
    action: 'enforce',
    outcome: 'refused',
    detail: JSON.stringify({ code, via: 'oidc', stage: 'token' }),
  });
}

/** Queues "someone tried to deploy <environment> without approval" in the environment's channel, when foxops knows it. */
async function tellChannel(ctx: DeployContext, config: FoxopsConfig, refusal: EnforcementRefusal, claims: RunClaims, request?: DeployRequest): Promise<void> {
  // The request's environment is the approval the run reached for; without a request, the one its job names.
  const environment = request?.environment ?? claims.environment;
  const channel = channelOf(config, environment);
  if (!channel) {
    ctx.logger.warn('github.verify_no_channel', { code: refusal.code, environment: clip(environment, 64), runId: claims.runId });
    return;
  }
  const deployId = refusal.deployId && isDeployId(refusal.deployId) ? refusal.deployId : undefined;
  await ctx.jobs.enqueue({
    type: 'channel_notice',
    channel,
    notice: {
      kind: 'unapproved_run',
      environment,
      repository: claims.repository,
      runId: claims.runId,
      ...(claims.runAttempt !== undefined ? { runAttempt: claims.runAttempt } : {}),
      ...(deployId ? { deployId } : {}),
      code: refusal.code,
      via: 'oidc',
    },
  });
}
