/**
 * The four delivery numbers (the DORA measures) of one service in one environment, from its ledger entries alone:
 * deploys per day, lead time, change failure rate and time to restore. Pure: entries in, numbers out; the words
 * are in src/slack/blocks/delivery.ts and the definitions, with the reasons for them, in docs/delivery-numbers.md.
 */
import type { DeploymentRecord } from './ports.js';
import { takenOut } from './rollback.js';

const DAY_MS = 86_400_000;

/** Lead times needed before a 90th percentile is given: below that it would only be the slowest deploy or two. */
export const MIN_P90_COUNT = 10;

/** The delivery numbers of one service in one environment over the last `days` days. */
export interface DeliveryStats {
  days: number;
  /** Successful changes (deploys and promotions) that finished in the period, including those a rollback took out later. */
  deploys: number;
  /** `deploys / days`. */
  deploysPerDay: number;
  /**
   * Milliseconds from the request (`requestedAt`) to the success, over the successful changes that know when they were
   * requested. Absent when none does.
   */
  leadTime?: { median: number; p90?: number; count: number };
  /** Changes that failed or were rolled back (`failed`) among all changes that ended either way (`total`); `rate` absent for none. */
  changeFailure: { failed: number; total: number; rate?: number };
  /** Milliseconds from the start of a failure to the success that ended it, over the failures that ended. Absent when none did. */
  timeToRestore?: { median: number; count: number };
}

/** Options of {@link deliveryStats}. */
export interface DeliveryPeriod {
  /** The end of the period. */
  now: Date;
  /** Its length in days, counted back from `now`. */
  days: number;
}

/** Deploys and promotions change what runs; a rollback puts back something that ran before (a restore, not a change). */
const isChange = (r: DeploymentRecord) => r.kind === 'deploy' || r.kind === 'promote';
/** `failed` and `timed_out` ended a change badly; `cancelled` and `unknown` say nothing either way (see the doc). */
const endedBadly = (r: DeploymentRecord) => r.outcome === 'failed' || r.outcome === 'timed_out';
const at = (r: DeploymentRecord) => Date.parse(r.finishedAt);

/** The middle value of `sorted` (ascending, not empty); the mean of the two middle ones for an even count. */
function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0 to 100) of `sorted` (ascending, not empty): an observed value, never an interpolation. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ascending = (values: number[]) => [...values].sort((a, b) => a - b);

/**
 * One entry per run attempt, the last recorded: an attempt foxops gave up on (`timed_out`) and that GitHub later
 * reported finished is recorded twice, and GitHub's word is the one that stands.
 */
function lastWordPerAttempt(records: readonly DeploymentRecord[]): DeploymentRecord[] {
  const last = new Map<string, DeploymentRecord>();
  for (const r of records) {
    const key = `${r.requestId}#${r.attempt ?? 1}`;
    const seen = last.get(key);
    if (!seen || at(r) >= at(seen)) last.set(key, r);
  }
  return [...last.values()].sort((a, b) => at(a) - at(b) || a.requestId.localeCompare(b.requestId));
}

/**
 * Milliseconds from each failure to the success that ended it. A failure starts when a change ended badly or, for a
 * change a rollback took out, when that change finished (from then on the environment ran what was taken back); it
 * ends at the next success that no rollback took out (a deploy, promotion or rollback). Failures that follow one
 * another before that success are one failure, measured from the first.
 */
function restoreTimes(records: readonly DeploymentRecord[], out: ReadonlySet<string>): number[] {
  const times: number[] = [];
  let failingSince: number | undefined;
  for (const r of records) {
    const bad = isChange(r) && (endedBadly(r) || (r.outcome === 'succeeded' && out.has(r.requestId)));
    if (bad) failingSince ??= at(r);
    else if (r.outcome === 'succeeded' && !out.has(r.requestId) && failingSince !== undefined) {
      times.push(at(r) - failingSince);
      failingSince = undefined;
    }
  }
  return times;
}

/**
 * The delivery numbers of one service in one environment from its ledger `records` (any order, any period: only those
 * that finished in the `days` days up to `now` count). Definitions: docs/delivery-numbers.md. No records give zero
 * deploys and no rates or durations, never NaN.
 */
export function deliveryStats(records: readonly DeploymentRecord[], period: DeliveryPeriod): DeliveryStats {
  const { now, days } = period;
  if (!(days > 0)) throw new RangeError(`days must be positive, not ${days}`);
  const end = now.getTime();
  const start = end - days * DAY_MS;
  const inPeriod = lastWordPerAttempt(records.filter((r) => at(r) >= start && at(r) <= end));
  // Rollbacks are read from the same period: one that took a change out finished after that change, so within it too.
  const out = takenOut(inPeriod);

  const changes = inPeriod.filter((r) => isChange(r) && (r.outcome === 'succeeded' || endedBadly(r)));
  const successes = changes.filter((r) => r.outcome === 'succeeded');
  const failed = changes.filter((r) => endedBadly(r) || out.has(r.requestId)).length;

  const leadTimes = ascending(successes.filter((r) => r.requestedAt !== undefined).map((r) => at(r) - Date.parse(r.requestedAt!)));
  const restores = ascending(restoreTimes(inPeriod, out));

  return {
    days,
    deploys: successes.length,
    deploysPerDay: successes.length / days,
    ...(leadTimes.length
      ? {
          leadTime: {
            median: median(leadTimes),
            ...(leadTimes.length >= MIN_P90_COUNT ? { p90: percentile(leadTimes, 90) } : {}),
            count: leadTimes.length,
          },
        }
      : {}),
    changeFailure: { failed, total: changes.length, ...(changes.length ? { rate: failed / changes.length } : {}) },
    ...(restores.length ? { timeToRestore: { median: median(restores), count: restores.length } } : {}),
  };
}
