/**
 * Which run news reaches people besides the card: the thread replies an environment's `notify:` lets through, and
 * the outcomes that send the requester and the approvers a direct message. Pure.
 */
import type { RunNotice } from './run-events.js';

/** An environment's `notify:`: every thread reply (the default), failures only, or none. */
export type NotifyLevel = 'all' | 'failures' | 'none';

/** The run notices that are failures: a run that did not ship, or whose outcome nobody knows. */
const FAILURE_NOTICES: readonly RunNotice[] = ['failed', 'timed_out', 'unknown'];

/** True when the thread reply `notice` goes out under `notify` (absent: `all`). */
export function noticeWanted(notify: NotifyLevel | undefined, notice: RunNotice): boolean {
  if (notify === 'none') return false;
  if (notify === 'failures') return FAILURE_NOTICES.includes(notice);
  return true;
}

/** True when a run that ended with `notice` sends the requester and the approvers a direct message (unless they turned it off). */
export function failureDmWanted(notice: RunNotice): boolean {
  return notice === 'failed' || notice === 'timed_out';
}
