/** The words for a refused action: what was wrong and how to do it right. Pure: refusal in, mrkdwn out. */
import type { Refusal } from '../../domain/policy.js';
import { shortSha } from '../../domain/request.js';
import { askToUnlock, freezeWindowText, lockHolder, lockTarget, mentions, unlockCommand } from './holds.js';
import { channelLink, describeStatus, escapeText, mention, slackDate } from './text.js';

const startAgain = (r: { environment: string; service: string; ref: string }) => `Start a new one with \`/deploy ${r.environment} ${r.service} ${r.ref}\`.`;

const NO_LONGER: Record<'approve' | 'reject' | 'retry' | 'cancel', string> = {
  approve: 'it takes no more approvals',
  cancel: 'there is no run to cancel',
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
      if (refusal.breakGlass) {
        // A break-glass overrules a freeze: the people trusted with that, not the usual approvers.
        if (refusal.approvers.length === 0)
          return `This is a break-glass request, and *${refusal.environment}* has no break-glass approvers (\`break_glass_approvers\` in foxops.yml), so nobody can approve it. Reject it and deploy after the freeze.`;
        return `This is a break-glass request: only the break-glass approvers of *${refusal.environment}* (${mentions(refusal.approvers)}) may approve it. Ask one of them.`;
      }
      const who = refusal.approvers.map(mention);
      if (refusal.requesterMay) who.unshift('the requester');
      const list = who.length > 1 && refusal.requesterMay ? `${who[0]} or ${who.slice(1).join(', ')}` : who.join(', ');
      return `Only ${list || 'the requester'} may ${refusal.action} *${refusal.environment}* deploys.`;
    }
    case 'locked':
      return `${lockTarget(refusal.lock)} is locked by ${lockHolder(refusal.lock)}. To deploy now, ${askToUnlock(refusal.lock)}.`;
    case 'frozen': {
      const freeze = `*${refusal.environment}* is frozen: ${freezeWindowText(refusal.freeze)}.`;
      if (refusal.breakGlassApprovers.length === 0)
        return `${freeze} Deploy after it ends: break-glass is not set up for *${refusal.environment}* (\`break_glass_approvers\` in foxops.yml).`;
      // The same request again with `--break-glass`, in its own form.
      const command =
        refusal.asked === 'rollback'
          ? `/deploy rollback ${refusal.environment} [service] [to <version>] [because <reason>] --break-glass "<reason>"`
          : refusal.asked === 'promote'
            ? `/deploy promote [service] [<from> to ${refusal.environment}] --break-glass "<reason>"`
            : `/deploy ${refusal.environment} [service] [ref] --break-glass "<reason>"`;
      const what = refusal.asked === 'rollback' ? 'Roll back' : refusal.asked === 'promote' ? 'Promote' : 'Deploy';
      return (
        `${freeze} ${what} after it ends, or in an emergency break glass: \`${command}\`; ` +
        `it needs the approval of two of ${mentions(refusal.breakGlassApprovers)}.`
      );
    }
    case 'break_glass_unavailable':
      return (
        `Break-glass is not set up for *${refusal.environment}*: it needs \`break_glass_approvers\` in foxops.yml. ` +
        'Ask again without `--break-glass` once no freeze is in force, or ask whoever maintains foxops.yml to name them.'
      );
    case 'lock_held':
      return `${lockTarget(refusal.lock)} is locked already, by ${lockHolder(refusal.lock)}. To take it over, ${askToUnlock(refusal.lock)} first.`;
    case 'not_locked': {
      const what = lockTarget({ environment: refusal.environment, ...(refusal.service ? { service: refusal.service } : {}) });
      if (refusal.others.length === 0) return `${what} is not locked: nothing to unlock. \`/deploy locks\` shows what is.`;
      const others = refusal.others.map((l) => `${lockTarget(l)}, by ${mention(l.owner)}: ${unlockCommand(l)}`);
      return `${what} is not locked. Locked there: ${others.join('; ')}.`;
    }
    case 'not_lock_owner':
      return (
        `${lockTarget(refusal.lock)} is locked by ${lockHolder(refusal.lock)}. Only ${mention(refusal.lock.owner)}` +
        `${refusal.approvers.length ? ` or an approver (${mentions(refusal.approvers)})` : ''} may unlock it: ask them.`
      );
    case 'may_not_lock':
      if (refusal.allowed === 'any' || refusal.allowed.length === 0) return `You may not lock *${refusal.environment}*: ask one of its approvers to.`;
      return (
        `Only the people who may request or approve *${refusal.environment}* deploys may lock it ` +
        `(${refusal.allowed.map(mention).join(', ')}). Ask one of them.`
      );
    case 'self_approval':
      return 'You requested this deploy, so you cannot approve it. Another approver must.';
    case 'already_approved':
      return 'You have already approved this request.';
    case 'checks_pending':
      return (
        `CI is still running on \`${shortSha(refusal.sha)}\`${refusal.pending.length ? ` (${refusal.pending.map((n) => `\`${escapeText(n)}\``).join(', ')})` : ''}: ` +
        'Approve once it is green; the card updates by itself.'
      );
    case 'checks_failed':
      return (
        `CI failed on \`${shortSha(refusal.sha)}\` (${refusal.failing.map((n) => `\`${escapeText(n)}\``).join(', ')}), so this request cannot be approved. ` +
        'Fix it, then request a deploy of the fixed commit.'
      );
    case 'expired':
      if (refusal.action === 'reject') return 'This request had already expired; nothing to reject.';
      if (refusal.action === 'approve') return `This request expired at ${refusal.expiresAt} before it had its approvals. ${startAgain(refusal.request)}`;
      return `This request expired at ${refusal.expiresAt}. ${startAgain(refusal.request)}`;
    case 'wrong_status':
      return `This request is ${describeStatus(refusal.status)}; ${NO_LONGER[refusal.action]}.`;
    case 'already_cancelling':
      return `This deploy is being cancelled already: ${mention(refusal.by)} pressed Cancel ${slackDate(refusal.at)}.`;
    case 'not_found':
      return `I have no deploy request \`${refusal.requestId}\`. It may be older than a year; start a new one with \`/deploy\`.`;
    case 'no_longer_running': {
      const now = refusal.current ? ` \`${shortSha(refusal.current.sha)}\` (deploy \`${refusal.current.requestId}\`) runs there now.` : '';
      return (
        `Deploy \`${refusal.requestId}\` no longer runs in *${refusal.environment}*: someone deployed or rolled back since this alarm.${now} ` +
        `To roll back what runs, use \`/deploy rollback ${refusal.environment} ${refusal.service}\`.`
      );
    }
  }
}
