/**
 * The environment aggregate: when a request may be dispatched to its service's environment.
 */
import { deployable, targetOf } from '../../src/domain/environment.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const TARGET = { service: 'foxy-backend', environment: 'production' };

function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return { ...productionRequest({ now: NOW }), sha: SHA, status, ...overrides };
}

const approval = (userId: string) => ({ userId, at: NOW.toISOString() });

describe('deployable', () => {
  const approved = (overrides: Partial<DeployRequest> = {}) => request('approved', { approvals: [approval('U0ALICE'), approval('U0BOB')], ...overrides });

  it('is true for an approved request with a pinned SHA and enough approvals', () => {
    // Act
    const verdict = deployable(TARGET, approved(), NOW).deployable;

    // Assess
    expect(verdict).toBe(true);
  });

  it('is true for a failed dispatch that holds its approvals (the retry)', () => {
    // Act
    const verdict = deployable(TARGET, approved({ status: 'dispatch_failed' }), NOW).deployable;

    // Assess
    expect(verdict).toBe(true);
  });

  it('is true with no approvals when none are required', () => {
    // Act
    const verdict = deployable(TARGET, request('approved', { requiredApprovals: 0 }), NOW).deployable;

    // Assess
    expect(verdict).toBe(true);
  });

  it.each<RequestStatus>(['preparing', 'awaiting_approval', 'dispatching', 'dispatched', 'running', 'succeeded', 'rejected', 'expired'])(
    'is false in %p',
    (status) => {
      // Act
      const verdict = deployable(TARGET, approved({ status }), NOW).deployable;

      // Assess
      expect(verdict).toBe(false);
    },
  );

  it.each([
    ['no SHA', undefined],
    ['a short SHA', SHA.slice(0, 7)],
    ['a branch name', 'main'],
    ['an upper-case SHA', SHA.toUpperCase()],
    ['41 characters', SHA + 'a'],
    ['a non-hex character', SHA.slice(0, 39) + 'g'],
  ])('is false with %s', (_why, sha) => {
    // Act
    const verdict = deployable(TARGET, approved({ sha }), NOW).deployable;

    // Assess
    expect(verdict).toBe(false);
  });

  it('is false with fewer approvals than required', () => {
    // Act
    const verdict = deployable(TARGET, approved({ approvals: [approval('U0ALICE')] }), NOW).deployable;

    // Assess
    expect(verdict).toBe(false);
  });

  it('counts the same approver twice as one', () => {
    // Act
    const verdict = deployable(TARGET, approved({ approvals: [approval('U0ALICE'), approval('U0ALICE')] }), NOW).deployable;

    // Assess
    expect(verdict).toBe(false);
  });

  it('does not count the requester’s own approval', () => {
    // Act
    const verdict = deployable(TARGET, approved({ requester: 'U0ALICE' }), NOW).deployable;

    // Assess
    expect(verdict).toBe(false);
  });

  it('is true with more approvals than required', () => {
    // Act
    const verdict = deployable(TARGET, approved({ approvals: [approval('U0ALICE'), approval('U0BOB'), approval('U0DAVE')] }), NOW).deployable;

    // Assess
    expect(verdict).toBe(true);
  });
});

describe('deployable: why not', () => {
  const approved = (overrides: Partial<DeployRequest> = {}) => request('approved', { approvals: [approval('U0ALICE'), approval('U0BOB')], ...overrides });

  it('says how many approvals are missing', () => {
    // Act
    const verdict = deployable(TARGET, approved({ approvals: [approval('U0ALICE')] }), NOW);

    // Assess
    expect(verdict).toEqual({ deployable: false, why: { code: 'missing_approvals', have: 1, need: 2 } });
  });

  it('refuses a request of another environment than the one asked about', () => {
    // Act
    const verdict = deployable({ ...TARGET, environment: 'staging' }, approved(), NOW);

    // Assess
    expect(verdict).toEqual({ deployable: false, why: { code: 'other_target' } });
  });

  it('names the status of a request that is not approved', () => {
    // Act
    const verdict = deployable(TARGET, approved({ status: 'running' }), NOW);

    // Assess
    expect(verdict).toEqual({ deployable: false, why: { code: 'not_approved', status: 'running' } });
  });

  it('takes the target from the request itself', () => {
    // Act
    const target = targetOf(approved());

    // Assess
    expect(target).toEqual(TARGET);
  });
});
