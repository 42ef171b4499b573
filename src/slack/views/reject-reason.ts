/**
 * Submission of the reject dialog: rejects the request named in the dialog's metadata, with the reason.
 * Who may reject is decided again on the stored request; a refusal shows in the dialog itself.
 */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { REJECT_VIEW, type RejectViewMetadata } from '../blocks/reject-modal.js';
import { refusalText } from '../blocks/refusals.js';
import { reportFailure } from '../failure.js';

function metadataOf(text: string): RejectViewMetadata | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<RejectViewMetadata>;
    return typeof parsed.requestId === 'string' ? { requestId: parsed.requestId } : undefined;
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
      deps.logger.warn('view.reject_bad_metadata', { user: body.user.id });
      await errors('This dialog does not name a deploy request. Close it and use the Reject button on the card.');
      return;
    }
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.input]?.value?.trim() || undefined;
    try {
      const ctx = await deps.context();
      const { rejectRequest } = await import('../../deploys/approval.js');
      const outcome = await rejectRequest(ctx, metadata.requestId, body.user.id, reason);
      if (outcome.kind === 'refused') await errors(refusalText(outcome.refusal));
      else await ack();
    } catch (err) {
      await errors(reportFailure(deps.logger, 'view.reject', err, { requestId: metadata.requestId, user: body.user.id }));
    }
  });
}
