/** The words for each refusal code: what was wrong and how to do it right. */
import type { FreezePeriod } from '../../src/domain/freeze.js';
import type { Lock } from '../../src/domain/lock.js';
import type { Refusal } from '../../src/domain/policy.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';

const request = { environment: 'production', service: 'foxy-backend', ref: 'main' };

/** Dave's lock on all of production, 10:00 to 14:00 UTC; and Erin's on foxy-backend there, until unlocked. */
const envLock: Lock = {
  environment: 'production',
  owner: 'U0DAVE',
  reason: 'DB migration <!here>',
  at: '2030-01-01T10:00:00.000Z',
  until: '2030-01-01T14:00:00.000Z',
};
const serviceLock: Lock = { environment: 'production', service: 'foxy-backend', owner: 'U0ERIN', reason: 'incident 42', at: '2030-01-01T10:00:00.000Z' };
const SINCE = '<!date^1893492000^{date_short_pretty} {time}|2030-01-01T10:00:00.000Z>';
const UNTIL = '<!date^1893506400^{date_short_pretty} {time}|2030-01-01T14:00:00.000Z>';

/** The weekend freeze in Berlin: Friday 17:00 to Monday 08:00 local time (CET, UTC+1). */
const freeze: FreezePeriod = {
  reason: 'weekend',
  start: '2030-01-04T16:00:00.000Z',
  end: '2030-01-07T07:00:00.000Z',
  timeZone: 'Europe/Berlin',
  recurring: true,
};
const FREEZE_WINDOW =
  '*weekend*, Fri 2030-01-04 17:00 to Mon 2030-01-07 08:00 Europe/Berlin ' +
  '(<!date^1893772800^{date_short_pretty} {time}|2030-01-04T16:00:00.000Z> to <!date^1893999600^{date_short_pretty} {time}|2030-01-07T07:00:00.000Z> your time)';

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
    [
      { code: 'not_approver', action: 'approve', environment: 'production', approvers: ['U0ALICE', 'S0SRE'], requesterMay: false, breakGlass: true },
      'This is a break-glass request: only the break-glass approvers of *production* (<@U0ALICE> and <!subteam^S0SRE>) may approve it. Ask one of them.',
    ],
    [
      { code: 'not_approver', action: 'approve', environment: 'production', approvers: [], requesterMay: false, breakGlass: true },
      'This is a break-glass request, and *production* has no break-glass approvers (`break_glass_approvers` in foxops.yml), so nobody can approve it. ' +
        'Reject it and deploy after the freeze.',
    ],
    [
      { code: 'locked', lock: envLock },
      `*production* (all services) is locked by <@U0DAVE> since ${SINCE}, until ${UNTIL}: DB migration &lt;!here&gt;. ` +
        'To deploy now, ask <@U0DAVE> or an approver to `/deploy unlock production`.',
    ],
    [
      { code: 'locked', lock: serviceLock },
      `*foxy-backend* in *production* is locked by <@U0ERIN> since ${SINCE}, until unlocked: incident 42. ` +
        'To deploy now, ask <@U0ERIN> or an approver to `/deploy unlock production foxy-backend`.',
    ],
    [
      { code: 'frozen', environment: 'production', freeze, breakGlassApprovers: ['U0ALICE', 'U0BOB', 'S0SRE'] },
      `*production* is frozen: ${FREEZE_WINDOW}. ` +
        'Deploy after it ends, or in an emergency break glass: `/deploy production [service] [ref] --break-glass "<reason>"`; ' +
        'it needs the approval of two of <@U0ALICE>, <@U0BOB> and <!subteam^S0SRE>.',
    ],
    [
      { code: 'frozen', environment: 'production', freeze, breakGlassApprovers: ['U0ALICE', 'U0BOB'], asked: 'rollback' },
      `*production* is frozen: ${FREEZE_WINDOW}. ` +
        'Roll back after it ends, or in an emergency break glass: ' +
        '`/deploy rollback production [service] [to <version>] [because <reason>] --break-glass "<reason>"`; ' +
        'it needs the approval of two of <@U0ALICE> and <@U0BOB>.',
    ],
    [
      { code: 'frozen', environment: 'production', freeze, breakGlassApprovers: [] },
      `*production* is frozen: ${FREEZE_WINDOW}. ` +
        'Deploy after it ends: break-glass is not set up for *production* (`break_glass_approvers` in foxops.yml).',
    ],
    [
      { code: 'break_glass_unavailable', environment: 'staging' },
      'Break-glass is not set up for *staging*: it needs `break_glass_approvers` in foxops.yml. ' +
        'Ask again without `--break-glass` once no freeze is in force, or ask whoever maintains foxops.yml to name them.',
    ],
    [
      { code: 'lock_held', lock: envLock },
      `*production* (all services) is locked already, by <@U0DAVE> since ${SINCE}, until ${UNTIL}: DB migration &lt;!here&gt;. ` +
        'To take it over, ask <@U0DAVE> or an approver to `/deploy unlock production` first.',
    ],
    [
      { code: 'not_locked', environment: 'production', others: [] },
      '*production* (all services) is not locked: nothing to unlock. `/deploy locks` shows what is.',
    ],
    [
      { code: 'not_locked', environment: 'production', others: [serviceLock] },
      '*production* (all services) is not locked. Locked there: *foxy-backend* in *production*, by <@U0ERIN>: `/deploy unlock production foxy-backend`.',
    ],
    [
      { code: 'not_locked', environment: 'production', service: 'foxy-web', others: [envLock, serviceLock] },
      '*foxy-web* in *production* is not locked. Locked there: *production* (all services), by <@U0DAVE>: `/deploy unlock production`; ' +
        '*foxy-backend* in *production*, by <@U0ERIN>: `/deploy unlock production foxy-backend`.',
    ],
    [
      { code: 'not_lock_owner', lock: serviceLock, approvers: ['U0ALICE', 'U0BOB'] },
      `*foxy-backend* in *production* is locked by <@U0ERIN> since ${SINCE}, until unlocked: incident 42. ` +
        'Only <@U0ERIN> or an approver (<@U0ALICE> and <@U0BOB>) may unlock it: ask them.',
    ],
    [
      { code: 'may_not_lock', environment: 'production', allowed: ['U0CAROL', 'S0DEVS'] },
      'Only the people who may request or approve *production* deploys may lock it (<@U0CAROL>, <!subteam^S0DEVS>). Ask one of them.',
    ],
  ])('words %j', (refusal, text) => {
    // Act
    const words = refusalText(refusal);

    // Assess
    expect(words).toBe(text);
  });
});
