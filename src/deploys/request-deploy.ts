/**
 * `/deploy <env> [service] [ref]`: checks who asks from where, stores the request and queues the
 * slow part (resolving the ref, posting the card). Runs inside Slack's 3-second ack.
 */
import { createHash } from 'node:crypto';
import { environmentNamed, serviceNamed } from '../domain/catalog.js';
import { canRequest, groupIds, type Refusal } from '../domain/policy.js';
import { deployIdFromDigest, newRequest, type DeployRequest } from '../domain/request.js';
import type { DeployContext } from './context.js';

/** Who asked, where, and what Slack calls this invocation. */
export interface DeployAsk {
  environment: string;
  service: string;
  ref: string;
  userId: string;
  channelId: string;
  /** Slack's trigger id: unique per command, identical on Slack's retries. */
  triggerId: string;
}

/** The outcome the command listener turns into its ephemeral answer. */
export type DeployAskOutcome = { kind: 'accepted'; request: DeployRequest; duplicate: boolean } | { kind: 'refused'; refusal: Refusal };

/** The request id for a Slack trigger: a retried command maps to the request it already created. */
export function requestIdForTrigger(triggerId: string): string {
  return deployIdFromDigest(createHash('sha256').update(`slack-trigger:${triggerId}`).digest());
}

/** Validates and stores a deploy request, then queues its preparation. */
export async function requestDeploy(ctx: DeployContext, ask: DeployAsk): Promise<DeployAskOutcome> {
  const env = environmentNamed(ctx.catalog, ask.environment);
  const service = serviceNamed(ctx.catalog, ask.service);
  const now = ctx.now();
  const id = requestIdForTrigger(ask.triggerId);
  const groups = env.requesters === 'any' ? [] : await ctx.directory.groupsOf(ask.userId, groupIds(env.requesters));
  const decision = canRequest(env, { userId: ask.userId, groups }, ask.channelId);
  if (!decision.allowed) {
    ctx.logger.info('deploy.request_refused', { code: decision.refusal.code, user: ask.userId, channel: ask.channelId, environment: env.name });
    return { kind: 'refused', refusal: decision.refusal };
  }
  const request = newRequest({
    id,
    kind: 'deploy',
    service: service.name,
    environment: env.name,
    repo: service.repo,
    workflow: service.workflow,
    ref: ask.ref,
    requester: ask.userId,
    channel: ask.channelId,
    requiredApprovals: env.approvals,
    ttlMs: env.requestTtlMs,
    now,
  });
  const created = await ctx.requests.create(request);
  const stored = created ? request : ((await ctx.requests.get(id)) ?? request);
  // The audit entry and the job are independent writes: send them together to keep the ack short.
  // The job is queued again on a retry too: if the first attempt died before queueing, this one rescues
  // it, and a prepare job that finds the request already prepared does nothing.
  await Promise.all([
    created
      ? ctx.audit.record({ requestId: id, at: now.toISOString(), actor: ask.userId, action: 'request', outcome: 'ok', detail: `${service.name} ${ask.ref} to ${env.name}` })
      : undefined,
    stored.status === 'preparing' ? ctx.jobs.enqueue({ type: 'prepare', requestId: id }) : undefined,
  ]);
  if (created) ctx.logger.info('deploy.requested', { requestId: id, service: service.name, environment: env.name, ref: ask.ref, user: ask.userId });
  else ctx.logger.info('deploy.request_retried', { requestId: id, status: stored.status });
  return { kind: 'accepted', request: stored, duplicate: !created };
}
