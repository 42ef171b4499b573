/**
 * Freeze windows: when deploys to an environment stop. Turns the catalog's windows (wall-clock times in an IANA
 * zone) into instants. The only module that loads luxon, so that configuration loading and cold starts do without it.
 *
 * Wall-clock times go through luxon, which knows every zone's daylight saving rules:
 * - a time that does not exist on a spring-forward day (02:30 in Europe/Berlin on 2026-03-29) is shifted forward
 *   by the gap, as luxon does (03:30 CEST);
 * - a time that happens twice on a fall-back day is the one luxon picks (in Europe/Berlin, 02:30 on 2026-10-25 is
 *   the second one, 01:30Z).
 */
import { DateTime } from 'luxon';
import type { FreezeWindow, WeeklyTime } from './catalog.js';

export type { FreezeWindow, WeeklyTime } from './catalog.js';

/** One occurrence of a freeze window, as it is stored on requests and shown in Slack. */
export interface FreezePeriod {
  reason: string;
  /** First instant of the freeze, ISO UTC (`Date.prototype.toISOString()`, like every time foxops stores). */
  start: string;
  /** First instant after the freeze (exclusive), ISO UTC. */
  end: string;
  /** The window's IANA zone, to show the times as the configuration wrote them. */
  timeZone: string;
  /** True for a weekly window (this is one of its weeks), false for a one-off. */
  recurring: boolean;
}

/** How far ahead {@link nextFreeze} looks by default: five weeks, enough to warn about the next weekly or holiday freeze. */
export const NEXT_FREEZE_HORIZON_MS = 35 * 24 * 3_600_000;

const WEEK_MS = 7 * 24 * 3_600_000;

interface Occurrence {
  start: number;
  end: number;
  window: FreezeWindow;
}

/** The instant of a local calendar date (a UTC-zoned DateTime used only for its fields) at `hour:minute` in `zone`. */
function wallClock(date: DateTime, hour: number, minute: number, zone: string): number {
  return DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour, minute }, { zone }).toMillis();
}

const minuteOfWeek = (t: WeeklyTime) => ((t.weekday - 1) * 24 + t.hour) * 60 + t.minute;

/**
 * The occurrences of a weekly window whose start falls in the local weeks `first`..`last` relative to the week
 * of `now` (0 is that week, Monday to Sunday in the window's zone).
 */
function weeklyOccurrences(window: Extract<FreezeWindow, { kind: 'weekly' }>, now: Date, first: number, last: number): Occurrence[] {
  const local = DateTime.fromJSDate(now, { zone: window.timeZone });
  // Calendar arithmetic on the local date alone (in UTC, which has no gaps); the zone applies only in wallClock.
  const monday = DateTime.fromObject({ year: local.year, month: local.month, day: local.day }, { zone: 'utc' }).minus({ days: local.weekday - 1 });
  // `to` is the first such time of the week after `from`: the same weekday and an earlier time wraps a whole week.
  let days = (window.to.weekday - window.from.weekday + 7) % 7;
  if (days === 0 && minuteOfWeek(window.to) <= minuteOfWeek(window.from)) days = 7;
  const out: Occurrence[] = [];
  for (let week = first; week <= last; week++) {
    const startDate = monday.plus({ weeks: week, days: window.from.weekday - 1 });
    const start = wallClock(startDate, window.from.hour, window.from.minute, window.timeZone);
    const end = wallClock(startDate.plus({ days }), window.to.hour, window.to.minute, window.timeZone);
    out.push({ start, end, window });
  }
  return out;
}

/** The one occurrence of a one-off window: its local date-times in its zone. */
function onceOccurrence(window: Extract<FreezeWindow, { kind: 'once' }>): Occurrence {
  const start = DateTime.fromISO(window.from, { zone: window.timeZone }).toMillis();
  const end = DateTime.fromISO(window.to, { zone: window.timeZone }).toMillis();
  return { start, end, window };
}

/** Every occurrence whose start falls within the local weeks `first`..`last` around `now` (one-offs: always), minus empty ones. */
function occurrences(windows: readonly FreezeWindow[], now: Date, first: number, last: number): Occurrence[] {
  return (
    windows
      .flatMap((w) => (w.kind === 'weekly' ? weeklyOccurrences(w, now, first, last) : [onceOccurrence(w)]))
      // NaN from a zone this runtime does not know, and empty spans (a start shifted past its end by a spring-forward gap).
      .filter((o) => Number.isFinite(o.start) && Number.isFinite(o.end) && o.end > o.start)
  );
}

function periodOf(o: Occurrence): FreezePeriod {
  return {
    reason: o.window.reason,
    start: new Date(o.start).toISOString(),
    end: new Date(o.end).toISOString(),
    timeZone: o.window.timeZone,
    recurring: o.window.kind === 'weekly',
  };
}

/**
 * The freeze in force at `now` (start inclusive, end exclusive), or undefined. When several windows hold `now`,
 * the one that ends last, since deploys stay stopped until then.
 */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date): FreezePeriod | undefined {
  const t = now.getTime();
  // A weekly occurrence lasts at most a week (plus a daylight saving hour), so one holding `now` started this local week or the two before.
  let best: Occurrence | undefined;
  for (const o of occurrences(windows, now, -2, 0)) if (o.start <= t && t < o.end && (!best || o.end > best.end)) best = o;
  return best && periodOf(best);
}

/**
 * The earliest freeze that starts after `now` (strictly) and no later than `now + horizonMs`, or undefined.
 * A freeze in force at `now` is not one: see {@link activeFreeze}. On equal starts, the one that ends last.
 */
export function nextFreeze(windows: readonly FreezeWindow[], now: Date, horizonMs: number = NEXT_FREEZE_HORIZON_MS): FreezePeriod | undefined {
  const t = now.getTime();
  let best: Occurrence | undefined;
  for (const o of occurrences(windows, now, 0, Math.ceil(horizonMs / WEEK_MS) + 1)) {
    if (o.start <= t || o.start > t + horizonMs) continue;
    if (!best || o.start < best.start || (o.start === best.start && o.end > best.end)) best = o;
  }
  return best && periodOf(best);
}
