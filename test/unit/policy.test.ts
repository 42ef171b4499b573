/**
 * Who may request, approve, reject and retry: codes and data from the domain, and the words the Slack side makes of them.
 */
import { productionRequest } from '../support/requests.js';
import type { EnvironmentDefinition } from '../../src/domain/catalog.js';
import { type Actor, canApprove, canLock, canReject, canRequest, canRetry, groupIds } from '../../src/domain/policy.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';
import { describeStatus } from '../../src/slack/blocks/text.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 31 * 60_000); // past the 30 minute ttl
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

const production: EnvironmentDefinition = {
  name: 'production',
  aliases: ['prod'],
  channels: ['C0PROD', 'C0RELEASES'],
  approvals: 2,
  approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'],
  requesters: 'any',
  requestTtlMs: 30 * 60_000,
  staleAfterMs: 3 * 60_000,
  runTimeoutMs: 60 * 60_000,
};

const staging: EnvironmentDefinition = { ...production, name: 'staging', aliases: [], channels: ['C0STAGING'], approvals: 0, approvers: [] };

const actor = (userId: string, groups: string[] = []): Actor => ({ userId, groups });

/** A request by Carol in the given status, with the given approvals. */
function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  const base = productionRequest({ ttlMs: production.requestTtlMs, now: NOW });
  return { ...base, sha: SHA, status, ...overrides };
}

const approval = (userId: string) => ({ userId, at: NOW.toISOString() });

describe('canLock', () => {
  it('names each person or group allowed once, when the requesters list the approvers too', () => {
    // Prepare
    const env = { ...production, requesters: ['U0DAVE', 'U0ALICE', 'S0RELEASE'] };

    // Act
    const decision = canLock(env, actor('U0ERIN'));

    // Assess
    expect(decision).toEqual({
      allowed: false,
      refusal: { code: 'may_not_lock', environment: 'production', allowed: ['U0DAVE', 'U0ALICE', 'S0RELEASE', 'U0BOB'] },
    });
  });
});

describe('canRequest', () => {
  it('allows anyone in a listed channel when requesters is `any`', () => {
    // Act
    const decision = canRequest(production, actor('U0CAROL'), 'C0RELEASES');

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('refuses a channel that is not the environment’s, naming the right channels', () => {
    // Act
    const decision = canRequest(production, actor('U0ALICE'), 'C0RANDOM');

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'wrong_channel' } });
    expect(decision.allowed || refusalText(decision.refusal)).toContain('<#C0PROD> or <#C0RELEASES>');
  });

  it('checks the channel before the requester list', () => {
    // Prepare
    const env = { ...production, requesters: ['U0DAVE'] };

    // Act
    const decision = canRequest(env, actor('U0CAROL'), 'C0RANDOM');

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'wrong_channel' } });
  });

  it('allows a requester listed by name', () => {
    // Prepare
    const env = { ...production, requesters: ['U0DAVE', 'S0DEVS'] };

    // Act
    const decision = canRequest(env, actor('U0DAVE'), 'C0PROD');

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('allows a requester through a listed group', () => {
    // Prepare
    const env = { ...production, requesters: ['U0DAVE', 'S0DEVS'] };

    // Act
    const decision = canRequest(env, actor('U0ERIN', ['S0OTHER', 'S0DEVS']), 'C0PROD');

    // Assess
    expect(decision.allowed).toBe(true);
  });

  it('refuses someone not on the requester list, naming who may', () => {
    // Prepare
    const env = { ...production, requesters: ['U0DAVE', 'S0DEVS'] };

    // Act
    const decision = canRequest(env, actor('U0ERIN', ['S0OTHER']), 'C0PROD');

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'not_requester' } });
    expect(decision.allowed || refusalText(decision.refusal)).toContain('<@U0DAVE>, <!subteam^S0DEVS>');
  });
});

describe('canApprove', () => {
  it('allows a listed approver', () => {
    // Act
    const decision = canApprove(request('awaiting_approval'), production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('allows an approver through a group and says which group', () => {
    // Act
    const decision = canApprove(request('awaiting_approval'), production, actor('U0DAVE', ['S0RELEASE']), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true, viaGroup: 'S0RELEASE' });
  });

  it('does not set viaGroup for an approver listed by name who is also in the group', () => {
    // Act
    const decision = canApprove(request('awaiting_approval'), production, actor('U0ALICE', ['S0RELEASE']), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('refuses someone who is not an approver, naming the approvers', () => {
    // Act
    const decision = canApprove(request('awaiting_approval'), production, actor('U0DAVE', ['S0OTHER']), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'not_approver' } });
    expect(decision.allowed || refusalText(decision.refusal)).toContain('<@U0ALICE>, <@U0BOB>, <!subteam^S0RELEASE>');
  });

  it('refuses self-approval even when the requester is an approver', () => {
    // Prepare
    const own = request('awaiting_approval', { requester: 'U0ALICE' });

    // Act
    const decision = canApprove(own, production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'self_approval' } });
  });

  it('refuses self-approval through a group', () => {
    // Prepare
    const own = request('awaiting_approval', { requester: 'U0DAVE' });

    // Act
    const decision = canApprove(own, production, actor('U0DAVE', ['S0RELEASE']), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'self_approval' } });
  });

  it('refuses a second approval by the same person', () => {
    // Prepare
    const once = request('awaiting_approval', { approvals: [approval('U0ALICE')] });

    // Act
    const decision = canApprove(once, production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'already_approved' } });
  });

  it('allows a second approver after the first', () => {
    // Prepare
    const once = request('awaiting_approval', { approvals: [approval('U0ALICE')] });

    // Act
    const decision = canApprove(once, production, actor('U0BOB'), NOW);

    // Assess
    expect(decision.allowed).toBe(true);
  });

  it('refuses after expiry with the command to start again', () => {
    // Act
    const decision = canApprove(request('awaiting_approval'), production, actor('U0ALICE'), LATER);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'expired' } });
    expect(decision.allowed || refusalText(decision.refusal)).toContain('`/deploy production foxy-backend main`');
  });

  it('refuses at the exact expiry instant', () => {
    // Prepare
    const r = request('awaiting_approval');

    // Act
    const decision = canApprove(r, production, actor('U0ALICE'), new Date(r.expiresAt));

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'expired' } });
  });

  it.each<RequestStatus>(['preparing', 'approved', 'dispatching', 'running', 'succeeded', 'rejected', 'expired', 'dispatch_failed'])(
    'refuses a request in %p',
    (status) => {
      // Act
      const decision = canApprove(request(status), production, actor('U0ALICE'), NOW);

      // Assess
      expect(decision).toMatchObject({ allowed: false, refusal: { code: 'wrong_status' } });
      expect(decision.allowed || refusalText(decision.refusal)).toContain(describeStatus(status));
    },
  );
});

describe('canReject', () => {
  it('lets the requester withdraw the request without being an approver', () => {
    // Act
    const decision = canReject(request('awaiting_approval'), production, actor('U0CAROL'), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('lets an approver reject', () => {
    // Act
    const decision = canReject(request('awaiting_approval'), production, actor('U0BOB'), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('lets an approver reject through a group and says which group', () => {
    // Act
    const decision = canReject(request('awaiting_approval'), production, actor('U0DAVE', ['S0RELEASE']), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true, viaGroup: 'S0RELEASE' });
  });

  it('refuses anyone else', () => {
    // Act
    const decision = canReject(request('awaiting_approval'), production, actor('U0DAVE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'not_approver' } });
  });

  it('lets an approver give up on a failed dispatch', () => {
    // Act
    const decision = canReject(request('dispatch_failed'), production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision.allowed).toBe(true);
  });

  it('refuses once the request has expired, even to the requester', () => {
    // Act
    const decision = canReject(request('awaiting_approval'), production, actor('U0CAROL'), LATER);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'expired' } });
  });

  it.each<RequestStatus>(['approved', 'dispatching', 'running', 'succeeded', 'rejected'])('refuses a request in %p', (status) => {
    // Act
    const decision = canReject(request(status), production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'wrong_status' } });
  });
});

describe('canRetry', () => {
  it('lets an approver retry a failed dispatch', () => {
    // Act
    const decision = canRetry(request('dispatch_failed'), production, actor('U0BOB'), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('lets an approver retry through a group', () => {
    // Act
    const decision = canRetry(request('dispatch_failed'), production, actor('U0DAVE', ['S0RELEASE']), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true, viaGroup: 'S0RELEASE' });
  });

  it('refuses the requester when the environment needs approvals', () => {
    // Act
    const decision = canRetry(request('dispatch_failed'), production, actor('U0CAROL'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'not_approver' } });
  });

  it('lets the requester retry when the environment needs no approvals', () => {
    // Prepare
    const r = request('dispatch_failed', { environment: 'staging', requiredApprovals: 0 });

    // Act
    const decision = canRetry(r, staging, actor('U0CAROL'), NOW);

    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it('refuses someone else when the environment needs no approvals, naming the requester', () => {
    // Prepare
    const r = request('dispatch_failed', { environment: 'staging', requiredApprovals: 0 });

    // Act
    const decision = canRetry(r, staging, actor('U0DAVE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'not_approver' } });
    expect(decision.allowed || refusalText(decision.refusal)).toContain('the requester');
  });

  it('refuses after expiry', () => {
    // Act
    const decision = canRetry(request('dispatch_failed'), production, actor('U0ALICE'), LATER);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'expired' } });
  });

  it('lets an approver retry a rollback that failed, and the requester give it up', () => {
    // Prepare
    const r = request('rollback_failed', { kind: 'rollback', requiredApprovals: 1 });

    // Act
    const retry = canRetry(r, production, actor('U0ALICE'), NOW);
    const giveUp = canReject(r, production, actor('U0CAROL'), NOW);

    // Assess
    expect(retry).toEqual({ allowed: true });
    expect(giveUp).toEqual({ allowed: true });
  });

  it('refuses a retry of a failed rollback after expiry', () => {
    // Act
    const decision = canRetry(request('rollback_failed', { kind: 'rollback' }), production, actor('U0ALICE'), LATER);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'expired' } });
  });

  it.each<RequestStatus>(['awaiting_approval', 'approved', 'rolling_back', 'failed', 'succeeded'])('refuses a request in %p', (status) => {
    // Act
    const decision = canRetry(request(status), production, actor('U0ALICE'), NOW);

    // Assess
    expect(decision).toMatchObject({ allowed: false, refusal: { code: 'wrong_status' } });
  });
});

describe('groupIds', () => {
  it('keeps only user-group ids', () => {
    // Act
    const groups = groupIds(['U0ALICE', 'S0RELEASE', 'W0BOB', 'S0OPS']);

    // Assess
    expect(groups).toEqual(['S0RELEASE', 'S0OPS']);
  });
});
