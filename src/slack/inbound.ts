/**
 * The shape of a Slack request body, checked after its signature and before Bolt routes it. Pure.
 *
 * Bolt assumes Slack's shapes: it reads `body.user.id`, `body.channel.id`, `'channel' in body.event`,
 * `[payload] = body.actions` and more before any listener runs, so a signed body of another shape makes it throw
 * and the receiver answer 500. This module checks exactly the fields that Bolt and foxops' listeners dereference,
 * per kind of request, and names the first one that is wrong. Kinds foxops has no listener for are only checked
 * as far as Bolt reads them; Bolt then answers them as unhandled.
 */
import { parse as parseForm } from 'node:querystring';

/** The kind of Slack request a body is, decided the way Bolt decides it (see `getTypeAndConversation`). */
export type InboundKind =
  | 'unreadable'
  | 'unknown'
  | 'event_callback'
  | 'command'
  | 'options'
  | 'block_actions'
  | 'action'
  | 'shortcut'
  | 'view_submission'
  | 'view_closed';

/** The verdict on one body. */
export type InboundCheck = { ok: true; kind: InboundKind } | { ok: false; kind: InboundKind; problem: string };

/** Slack's ids (users, channels, teams, triggers, callback and action ids) are short; anything longer is not one. */
export const MAX_ID_LENGTH = 255;

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;

/** How a value that should not be there looks, in a few words that never quote it. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > MAX_ID_LENGTH ? `a string of ${value.length} characters` : value === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The kind of `body`, as Bolt routes it. */
export function inboundKind(body: unknown): InboundKind {
  if (!isObject(body)) return 'unreadable';
  if (body.event !== undefined) return 'event_callback';
  if (body.command !== undefined) return 'command';
  if (body.name !== undefined || body.type === 'block_suggestion') return 'options';
  if (body.actions !== undefined || body.type === 'dialog_submission') return body.type === 'block_actions' ? 'block_actions' : 'action';
  if (body.type === 'shortcut' || body.type === 'message_action') return 'shortcut';
  if (body.type === 'view_submission') return 'view_submission';
  if (body.type === 'view_closed') return 'view_closed';
  return 'unknown';
}

/** The first problem among `checks` (each a problem or undefined), or undefined. */
const first = (...checks: Array<string | undefined>): string | undefined => checks.find((c) => c !== undefined);

const needId = (body: Fields, key: string, where = key): string | undefined =>
  isId(body[key]) ? undefined : `\`${where}\` should be an id, is ${describe(body[key])}`;
const optionalString = (body: Fields, key: string, where = key): string | undefined =>
  body[key] === undefined || typeof body[key] === 'string' ? undefined : `\`${where}\` should be text, is ${describe(body[key])}`;
/** A key that, when present (and for some keys not null), must hold an object: Bolt reads a field of it. */
const optionalObject = (body: Fields, key: string, where: string, nullOk: boolean): string | undefined => {
  const value = body[key];
  if (value === undefined || (nullOk && value === null) || isObject(value)) return undefined;
  return `\`${where}\` should be an object, is ${describe(value)}`;
};

/** `user` with a string `id`: Bolt reads `body.user.id` (and `user.team_id` without a team); foxops acts as that user. */
function checkUser(body: Fields): string | undefined {
  if (!isObject(body.user)) return `\`user\` should be an object with an id, is ${describe(body.user)}`;
  return needId(body.user, 'id', 'user.id');
}

/** What every interactive payload shares: who, where, and where to answer. */
function checkInteractive(body: Fields): string | undefined {
  return first(
    checkUser(body),
    optionalObject(body, 'team', 'team', true),
    optionalObject(body, 'channel', 'channel', false),
    optionalString(body, 'response_url'),
    checkResponseUrls(body),
    optionalObject(body, 'function_data', 'function_data', true),
  );
}

/** Bolt answers through `response_urls[0].response_url` when the list is not empty. */
function checkResponseUrls(body: Fields): string | undefined {
  const urls = body.response_urls;
  if (urls === undefined) return undefined;
  if (!Array.isArray(urls)) return `\`response_urls\` should be a list, is ${describe(urls)}`;
  return urls.every((u) => isObject(u) && typeof u.response_url === 'string') ? undefined : '`response_urls` should hold objects with a `response_url`';
}

function checkEvent(body: Fields): string | undefined {
  const event = body.event;
  if (!isObject(event)) return `\`event\` should be an object, is ${describe(event)}`;
  const authorizations = body.authorizations;
  return first(
    needId(event, 'type', 'event.type'),
    // Bolt looks for a channel, a user and a creator with `in` and reads `.id`, `.channel` or `.created_by` of them.
    event.channel === undefined || typeof event.channel === 'string' || isObject(event.channel)
      ? undefined
      : `\`event.channel\` should be an id or an object, is ${describe(event.channel)}`,
    event.user === undefined || typeof event.user === 'string' || isObject(event.user)
      ? undefined
      : `\`event.user\` should be an id or an object, is ${describe(event.user)}`,
    'item' in event && !isObject(event.item) ? `\`event.item\` should be an object, is ${describe(event.item)}` : undefined,
    'subteam' in event && !isObject(event.subteam) ? `\`event.subteam\` should be an object, is ${describe(event.subteam)}` : undefined,
    authorizations === undefined || (Array.isArray(authorizations) && authorizations.every(isObject))
      ? undefined
      : '`authorizations` should be a list of objects',
    // foxops' App Home listener publishes the view for `event.user`.
    event.type === 'app_home_opened' ? first(needId(event, 'user', 'event.user'), optionalString(event, 'tab', 'event.tab')) : undefined,
  );
}

/** A slash command: form fields, each one value (a repeated field arrives as a list). */
function checkCommand(body: Fields): string | undefined {
  return first(
    typeof body.command === 'string' && body.command.startsWith('/') && body.command.length <= MAX_ID_LENGTH
      ? undefined
      : `\`command\` should be a command name like /deploy, is ${describe(body.command)}`,
    optionalString(body, 'text'),
    needId(body, 'user_id'),
    needId(body, 'channel_id'),
    // The request id derives from it: without one, every retried or new command would be the same request.
    needId(body, 'trigger_id'),
    optionalString(body, 'response_url'),
    optionalString(body, 'team_id'),
  );
}

function checkActions(body: Fields, kind: InboundKind): string | undefined {
  const actions = body.actions;
  const problem = first(
    checkInteractive(body),
    actions === undefined && body.type === 'dialog_submission'
      ? undefined
      : !Array.isArray(actions) || actions.length === 0
        ? `\`actions\` should be a list of at least one action, is ${describe(actions)}`
        : undefined,
  );
  if (problem || !Array.isArray(actions)) return problem;
  for (const [i, action] of actions.entries()) {
    if (!isObject(action)) return `\`actions.${i}\` should be an object, is ${describe(action)}`;
    const wrong = first(
      needId(action, 'action_id', `actions.${i}.action_id`),
      optionalString(action, 'block_id', `actions.${i}.block_id`),
      optionalString(action, 'value', `actions.${i}.value`),
    );
    if (wrong) return wrong;
  }
  if (kind !== 'block_actions') return undefined;
  // foxops' buttons answer the clicker through `response_url` and open dialogs with `trigger_id`. A button in App Home
  // (a `view` container) comes without `response_url`: its listener answers by publishing the view again.
  return first(
    (typeof body.response_url === 'string' && /^https?:\/\/\S+$/.test(body.response_url)) || (body.response_url === undefined && isObject(body.view))
      ? undefined
      : `\`response_url\` should be a URL, is ${describe(body.response_url)}`,
    needId(body, 'trigger_id'),
    optionalObject(body, 'message', 'message', true),
  );
}

function checkView(body: Fields, kind: InboundKind): string | undefined {
  const view = body.view;
  if (!isObject(view)) return first(checkInteractive(body), `\`view\` should be an object, is ${describe(view)}`);
  const problem = first(
    checkInteractive(body),
    needId(view, 'callback_id', 'view.callback_id'),
    optionalString(view, 'private_metadata', 'view.private_metadata'),
  );
  if (problem || kind !== 'view_submission') return problem;
  // foxops reads `view.state.values[block][action].value` of its dialogs.
  const state = view.state;
  if (!isObject(state) || !isObject(state.values)) return '`view.state.values` should be an object';
  for (const [block, actions] of Object.entries(state.values)) {
    if (!isObject(actions)) return `\`view.state.values.${block.slice(0, 40)}\` should be an object, is ${describe(actions)}`;
    for (const [action, input] of Object.entries(actions)) {
      const where = `view.state.values.${block.slice(0, 40)}.${action.slice(0, 40)}`;
      if (!isObject(input)) return `\`${where}\` should be an object, is ${describe(input)}`;
      if (input.value !== undefined && input.value !== null && typeof input.value !== 'string')
        return `\`${where}.value\` should be text, is ${describe(input.value)}`;
    }
  }
  return undefined;
}

/**
 * Checks a parsed Slack request body (form fields, or the JSON of `payload` or of an Events API request). `ok` means
 * Bolt can route it without throwing and foxops' listeners find every field they read; otherwise `problem` names
 * the first wrong field without quoting its value.
 */
export function checkInbound(body: unknown): InboundCheck {
  const kind = inboundKind(body);
  const fields = body as Fields;
  let problem: string | undefined;
  switch (kind) {
    case 'unreadable':
      problem = `the body should be an object, is ${describe(body)}`;
      break;
    case 'unknown':
      problem =
        fields.payload !== undefined
          ? 'the form has a `payload` that is not one JSON text'
          : 'not a slash command, interaction or event (no `command`, `actions`, `view` or `event`)';
      break;
    case 'event_callback':
      problem = checkEvent(fields);
      break;
    case 'command':
      problem = checkCommand(fields);
      break;
    case 'block_actions':
    case 'action':
      problem = checkActions(fields, kind);
      break;
    case 'options':
    case 'shortcut':
      problem = first(checkInteractive(fields), optionalObject(fields, 'message', 'message', true));
      break;
    case 'view_submission':
    case 'view_closed':
      problem = checkView(fields, kind);
      break;
  }
  return problem === undefined ? { ok: true, kind } : { ok: false, kind, problem };
}

/** The user a body names plainly (clicker, caller, or the event's user), for log lines; undefined if none or odd. */
export function inboundUser(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const id = isObject(body.user) ? body.user.id : (body.user_id ?? (isObject(body.event) ? body.event.user : undefined));
  return isId(id) ? id : undefined;
}

/**
 * Why Slack's receivers cannot take `raw` as a request body, or undefined when they can. They parse it (a form's
 * `payload`, or the whole body, as JSON) and then read fields of the result: AwsLambdaReceiver parses before it checks
 * the signature and throws when it cannot, HTTPReceiver reads `body.ssl_check` of whatever came out, even `null`. This
 * mirrors their parsing, so that the caller can check the signature first and answer 401 or 400 itself.
 */
export function unreadableBody(raw: string, contentType: string | undefined): string | undefined {
  const notAnObject = (text: string, what: string): string | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return `${what} is not JSON (${text.length} characters)`;
    }
    return isObject(value) ? undefined : `${what} is JSON but ${describe(value)}, not an object`;
  };
  if (contentType === 'application/x-www-form-urlencoded') {
    const { payload } = parseForm(raw);
    return typeof payload === 'string' ? notAnObject(payload, "the form's `payload`") : undefined;
  }
  const problem = notAnObject(raw, 'the body');
  return problem && contentType !== 'application/json' ? `${problem}; content type ${JSON.stringify((contentType ?? 'none').slice(0, 60))}` : problem;
}
