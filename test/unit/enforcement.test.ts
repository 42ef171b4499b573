/**
 * GitHub-side enforcement, decided on the stored request: a run may use an approval only for exactly its repository,
 * environment, SHA and workflow, while the request is approved, and only if no other run used it first.
 */
import { expectedWorkflowRef, refuseRun, type RunClaims } from '../../src/domain/enforcement.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2026-12-02T10:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const SERVICE = { repo: 'foxy-org/foxy-backend', workflow: 'deploy.yml', defaultRef: 'main' };

function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return { ...productionRequest({ now: NOW }), repo: SERVICE.repo, sha: SHA, status, ...overrides };
}

const claims = (overrides: Partial<RunClaims> = {}): RunClaims => ({
  repository: 'foxy-org/foxy-backend',
  environment: 'production',
  sha: SHA,
  runId: 42,
  runAttempt: 1,
  workflowRef: 'foxy-org/foxy-backend/.github/workflows/deploy.yml@refs/heads/main',
  ...overrides,
});

describe('refuseRun', () => {
  it.each<RequestStatus>(['approved', 'dispatching', 'dispatched', 'running'])('lets the run use the approval of a request that is %s', (status) => {
    // Act
    const refusal = refuseRun(request(status), SERVICE, claims());

    // Assess
    expect(refusal).toBeUndefined();
  });

  it.each<RequestStatus>(['awaiting_approval', 'rejected', 'expired', 'queued_behind', 'preparing'])('refuses while the request is %s', (status) => {
    // Act
    const refusal = refuseRun(request(status), SERVICE, claims());

    // Assess
    expect(refusal).toMatchObject({ code: 'not_approved', status });
  });

  it.each([
    ['repository', { repository: 'mallory/foxy-backend' }, 'wrong_repository'],
    ['environment', { environment: 'staging' }, 'wrong_environment'],
    ['SHA', { sha: 'a'.repeat(40) }, 'wrong_sha'],
    ['workflow on a branch', { workflowRef: 'foxy-org/foxy-backend/.github/workflows/deploy.yml@refs/heads/evil' }, 'wrong_workflow'],
    ['workflow file', { workflowRef: 'foxy-org/foxy-backend/.github/workflows/other.yml@refs/heads/main' }, 'wrong_workflow'],
  ])('refuses another %s', (_what, change, code) => {
    // Act
    const refusal = refuseRun(request('dispatched'), SERVICE, claims(change));

    // Assess
    expect(refusal?.code).toBe(code);
  });

  it('refuses a second run once the approval is spent, and lets the same run (a re-run attempt) use it again', () => {
    // Prepare
    const spent = request('running', { enforcedRun: { runId: 42, via: 'oidc', at: NOW.toISOString() } });

    // Act
    const other = refuseRun(spent, SERVICE, claims({ runId: 43 }));
    const rerun = refuseRun(spent, SERVICE, claims({ runAttempt: 2 }));

    // Assess
    expect(other).toEqual({ code: 'spent', deployId: spent.id, runId: 42 });
    expect(rerun).toBeUndefined();
  });

  it('holds the run foxops dispatched as the one that may use the approval, before any run claimed it', () => {
    // Act
    const refusal = refuseRun(request('dispatched', { run: { id: 7, attempt: 1, jobs: [] } }), SERVICE, claims({ runId: 8 }));

    // Assess
    expect(refusal).toEqual({ code: 'spent', deployId: productionRequest({ now: NOW }).id, runId: 7 });
  });

  it("lets foxops' own dispatched run through on its id when its branch moved past the approved SHA", () => {
    // Act
    const own = refuseRun(request('dispatched', { run: { id: 42, attempt: 1, jobs: [] } }), SERVICE, claims({ sha: 'b'.repeat(40) }));

    // Assess
    expect(own).toBeUndefined();
  });

  it('names the workflow on the default branch, also for a full ref', () => {
    // Act
    const branch = expectedWorkflowRef(SERVICE);
    const full = expectedWorkflowRef({ ...SERVICE, defaultRef: 'refs/heads/trunk' });

    // Assess
    expect(branch).toBe('foxy-org/foxy-backend/.github/workflows/deploy.yml@refs/heads/main');
    expect(full).toBe('foxy-org/foxy-backend/.github/workflows/deploy.yml@refs/heads/trunk');
  });
});
