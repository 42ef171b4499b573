/** The Reject (or Give up) button on a deploy card. */
import type { App } from '@slack/bolt';
import { rejectRequest } from '../../deploys/approval.js';
import type { SlackDeps } from '../app.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { cardAction } from './card-action.js';

/** Registers the Reject listener. */
export function registerReject(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS.reject, cardAction(deps, 'reject', (ctx, id, user) => rejectRequest(ctx, id, user)));
}
