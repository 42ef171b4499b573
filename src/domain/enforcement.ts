/**
 * GitHub-side enforcement: may a workflow run use the approval of a deploy request? Asked for a run waiting on a
 * protected environment (a custom deployment protection rule) and by the workflow's own verify job (its OIDC token's
 * claims). Pure: the caller has verified where the claims come from and read the request; this decides.
 *
 * A run may use an approval when the request is approved (or carried out) for exactly this repository, workflow,
 * environment and SHA, and the approval is not spent on another run: the run foxops dispatched, or else the first run
 * that claimed it. A re-run of that same run (a higher `run_attempt`) may use it again.
 */
import type { ServiceDefinition } from './catalog.js';
import { sameRepo } from './catalog.js';
import type { DeployRequest, RequestStatus } from './request.js';

/** What a run says about itself, from a verified source (the protection rule event, or an OIDC token). */
export interface RunClaims {
  /** `owner/name`. */
  repository: string;
  /** The GitHub environment the job deploys to: foxops' environment name. */
  environment: string;
  sha: string;
  runId: number;
  runAttempt?: number;
  /**
   * The workflow file and the ref it was read from, as `owner/name/.github/workflows/deploy.yml@refs/heads/main`
   * (OIDC's `job_workflow_ref`); absent where the source does not say (then the workflow is not checked).
   */
  workflowRef?: string;
  /**
   * The commit the run says it deploys (the workflow's `sha` input, sent by its verify job), when the source tells:
   * a run may only use an approval to ship exactly the approved commit, whatever branch head it runs on.
   */
  deploysSha?: string;
}

/** The request's approval, once a run has used it: which run, how it was checked, and when. */
export interface EnforcedRun {
  runId: number;
  via: 'protection_rule' | 'oidc';
  at: string;
}

/** Why a run may not use an approval. */
export type EnforcementRefusal =
  /** No request has this deploy id (or none was given: a run started by hand). */
  | { code: 'unknown_deploy'; deployId?: string }
  /** The request is not approved (`status`), or no longer in a state that ships. */
  | { code: 'not_approved'; deployId: string; status: RequestStatus }
  | { code: 'wrong_repository'; deployId: string; expected: string; got: string }
  | { code: 'wrong_environment'; deployId: string; expected: string; got: string }
  | { code: 'wrong_sha'; deployId: string; expected: string; got: string }
  /** The workflow was not the service's own file on its default branch (a branch can edit the workflow). */
  | { code: 'wrong_workflow'; deployId: string; expected: string; got: string }
  /** The approval was used by another run already. */
  | { code: 'spent'; deployId: string; runId: number };

/** Statuses whose approval a run may use: approved, being dispatched, or with a run (re-runs of a finished one too). */
const APPROVED: readonly RequestStatus[] = ['approved', 'dispatching', 'dispatched', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];

/** `owner/name/.github/workflows/<file>@refs/heads/<default ref>`: the only workflow ref a run may deploy from. */
export function expectedWorkflowRef(service: Pick<ServiceDefinition, 'repo' | 'workflow' | 'defaultRef'>): string {
  const ref = service.defaultRef.startsWith('refs/') ? service.defaultRef : `refs/heads/${service.defaultRef}`;
  return `${service.repo}/.github/workflows/${service.workflow}@${ref}`;
}

/**
 * Why `claims` may not use the approval of `request`, or undefined when they may. `service` is the request's service
 * as configured now. Checked in this order: approved, repository, environment, SHA, workflow, not spent elsewhere.
 */
export function refuseRun(
  request: DeployRequest,
  service: Pick<ServiceDefinition, 'repo' | 'workflow' | 'defaultRef'>,
  claims: RunClaims,
): EnforcementRefusal | undefined {
  const deployId = request.id;
  // A request reaches `approved` only with its last approval (src/domain/request.ts), so the status says it all.
  if (!APPROVED.includes(request.status)) return { code: 'not_approved', deployId, status: request.status };
  if (!sameRepo(claims.repository, request.repo)) return { code: 'wrong_repository', deployId, expected: request.repo, got: claims.repository };
  if (claims.environment !== request.environment) return { code: 'wrong_environment', deployId, expected: request.environment, got: claims.environment };
  // A run's `sha` is the head of the ref it runs on, which may have moved on since the approval (or, for a SHA asked
  // for as the ref, is the default branch's head). The run foxops dispatched itself carries the approved SHA as its
  // `sha` input, which the workflow checks out after checking it is reachable: its own run passes on its id. Any other
  // run must run on exactly the approved commit.
  const dispatchedByFoxops = request.run?.id !== undefined && request.run.id === claims.runId;
  if (!dispatchedByFoxops && (!request.sha || claims.sha.toLowerCase() !== request.sha.toLowerCase()))
    return { code: 'wrong_sha', deployId, expected: request.sha ?? '', got: claims.sha };
  // Any run, foxops' own too: the commit it deploys is the approved one (a hand-started run on the approved head
  // could otherwise ship another commit through its `sha` input).
  if (claims.deploysSha !== undefined && (!request.sha || claims.deploysSha.toLowerCase() !== request.sha.toLowerCase()))
    return { code: 'wrong_sha', deployId, expected: request.sha ?? '', got: claims.deploysSha };
  if (claims.workflowRef !== undefined && !/^\d+$/.test(service.workflow)) {
    const expected = expectedWorkflowRef(service);
    if (claims.workflowRef.toLowerCase() !== expected.toLowerCase()) return { code: 'wrong_workflow', deployId, expected, got: claims.workflowRef };
  }
  const spentOn = request.enforcedRun?.runId ?? request.run?.id;
  if (spentOn !== undefined && spentOn !== claims.runId) return { code: 'spent', deployId, runId: spentOn };
  return undefined;
}
