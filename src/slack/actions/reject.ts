/**
 * The Reject (or Give up) button on a deploy card: checks that the clicker may reject, then asks why in a
 * dialog (see views/reject-reason.ts, which does the rejecting).
 */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { rejectModal } from '../blocks/reject-modal.js';
import { cardAction, useCases } from './card-action.js';

/** Registers the Reject listener. */
export function registerReject(app: App, deps: SlackDeps): void {
  app.action(
    ACTION_IDS.reject,
    cardAction(deps, 'reject', async (ctx, requestId, userId, { request, client, triggerId }) => {
      const outcome = await (await useCases()).mayReject(ctx, requestId, userId, request);
      // Slack's trigger id lives 3 seconds: the dialog opens inside the ack, the rejection happens on submit.
      if (outcome.kind === 'ok') await client.views.open({ trigger_id: triggerId, view: rejectModal(outcome.request, userId) });
      return outcome;
    }),
  );
}
