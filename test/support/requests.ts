/** A fresh production request of foxy-backend for unit tests; each test overrides what it is about. */
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
