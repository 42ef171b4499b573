/** The dialog that asks why a deploy is rejected. Pure. */
import type { View } from '@slack/types';
import { type DeployRequest, shortSha } from '../../domain/request.js';
import { escapeText } from './text.js';

/** Callback, block and action ids of the dialog, shared with its listener. */
export const REJECT_VIEW = { callbackId: 'deploy_reject_reason', block: 'reason', input: 'reason_input' } as const;

/** The longest reason the dialog's input takes (its `max_length`). */
export const MAX_REJECT_REASON = 500;

/** What the dialog carries back on submit: only which request; who may reject is checked again then. */
export interface RejectViewMetadata {
  requestId: string;
}

/** The request's change in words: `deploy`, `roll back` or `promote` *service* `sha` (`ref`) to/in *environment*. */
function what(request: DeployRequest): { verb: string; noun: string; object: string } {
  const sha = `\`${shortSha(request.sha)}\` (\`${escapeText(request.ref).slice(0, 80)}\`)`;
  if (request.kind === 'rollback') return { verb: 'roll back', noun: 'rollback', object: `*${request.service}* in *${request.environment}* to ${sha}` };
  const object = `*${request.service}* ${sha} to *${request.environment}*`;
  return request.kind === 'promote' ? { verb: 'promote', noun: 'promotion', object } : { verb: 'deploy', noun: 'deploy', object };
}

/**
 * The reject dialog for `request`: Reject for an approver, Withdraw for its requester, and Give up (the card's button
 * then) once its dispatch or its alias move failed.
 */
export function rejectModal(request: DeployRequest, userId: string): View {
  const withdraw = request.requester === userId;
  const giveUp = request.status === 'dispatch_failed' || request.status === 'rollback_failed';
  const { verb, noun, object } = what(request);
  const metadata: RejectViewMetadata = { requestId: request.id };
  const title = giveUp ? `Give up ${noun}` : `${withdraw ? 'Withdraw' : 'Reject'} ${noun}`;
  const question = giveUp
    ? `Give up on the failed ${noun} of ${object}? Nothing more is tried.`
    : withdraw
      ? `Withdraw your request to ${verb} ${object}?`
      : `Reject the ${noun} of ${object}?`;
  return {
    type: 'modal',
    callback_id: REJECT_VIEW.callbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: giveUp ? 'Give up' : withdraw ? 'Withdraw' : 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${question} It ends the request; a new one starts with \`/deploy\`.`,
        },
      },
      {
        type: 'input',
        block_id: REJECT_VIEW.block,
        optional: true,
        label: { type: 'plain_text', text: 'Why? (shown on the card and kept in the audit trail)' },
        element: { type: 'plain_text_input', action_id: REJECT_VIEW.input, multiline: true, max_length: MAX_REJECT_REASON },
      },
    ],
  };
}
