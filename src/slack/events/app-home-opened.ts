/** The App Home tab: what runs where and what holds it (locks, freezes), for every service, and the delivery numbers of the last 30 days. */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';

/** The most blocks Slack takes in a view. */
const VIEW_MAX_BLOCKS = 100;
/** Kept for the delivery section however long the status is: its header and the line saying what was left out. */
const DELIVERY_MIN_BLOCKS = 2;

/** Registers the `app_home_opened` listener, which publishes the status view. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, client, event.user);
  });
}

/** Publishes `userId`'s App Home: status, delivery numbers, and their notification choices (also after they toggle one). */
export async function publishHome(deps: SlackDeps, client: WebClient, userId: string): Promise<void> {
  try {
    const [ctx, { readStatus }, { statusBlocks }, { readDeliveryStats, DELIVERY_DAYS }, { deliveryBlocks }, { notificationBlocks }] = await Promise.all([
      deps.context(),
      import('../../deploys/status.js'),
      import('../blocks/status.js'),
      import('../../deploys/delivery.js'),
      import('../blocks/delivery.js'),
      import('../blocks/home-notifications.js'),
    ]);
    const [status, delivery, prefs] = await Promise.all([readStatus(ctx), readDeliveryStats(ctx), ctx.preferences.get(userId)]);
    const notifications = notificationBlocks(prefs);
    // Slack refuses a view of more than 100 blocks: the intro, the status, then the delivery numbers in what is left.
    const statusPart = statusBlocks(status, ctx.now(), VIEW_MAX_BLOCKS - 1 - DELIVERY_MIN_BLOCKS - notifications.length);
    await client.views.publish({
      user_id: userId,
      view: {
        type: 'home',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text:
                ':fox_face: *foxops*: what runs where, and what holds it (locks, freezes). ' +
                'Ask with `/deploy status` or `/deploy locks`, deploy with `/deploy <env> [service] [ref]`.',
            },
          },
          ...statusPart,
          ...deliveryBlocks(delivery, DELIVERY_DAYS, VIEW_MAX_BLOCKS - 1 - statusPart.length - notifications.length),
          ...notifications,
        ],
      },
    });
  } catch (err) {
    deps.logger.error('home.publish_failed', { user: userId, err });
  }
}
