/** The words for input that was not what Slack's own UI sends: a forged button, dialog or command. */

/** A button whose value is no deploy id. */
export const BAD_BUTTON_TEXT =
  ':no_entry_sign: This button does not name a deploy request (deploy ids look like `d-0123456789`). ' +
  'Use the buttons on a deploy card, or start a new request with `/deploy`.';

/** A button that names a request, but not from that request's own card. */
export const FOREIGN_BUTTON_TEXT =
  ':no_entry_sign: This button does not belong to a deploy request I know. ' + "Use the buttons on the request's own card, or start a new one with `/deploy`.";

/** A reject dialog without the request it belongs to. */
export const BAD_DIALOG_TEXT = 'This dialog does not name a deploy request. Close it and use the Reject button on the card.';

/** A slash command foxops could not read as Slack sends it. */
export const MALFORMED_COMMAND_TEXT =
  ':warning: foxops could not read this command as Slack sent it, and did nothing. ' +
  'Try again; if it keeps happening, tell the operator (log `slack.malformed_payload`).';

/** A slash command of this app other than `/deploy` (an old manifest, say): what foxops does answer. */
export const UNKNOWN_COMMAND_TEXT = ':thinking_face: foxops answers only `/deploy`: `/deploy help` lists what it can do.';

/** A reject reason longer than the dialog allows. */
export function reasonTooLongText(length: number, max: number): string {
  return `The reason is ${length} characters long; it may have at most ${max}. Shorten it and submit again.`;
}
