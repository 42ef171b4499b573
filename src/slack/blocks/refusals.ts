/** The words for a refused action: what was wrong and how to do it right. Pure: refusal in, mrkdwn out. */
import type { Refusal } from '../../domain/policy.js';
import { channelLink, describeStatus, mention } from './text.js';

const startAgain = (r: { environment: string; service: string; ref: string }) => `Start a new one with \`/deploy ${r.environment} ${r.service} ${r.ref}\`.`;

const NO_LONGER: Record<'approve' | 'reject' | 'retry', string> = {
  approve: 'it takes no more approvals',
  reject: 'it can no longer be rejected',
  retry: 'there is nothing to retry',
};

/** Explains `refusal` to the person who was refused. */
export function refusalText(refusal: Refusal): string {
  switch (refusal.code) {
    case 'wrong_channel':
      return `Deploys to *${refusal.environment}* are requested in ${refusal.channels.map(channelLink).join(' or ')}, not here.`;
    case 'not_requester':
      return (
        `You are not on the list of people who may request *${refusal.environment}* deploys ` +
        `(${refusal.requesters.map(mention).join(', ')}). Ask one of them.`
      );
    case 'not_approver': {
      const who = refusal.approvers.map(mention);
      if (refusal.requesterMay) who.unshift('the requester');
      const list = who.length > 1 && refusal.requesterMay ? `${who[0]} or ${who.slice(1).join(', ')}` : who.join(', ');
      return `Only ${list || 'the requester'} may ${refusal.action} *${refusal.environment}* deploys.`;
    }
    case 'self_approval':
      return 'You requested this deploy, so you cannot approve it. Another approver must.';
    case 'already_approved':
      return 'You have already approved this request.';
    case 'expired':
      if (refusal.action === 'reject') return 'This request had already expired; nothing to reject.';
      if (refusal.action === 'approve') return `This request expired at ${refusal.expiresAt} before it had its approvals. ${startAgain(refusal.request)}`;
      return `This request expired at ${refusal.expiresAt}. ${startAgain(refusal.request)}`;
    case 'wrong_status':
      return `This request is ${describeStatus(refusal.status)}; ${NO_LONGER[refusal.action]}.`;
    case 'not_found':
      return `I have no deploy request \`${refusal.requestId}\`. It may be older than a year; start a new one with \`/deploy\`.`;
  }
}
