/**
 * The reject dialog (src/slack/blocks/reject-modal.ts): its title, button and question follow who opens it (an
 * approver rejects, the requester withdraws), what kind of request it is, and whether the request already failed
 * (the card's button is then Give up).
 */
import type { ModalView } from '@slack/types';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { rejectModal } from '../../src/slack/blocks/reject-modal.js';
import { blocksText } from '../support/blocks.js';
import { productionRequest } from '../support/requests.js';

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const NOW = new Date('2030-01-01T12:00:00.000Z');

const request = (status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest => ({
  ...productionRequest({ now: NOW }),
  sha: SHA,
  status,
  ...overrides,
});

/** Title, submit button and question of the dialog. */
function words(r: DeployRequest, userId: string): [string, string, string] {
  const view = rejectModal(r, userId) as ModalView;
  return [view.title.text, view.submit!.text, blocksText({ blocks: view.blocks.slice(0, 1) }).trim()];
}

describe('rejectModal', () => {
  it.each<[string, DeployRequest, string, [string, string, string]]>([
    [
      'an approver rejects a deploy',
      request('awaiting_approval'),
      'U0ALICE',
      [
        'Reject deploy',
        'Reject',
        'Reject the deploy of *foxy-backend* `3f78685` (`main`) to *production*? It ends the request; a new one starts with `/deploy`.',
      ],
    ],
    [
      'the requester withdraws a deploy',
      request('awaiting_approval'),
      'U0CAROL',
      [
        'Withdraw deploy',
        'Withdraw',
        'Withdraw your request to deploy *foxy-backend* `3f78685` (`main`) to *production*? It ends the request; a new one starts with `/deploy`.',
      ],
    ],
    [
      'an approver gives up a rollback whose alias move failed',
      request('rollback_failed', { kind: 'rollback' }),
      'U0ALICE',
      [
        'Give up rollback',
        'Give up',
        'Give up on the failed rollback of *foxy-backend* in *production* to `3f78685` (`main`)? Nothing more is tried. It ends the request; a new one starts with `/deploy`.',
      ],
    ],
    [
      'the requester gives up a promotion whose dispatch failed',
      request('dispatch_failed', { kind: 'promote' }),
      'U0CAROL',
      [
        'Give up promotion',
        'Give up',
        'Give up on the failed promotion of *foxy-backend* `3f78685` (`main`) to *production*? Nothing more is tried. It ends the request; a new one starts with `/deploy`.',
      ],
    ],
  ])('%s', (_name, r, userId, expected) => {
    // Act
    const said = words(r, userId);

    // Assess
    expect(said).toEqual(expected);
    expect(said[0].length).toBeLessThanOrEqual(24); // Slack's limit for a modal title
  });
});
