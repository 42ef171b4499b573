/** The words for an accepted `/deploy` request: what happens next, or what it already is. Pure: request in, mrkdwn out. */
import { type DeployRequest, shortSha } from '../../domain/request.js';
import { describeStatus, escapeText } from './text.js';

/** What the command asked for, beyond what the stored request says: the words name it as it was typed. */
export type AcceptedDetails = { kind: 'deploy' } | { kind: 'rollback'; target?: string; stack?: boolean } | { kind: 'promote'; from: string };

/** Where a rollback that is being planned goes back to. */
function rollbackDestination(details: { target?: string; stack?: boolean }): string {
  if (details.stack) return `: its stack, back to the backup taken before ${details.target ? `\`${escapeText(details.target)}\`` : 'the newest deploy'}`;
  return details.target ? ` to \`${escapeText(details.target)}\`` : ' to the last known good deploy';
}

/**
 * Tells the requester that `request` was accepted: being prepared (its card appears in a moment), or, for a request
 * Slack sent again, the status it already has.
 */
export function acceptedText(r: DeployRequest, details: AcceptedDetails): string {
  switch (details.kind) {
    case 'deploy':
      if (r.status === 'preparing') {
        return (
          `:hourglass_flowing_sand: Resolving \`${r.ref}\` of *${r.service}* for *${r.environment}* (deploy \`${r.id}\`). ` +
          'The deploy card appears in this channel in a moment.'
        );
      }
      return (
        `Deploy \`${r.id}\` of *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}* is already ${describeStatus(r.status)}; ` +
        'see its card in this channel.'
      );
    case 'rollback':
      if (r.status === 'preparing') {
        return (
          `:rewind: Planning rollback \`${r.id}\` of *${r.service}* in *${r.environment}*${rollbackDestination(details)}. ` +
          'The rollback card appears in this channel in a moment.'
        );
      }
      return `Rollback \`${r.id}\` of *${r.service}* in *${r.environment}* is already ${describeStatus(r.status)}; see its card in this channel.`;
    case 'promote':
      if (r.status === 'preparing') {
        return (
          `:arrow_double_up: Checking promotion \`${r.id}\` of *${r.service}* from *${details.from}* to *${r.environment}*. ` +
          'The card with its gates appears in this channel in a moment.'
        );
      }
      return (
        `Promotion \`${r.id}\` of *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}* is already ${describeStatus(r.status)}; ` +
        'see its card in this channel.'
      );
  }
}
