/**
 * The words of an alarm episode: its one message (state, time in alarm, flapping, the report of its first ALARM), the
 * replies in its thread (a change each, or a log of several), and the digest of a storm. Pure: views in, Slack out.
 */
import type { KnownBlock } from '@slack/types';
import { alarmConsoleUrl, type AlarmState } from '../../domain/alarm.js';
import type { AlarmChange, AlarmDigest, AlarmEpisode, AlarmView, DigestLine, Flapping } from '../../domain/alarm-episode.js';
import { formatDuration } from '../../domain/duration.js';
import { alarmMessage } from './alarm.js';
import type { SlackMessage } from './deploy-card.js';
import { escapeText, slackDate } from './text.js';

const ICON: Record<AlarmState, string> = { ALARM: ':rotating_light:', OK: ':white_check_mark:', INSUFFICIENT_DATA: ':grey_question:' };
const WORDS: Record<AlarmState, string> = { ALARM: 'in alarm', OK: 'back to OK', INSUFFICIENT_DATA: 'insufficient data' };
/** Lines of a digest per section: a section takes 3000 characters, and an alarm name up to 255. */
const DIGEST_LINES_PER_SECTION = 8;
/** Reasons in a log reply, where each change is one line. */
const LOG_REASON_CHARS = 100;

/** `10 min` for whole minutes (as people say a window), else `90s`, `1h 30m`. */
function windowWords(ms: number): string {
  return ms % 60_000 === 0 && ms < 3_600_000 ? `${ms / 60_000} min` : formatDuration(ms);
}

/** `flapping: 6 changes in 10 min`. */
export function flappingWords(f: Flapping): string {
  return `flapping: ${f.count} changes in ${windowWords(f.withinMs)}`;
}

function alarmName(e: AlarmEpisode): string {
  const url = e.region ? alarmConsoleUrl({ name: e.name, region: e.region, state: e.state, reason: e.reason, at: e.stateAt }) : undefined;
  return url ? `<${url}|${escapeText(e.name)}>` : `\`${escapeText(e.name)}\``;
}

/** What the episode's state is, in words: `is in alarm`, `resolved after 7m`, `is back to OK`, `has insufficient data`. */
function stateWords(e: AlarmEpisode): string {
  if (e.state === 'OK') return e.resolved ? `resolved after ${formatDuration(e.resolved.afterMs)}` : 'is back to OK';
  return e.state === 'ALARM' ? 'is in alarm' : 'has insufficient data';
}

/**
 * The message of an episode: the alarm and its state now (flapping with its count), the newest reason, then what the
 * first ALARM's report showed (the deploy, the likely cause, the rollback offer), and how the episode began.
 */
export function alarmEpisodeMessage(e: AlarmEpisode): SlackMessage {
  const where = e.target ? `*${e.target.service}* in *${e.target.environment}*: ` : '';
  const flapping = e.flapping ? ` · :warning: ${flappingWords(e.flapping)}` : '';
  const title = `${ICON[e.state]} ${where}${alarmName(e)} ${stateWords(e)}${flapping}`;
  // The report's own title and reason are those of its ALARM: this message says the state now instead.
  const report = e.report ? alarmMessage(e.report).blocks : [];
  const firstSection = report.findIndex((b) => b.type === 'section');
  const firstContext = report.findIndex((b) => b.type === 'context');
  const details = report.filter((_, i) => i !== firstSection && i !== firstContext);
  const later = e.changes - 1;
  const story =
    `Began ${WORDS[e.opening.state]} at ${slackDate(e.opening.at)}` +
    (later > 0 ? ` · ${later} state change${later === 1 ? '' : 's'} since, in the thread` : '');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: title } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${escapeText(e.reason).slice(0, 2000)} (${slackDate(e.stateAt)})` }] },
    ...details,
    { type: 'context', elements: [{ type: 'mrkdwn', text: story }] },
  ];
  const plainWhere = e.target ? `${e.target.service} ${e.target.environment}: ` : '';
  return { text: `${plainWhere}${e.name} ${stateWords(e)}${e.flapping ? ` (${flappingWords(e.flapping)})` : ''}`, blocks };
}

/** The message of a storm's digest: every alarm it lists (`lines`), with its state now; the changes are in the thread. */
export function alarmDigestMessage(d: AlarmDigest, listed: DigestLine[]): SlackMessage {
  const title =
    `:rotating_light: *Alarm storm*: ${listed.length} alarm${listed.length === 1 ? '' : 's'} since ${slackDate(d.openedAt)}, ` +
    'listed here instead of a message each. Every state change is in the thread.';
  const lines = listed.map((l) => {
    const where = l.target ? ` (${l.target.service} in ${l.target.environment})` : '';
    const count = l.changes > 1 ? ` · ${l.changes} changes` : '';
    const flapping = l.flapping ? ` · :warning: ${flappingWords(l.flapping)}` : '';
    return `${ICON[l.state]} \`${escapeText(l.name.slice(0, 200))}\`${where}: ${WORDS[l.state]} since ${slackDate(l.at, '{time_secs}')}${count}${flapping}`;
  });
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: title } }];
  for (let i = 0; i < lines.length; i += DIGEST_LINES_PER_SECTION) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.slice(i, i + DIGEST_LINES_PER_SECTION).join('\n') } });
  }
  return { text: `Alarm storm: ${listed.length} alarms`, blocks };
}

/** One change as a reply of its own. */
function changeReply(c: AlarmChange): string {
  const reason = c.reason ? `: ${escapeText(c.reason)}` : '';
  if (c.late) {
    return (
      `:hourglass_flowing_sand: Late: ${WORDS[c.state]} at ${slackDate(c.at)} arrived after ${WORDS[c.late.state]} at ` +
      `${slackDate(c.late.at)}, which the message keeps showing${reason}`
    );
  }
  const head = c.state === 'OK' ? `Back to OK${c.alarmForMs !== undefined ? ` after ${formatDuration(c.alarmForMs)} in alarm` : ''}` : WORDS[c.state];
  return `${ICON[c.state]} ${head.charAt(0).toUpperCase()}${head.slice(1)} at ${slackDate(c.at)}${reason}`;
}

/** One change as a line of a log reply. */
function logLine(c: AlarmChange, digest: boolean): string {
  const name = digest ? `\`${escapeText(c.name.slice(0, 200))}\` ` : '';
  const after = c.alarmForMs !== undefined ? ` after ${formatDuration(c.alarmForMs)}` : '';
  const late = c.late ? ` (late: arrived after ${WORDS[c.late.state]} at ${slackDate(c.late.at, '{time_secs}')})` : '';
  const reason = c.reason ? `: ${escapeText(c.reason.slice(0, LOG_REASON_CHARS))}` : '';
  return `• ${slackDate(c.at, '{time_secs}')} ${ICON[c.state]} ${name}${WORDS[c.state]}${after}${late}${reason}`;
}

/** A reply in a thread: one change in a sentence, or several, one line each (the changes of a flapping alarm, of a digest). */
export function alarmChangesReply(view: Extract<AlarmView, { kind: 'changes' }>): { text: string } {
  if (!view.log && view.changes.length === 1) return { text: changeReply(view.changes[0]!) };
  const head = view.flapping ? `:warning: ${flappingWords(view.flapping)[0]!.toUpperCase()}${flappingWords(view.flapping).slice(1)}:` : 'State changes:';
  return { text: [head, ...view.changes.map((c) => logLine(c, view.digest))].join('\n') };
}

/** The Slack message for any {@link AlarmView}. */
export function alarmViewMessage(view: AlarmView): { text: string; blocks?: KnownBlock[] } {
  switch (view.kind) {
    case 'episode':
      return alarmEpisodeMessage(view.episode);
    case 'digest':
      return alarmDigestMessage(view.digest, view.lines);
    case 'changes':
      return alarmChangesReply(view);
  }
}
