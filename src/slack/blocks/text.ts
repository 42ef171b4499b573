/** Small pieces of Slack wording shared by every renderer. */
import type { RequestStatus } from '../../domain/request.js';

/** A status (or any snake_case state) in words: `awaiting_approval` → `awaiting approval`. */
export function describeStatus(status: RequestStatus | string): string {
  return status.replace(/_/g, ' ');
}

/** A mention of a user (`U…`/`W…`) or a user group (`S…`). */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/** A link to a channel by id. */
export function channelLink(id: string): string {
  return `<#${id}>`;
}
