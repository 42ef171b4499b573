/**
 * The audit entry of a request being made (src/deploys/audit.ts): the prepare job writes it from the request as
 * stored, since the ack stores the request alone. The words are those the ack used to write.
 */
import { requestedAudit } from '../../src/deploys/audit.js';
import type { DeployRequest } from '../../src/domain/request.js';
import { productionRequest } from '../support/requests.js';

describe('requestedAudit', () => {
  it.each<[string, Partial<DeployRequest>, { actor: string; action: string; detail: string }]>([
    ['a deploy', { kind: 'deploy', ref: 'v2.3.0' }, { actor: 'U0DAVE', action: 'request', detail: 'foxy-backend v2.3.0 to production' }],
    [
      'a rollback to the last good deploy',
      { kind: 'rollback', rollback: { mode: 'alias' } },
      { actor: 'U0DAVE', action: 'request', detail: 'foxy-backend rollback in production' },
    ],
    [
      'a rollback to a version',
      { kind: 'rollback', rollback: { mode: 'alias', target: '7' } },
      { actor: 'U0DAVE', action: 'request', detail: 'foxy-backend rollback to 7 in production' },
    ],
    [
      'a promotion',
      { kind: 'promote', promotion: { from: 'staging' } },
      { actor: 'U0DAVE', action: 'request', detail: 'foxy-backend promotion from staging to production' },
    ],
    [
      'a rollback foxops started',
      { kind: 'rollback', rollback: { mode: 'alias', target: 'd-5555555555', reason: 'alarm errors during bake', auto: true } },
      { actor: 'foxops', action: 'auto_rollback', detail: 'foxy-backend rollback to d-5555555555 in production: alarm errors during bake' },
    ],
  ])('words %s as the ack did, at the request time', (_what, overrides, expected) => {
    // Prepare
    const request: DeployRequest = { ...productionRequest({ requester: 'U0DAVE' }), ...overrides };

    // Act
    const audit = requestedAudit(request);

    // Assess
    expect(audit).toEqual({ ...expected, outcome: 'ok', at: request.createdAt });
  });
});
