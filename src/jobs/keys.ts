/**
 * The identity of a job in the outbox: the same work gets the same key, so queueing it twice runs it once.
 * A card edit is one per request, slot, phase and try; a thread reply one per request, milestone, attempt and try;
 * a prepare one per request; a dispatch one per request version (a Retry makes a new version, hence a new key); the
 * version record one per request and run attempt; an audit export one per `/deploy audit` (its key, from the trigger id);
 * an alarm graph one per alarm and state change.
 */
import { createHash } from 'node:crypto';
import type { Job } from '../domain/ports.js';

/** A short, stable stand-in for `parts` in a key. */
const digest = (parts: unknown) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** The default key of `job` (see the module comment). */
export function jobKey(job: Job): string {
  switch (job.type) {
    case 'prepare':
      return `prepare:${job.requestId}`;
    case 'dispatch':
      return `dispatch:${job.requestId}:${job.version ?? 0}`;
    case 'reconcile':
      return `reconcile:${job.at ?? 'now'}`;
    case 'card':
      return `card:${job.requestId}:${job.slot}:${job.phase}:${job.tries ?? 0}`;
    case 'notice':
      return `notice:${job.requestId}:${job.notice}:${job.attempt}:${job.tries ?? 0}`;
    case 'alarm':
      return `alarm:${job.alarm.name}:${job.alarm.state}:${job.alarm.at}`;
    case 'alarm_sync':
      // One hand-over per item and version: the next hand-over of the same item comes from a later version.
      return `alarm-sync:${job.ref.kind === 'episode' ? job.ref.name : `${job.ref.channel}:${job.ref.id}`}:${job.version}`;
    case 'alarm_graph':
      // One graph per ALARM state change: the alarm job that posted it may run again, the graph is queued once.
      return `alarm-graph:${job.alarm.name}:${job.alarm.at}`;
    case 'record_version':
      return `record-version:${job.requestId}:${job.attempt}`;
    case 'audit_export':
      // Without a key from the ask, the fields themselves, hashed: fifty environment names would make a key too long.
      return `audit-export:${job.key ?? digest([job.userId, job.environments, job.since, job.until])}`;
    case 'advance':
      return `advance:${job.service}:${job.environment}`;
    case 'ci_check':
      // Callers give a key per webhook delivery or reconciler minute; this one is for a job queued without.
      return `ci-check:${job.requestId}`;
    case 'failure_dm':
      return `failure-dm:${job.requestId}:${job.attempt}`;
    case 'cancel_run':
      // One cancel per request (the Cancel is recorded once), and one force-cancel.
      return `cancel-run:${job.requestId}:${job.force ? 'force' : 'cancel'}`;
    case 'protection_rule':
      // One answer per wait: GitHub makes a deployment per run attempt and environment; the delivery id where it names none.
      return `protection-rule:${job.runId}:${digest([job.repo, job.environment, job.deploymentId ?? job.delivery])}`;
    case 'channel_notice':
      // One notice per run attempt and reason: the same attempt asking again (a retried curl) is told once.
      return job.notice.kind === 'unapproved_run'
        ? `channel-notice:${job.channel}:unapproved_run:${job.notice.runId}:${job.notice.runAttempt ?? 1}:${job.notice.code}`
        : `channel-notice:${job.channel}:${job.notice.kind}:${'lock' in job.notice ? `${job.notice.lock.environment}:${job.notice.lock.service ?? '*'}:${job.notice.lock.at}` : `${job.notice.requestId}:${'stage' in job.notice ? job.notice.stage : job.notice.deployId}`}`;
  }
}
