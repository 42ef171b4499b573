/**
 * The environment aggregate: when a request may be dispatched to its service's environment.
 */
import { deployable, environmentHold, targetOf } from '../../src/domain/environment.js';
import type { FreezePeriod } from '../../src/domain/freeze.js';
import type { Lock } from '../../src/domain/lock.js';
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

describe('deployable: locks, freezes and one deploy at a time', () => {
  const approved = (overrides: Partial<DeployRequest> = {}) => request('approved', { approvals: [approval('U0ALICE'), approval('U0BOB')], ...overrides });
  const lock = (owner: string, extra: Partial<Lock> = {}): Lock => ({ environment: 'production', owner, reason: 'incident', at: NOW.toISOString(), ...extra });
  const freeze: FreezePeriod = {
    reason: 'Holidays',
    start: '2029-12-23T00:00:00.000Z',
    end: '2030-01-04T00:00:00.000Z',
    timeZone: 'Europe/Berlin',
    recurring: false,
  };

  it("is held by someone else's environment lock, naming it", () => {
    // Act
    const verdict = deployable({ ...TARGET, locks: [lock('U0ERIN')] }, approved(), NOW);

    // Assess
    expect(verdict).toEqual({ deployable: false, why: { code: 'locked', lock: lock('U0ERIN') } });
  });

  it('is held by a lock on its own service, not by one on another service', () => {
    // Act
    const own = deployable({ ...TARGET, locks: [lock('U0ERIN', { service: 'foxy-backend' })] }, approved(), NOW);
    const other = deployable({ ...TARGET, locks: [lock('U0ERIN', { service: 'foxy-frontend' })] }, approved(), NOW);

    // Assess
    expect(own.deployable).toBe(false);
    expect(other.deployable).toBe(true);
  });

  it("passes its requester's own lock, and a lock that has ended", () => {
    // Act
    const owner = deployable({ ...TARGET, locks: [lock('U0DAVE')] }, approved({ requester: 'U0DAVE' }), NOW);
    const ended = deployable({ ...TARGET, locks: [lock('U0ERIN', { until: NOW.toISOString() })] }, approved(), NOW);

    // Assess
    expect(owner.deployable).toBe(true);
    expect(ended.deployable).toBe(true);
  });

  it('lets a rollback through a lock, and through a freeze unless rollbacks need break-glass', () => {
    // Prepare
    const rollback = approved({ kind: 'rollback' });

    // Act
    const locked = deployable({ ...TARGET, locks: [lock('U0ERIN')] }, rollback, NOW);
    const frozen = deployable({ ...TARGET, freeze }, rollback, NOW);
    const strict = deployable({ ...TARGET, freeze, rollbacksInFreeze: 'break_glass' }, rollback, NOW);

    // Assess
    expect(locked.deployable).toBe(true);
    expect(frozen.deployable).toBe(true);
    expect(strict).toEqual({ deployable: false, why: { code: 'frozen', freeze } });
  });

  it('is held by a freeze unless it is a break-glass', () => {
    // Act
    const plain = deployable({ ...TARGET, freeze }, approved(), NOW);
    const breakGlass = deployable({ ...TARGET, freeze }, approved({ breakGlass: { reason: 'outage' } }), NOW);

    // Assess
    expect(plain).toEqual({ deployable: false, why: { code: 'frozen', freeze } });
    expect(breakGlass.deployable).toBe(true);
  });

  it('waits behind another deploy in flight, never behind itself', () => {
    // Act
    const behind = deployable({ ...TARGET, busyWith: { requestId: 'd-0000000001', status: 'running' } }, approved(), NOW);
    const itself = deployable({ ...TARGET, busyWith: { requestId: approved().id, status: 'dispatching' } }, approved(), NOW);

    // Assess
    expect(behind).toEqual({ deployable: false, why: { code: 'busy', requestId: 'd-0000000001', status: 'running' } });
    expect(itself.deployable).toBe(true);
  });

  it('asks for approvals before anything the environment says', () => {
    // Act
    const verdict = deployable({ ...TARGET, locks: [lock('U0ERIN')], freeze }, request('approved', { approvals: [approval('U0ALICE')] }), NOW);

    // Assess
    expect(verdict).toEqual({ deployable: false, why: { code: 'missing_approvals', have: 1, need: 2 } });
  });
});

describe('environmentHold', () => {
  it('refuses nothing for a busy environment when a request is made (the view has no slot holder then)', () => {
    // Act
    const hold = environmentHold(TARGET, { kind: 'deploy', requester: 'U0DAVE' }, NOW);

    // Assess
    expect(hold).toBeUndefined();
  });
});
