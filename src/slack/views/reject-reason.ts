/**
 * Submission of the reject dialog: rejects the request named in the dialog's metadata, with the reason.
 * Who may reject is decided again on the stored request; a refusal shows in the dialog itself.
 */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { MAX_REJECT_REASON, REJECT_VIEW, type RejectViewMetadata } from '../blocks/reject-modal.js';
import { BAD_DIALOG_TEXT, reasonTooLongText } from '../blocks/input-errors.js';
import { reportFailure } from '../failure.js';
import { isDeployId } from '../../domain/request.js';
import { clip } from '../../log.js';

/** The request the dialog names; only a well-formed deploy id counts, so nothing else reaches the store. */
function metadataOf(text: string | undefined): RejectViewMetadata | undefined {
  try {
    const parsed = JSON.parse(text ?? '') as Partial<RejectViewMetadata> | null;
    return isDeployId(parsed?.requestId) ? { requestId: parsed.requestId } : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the reject dialog's submission listener. */
export function registerRejectReason(app: App, deps: SlackDeps): void {
  app.view(REJECT_VIEW.callbackId, async ({ ack, view, body }) => {
    const metadata = metadataOf(view.private_metadata);
    const errors = (message: string) => ack({ response_action: 'errors', errors: { [REJECT_VIEW.block]: message.slice(0, 300) } });
    if (!metadata) {
      const raw = view.private_metadata ?? '';
      deps.logger.warn('view.reject_bad_metadata', { user: body.user.id, metadata: clip(raw, 80), length: raw.length });
      await errors(BAD_DIALOG_TEXT);
      return;
    }
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.input]?.value?.trim() || undefined;
    // A longer reason than the input's max_length did not come from that dialog.
    if (reason && reason.length > MAX_REJECT_REASON) {
      deps.logger.warn('view.reject_reason_too_long', { user: body.user.id, requestId: metadata.requestId, length: reason.length });
      await errors(reasonTooLongText(reason.length, MAX_REJECT_REASON));
      return;
    }
    try {
      const ctx = await deps.context();
      const { rejectRequest } = await import('../../deploys/approval.js');
      const outcome = await rejectRequest(ctx, metadata.requestId, body.user.id, reason);
      if (outcome.kind === 'refused') {
        // Loaded only for a refusal, like every listener's heavier words (a cold start registers them all).
        const { refusalText } = await import('../blocks/refusals.js');
        await errors(refusalText(outcome.refusal));
      } else await ack();
    } catch (err) {
      await errors(reportFailure(deps.logger, 'view.reject', err, { requestId: metadata.requestId, user: body.user.id }));
    }
  });
}
