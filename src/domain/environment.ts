/**
 * The environment aggregate: whether a request may ship to its service's environment now. One question,
 * asked in one place, in the spirit of Shipit's `deployable?`: the request itself (a pinned SHA and the approvals
 * it needs), then locks, freeze windows and one deploy at a time ({@link Hold}), so that every path that dispatches
 * asks the same question.
 */
import type { FreezePeriod } from './freeze.js';
import { type Lock, lockAgainst } from './lock.js';
import { type DeployRequest, type RequestStatus, SLOT_STATUSES } from './request.js';

/**
 * What the environment looks like to a request of one service: its locks, the freeze in force, and the deploy
 * that holds the one-at-a-time slot. The caller reads it (src/deploys/environment-gate.ts); this decides.
 */
export interface EnvironmentView {
  service: string;
  environment: string;
  /** The environment's stored locks; ended ones are ignored here. */
  locks?: readonly Lock[];
  /** The freeze window in force now, if any. */
  freeze?: FreezePeriod;
  /** Whether a rollback during a freeze needs break-glass (`rollbacks_in_freeze`); default `allow`. */
  rollbacksInFreeze?: 'allow' | 'break_glass';
  /** The request holding the service's one-deploy-at-a-time slot, when it is still on its way or running. */
  busyWith?: { requestId: string; status: RequestStatus };
}

/** Why the environment holds a request back for now: it waits in `queued_behind` until this passes. */
export type Hold =
  /** Another deploy of the service is on its way or running in the environment. */
  | { code: 'busy'; requestId: string; status: RequestStatus }
  /** Someone else holds a lock on the environment or the service. */
  | { code: 'locked'; lock: Lock }
  /** A freeze window is in force and the request is no break-glass. */
  | { code: 'frozen'; freeze: FreezePeriod };

/** Why a request may not ship now. */
export type NotDeployable =
  /** The request is not approved (or re-armed after a refused dispatch). */
  | { code: 'not_approved'; status: DeployRequest['status'] }
  /** No exact 40-hex SHA is pinned. */
  | { code: 'no_sha' }
  /** Fewer distinct approvals (other than the requester's) than required. */
  | { code: 'missing_approvals'; have: number; need: number }
  /** The request belongs to another service or environment than the one asked about. */
  | { code: 'other_target' }
  | Hold;

/** The answer of {@link deployable}. */
export type Deployability = { deployable: true } | { deployable: false; why: NotDeployable };

const SHA = /^[0-9a-f]{40}$/;

/** The part of a request the environment's rules look at. */
export type Asker = Pick<DeployRequest, 'kind' | 'requester'> & { id?: string; breakGlass?: DeployRequest['breakGlass'] };

/**
 * What holds `asker` back in `view` at `now`, if anything, in this order: a lock someone else holds (rollbacks
 * pass: rolling back is the safe direction), a freeze (break-glass passes; rollbacks pass unless
 * `rollbacks_in_freeze: break_glass`), then another deploy in flight. Asked when a request is made (the view then
 * has no `busyWith`: a busy environment queues a request, it does not refuse it) and again before it ships.
 */
export function environmentHold(view: EnvironmentView, asker: Asker, now: Date): Hold | undefined {
  if (asker.kind !== 'rollback') {
    const lock = lockAgainst(view.locks ?? [], view.service, view.environment, asker.requester, now);
    if (lock) return { code: 'locked', lock };
  }
  if (view.freeze && !asker.breakGlass) {
    const rollbackPasses = asker.kind === 'rollback' && (view.rollbacksInFreeze ?? 'allow') === 'allow';
    if (!rollbackPasses) return { code: 'frozen', freeze: view.freeze };
  }
  if (view.busyWith && view.busyWith.requestId !== asker.id) return { code: 'busy', ...view.busyWith };
  return undefined;
}

/**
 * May `request` be dispatched to the environment of `view` at `now`? Pure: the caller reads the state, this decides.
 * First the request itself (approved, a pinned SHA, its approvals), then the environment ({@link environmentHold}).
 */
export function deployable(view: EnvironmentView, request: DeployRequest, now: Date): Deployability {
  if (request.service !== view.service || request.environment !== view.environment) return { deployable: false, why: { code: 'other_target' } };
  if (request.status !== 'approved' && request.status !== 'dispatch_failed' && request.status !== 'queued_behind')
    return { deployable: false, why: { code: 'not_approved', status: request.status } };
  if (!request.sha || !SHA.test(request.sha)) return { deployable: false, why: { code: 'no_sha' } };
  const approvers = new Set(request.approvals.map((a) => a.userId));
  approvers.delete(request.requester);
  if (approvers.size < request.requiredApprovals)
    return { deployable: false, why: { code: 'missing_approvals', have: approvers.size, need: request.requiredApprovals } };
  const hold = environmentHold(view, request, now);
  return hold ? { deployable: false, why: hold } : { deployable: true };
}

/** True for the reasons that pass by themselves (a lock ends, a freeze ends, the other deploy ends). */
export function isHold(why: NotDeployable): why is Hold {
  return why.code === 'busy' || why.code === 'locked' || why.code === 'frozen';
}

/** True when `status` holds the one-deploy-at-a-time slot of its environment (see {@link SLOT_STATUSES}). */
export function holdsSlot(status: RequestStatus): boolean {
  return SLOT_STATUSES.includes(status);
}

/** The environment a request ships to, with nothing known yet about its state. */
export function targetOf(request: Pick<DeployRequest, 'service' | 'environment'>): EnvironmentView {
  return { service: request.service, environment: request.environment };
}
