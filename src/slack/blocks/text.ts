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

/** Slack escapes: user text must not turn into mentions or links. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<!date>` shows the time in each reader's own time zone, with a fallback for old clients. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  return `<!date^${Math.floor(Date.parse(iso) / 1000)}^${format}|${iso}>`;
}
