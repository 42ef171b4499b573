/**
 * Who may request, approve, reject and retry. Decisions come from the stored request and the
 * catalog only, never from anything a Slack button carries.
 */
import type { EnvironmentDefinition } from './catalog.js';
import { type DeployRequest, hasExpired } from './request.js';

/** The person acting, and the user groups (among those the policy names) they belong to. */
export interface Actor {
  userId: string;
  groups: string[];
}

/** Why an action is refused. */
export type RefusalCode =
  | 'wrong_channel'
  | 'not_requester'
  | 'not_approver'
  | 'self_approval'
  | 'already_approved'
  | 'expired'
  | 'not_awaiting_approval'
  | 'not_retryable';

/** The outcome of a policy check. */
export type Decision = { allowed: true; viaGroup?: string } | { allowed: false; code: RefusalCode; reason: string };

const allow = (viaGroup?: string): Decision => (viaGroup ? { allowed: true, viaGroup } : { allowed: true });
const refuse = (code: RefusalCode, reason: string): Decision => ({ allowed: false, code, reason });

/** The user-group ids (`S…`) named in a list of Slack ids. */
export function groupIds(ids: readonly string[]): string[] {
  return ids.filter((id) => id.startsWith('S'));
}

/** How `actor` matches `list`: by name, through a group, or not at all. */
function membership(list: readonly string[], actor: Actor): { member: boolean; viaGroup?: string } {
  if (list.includes(actor.userId)) return { member: true };
  const group = actor.groups.find((g) => list.includes(g));
  return group ? { member: true, viaGroup: group } : { member: false };
}

const mention = (id: string) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`);

/** May `actor` request deploys to `env` from `channel`? */
export function canRequest(env: EnvironmentDefinition, actor: Actor, channel: string): Decision {
  if (!env.channels.includes(channel)) {
    return refuse('wrong_channel', `Deploys to *${env.name}* are requested in ${env.channels.map((c) => `<#${c}>`).join(' or ')}, not here.`);
  }
  if (env.requesters !== 'any' && !membership(env.requesters, actor).member) {
    return refuse('not_requester', `You are not on the list of people who may request *${env.name}* deploys (${env.requesters.map(mention).join(', ')}). Ask one of them.`);
  }
  return allow();
}

/** May `actor` approve `request` now? The requester never may, nor anyone twice, nor after expiry. */
export function canApprove(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (request.status !== 'awaiting_approval') {
    return refuse('not_awaiting_approval', `This request is ${describeStatus(request.status)}; it takes no more approvals.`);
  }
  if (hasExpired(request, now)) return refuse('expired', `This request expired at ${request.expiresAt}. Start a new one with \`/deploy ${env.name} ${request.service} ${request.ref}\`.`);
  const { member, viaGroup } = membership(env.approvers, actor);
  if (!member) return refuse('not_approver', `Only ${env.approvers.map(mention).join(', ')} may approve *${env.name}* deploys.`);
  if (actor.userId === request.requester) return refuse('self_approval', 'You requested this deploy, so you cannot approve it. Another approver must.');
  if (request.approvals.some((a) => a.userId === actor.userId)) return refuse('already_approved', 'You have already approved this request.');
  return allow(viaGroup);
}

/** May `actor` reject `request`? Any approver may while it waits; so may the requester, to withdraw it. */
export function canReject(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (request.status !== 'awaiting_approval' && request.status !== 'dispatch_failed') {
    return refuse('not_awaiting_approval', `This request is ${describeStatus(request.status)}; it can no longer be rejected.`);
  }
  if (hasExpired(request, now)) return refuse('expired', 'This request has already expired.');
  if (actor.userId === request.requester) return allow();
  const { member, viaGroup } = membership(env.approvers, actor);
  if (!member) return refuse('not_approver', `Only the requester or ${env.approvers.map(mention).join(', ')} may reject *${env.name}* deploys.`);
  return allow(viaGroup);
}

/** May `actor` retry a dispatch that GitHub refused? Approvers only, and only before expiry. */
export function canRetry(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (request.status !== 'dispatch_failed') return refuse('not_retryable', `This request is ${describeStatus(request.status)}; there is nothing to retry.`);
  if (hasExpired(request, now)) return refuse('expired', `This request expired at ${request.expiresAt}. Start a new one.`);
  const { member, viaGroup } = membership(env.approvers, actor);
  // With no approvals needed there are no approvers: then the requester may retry.
  if (!member && !(env.approvals === 0 && actor.userId === request.requester)) {
    return refuse('not_approver', `Only ${env.approvers.map(mention).join(', ') || 'the requester'} may retry *${env.name}* deploys.`);
  }
  return allow(viaGroup);
}

/**
 * True when the request may be dispatched: its SHA is pinned and it holds the approvals it needs,
 * from distinct people other than the requester.
 */
export function isDeployable(request: DeployRequest): boolean {
  if (request.status !== 'approved' && request.status !== 'dispatch_failed') return false;
  if (!request.sha || !/^[0-9a-f]{40}$/.test(request.sha)) return false;
  const approvers = new Set(request.approvals.map((a) => a.userId));
  approvers.delete(request.requester);
  return approvers.size >= request.requiredApprovals;
}

/** The status in words, for refusals and cards. */
export function describeStatus(status: DeployRequest['status']): string {
  return status.replace(/_/g, ' ');
}
