/**
 * The Slack requests the sandbox sends foxops, built as Slack builds them and signed as Slack signs them (v0
 * HMAC-SHA256 over `v0:<timestamp>:<body>` with the signing secret): slash commands as forms, `block_actions` and
 * `view_submission` as `payload=` forms, `app_home_opened` as Events API JSON. Pure, except for the clock.
 */
import { createHmac } from 'node:crypto';

/** The workspace the sandbox pretends to be. */
export const SANDBOX_TEAM = { id: 'T0FOXY', domain: 'foxy' } as const;
/** foxops' app id in the sandbox. */
export const SANDBOX_APP_ID = 'A0FOXOPS';

/** A request body with the headers Slack sends with it. */
export interface SignedSlackRequest {
  body: string;
  headers: Record<string, string>;
}

/** Signs `body` as Slack does; `now` in milliseconds (default the real clock). */
export function signSlackRequest(secret: string, body: string, contentType: string, now = Date.now()): SignedSlackRequest {
  const timestamp = Math.floor(now / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } };
}

/** The parts of a slash command. */
export interface SlashCommand {
  command: string;
  text: string;
  user: string;
  userName: string;
  channel: string;
  channelName: string;
  responseUrl: string;
  triggerId: string;
}

/** A slash command as Slack POSTs it: a form. */
export function slashCommandBody(c: SlashCommand): string {
  return new URLSearchParams({
    token: 'sandbox',
    team_id: SANDBOX_TEAM.id,
    team_domain: SANDBOX_TEAM.domain,
    channel_id: c.channel,
    channel_name: c.channelName,
    user_id: c.user,
    user_name: c.userName,
    command: c.command,
    text: c.text,
    api_app_id: SANDBOX_APP_ID,
    is_enterprise_install: 'false',
    response_url: c.responseUrl,
    trigger_id: c.triggerId,
  }).toString();
}

/** Splits `/deploy prod main` into the command and its text; undefined when the line is no slash command. */
export function splitSlashCommand(line: string): { command: string; text: string } | undefined {
  const match = /^\s*(\/[a-z0-9_-]+)(?:\s+([\s\S]*))?$/i.exec(line);
  if (!match) return undefined;
  return { command: match[1]!.toLowerCase(), text: (match[2] ?? '').trim() };
}

/** A user as interactive payloads carry it. */
const userOf = (id: string, name: string) => ({ id, username: name, name, team_id: SANDBOX_TEAM.id });

/** Where a clicked button is, as `block_actions` describes it. */
export type ActionSource =
  | { type: 'message'; channel: string; channelName: string; message: Record<string, unknown>; responseUrl: string }
  | { type: 'ephemeral'; channel: string; channelName: string; messageTs: string; responseUrl: string }
  | { type: 'view'; view: Record<string, unknown> };

/** One button click. */
export interface ButtonClick {
  user: string;
  userName: string;
  actionId: string;
  blockId?: string;
  value?: string;
  triggerId: string;
  source: ActionSource;
  /** Milliseconds since the epoch. */
  now?: number;
}

/** A `block_actions` payload, as Slack sends it for a button in a message, an ephemeral message, App Home or a modal. */
export function blockActionsPayload(click: ButtonClick): Record<string, unknown> {
  const actionTs = ((click.now ?? Date.now()) / 1000).toFixed(6);
  const action = {
    action_id: click.actionId,
    block_id: click.blockId ?? 'sandbox',
    type: 'button',
    action_ts: actionTs,
    ...(click.value !== undefined ? { value: click.value } : {}),
    text: { type: 'plain_text', text: click.actionId, emoji: true },
  };
  const common = {
    type: 'block_actions',
    team: SANDBOX_TEAM,
    user: userOf(click.user, click.userName),
    api_app_id: SANDBOX_APP_ID,
    token: 'sandbox',
    trigger_id: click.triggerId,
    is_enterprise_install: false,
    enterprise: null,
    actions: [action],
  };
  const source = click.source;
  if (source.type === 'view') {
    return { ...common, container: { type: 'view', view_id: source.view.id }, view: source.view, state: { values: {} } };
  }
  const channel = { id: source.channel, name: source.channelName };
  if (source.type === 'ephemeral') {
    return {
      ...common,
      container: { type: 'message', message_ts: source.messageTs, channel_id: source.channel, is_ephemeral: true },
      channel,
      response_url: source.responseUrl,
      state: { values: {} },
    };
  }
  return {
    ...common,
    container: { type: 'message', message_ts: source.message.ts, channel_id: source.channel, is_ephemeral: false },
    channel,
    message: source.message,
    response_url: source.responseUrl,
    state: { values: {} },
  };
}

/** A `view_submission` payload: the view as stored, with `state.values` from the text of each input. */
export function viewSubmissionPayload(
  user: string,
  userName: string,
  view: Record<string, unknown>,
  values: Record<string, Record<string, string>>,
  triggerId: string,
): Record<string, unknown> {
  const state = {
    values: Object.fromEntries(
      Object.entries(values).map(([block, actions]) => [
        block,
        Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }])),
      ]),
    ),
  };
  return {
    type: 'view_submission',
    team: SANDBOX_TEAM,
    user: userOf(user, userName),
    api_app_id: SANDBOX_APP_ID,
    token: 'sandbox',
    trigger_id: triggerId,
    view: { ...view, team_id: SANDBOX_TEAM.id, type: 'modal', state, hash: `h-${String(view.id)}`, private_metadata: view.private_metadata ?? '' },
    response_urls: [],
    is_enterprise_install: false,
  };
}

/** A `view_closed` payload (the person pressed the modal's close button; sent only when the view asked with `notify_on_close`). */
export function viewClosedPayload(user: string, userName: string, view: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'view_closed',
    team: SANDBOX_TEAM,
    user: userOf(user, userName),
    api_app_id: SANDBOX_APP_ID,
    token: 'sandbox',
    view: { ...view, private_metadata: view.private_metadata ?? '' },
    is_cleared: false,
    is_enterprise_install: false,
  };
}

/** An interactive payload as Slack POSTs it: a form with one `payload` field. */
export function payloadForm(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An `app_home_opened` event, as the Events API POSTs it (JSON). */
export function appHomeOpenedBody(user: string, botUserId: string, now = Date.now()): string {
  const eventTs = (now / 1000).toFixed(6);
  return JSON.stringify({
    token: 'sandbox',
    team_id: SANDBOX_TEAM.id,
    api_app_id: SANDBOX_APP_ID,
    event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: eventTs },
    type: 'event_callback',
    event_id: `Ev${Math.floor(now)}${user}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: SANDBOX_TEAM.id, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}
