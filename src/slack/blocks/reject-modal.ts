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

/** The reject dialog for `request`. */
export function rejectModal(request: DeployRequest, userId: string): View {
  const withdraw = request.requester === userId;
  const metadata: RejectViewMetadata = { requestId: request.id };
  return {
    type: 'modal',
    callback_id: REJECT_VIEW.callbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: withdraw ? 'Withdraw deploy' : 'Reject deploy' },
    submit: { type: 'plain_text', text: withdraw ? 'Withdraw' : 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `${withdraw ? 'Withdraw your request to deploy' : 'Reject deploying'} *${request.service}* \`${shortSha(request.sha)}\` ` +
            `(\`${escapeText(request.ref).slice(0, 80)}\`) to *${request.environment}*? ` +
            'It ends the request; a new one starts with `/deploy`.',
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
