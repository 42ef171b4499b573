/** The buttons under an alarm message: roll back the deploy that probably caused it. Pure: report in, Block Kit out. */
import type { KnownBlock } from '@slack/types';
import type { AlarmReport } from '../../domain/alarm.js';
import { shortSha } from '../../domain/request.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeText } from './text.js';

/** Slack cuts a button's text at 75 characters. */
const MAX_BUTTON_TEXT = 75;

/**
 * The Roll back button of an ALARM whose likely cause is the deploy that runs, when the ledger has an earlier success to
 * go back to (`previous`); none otherwise. Its value is only the deploy's id: the click is decided on the stored deploy
 * and the ledger (src/alarms/rollback-offer.ts), and opens a rollback request with the usual approvals.
 */
export function alarmRollbackActions(report: AlarmReport): KnownBlock[] {
  const { current, previous } = report;
  if (report.alarm.state !== 'ALARM' || !report.likelyCause || !current || !previous) return [];
  const to = previous.version !== undefined ? `v${previous.version}` : shortSha(previous.sha);
  const where = `*${escapeText(report.target.service)}* in *${escapeText(report.target.environment)}*`;
  const from = current.version !== undefined ? `v${escapeText(current.version)} ` : '';
  return [
    {
      type: 'actions',
      block_id: `alarm_actions:${current.requestId}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.alarmRollback,
          text: { type: 'plain_text', text: `Roll back to ${to}`.slice(0, MAX_BUTTON_TEXT) },
          style: 'danger',
          value: current.requestId,
          confirm: {
            title: { type: 'plain_text', text: 'Ask for a rollback?' },
            text: {
              type: 'mrkdwn',
              text:
                `You ask to roll back ${where} from ${from}\`${shortSha(current.sha)}\` (deploy \`${current.requestId}\`) ` +
                `to ${escapeText(to)} (deploy \`${previous.requestId}\`). A rollback card follows, with the approvals it needs.`,
            },
            confirm: { type: 'plain_text', text: 'Ask' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    },
  ];
}
