/** The words for each refusal code: what was wrong and how to do it right. */
import type { Refusal } from '../../src/domain/policy.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';

const request = { environment: 'production', service: 'foxy-backend', ref: 'main' };

describe('refusalText', () => {
  it.each<[Refusal, string]>([
    [
      { code: 'wrong_channel', environment: 'production', channels: ['C0PROD', 'C0REL'] },
      'Deploys to *production* are requested in <#C0PROD> or <#C0REL>, not here.',
    ],
    [
      { code: 'not_requester', environment: 'production', requesters: ['U0DAVE', 'S0DEVS'] },
      'You are not on the list of people who may request *production* deploys (<@U0DAVE>, <!subteam^S0DEVS>). Ask one of them.',
    ],
    [
      { code: 'not_approver', action: 'approve', environment: 'production', approvers: ['U0ALICE', 'S0REL'], requesterMay: false },
      'Only <@U0ALICE>, <!subteam^S0REL> may approve *production* deploys.',
    ],
    [
      { code: 'not_approver', action: 'reject', environment: 'production', approvers: ['U0ALICE', 'U0BOB'], requesterMay: true },
      'Only the requester or <@U0ALICE>, <@U0BOB> may reject *production* deploys.',
    ],
    [{ code: 'not_approver', action: 'retry', environment: 'staging', approvers: [], requesterMay: true }, 'Only the requester may retry *staging* deploys.'],
    [{ code: 'self_approval' }, 'You requested this deploy, so you cannot approve it. Another approver must.'],
    [{ code: 'already_approved' }, 'You have already approved this request.'],
    [
      { code: 'expired', action: 'approve', expiresAt: '2030-01-01T12:30:00.000Z', request },
      'This request expired at 2030-01-01T12:30:00.000Z before it had its approvals. Start a new one with `/deploy production foxy-backend main`.',
    ],
    [
      { code: 'expired', action: 'retry', expiresAt: '2030-01-01T12:30:00.000Z', request },
      'This request expired at 2030-01-01T12:30:00.000Z. Start a new one with `/deploy production foxy-backend main`.',
    ],
    [{ code: 'expired', action: 'reject', expiresAt: '2030-01-01T12:30:00.000Z', request }, 'This request had already expired; nothing to reject.'],
    [{ code: 'wrong_status', action: 'approve', status: 'dispatch_failed' }, 'This request is dispatch failed; it takes no more approvals.'],
    [{ code: 'wrong_status', action: 'reject', status: 'running' }, 'This request is running; it can no longer be rejected.'],
    [{ code: 'wrong_status', action: 'retry', status: 'succeeded' }, 'This request is succeeded; there is nothing to retry.'],
    [{ code: 'not_found', requestId: 'd-0123456789' }, 'I have no deploy request `d-0123456789`. It may be older than a year; start a new one with `/deploy`.'],
  ])('words %j', (refusal, text) => {
    // Act
    const words = refusalText(refusal);

    // Assess
    expect(words).toBe(text);
  });
});
