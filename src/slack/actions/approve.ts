/** The Approve button on a deploy card. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { cardAction, useCases } from './card-action.js';

/** Registers the Approve listener. */
export function registerApprove(app: App, deps: SlackDeps): void {
  app.action(
    ACTION_IDS.approve,
    cardAction(deps, 'approve', async (ctx, id, user, click) => (await useCases()).approveRequest(ctx, id, user, click.request)),
  );
}
