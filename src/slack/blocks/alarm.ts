/** The message for a service's CloudWatch alarm, with the deploy that probably caused it. Pure. */
import type { KnownBlock } from '@slack/types';
import { type AlarmNotice, type AlarmReport, alarmConsoleUrl } from '../../domain/alarm.js';
import { formatDuration } from '../../domain/duration.js';
import { shortSha } from '../../domain/request.js';
import { alarmRollbackActions } from './alarm-actions.js';
import type { SlackMessage } from './deploy-card.js';
import { describeStatus, escapeText, slackDate } from './text.js';

const STATE_ICON: Record<AlarmNotice['state'], string> = { ALARM: ':rotating_light:', OK: ':white_check_mark:', INSUFFICIENT_DATA: ':grey_question:' };
const STATE_WORDS: Record<AlarmNotice['state'], string> = { ALARM: 'in alarm', OK: 'back to OK', INSUFFICIENT_DATA: 'has insufficient data' };

function deployLine(alarm: AlarmNotice, c: AlarmReport): string {
  const d = c.current;
  if (!d) return `Nothing has been deployed to *${c.target.environment}* through foxops yet.`;
  const sha = d.shaUrl ? `<${d.shaUrl}|\`${shortSha(d.sha)}\`>` : `\`${shortSha(d.sha)}\``;
  const ago = formatDuration(Date.parse(alarm.at) - Date.parse(d.finishedAt));
  const who = `requested by <@${d.requester}>${d.approvers.length ? `, approved by ${d.approvers.map((a) => `<@${a}>`).join(', ')}` : ''}`;
  const head = c.likelyCause ? ':point_right: *Likely cause:* the deploy of' : 'Running:';
  return (
    `${head} ${sha} (\`${escapeText(d.ref)}\`, deploy \`${d.requestId}\`${d.runUrl ? `, <${d.runUrl}|run>` : ''}), ` +
    `finished ${ago} before the alarm, ${who}.`
  );
}

/** Renders the alarm report as a message. */
export function alarmMessage(c: AlarmReport): SlackMessage {
  const { alarm } = c;
  const url = alarmConsoleUrl(alarm);
  const name = url ? `<${url}|${escapeText(alarm.name)}>` : `\`${escapeText(alarm.name)}\``;
  const title = `${STATE_ICON[alarm.state]} *${c.target.service}* in *${c.target.environment}*: ${name} is ${STATE_WORDS[alarm.state]}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: title } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${escapeText(alarm.reason).slice(0, 2000)} (${slackDate(alarm.at)})` }] },
  ];
  if (alarm.state === 'ALARM') {
    const lines = [deployLine(alarm, c)];
    for (const r of c.inFlight)
      lines.push(
        `:arrows_counterclockwise: Deploy \`${r.id}\` of \`${shortSha(r.sha)}\` is ${describeStatus(r.status)} right now` +
          `${r.run?.url ? ` (<${r.run.url}|run>)` : ''}.`,
      );
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } });
  }
  blocks.push(...alarmRollbackActions(c));
  return { text: `${c.target.service} ${c.target.environment}: ${alarm.name} is ${STATE_WORDS[alarm.state]}`, blocks };
}
