/**
 * Who may request, approve, reject and retry. Decisions come from the stored request and the
 * catalog only, never from anything a Slack button carries. A refusal is a code with the data that
 * explains it; the words are the surface's (src/slack/blocks/refusals.ts).
 */
import type { EnvironmentDefinition } from './catalog.js';
import type { FreezePeriod } from './freeze.js';
import type { Lock } from './lock.js';
import { type DeployRequest, hasExpired, RUN_STATUSES, type RequestStatus } from './request.js';

/** The person acting, and the user groups (among those the policy names) they belong to. */
export interface Actor {
  userId: string;
  groups: string[];
}

/** What was asked for: the actions a policy decides on. */
export type PolicyAction = 'request' | 'approve' | 'reject' | 'retry' | 'cancel';
/** The actions of a card's buttons. */
export type CardPolicyAction = Exclude<PolicyAction, 'request'>;

/** Why an action is refused, with what a person needs to know to do it right. */
export type Refusal =
  /** Requests for `environment` are made in `channels` only. */
  | { code: 'wrong_channel'; environment: string; channels: string[] }
  /** Only `requesters` (user and group ids) may request deploys to `environment`. */
  | { code: 'not_requester'; environment: string; requesters: string[] }
  /**
   * Only `approvers` may do `action`; `requesterMay` when the requester may too. `breakGlass`: the request is a
   * break-glass, and `approvers` are the environment's `break_glass_approvers`.
   */
  | { code: 'not_approver'; action: CardPolicyAction; environment: string; approvers: string[]; requesterMay: boolean; breakGlass?: true }
  /** Someone else holds `lock` on the environment or the service: new requests and promotions wait for them. */
  | { code: 'locked'; lock: Lock }
  /** A freeze window is in force; `breakGlassApprovers` may approve a `--break-glass` request (none: break-glass is not set up). */
  /** `asked`: what was refused (a rollback or promotion breaks glass with its own command); absent: a deploy. */
  | { code: 'frozen'; environment: string; freeze: FreezePeriod; breakGlassApprovers: string[]; asked?: 'rollback' | 'promote' }
  /** `--break-glass` in an environment without `break_glass_approvers`. */
  | { code: 'break_glass_unavailable'; environment: string }
  /** `/deploy lock` where someone else holds the lock already. */
  | { code: 'lock_held'; lock: Lock }
  /** `/deploy unlock` with nothing locked there. */
  | { code: 'not_locked'; environment: string; service?: string; others: Lock[] }
  /** `/deploy unlock` of someone else's lock by a person who is no approver of the environment. */
  | { code: 'not_lock_owner'; lock: Lock; approvers: string[] }
  /** Only the environment's requesters and approvers may lock it. */
  | { code: 'may_not_lock'; environment: string; allowed: string[] | 'any' }
  | { code: 'self_approval' }
  /** The `ci` pre-flight check of `sha` is ⏳: Approve waits until `pending` (required check names) settle. */
  | { code: 'checks_pending'; sha: string; pending: string[] }
  /** The `ci` pre-flight check of `sha` turned ✗ while the request waited (`failing`: `name: conclusion`, or its code). */
  | { code: 'checks_failed'; sha: string; failing: string[] }
  | { code: 'already_approved' }
  /** The request waited past `expiresAt`; `request` says how to ask again. */
  | { code: 'expired'; action: PolicyAction; expiresAt: string; request: Pick<DeployRequest, 'environment' | 'service' | 'ref'> }
  /** The request is `status`, in which `action` does not apply. */
  | { code: 'wrong_status'; action: CardPolicyAction; status: RequestStatus }
  /** Cancel was pressed already, by `by` at `at`: the run is being cancelled. */
  | { code: 'already_cancelling'; by: string; at: string }
  /** No stored request has this id (a forged or very old button). */
  | { code: 'not_found'; requestId: string }
  /**
   * An alarm's Roll back button names deploy `requestId`, which no longer runs in `environment`: someone deployed or
   * rolled back since. `current`: what runs there now, if foxops knows.
   */
  | { code: 'no_longer_running'; requestId: string; service: string; environment: string; current?: { requestId: string; sha: string } };

/** The codes of {@link Refusal}, for logs and audit entries. */
export type RefusalCode = Refusal['code'];

/** The outcome of a policy check. */
export type Decision = { allowed: true; viaGroup?: string } | { allowed: false; refusal: Refusal };

const allow = (viaGroup?: string): Decision => (viaGroup ? { allowed: true, viaGroup } : { allowed: true });
const refuse = (refusal: Refusal): Decision => ({ allowed: false, refusal });

/** The user-group ids (`S…`) named in a list of Slack ids. */
export function groupIds(ids: readonly string[]): string[] {
  return ids.filter((id) => id.startsWith('S'));
}

/** How `actor` matches `list`: by name, through a group, or not at all. */
export function membership(list: readonly string[], actor: Actor): { member: boolean; viaGroup?: string } {
  if (list.includes(actor.userId)) return { member: true };
  const group = actor.groups.find((g) => list.includes(g));
  return group ? { member: true, viaGroup: group } : { member: false };
}

const expired = (action: PolicyAction, r: DeployRequest): Decision =>
  refuse({ code: 'expired', action, expiresAt: r.expiresAt, request: { environment: r.environment, service: r.service, ref: r.ref } });

/** May `actor` request deploys to `env` from `channel`? */
export function canRequest(env: EnvironmentDefinition, actor: Actor, channel: string): Decision {
  if (!env.channels.includes(channel)) return refuse({ code: 'wrong_channel', environment: env.name, channels: [...env.channels] });
  if (env.requesters !== 'any' && !membership(env.requesters, actor).member) {
    return refuse({ code: 'not_requester', environment: env.name, requesters: [...env.requesters] });
  }
  return allow();
}

/** May `actor` approve `request` now? The requester never may, nor anyone twice, nor after expiry. */
export function canApprove(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (request.status !== 'awaiting_approval') return refuse({ code: 'wrong_status', action: 'approve', status: request.status });
  if (hasExpired(request, now)) return expired('approve', request);
  // A break-glass needs its own approvers: the people trusted to overrule a freeze.
  const approvers = request.breakGlass ? (env.breakGlassApprovers ?? []) : env.approvers;
  const { member, viaGroup } = membership(approvers, actor);
  if (!member) {
    return refuse({
      code: 'not_approver',
      action: 'approve',
      environment: env.name,
      approvers: [...approvers],
      requesterMay: false,
      ...(request.breakGlass ? { breakGlass: true as const } : {}),
    });
  }
  if (actor.userId === request.requester) return refuse({ code: 'self_approval' });
  if (request.approvals.some((a) => a.userId === actor.userId)) return refuse({ code: 'already_approved' });
  // CI on the SHA: Approve waits while it runs, and a ✗ found later refuses; a break-glass overrides (src/domain/preflight.ts).
  const ci = request.breakGlass ? undefined : request.preflight?.find((c) => c.check === 'ci');
  if (ci?.verdict === 'pending') return refuse({ code: 'checks_pending', sha: request.sha ?? '', pending: [...(ci.items ?? [])] });
  if (ci?.verdict === 'fail') return refuse({ code: 'checks_failed', sha: request.sha ?? '', failing: ci.items?.length ? [...ci.items] : [ci.code ?? 'fail'] });
  return allow(viaGroup);
}

/** Statuses a Retry re-arms: a dispatch GitHub refused, a rollback whose alias could not be moved. */
const RETRYABLE: readonly RequestStatus[] = ['dispatch_failed', 'rollback_failed'];

/** May `actor` reject `request`? Any approver may while it waits; so may the requester, to withdraw it. */
export function canReject(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (request.status !== 'awaiting_approval' && request.status !== 'queued_behind' && !RETRYABLE.includes(request.status)) {
    return refuse({ code: 'wrong_status', action: 'reject', status: request.status });
  }
  if (hasExpired(request, now)) return expired('reject', request);
  if (actor.userId === request.requester) return allow();
  const { member, viaGroup } = membership(env.approvers, actor);
  if (!member) return refuse({ code: 'not_approver', action: 'reject', environment: env.name, approvers: [...env.approvers], requesterMay: true });
  return allow(viaGroup);
}

/** May `actor` retry a dispatch that GitHub refused, or a rollback that failed? Approvers only, and only before expiry. */
export function canRetry(request: DeployRequest, env: EnvironmentDefinition, actor: Actor, now: Date): Decision {
  if (!RETRYABLE.includes(request.status)) return refuse({ code: 'wrong_status', action: 'retry', status: request.status });
  if (hasExpired(request, now)) return expired('retry', request);
  const { member, viaGroup } = membership(env.approvers, actor);
  // With no approvals needed there are no approvers: then the requester may retry.
  const requesterMay = request.requiredApprovals === 0;
  if (!member && !(requesterMay && actor.userId === request.requester)) {
    return refuse({ code: 'not_approver', action: 'retry', environment: env.name, approvers: [...env.approvers], requesterMay });
  }
  return allow(viaGroup);
}

/**
 * May `actor` cancel the running deploy `request`? The requester and the environment's approvers, while a run exists
 * or is about to (dispatched, queued, running), once: a second Cancel is told it is being cancelled already.
 */
export function canCancel(request: DeployRequest, env: EnvironmentDefinition, actor: Actor): Decision {
  if (!RUN_STATUSES.includes(request.status)) return refuse({ code: 'wrong_status', action: 'cancel', status: request.status });
  if (actor.userId !== request.requester) {
    const { member } = membership(env.approvers, actor);
    if (!member) return refuse({ code: 'not_approver', action: 'cancel', environment: env.name, approvers: [...env.approvers], requesterMay: true });
  }
  if (request.cancelRequestedBy) {
    return refuse({ code: 'already_cancelling', by: request.cancelRequestedBy, at: request.cancelRequestedAt ?? request.updatedAt });
  }
  return allow(actor.userId === request.requester ? undefined : membership(env.approvers, actor).viaGroup);
}

/** May `actor` lock `env`? Those who may request deploys there, and its approvers. */
export function canLock(env: EnvironmentDefinition, actor: Actor): Decision {
  if (env.requesters === 'any' || membership(env.requesters, actor).member || membership(env.approvers, actor).member) return allow();
  // Requesters often list the approvers too: each id once.
  return refuse({ code: 'may_not_lock', environment: env.name, allowed: [...new Set([...env.requesters, ...env.approvers])] });
}

/** May `actor` lift `lock`? Its owner, and any approver of the environment (audited and announced as such). */
export function canUnlock(lock: Lock, env: EnvironmentDefinition, actor: Actor): Decision {
  if (lock.owner === actor.userId) return allow();
  const { member, viaGroup } = membership(env.approvers, actor);
  return member ? allow(viaGroup) : refuse({ code: 'not_lock_owner', lock, approvers: [...env.approvers] });
}
