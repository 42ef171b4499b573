/**
 * Cancelling a running deploy (the card's Cancel button): when the normal GitHub cancel is deemed not to have taken
 * effect, and foxops asks for a force-cancel instead. Pure.
 */
import { type DeployRequest, RUN_STATUSES } from './request.js';

/** How long after Cancel a run may still be going before foxops force-cancels it (`POST …/force-cancel`). */
export const FORCE_CANCEL_AFTER_MS = 2 * 60_000;

/** True when Cancel was pressed over {@link FORCE_CANCEL_AFTER_MS} ago, the run still goes, and no force-cancel was asked for yet. */
export function forceCancelDue(request: DeployRequest, now: Date): boolean {
  if (!request.cancelRequestedAt || request.cancelForcedAt || !RUN_STATUSES.includes(request.status)) return false;
  return now.getTime() - Date.parse(request.cancelRequestedAt) >= FORCE_CANCEL_AFTER_MS;
}
