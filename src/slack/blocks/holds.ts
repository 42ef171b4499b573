/**
 * The words for what holds an environment back: a lock, a freeze window, the deploy ahead in the queue. Shared by
 * refusals, the deploy card, channel notices, status and `/deploy locks`, so that each reads the same. Pure.
 * Freeze times are formatted with `Intl` (built into Node), so that no date library loads on this path.
 */
import { formatDuration } from '../../domain/duration.js';
import type { Hold } from '../../domain/environment.js';
import type { FreezePeriod } from '../../domain/freeze.js';
import type { Lock } from '../../domain/lock.js';
import { escapeText, mention, slackDate } from './text.js';

/** `a`, `a and b`, `a, b and c`: people (or anything) in a sentence. */
export function listAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Mentions of users and user groups, in a sentence. */
export function mentions(ids: readonly string[]): string {
  return listAnd(ids.map(mention));
}

const zonedFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * `iso` as a wall-clock time in `timeZone`: `Fri 2030-01-04 17:00`. Unambiguous whatever the reader's locale; the
 * zone's name goes after it, where the caller puts it. A zone this runtime does not know falls back to UTC.
 */
export function zonedTime(iso: string, timeZone: string): string {
  let format = zonedFormats.get(timeZone);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = {
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    };
    try {
      format = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
    }
    zonedFormats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${part.weekday} ${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

/** What a lock holds: `*production* (all services)` or `*foxy-backend* in *production*`. */
export function lockTarget(lock: Pick<Lock, 'environment' | 'service'>): string {
  return lock.service ? `*${escapeText(lock.service)}* in *${escapeText(lock.environment)}*` : `*${escapeText(lock.environment)}* (all services)`;
}

/** The command that lifts `lock`, in code quotes. */
export function unlockCommand(lock: Pick<Lock, 'environment' | 'service'>): string {
  return `\`/deploy unlock ${lock.environment}${lock.service ? ` ${lock.service}` : ''}\``;
}

/** When a lock ends: `until <date>` or `until unlocked`. */
export function lockUntil(lock: Pick<Lock, 'until'>): string {
  return lock.until ? `until ${slackDate(lock.until)}` : 'until unlocked';
}

/**
 * Who holds `lock`, since when, until when and why: `<@U…> since <date>, until <date>: reason`. With `now`, how long
 * it has left too (`until <date> (2h left)`).
 */
export function lockHolder(lock: Lock, now?: Date): string {
  const left = now && lock.until ? ` (${formatDuration(Date.parse(lock.until) - now.getTime())} left)` : '';
  return `${mention(lock.owner)} since ${slackDate(lock.at)}, ${lockUntil(lock)}${left}: ${escapeText(lock.reason)}`;
}

/** How to get a lock lifted, for someone it holds back: ask its owner or an approver. */
export function askToUnlock(lock: Pick<Lock, 'environment' | 'service' | 'owner'>): string {
  return `ask ${mention(lock.owner)} or an approver to ${unlockCommand(lock)}`;
}

/**
 * A freeze window with its reason, start and end: in the window's own zone, as foxops.yml wrote it, and in each
 * reader's local time (Slack's date formatting), e.g.
 * `*weekend freeze*, Fri 2030-01-04 17:00 to Mon 2030-01-07 08:00 Europe/Berlin (<date> to <date> your time)`.
 */
export function freezeWindowText(freeze: FreezePeriod): string {
  const zoned = `${zonedTime(freeze.start, freeze.timeZone)} to ${zonedTime(freeze.end, freeze.timeZone)} ${freeze.timeZone}`;
  return `*${escapeText(freeze.reason)}*, ${zoned} (${slackDate(freeze.start)} to ${slackDate(freeze.end)} your time)`;
}

/** A hold in a few words, for a line of status: what the request waits for. */
export function holdSummary(hold: Hold): string {
  switch (hold.code) {
    case 'busy':
      // Not its status: that was a snapshot when the hold was taken, and its own card shows it live.
      return `queued behind deploy \`${hold.requestId}\``;
    case 'locked':
      return `held by the lock of ${mention(hold.lock.owner)} ${lockUntil(hold.lock)}: ${escapeText(hold.lock.reason)}`;
    case 'frozen':
      return `held by the freeze *${escapeText(hold.freeze.reason)}* until ${slackDate(hold.freeze.end)}`;
  }
}
