/** The notifications section of App Home: whether failures come by direct message, and the button that toggles it. Pure. */
import type { KnownBlock } from '@slack/types';
import type { UserPrefs } from '../../domain/ports.js';
import { ACTION_IDS } from './action-ids.js';

/** The button's value: what pressing it turns the failure DM to (`on` or `off`). */
export type FailureDmToggle = 'on' | 'off';

/** The section: the current choice (default on) and a button for the other one. */
export function notificationBlocks(prefs: UserPrefs): KnownBlock[] {
  const on = prefs.failureDm !== false;
  return [
    { type: 'divider' },
    {
      type: 'section',
      block_id: 'home_notifications',
      text: {
        type: 'mrkdwn',
        text: on
          ? ':bell: *Failure messages: on.* When a deploy you requested or approved fails, foxops tells you in a direct message.'
          : ':no_bell: *Failure messages: off.* foxops sends you no direct message when a deploy you requested or approved fails.',
      },
      accessory: {
        type: 'button',
        action_id: ACTION_IDS.homeFailureDm,
        text: { type: 'plain_text', text: on ? 'Turn off' : 'Turn on' },
        value: on ? 'off' : 'on',
      },
    },
  ];
}
