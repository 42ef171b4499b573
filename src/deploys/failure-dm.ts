/**
 * The `failure_dm` job: a run attempt of a request failed or timed out, so its requester and its approvers each get a
 * direct message, unless they turned it off in App Home (`UserPreferences`, default on). Queued once per request and
 * attempt by the run news (src/deploys/run-progress.ts); one person's undeliverable DM does not stop the others'.
 */
import type { DeployContext } from './context.js';

/** The people a failure DM goes to: the requester, then the approvers, each once. */
function recipientsOf(request: { requester: string; approvals: Array<{ userId: string }> }): string[] {
  return [...new Set([request.requester, ...request.approvals.map((a) => a.userId)])];
}

/** Sends the failure DMs of attempt `attempt` of `requestId`, to those who want them. */
export async function sendFailureDms(ctx: DeployContext, requestId: string, attempt: number): Promise<void> {
  const request = await ctx.requests.get(requestId);
  if (!request) return;
  // A re-run moved on since: this attempt's failure is old news.
  if ((request.run?.attempt ?? 1) !== attempt) return;
  const sent: string[] = [];
  const off: string[] = [];
  for (const userId of recipientsOf(request)) {
    const prefs = await ctx.preferences.get(userId);
    if (prefs.failureDm === false) {
      off.push(userId);
      continue;
    }
    try {
      await ctx.cards.dm(userId, { kind: 'run_failed', request });
      sent.push(userId);
    } catch (err) {
      ctx.logger.warn('dm.failed', { requestId, user: userId, err });
    }
  }
  ctx.logger.info('dm.failure_sent', { requestId, attempt, sent, off });
}
