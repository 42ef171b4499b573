/**
 * The App Home button that turns the failure DM off or on for the person who clicks it. It only ever changes the
 * clicker's own choice (stored under their user id from Slack's signed payload); the button's value only says which
 * way, and anything but `on` or `off` is refused. App Home is then published again with the new choice.
 */
import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { clip } from '../../log.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../events/app-home-opened.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Registers the App Home failure-DM toggle. */
export function registerHomeFailureDm(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS.homeFailureDm, async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const value = action.value ?? '';
    if (value !== 'on' && value !== 'off') {
      deps.logger.warn('home.bad_toggle', { user: userId, value: clip(value, 40) });
      return;
    }
    try {
      const ctx = await deps.context();
      const prefs = await ctx.preferences.get(userId);
      await ctx.preferences.set(userId, { ...prefs, failureDm: value === 'on' });
      ctx.logger.info('home.failure_dm_set', { user: userId, failureDm: value === 'on' });
      await publishHome(deps, client, userId);
    } catch (err) {
      deps.logger.error('home.toggle_failed', { user: userId, err });
    }
  });
}
