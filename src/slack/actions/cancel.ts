/** The Cancel button on a running deploy's card: the requester or an approver stops the GitHub run (see cancelDeploy). */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { cardAction, useCases } from './card-action.js';

/** Registers the Cancel listener. */
export function registerCancel(app: App, deps: SlackDeps): void {
  app.action(
    ACTION_IDS.cancel,
    cardAction(deps, 'cancel', async (ctx, id, user, click) => (await useCases()).cancelDeploy(ctx, id, user, click.request)),
  );
}
