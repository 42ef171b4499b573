/**
 * How a button listener answers the person who clicked, privately: through the click's `response_url` (Bolt's
 * `respond`). Slack gives one to every click in a message (src/slack/inbound.ts refuses a message click without
 * one), but none to a click in App Home or a modal. There the answer is dropped with one warn line: a listener must
 * never throw for want of a reply path.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../../log.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Returns `tell(text)`: an ephemeral answer to the clicker of `args`, when the click has a way back. */
export function whisperTo(args: Pick<ButtonArgs, 'body' | 'respond'>, logger: Logger, listener: string): (text: string) => Promise<void> {
  const { body, respond } = args;
  return async (text: string) => {
    if (typeof respond === 'function' && body.response_url) {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
      return;
    }
    logger.warn('slack.no_reply_path', { listener, user: body.user.id, container: body.container?.type, text: text.slice(0, 200) });
  };
}
