/**
 * The weekday and hour of an instant in an IANA zone, for the Friday-afternoon risk hint. Loads luxon: only the
 * prepare job imports it, and lazily (src/deploys/preflight.ts), so cold ack paths never do.
 */
import { DateTime } from 'luxon';
import type { LocalWeekTime } from './preflight-rules.js';

/** `at` in `timeZone`: ISO weekday (1 Monday … 7 Sunday) and hour 0–23. */
export function localWeekTime(at: Date, timeZone: string): LocalWeekTime {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  return { weekday: local.weekday, hour: local.hour };
}
