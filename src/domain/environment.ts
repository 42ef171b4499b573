/**
 * The environment aggregate: whether a request may ship to its service's environment now. One question,
 * asked in one place, in the spirit of Shipit's `deployable?`. Today it checks the request itself (a pinned
 * SHA and the approvals it needs); locks, freeze windows and one deploy at a time join here, as more
 * reasons in {@link NotDeployable}, so that every path that dispatches asks the same question.
 */
import type { DeployRequest } from './request.js';

/** What the environment looks like to a dispatch: the other requests of the same service and environment. */
export interface EnvironmentView {
  service: string;
  environment: string;
}

/** Why a request may not ship now. */
export type NotDeployable =
  /** The request is not approved (or re-armed after a refused dispatch). */
  | { code: 'not_approved'; status: DeployRequest['status'] }
  /** No exact 40-hex SHA is pinned. */
  | { code: 'no_sha' }
  /** Fewer distinct approvals (other than the requester's) than required. */
  | { code: 'missing_approvals'; have: number; need: number }
  /** The request belongs to another service or environment than the one asked about. */
  | { code: 'other_target' };

/** The answer of {@link deployable}. */
export type Deployability = { deployable: true } | { deployable: false; why: NotDeployable };

const SHA = /^[0-9a-f]{40}$/;

/**
 * May `request` be dispatched to `target` at `now`? Pure: the caller reads the state, this decides.
 * `now` is here for the time-bound rules (locks that end, freeze windows) that build on it.
 */
export function deployable(target: EnvironmentView, request: DeployRequest, _now: Date): Deployability {
  if (request.service !== target.service || request.environment !== target.environment) return { deployable: false, why: { code: 'other_target' } };
  if (request.status !== 'approved' && request.status !== 'dispatch_failed')
    return { deployable: false, why: { code: 'not_approved', status: request.status } };
  if (!request.sha || !SHA.test(request.sha)) return { deployable: false, why: { code: 'no_sha' } };
  const approvers = new Set(request.approvals.map((a) => a.userId));
  approvers.delete(request.requester);
  if (approvers.size < request.requiredApprovals)
    return { deployable: false, why: { code: 'missing_approvals', have: approvers.size, need: request.requiredApprovals } };
  return { deployable: true };
}

/** The environment a request ships to. */
export function targetOf(request: Pick<DeployRequest, 'service' | 'environment'>): EnvironmentView {
  return { service: request.service, environment: request.environment };
}
