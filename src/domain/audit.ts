/**
 * Who may read the audit trail, how long it is kept, and how its time index is partitioned. Pure: the store and the
 * export build on it, the Slack surface words its refusals.
 */
import { type Catalog, DEFAULT_AUDIT_RETENTION_DAYS, type EnvironmentDefinition } from './catalog.js';
import { type Actor, groupIds, membership } from './policy.js';

/** Days audit entries are kept: the catalog's `audit_retention_days`, else {@link DEFAULT_AUDIT_RETENTION_DAYS}. */
export function auditRetentionDaysOf(catalog: Pick<Catalog, 'auditRetentionDays'>): number {
  return catalog.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
}

/** Who may export an environment's audit trail: its approvers and its `auditors` (user and user-group ids). */
export function auditReadersOf(env: Pick<EnvironmentDefinition, 'approvers' | 'auditors'>): string[] {
  return [...new Set([...env.approvers, ...(env.auditors ?? [])])];
}

/** The user groups named by the readers of any of `envs`: the ones worth asking the directory about. */
export function auditReaderGroups(envs: ReadonlyArray<Pick<EnvironmentDefinition, 'approvers' | 'auditors'>>): string[] {
  return [...new Set(envs.flatMap((env) => groupIds(auditReadersOf(env))))];
}

/** Why an export is refused: none of `environments` lists the person; each names who may export it. */
export interface AuditRefusal {
  code: 'not_auditor';
  environments: Array<{ environment: string; readers: string[] }>;
}

/**
 * Which of `envs` `actor` may export: all of them (one named environment, or every one when none was named) or a
 * refusal naming who may export each. Asked without an environment, a person gets what they may read, if anything.
 */
export function exportableEnvironments(envs: readonly EnvironmentDefinition[], actor: Actor): { environments: string[] } | { refusal: AuditRefusal } {
  const allowed = envs.filter((env) => membership(auditReadersOf(env), actor).member).map((env) => env.name);
  if (allowed.length > 0) return { environments: allowed };
  return { refusal: { code: 'not_auditor', environments: envs.map((env) => ({ environment: env.name, readers: auditReadersOf(env) })) } };
}

/** The environment part of the index key of entries that have none. */
export const NO_ENVIRONMENT = '-';

/** `yyyy-mm` (UTC) of an ISO time: the month partition of the audit index. */
export const monthOf = (iso: string): string => iso.slice(0, 7);

/** Every month (`yyyy-mm`, UTC) from the one holding `since` to the one holding the last instant before `until`, oldest first. */
export function monthsBetween(since: Date, until: Date): string[] {
  if (until.getTime() <= since.getTime()) return [];
  const last = new Date(until.getTime() - 1);
  const months: string[] = [];
  let year = since.getUTCFullYear();
  let month = since.getUTCMonth();
  while (year < last.getUTCFullYear() || (year === last.getUTCFullYear() && month <= last.getUTCMonth())) {
    months.push(`${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}`);
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
  }
  return months;
}

/**
 * Merges streams of entries that are each oldest first into one oldest-first stream, reading each only as far as
 * the next entry it gives: it holds one entry per stream (the stream itself holds at most a page). Entries at the
 * same time come in the order of `streams`. Streams left unread (the caller stopped early) are closed.
 */
export async function* mergeByTime<T extends { at: string }>(streams: ReadonlyArray<AsyncIterable<T>>): AsyncGenerator<T> {
  const heads = streams.map((stream) => ({ iterator: stream[Symbol.asyncIterator](), next: undefined as IteratorResult<T> | undefined }));
  try {
    await Promise.all(heads.map(async (head) => (head.next = await head.iterator.next())));
    for (;;) {
      let best: (typeof heads)[number] | undefined;
      for (const head of heads) {
        if (head.next && !head.next.done && (!best || head.next.value.at < (best.next as IteratorYieldResult<T>).value.at)) best = head;
      }
      if (!best) return;
      yield (best.next as IteratorYieldResult<T>).value;
      best.next = await best.iterator.next();
    }
  } finally {
    await Promise.all(heads.filter((head) => !head.next?.done).map((head) => head.iterator.return?.()));
  }
}
