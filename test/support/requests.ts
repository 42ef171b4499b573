/** Fresh production requests and ledger entries of foxy-backend for unit tests; each test overrides what it is about. */
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { type DeployRequest, type NewRequestInput, newRequest } from '../../src/domain/request.js';

/** `newRequest` with the defaults every unit test shares: `d-0123456789`, foxy-backend `main` to production from C0PROD. */
export function productionRequest(overrides: Partial<NewRequestInput> = {}): DeployRequest {
  return newRequest({
    id: 'd-0123456789',
    kind: 'deploy',
    service: 'foxy-backend',
    environment: 'production',
    repo: 'foxy-org/foxy-backend',
    workflow: 'deploy.yml',
    ref: 'main',
    requester: 'U0CAROL',
    channel: 'C0PROD',
    requiredApprovals: 2,
    ttlMs: 30 * 60_000,
    now: new Date(),
    ...overrides,
  });
}

/** A succeeded production deploy of foxy-backend as the ledger records it: `d-6666666666`, SHA 666…, by Dave. */
export function deploymentRecord(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    service: 'foxy-backend',
    environment: 'production',
    sha: '6'.repeat(40),
    ref: 'main',
    requestId: 'd-6666666666',
    kind: 'deploy',
    requester: 'U0DAVE',
    approvers: ['U0ALICE'],
    outcome: 'succeeded',
    finishedAt: '2026-11-28T09:50:00.000Z',
    ...overrides,
  };
}
