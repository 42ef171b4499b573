/**
 * The shared shape of a card button: ack at once, check that the click came from that request's
 * own card, run the use case on stored state, and tell the clicker ephemerally when refused.
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ActionOutcome } from '../../deploys/approval.js';
import type { DeployContext } from '../../deploys/context.js';
import { type DeployRequest, isDeployId } from '../../domain/request.js';
import { clip } from '../../log.js';
import type { SlackDeps } from '../deps.js';
import { BAD_BUTTON_TEXT, FOREIGN_BUTTON_TEXT } from '../blocks/input-errors.js';
import { reportFailure } from '../failure.js';
import { whisperTo } from './whisper.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/**
 * The approval use cases, loaded on the first click: `/deploy help` on a cold start never pays for them.
 */
export const useCases = () => import('../../deploys/approval.js');

/** What a button listener may need besides the ids: the request as just read, the client and the click's trigger id (for dialogs). */
export interface ClickDetails {
  request: DeployRequest;
  client: ButtonArgs['client'];
  triggerId: string;
}

/** Builds a button listener around `run(ctx, requestId, userId)`. */
export function cardAction(
  deps: SlackDeps,
  name: string,
  run: (ctx: DeployContext, requestId: string, userId: string, click: ClickDetails) => Promise<ActionOutcome>,
) {
  return async ({ ack, body, action, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const requestId = action.value ?? '';
    const tell = whisperTo({ body, respond }, deps.logger, `card.${name}`);
    try {
      // The value is whatever the button carried: only a well-formed deploy id reaches the store.
      if (!isDeployId(requestId)) {
        deps.logger.warn('card.bad_request_id', { action: name, user: userId, value: clip(action.value ?? '', 40), length: action.value?.length ?? 0 });
        await tell(BAD_BUTTON_TEXT);
        return;
      }
      const ctx = await deps.context();
      const stored = await ctx.requests.get(requestId);
      // The button only names a request; it must be that request's own card that was clicked.
      if (!stored || stored.cardTs !== body.message?.ts || stored.channel !== body.channel?.id) {
        deps.logger.warn('card.action_mismatch', { action: name, requestId, user: userId, ts: body.message?.ts, channel: body.channel?.id });
        await tell(FOREIGN_BUTTON_TEXT);
        return;
      }
      const outcome = await run(ctx, requestId, userId, { request: stored, client, triggerId: body.trigger_id });
      if (outcome.kind === 'refused') {
        // The words for every refusal load only when there is one: the listeners register on every cold start.
        const { refusalText } = await import('../blocks/refusals.js');
        await tell(`:no_entry_sign: ${refusalText(outcome.refusal)}`);
      }
    } catch (err) {
      await tell(reportFailure(deps.logger, `card.${name}`, err, { requestId, user: userId })).catch(() => undefined);
    }
  };
}
