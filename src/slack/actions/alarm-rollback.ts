/**
 * The Roll back button under an alarm message. Anyone in the channel may press it; what happens is decided on stored
 * state: the button only names the likely-cause deploy, and the rollback is requested for the clicker, from the click's
 * channel, exactly as `/deploy rollback` would (same policy, same card, same approvals). The clicker reads the same
 * words as for `/deploy rollback`, privately.
 */
import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isDeployId } from '../../domain/request.js';
import { clip } from '../../log.js';
import { ACTION_IDS } from '../blocks/action-ids.js';
import { BAD_BUTTON_TEXT } from '../blocks/input-errors.js';
import type { SlackDeps } from '../deps.js';
import { reportFailure } from '../failure.js';
import { whisperTo } from './whisper.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Registers the alarm message's Roll back listener. */
export function registerAlarmRollback(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS.alarmRollback, async ({ ack, body, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const deployId = action.value ?? '';
    const tell = whisperTo({ body, respond }, deps.logger, 'alarm.rollback');
    try {
      // The value is whatever the button carried: only a well-formed deploy id reaches the store.
      if (!isDeployId(deployId)) {
        deps.logger.warn('alarm.bad_rollback_id', { user: userId, value: clip(action.value ?? '', 40), length: action.value?.length ?? 0 });
        await tell(BAD_BUTTON_TEXT);
        return;
      }
      // The words and the use case load on the first click: a cold `/deploy help` never pays for them.
      const [ctx, { rollbackFromAlarm }, { acceptedText }, { refusalText }] = await Promise.all([
        deps.context(),
        import('../../alarms/rollback-offer.js'),
        import('../blocks/accepted.js'),
        import('../blocks/refusals.js'),
      ]);
      // A channel the environment does not list is refused by the policy, as for `/deploy rollback`.
      const channelId = typeof body.channel?.id === 'string' ? body.channel.id : '';
      const outcome = await rollbackFromAlarm(ctx, deployId, { userId, channelId, triggerId: body.trigger_id });
      await tell(outcome.kind === 'refused' ? `:no_entry_sign: ${refusalText(outcome.refusal)}` : acceptedText(outcome.request, { kind: 'rollback' }));
    } catch (err) {
      await tell(reportFailure(deps.logger, 'alarm.rollback', err, { deployId, user: userId })).catch(() => undefined);
    }
  });
}
