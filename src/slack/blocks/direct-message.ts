/** The words of a direct message from foxops: a deploy you requested or approved failed. Pure. */
import type { DirectMessage } from '../../domain/ports.js';
import { shortSha } from '../../domain/request.js';
import { failureText } from './failures.js';
import { escapeText } from './text.js';

/** Where to turn these messages off, said at the end of each. */
const TURN_OFF = '_Turn these messages off in foxops’ App Home._';

/** The text of `message`. */
export function directMessageText(message: DirectMessage): string {
  const r = message.request;
  const what = `*${escapeText(r.service)}* \`${shortSha(r.sha)}\` to *${escapeText(r.environment)}* (deploy \`${r.id}\`)`;
  const how = r.status === 'timed_out' ? 'timed out' : 'failed';
  const run = r.run?.url ? ` <${r.run.url}|Run${r.run.id ? ` ${r.run.id}` : ''}>.` : '';
  const why = r.failure ? ` ${failureText(r.failure)}` : '';
  return `:red_circle: The deploy of ${what} ${how}.${run}${why} The card is in <#${r.channel}>.\n${TURN_OFF}`;
}
