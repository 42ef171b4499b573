/** The App Home tab: what runs where, for every service. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';

/** Registers the `app_home_opened` listener, which publishes the status view. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      const [ctx, { readStatus }, { statusBlocks }] = await Promise.all([deps.context(), import('../../deploys/status.js'), import('../blocks/status.js')]);
      const status = await readStatus(ctx);
      await client.views.publish({
        user_id: event.user,
        view: {
          type: 'home',
          blocks: [
            {
              type: 'section',
              text: { type: 'mrkdwn', text: ':fox_face: *foxops*: what runs where. Ask with `/deploy status`, deploy with `/deploy <env> [service] [ref]`.' },
            },
            ...statusBlocks(status, ctx.now()),
          ],
        },
      });
    } catch (err) {
      deps.logger.error('home.publish_failed', { user: event.user, err });
    }
  });
}
