/** Block Kit for `/deploy status`, `/deploy history` and the App Home tab. Pure. */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/duration.js';
import type { DeploymentRecord } from '../../domain/ports.js';
import { shortSha } from '../../domain/request.js';
import { rollbackNoteOf } from '../../domain/rollback.js';
import type { ServiceStatus } from '../../deploys/status.js';
import { freezeWindowText, holdSummary, lockHolder, unlockCommand } from './holds.js';
import { rollbackNoteText } from './rollback-note.js';
import { describeStatus, escapeText } from './text.js';

const OUTCOME_ICON: Record<DeploymentRecord['outcome'], string> = {
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
  cancelled: ':white_circle:',
  timed_out: ':alarm_clock:',
  unknown: ':grey_question:',
};

/** The short SHA, linked to the commit on GitHub when the record knows where it is. */
function commitLink(commitUrl: string | undefined, sha: string): string {
  return commitUrl ? `<${commitUrl}|\`${shortSha(sha)}\`>` : `\`${shortSha(sha)}\``;
}

const people = (ids: string[]) => ids.map((a) => `<@${a}>`).join(', ');

/** The Lambda version a deploy left running (` v5`), when recorded. */
const versionText = (d: Pick<DeploymentRecord, 'version'>) => (d.version !== undefined ? ` v${escapeText(d.version)}` : '');

function age(iso: string, now: Date): string {
  return formatDuration(now.getTime() - Date.parse(iso));
}

/** Slack's limit for a section's text, less room for the note of what was left out. */
const SECTION_CHARS = 2900;

/**
 * `lines` joined, as many whole lines as fit in a section (never a line cut in the middle of a link or a code span),
 * and when some do not, a last line saying how many were left out and `more`, where to see them.
 */
export function wholeLines(lines: string[], more: string, limit = SECTION_CHARS): string {
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const note = `_…and ${lines.length - i} more: ${more}_`;
    const last = i === lines.length - 1;
    // The last line needs no room for a note after it; any other must leave room for one.
    if (length + line.length + 1 + (last ? 0 : note.length + 1) > limit) {
      kept.push(note);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/** The most blocks a message takes (an App Home view takes 100). */
export const MESSAGE_MAX_BLOCKS = 50;

/**
 * Status blocks for each service, each environment a line group: whole services, as many as fit in `maxBlocks`, and a
 * line saying how many were left out and how to ask for one.
 */
export function statusBlocks(services: ServiceStatus[], now: Date = new Date(), maxBlocks = 100): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (const [i, s] of services.entries()) {
    const group = serviceBlocks(s, now);
    if (blocks.length + group.length > maxBlocks - 1 && i < services.length) {
      const left = services.length - i;
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${left} more service(s) not shown: ask for one with \`/deploy status [env] <service>\`.` }],
      });
      return blocks;
    }
    blocks.push(...group);
  }
  return blocks;
}

/** One service's header and a section per environment. */
function serviceBlocks(s: ServiceStatus, now: Date): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  blocks.push({ type: 'header', text: { type: 'plain_text', text: s.service } });
  for (const e of s.environments) {
    const lines: string[] = [];
    if (e.current) {
      const c = e.current;
      const run = c.runUrl ? `, <${c.runUrl}|run${c.attempt && c.attempt > 1 ? ` attempt ${c.attempt}` : ''}>` : '';
      const verb = c.kind === 'rollback' ? 'rolled back to' : 'deployed';
      lines.push(
        `*${e.environment}*: ${commitLink(c.shaUrl, c.sha)}${versionText(c)} (\`${escapeText(c.ref)}\`) ${verb} ${age(c.finishedAt, now)} ago ` +
          `by <@${c.requester}>${c.approvers.length ? `, approved by ${people(c.approvers)}` : ''}${run}, deploy \`${c.requestId}\``,
      );
      const note = rollbackNoteOf(c);
      if (note) lines.push(`    ${rollbackNoteText(e.environment, note)}`);
    } else {
      lines.push(`*${e.environment}*: nothing deployed through foxops yet`);
    }
    // What holds the environment: whom to ask, and until when.
    for (const l of e.locks) {
      lines.push(`    :lock: Locked${l.service ? '' : ' (all services)'} by ${lockHolder(l, now)}. To lift: ${unlockCommand(l)}.`);
    }
    if (e.freeze)
      lines.push(`    :snowflake: Frozen: ${freezeWindowText(e.freeze)}. Deploys wait until it ends; in an emergency, add \`--break-glass "<reason>"\`.`);
    else if (e.nextFreeze) lines.push(`    :calendar: Next freeze: ${freezeWindowText(e.nextFreeze)}.`);
    for (const r of e.inFlight) {
      lines.push(
        `    :arrows_counterclockwise: ${commitLink(r.shaUrl, r.sha ?? '')}${r.kind === 'rollback' ? ' rollback' : ''} ${describeStatus(r.status)}` +
          `${r.run?.url ? ` (<${r.run.url}|run>)` : ''}, requested by <@${r.requester}>, deploy \`${r.id}\``,
      );
    }
    for (const r of e.waiting) {
      // A failed dispatch or alias move waits for a decision on its card, not for time to pass.
      const failed = r.status === 'dispatch_failed' || r.status === 'rollback_failed';
      const state =
        r.status === 'awaiting_approval'
          ? `waiting for approvals ${r.approvals.length} of ${r.requiredApprovals}`
          : r.status === 'queued_behind' && r.hold
            ? holdSummary(r.hold)
            : failed
              ? `${r.status === 'rollback_failed' ? 'failed' : 'dispatch failed'}: Retry or Give up on its card`
              : describeStatus(r.status);
      lines.push(
        `    ${failed ? ':warning:' : ':hourglass:'} ${commitLink(r.shaUrl, r.sha ?? '')} (\`${escapeText(r.ref)}\`)${r.kind === 'rollback' ? ' rollback' : ''} ${state}, ` +
          `requested by <@${r.requester}>, deploy \`${r.id}\``,
      );
    }
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: wholeLines(lines, `\`/deploy status ${e.environment} ${s.service}\` on its own`) } });
  }
  return blocks;
}

/** The `/deploy status` answer: fallback text and blocks. */
export function statusMessage(services: ServiceStatus[], now: Date = new Date()): [string, KnownBlock[]] {
  const text = services
    .map(
      (s) =>
        `${s.service}: ` +
        s.environments
          .map((e) => `${e.environment} ${e.current ? `${shortSha(e.current.sha)}${e.current.version !== undefined ? ` v${e.current.version}` : ''}` : 'none'}`)
          .join(', '),
    )
    .join('; ');
  return [text || 'No services configured.', statusBlocks(services, now, MESSAGE_MAX_BLOCKS)];
}

/** The `/deploy history` answer: newest first. */
export function historyMessage(service: string, environment: string, entries: DeploymentRecord[]): [string, KnownBlock[]] {
  if (entries.length === 0)
    return [
      `No deploys of ${service} to ${environment} recorded yet.`,
      [{ type: 'section', text: { type: 'mrkdwn', text: `No deploys of *${service}* to *${environment}* recorded yet.` } }],
    ];
  const lines = entries.map((d) => {
    const took = d.startedAt ? ` in ${formatDuration(Date.parse(d.finishedAt) - Date.parse(d.startedAt))}` : '';
    const run = d.runUrl ? ` <${d.runUrl}|run${d.attempt && d.attempt > 1 ? ` attempt ${d.attempt}` : ''}>` : '';
    const approvers = d.approvers.length ? `, approved by ${people(d.approvers)}` : '';
    const rollback = d.kind === 'rollback' ? ' :rewind: rollback' : '';
    return (
      `${OUTCOME_ICON[d.outcome]} <!date^${Math.floor(Date.parse(d.finishedAt) / 1000)}^{date_short} {time}|${d.finishedAt}> ` +
      `${commitLink(d.shaUrl, d.sha)}${versionText(d)} (\`${escapeText(d.ref)}\`)${rollback} ${describeStatus(d.outcome)}${took}${run}, ` +
      `by <@${d.requester}>${approvers}, deploy \`${d.requestId}\``
    );
  });
  return [
    `Last ${entries.length} deploy(s) of ${service} to ${environment}`,
    [
      { type: 'section', text: { type: 'mrkdwn', text: `*Last ${entries.length} deploy(s) of ${service} to ${environment}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: wholeLines(lines, 'older ones are in the audit trail (`/deploy audit`)') } },
    ],
  ];
}
