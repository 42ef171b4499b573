/** The Retry dispatch button, shown when GitHub refused a dispatch. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { cardAction, useCases } from './card-action.js';

/** Registers the Retry listener. */
export function registerRetry(app: App, deps: SlackDeps): void {
  app.action(
    ACTION_IDS.retry,
    cardAction(deps, 'retry', async (ctx, id, user, click) => (await useCases()).retryDispatch(ctx, id, user, click.request)),
  );
}
