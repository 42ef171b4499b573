/**
 * Loopback fake of the Slack Web API (the subset foxops uses) plus `response_url` endpoints.
 *
 * Point the real client at it: `new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl })`
 * (Bolt: `clientOptions: { slackApiUrl: fake.apiUrl }`). WebClient POSTs every method as
 * `application/x-www-form-urlencoded` with object arguments JSON-stringified, so the fake decodes
 * `blocks`, `attachments`, `view` ... back into objects before recording the call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonBody, pollUntil, sendJson, startLoopbackServer } from './http.js';

/** One Web API call as the fake received it (failed and rate-limited attempts included). */
export interface SlackCall {
  /** Web API method, e.g. `chat.postMessage`. */
  method: string;
  /** Decoded arguments; JSON-string fields (`blocks`, `attachments`, `view`, `metadata`) are parsed. Form values otherwise stay strings. */
  args: Record<string, unknown>;
  /** Token from `Authorization: Bearer ...` (or a `token` argument), so tests can assert which token was used. */
  token: string | undefined;
  at: Date;
}

/** Current state of a message posted through the fake, with every `chat.update` applied. */
export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown;
  attachments?: unknown;
  metadata?: unknown;
  thread_ts?: string;
  /** Bot user that posted it. */
  user: string;
  /** How many times `chat.update` changed it. */
  updates: number;
  /** When it was last posted or changed (ms since the epoch): the sandbox measures how soon the page shows a change. */
  changedAt?: number;
}

/** An ephemeral message (`chat.postEphemeral`); Slack never lets the bot read these back, so they are only recorded. */
export interface SlackEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown;
  message_ts: string;
  /** Set on ephemerals posted in a thread. */
  thread_ts?: string;
  /** Milliseconds since the epoch when it was posted (the sandbox orders messages by it). */
  at?: number;
}

/**
 * A file uploaded the external way: `files.getUploadURLExternal` (name, declared length), a POST of its bytes to the
 * upload URL, then `files.completeUploadExternal` (where it was shared, with which comment).
 */
export interface SlackUploadedFile {
  id: string;
  filename: string;
  /** The length the app declared. */
  length: number;
  /** The bytes POSTed to the upload URL; undefined until then. */
  content?: Buffer;
  /** The upload's `content-length` and `content-type` headers. */
  headers?: { contentLength?: string; contentType?: string };
  title?: string;
  /** The `alt_text` given to `files.getUploadURLExternal` (an image's description for screen readers). */
  altText?: string;
  /** Set by `files.completeUploadExternal`. */
  channel?: string;
  /** The `thread_ts` of `files.completeUploadExternal`: the file is a reply in that message's thread. */
  threadTs?: string;
  initialComment?: string;
  completed: boolean;
  /** A ts for the file's message, between the messages posted before and after it (it does not use up a message ts). */
  ts?: string;
}

/** A JSON body that the app POSTed to a `response_url` (Bolt's `respond()`). */
export interface SlackResponseUrlPost {
  id: string;
  body: unknown;
  at: Date;
}

/** Where a `response_url` was handed out: Slack applies posts to it there (see {@link FakeSlack.responseUrlFor}). */
export interface SlackResponseContext {
  channel: string;
  /** The person who clicked or typed: ephemeral answers are theirs. */
  user: string;
  /** The message the action came from (`replace_original` / `delete_original` act on it). */
  messageTs?: string;
  /** Set when the action came from an ephemeral message: `replace_original` replaces that ephemeral. */
  ephemeralTs?: string;
  threadTs?: string;
}

/** A modal opened with `views.open` (or pushed), until it is closed. */
export interface SlackOpenedView {
  triggerId: string;
  view: Record<string, unknown>;
  /** Set once the modal was closed (`closeView`). */
  closed?: boolean;
}

/** Something a person would see change in Slack; see {@link FakeSlack.onChange}. */
export type SlackChange =
  | { kind: 'message'; message: SlackMessage }
  | { kind: 'message_deleted'; channel: string; ts: string }
  | { kind: 'ephemeral'; ephemeral: SlackEphemeral }
  | { kind: 'ephemeral_deleted'; ephemeral: SlackEphemeral }
  | { kind: 'home'; user: string; view: unknown }
  | { kind: 'view'; view: Record<string, unknown>; triggerId: string }
  | { kind: 'view_closed'; id: string }
  | { kind: 'file'; file: SlackUploadedFile }
  | { kind: 'response'; response: SlackResponseUrlPost };

/** What the next call(s) to a method should fail with; see {@link FakeSlack.failNext}. */
export interface SlackFailure {
  /** Non-200 HTTP status (WebClient turns it into a `WebAPIHTTPError` after its retries). */
  status?: number;
  /** Slack error code for a 200 `{ ok: false, error }` answer; default `internal_error`. */
  error?: string;
  /** Answer 429 with this `Retry-After`, exactly how Slack rate-limits. Wins over `status`/`error`. */
  retryAfterSeconds?: number;
  /** How many consecutive calls fail; default 1. */
  times?: number;
}

/** Identity the fake reports for the bot and workspace. */
export interface FakeSlackOptions {
  teamId?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  /**
   * Message timestamps from the clock, as Slack makes them (the sandbox shows them as times of day). Default: from a
   * fixed base, 100 µs apart, so that tests see the same ids on every run.
   */
  clockTs?: boolean;
}

/** Minimal profile returned by `users.info`. */
export interface SlackUserProfile {
  name?: string;
  real_name?: string;
  tz?: string;
  is_bot?: boolean;
}

/** Handle on a running fake Slack; see {@link startFakeSlack}. */
export interface FakeSlack {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Value for WebClient's `slackApiUrl`: `${url}/api/`. */
  readonly apiUrl: string;
  /** Every Web API call, in arrival order. */
  readonly calls: SlackCall[];
  /** Every POST to a `response_url`, in arrival order. */
  readonly responses: SlackResponseUrlPost[];
  /** Messages keyed by `${channel}:${ts}`; see {@link FakeSlack.message}. */
  readonly messages: Map<string, SlackMessage>;
  readonly ephemerals: SlackEphemeral[];
  /** Last `views.publish` view per user id (App Home). */
  readonly homeViews: Map<string, unknown>;
  /** Dialogs opened with `views.open`, in order. */
  readonly openedViews: SlackOpenedView[];
  /** Files uploaded through `files.getUploadURLExternal`, in the order their URLs were asked for. */
  readonly uploads: SlackUploadedFile[];
  /** The direct message channel `conversations.open` gave for a user id (`D` + the id without its first letter). */
  dmChannel(userId: string): string;
  /** Completed uploads shared in `channel`, in order (thread replies included). */
  filesIn(channel: string): SlackUploadedFile[];
  /** Completed uploads shared as replies in the thread of `threadTs` in `channel`, in order. */
  filesInThread(channel: string, threadTs: string): SlackUploadedFile[];
  /** Calls to one method, in order. */
  callsTo(method: string): SlackCall[];
  /** Resolves with the first call to `method` matching `predicate` (already received or arriving within `timeoutMs`, default 2000). */
  waitForCall(method: string, predicate?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** Latest state of a message, or undefined when it was never posted. */
  message(channel: string, ts: string): SlackMessage | undefined;
  /** The most recently posted (not updated) message in a channel. */
  lastMessageIn(channel: string): SlackMessage | undefined;
  /** Members of a user group for `usergroups.users.list`; unknown groups answer `no_such_subteam`. */
  setUserGroup(usergroupId: string, userIds: string[]): void;
  /** Profile for `users.info`; unknown `U…`/`W…` ids get a synthesised minimal profile. */
  setUser(userId: string, profile: SlackUserProfile): void;
  /** Makes every method except `response_url` posts answer `invalid_auth` unless called with this token. */
  requireToken(token: string): void;
  /**
   * Makes the next call(s) to `method` fail. Use method `'response_url'` to fail `response_url` posts
   * (e.g. `{ status: 404 }` for an expired URL) and `'file_upload'` to fail POSTs to upload URLs. Injections queue up per method.
   */
  failNext(method: string, failure?: SlackFailure): void;
  /**
   * Slack's pace for new messages: a `chat.postMessage` (thread replies included) past `perSecond` (default 1) in one
   * channel within one second of the fake's clock (`now`, default real time) is answered 429 with `Retry-After` (the
   * seconds to the next second), as Slack answers a burst. `false` turns it off again.
   */
  limitPostRate(options?: { perSecond?: number; now?: () => number } | false): void;
  /** `chat.postMessage` calls answered 429 by {@link limitPostRate}, in order. */
  readonly rateLimited: SlackCall[];
  /** A `response_url` to put in slash-command / block-action payloads; posts land in {@link FakeSlack.responses}. */
  responseUrl(id?: string): string;
  /** Posts received on one `response_url` id. */
  responsesTo(id: string): SlackResponseUrlPost[];
  /**
   * A `response_url` whose posts Slack applies where the action happened: `response_type: 'in_channel'` posts a message,
   * otherwise an ephemeral for `context.user`; `replace_original: true` replaces the original message (or ephemeral),
   * `delete_original: true` deletes it. Posts are recorded in {@link responses} as for {@link responseUrl}.
   */
  responseUrlFor(context: SlackResponseContext, id?: string): string;
  /** Calls `listener` after every change a person would see (messages, ephemerals, App Home, modals, files, response_url posts). */
  onChange(listener: (change: SlackChange) => void): () => void;
  /** A message typed by a person (not the bot): it has the person's user id. */
  postAs(user: string, channel: string, text: string, threadTs?: string): SlackMessage;
  /** Records an ephemeral shown to `user`, e.g. a slash command's synchronous answer. */
  addEphemeral(ephemeral: Omit<SlackEphemeral, 'message_ts' | 'at'>): SlackEphemeral;
  /** Closes a modal opened with `views.open` (the person pressed Cancel, or it was submitted). */
  closeView(id: string): boolean;
  /** Replaces an open modal's view, as `response_action: 'update'` does. */
  replaceView(id: string, view: Record<string, unknown>): boolean;
  /** An uploaded file by id (its bytes are also served at `GET ${url}/files/<id>`). */
  file(id: string): SlackUploadedFile | undefined;
  /** Everything a person sees (messages, ephemerals, homes, modals, uploads, groups, users), as JSON; see {@link restore}. */
  snapshot(): unknown;
  /** Puts back what {@link snapshot} returned (after {@link reset}); throws on something that is not a snapshot. */
  restore(snapshot: unknown): void;
  /** Forgets calls, messages, groups, users, injected failures and the token requirement. */
  reset(): void;
  close(): Promise<void>;
}

/** What {@link FakeSlack.snapshot} returns: plain JSON (file bytes in base64). */
export interface SlackSnapshot {
  version: 1;
  tsCounter: number;
  responseUrlCounter: number;
  messages: SlackMessage[];
  ephemerals: SlackEphemeral[];
  homeViews: Array<[string, unknown]>;
  openedViews: SlackOpenedView[];
  uploads: Array<Omit<SlackUploadedFile, 'content'> & { content?: string }>;
  usedTriggers: string[];
  userGroups: Array<[string, string[]]>;
  users: Array<[string, SlackUserProfile]>;
  responseContexts: Array<[string, SlackResponseContext]>;
}

/** The content type of a file, from its name: foxops uploads PNG graphs. */
function mimeOf(filename: string): string {
  if (/\.png$/i.test(filename)) return 'image/png';
  if (/\.(jpe?g)$/i.test(filename)) return 'image/jpeg';
  if (/\.json$/i.test(filename)) return 'application/json';
  if (/\.(txt|csv|log)$/i.test(filename)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** Fields WebClient JSON-stringifies into the form body; decoded back so tests can assert on objects. */
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata', 'unfurls', 'files'];

/** Slack's first ts is arbitrary; a fixed base keeps ids readable and deterministic across runs. */
const TS_BASE_SECONDS = 1_700_000_000;

/**
 * Starts a fake Slack Web API on 127.0.0.1 (ephemeral port).
 *
 * Implements `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `chat.getPermalink`,
 * `usergroups.users.list`, `users.info`, `views.publish`, `views.open`, `conversations.info`, `conversations.open` (one
 * user), `files.getUploadURLExternal` and `files.completeUploadExternal` with the upload URL in between; anything else
 * answers `{ ok: false, error: 'unknown_method' }` like Slack does.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const identity = {
    teamId: options.teamId ?? 'T0FOXY',
    teamName: options.teamName ?? 'Foxy',
    botUserId: options.botUserId ?? 'U0FOXOPS',
    botId: options.botId ?? 'B0FOXOPS',
  };
  const calls: SlackCall[] = [];
  const responses: SlackResponseUrlPost[] = [];
  const messages = new Map<string, SlackMessage>();
  const ephemerals: SlackEphemeral[] = [];
  const homeViews = new Map<string, unknown>();
  const openedViews: SlackOpenedView[] = [];
  const responseContexts = new Map<string, SlackResponseContext>();
  const listeners = new Set<(change: SlackChange) => void>();
  // A listener that throws must not break the API answer foxops is waiting for.
  const emit = (change: SlackChange): void => {
    if (change.kind === 'message') change.message.changedAt = Date.now();
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // ignored on purpose
      }
    }
  };
  let fileTsCounter = 0;
  const uploads: SlackUploadedFile[] = [];
  const dmChannel = (userId: string) => `D${userId.slice(1)}`;
  const usedTriggers = new Set<string>();
  const userGroups = new Map<string, string[]>();
  const users = new Map<string, SlackUserProfile>();
  const failures = new Map<string, Array<SlackFailure & { times: number }>>();
  let requiredToken: string | undefined;
  let postRate: { perSecond: number; now: () => number } | undefined;
  /** Posts taken per `${channel}:${second}` while the pace is on. */
  const postsPerSecond = new Map<string, number>();
  const rateLimited: SlackCall[] = [];
  let tsCounter = 0;
  let responseUrlCounter = 0;

  /** The microseconds of the last timestamp given, for a ts that must come right after it (an upload). */
  let lastMicros = 0;
  const tsOf = (micros: number): string => `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  const nextTs = (): string => {
    // Step 100 µs per message: unique, strictly increasing and shaped like "1700000000.000100".
    tsCounter += 1;
    lastMicros = options.clockTs ? Math.max(lastMicros + 100, Date.now() * 1000) : TS_BASE_SECONDS * 1_000_000 + tsCounter * 100;
    return tsOf(lastMicros);
  };
  const key = (channel: string, ts: string): string => `${channel}:${ts}`;
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

  /** Takes the next queued failure for `method`, if any. */
  const takeFailure = (method: string): SlackFailure | undefined => {
    const queue = failures.get(method);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.times -= 1;
    if (head.times <= 0) queue.shift();
    return head;
  };

  const messageJson = (m: SlackMessage) => ({
    type: 'message',
    user: m.user,
    bot_id: identity.botId,
    team: identity.teamId,
    ts: m.ts,
    text: m.text ?? '',
    ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
    ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
    ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
    ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    ...(m.updates > 0 ? { edited: { user: m.user, ts: m.ts } } : {}),
  });

  type Result = Record<string, unknown>;
  const handlers: Record<string, (args: Record<string, unknown>) => Result> = {
    'auth.test': () => ({
      url: `https://${identity.teamName.toLowerCase()}.slack.com/`,
      team: identity.teamName,
      user: 'foxops',
      team_id: identity.teamId,
      user_id: identity.botUserId,
      bot_id: identity.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const channel = str(args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) {
        return { ok: false, error: 'no_text' };
      }
      const message: SlackMessage = {
        channel,
        ts: nextTs(),
        user: identity.botUserId,
        updates: 0,
        ...(typeof args.text === 'string' ? { text: args.text } : {}),
        ...(args.blocks !== undefined ? { blocks: args.blocks } : {}),
        ...(args.attachments !== undefined ? { attachments: args.attachments } : {}),
        ...(args.metadata !== undefined ? { metadata: args.metadata } : {}),
        ...(str(args.thread_ts) ? { thread_ts: String(args.thread_ts) } : {}),
      };
      messages.set(key(channel, message.ts), message);
      emit({ kind: 'message', message });
      return { channel, ts: message.ts, message: messageJson(message) };
    },
    'chat.update': (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const message = ts ? messages.get(key(channel, ts)) : undefined;
      if (!message) return { ok: false, error: 'message_not_found' };
      // chat.update replaces only the fields it is given, like Slack.
      if (typeof args.text === 'string') message.text = args.text;
      if (args.blocks !== undefined) message.blocks = args.blocks;
      if (args.attachments !== undefined) message.attachments = args.attachments;
      if (args.metadata !== undefined) message.metadata = args.metadata;
      message.updates += 1;
      emit({ kind: 'message', message });
      return { channel, ts: message.ts, text: message.text ?? '', message: messageJson(message) };
    },
    'chat.postEphemeral': (args) => {
      const channel = str(args.channel);
      const user = str(args.user);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!user) return { ok: false, error: 'user_not_found' };
      const ephemeral: SlackEphemeral = {
        channel,
        user,
        message_ts: nextTs(),
        at: Date.now(),
        ...(typeof args.text === 'string' ? { text: args.text } : {}),
        ...(args.blocks !== undefined ? { blocks: args.blocks } : {}),
        ...(str(args.thread_ts) ? { thread_ts: String(args.thread_ts) } : {}),
      };
      ephemerals.push(ephemeral);
      emit({ kind: 'ephemeral', ephemeral });
      return { message_ts: ephemeral.message_ts };
    },
    'chat.getPermalink': (args) => {
      const channel = str(args.channel);
      const ts = str(args.message_ts);
      // Strict on purpose: a wrong ts in a permalink is a real bug the fake should surface.
      if (!channel || !ts || !messages.has(key(channel, ts))) return { ok: false, error: 'message_not_found' };
      return {
        channel,
        permalink: `https://${identity.teamName.toLowerCase()}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
      };
    },
    'usergroups.users.list': (args) => {
      const members = userGroups.get(String(args.usergroup ?? ''));
      return members ? { users: [...members] } : { ok: false, error: 'no_such_subteam' };
    },
    'users.info': (args) => {
      const id = String(args.user ?? '');
      const profile = users.get(id) ?? (/^[UW][A-Z0-9]+$/.test(id) ? {} : undefined);
      if (!profile) return { ok: false, error: 'user_not_found' };
      const name = profile.name ?? id.toLowerCase();
      const realName = profile.real_name ?? name;
      return {
        user: {
          id,
          team_id: identity.teamId,
          name,
          real_name: realName,
          tz: profile.tz ?? 'Europe/Berlin',
          is_bot: profile.is_bot ?? false,
          deleted: false,
          profile: { real_name: realName, display_name: name },
        },
      };
    },
    'views.publish': (args) => {
      const userId = str(args.user_id);
      if (!userId) return { ok: false, error: 'invalid_arguments' };
      if (typeof args.view !== 'object' || args.view === null) return { ok: false, error: 'invalid_arguments' };
      homeViews.set(userId, args.view);
      emit({ kind: 'home', user: userId, view: args.view });
      return { view: { id: `V0HOME${userId}`, team_id: identity.teamId, ...(args.view as object) } };
    },
    'views.open': (args) => {
      const trigger = str(args.trigger_id);
      // Slack accepts each trigger id once (and only for 3 seconds).
      if (!trigger) return { ok: false, error: 'invalid_arguments' };
      if (usedTriggers.has(trigger)) return { ok: false, error: 'expired_trigger_id' };
      if (typeof args.view !== 'object' || args.view === null) return { ok: false, error: 'invalid_arguments' };
      usedTriggers.add(trigger);
      const view = { id: `V0MODAL${openedViews.length + 1}`, team_id: identity.teamId, ...(args.view as object) };
      openedViews.push({ triggerId: trigger, view });
      emit({ kind: 'view', view, triggerId: trigger });
      return { view };
    },
    'conversations.info': (args) => {
      const id = String(args.channel ?? '');
      if (!/^[CGD][A-Z0-9]+$/.test(id)) return { ok: false, error: 'channel_not_found' };
      return {
        channel: {
          id,
          name: id.toLowerCase(),
          is_channel: id.startsWith('C'),
          is_private: id.startsWith('G'),
          is_im: id.startsWith('D'),
          is_member: true,
          is_archived: false,
        },
      };
    },
    'conversations.open': (args) => {
      const users = String(args.users ?? '')
        .split(',')
        .filter(Boolean);
      if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
      // A group DM (several users) is not something foxops opens.
      if (users.length > 1) return { ok: false, error: 'method_not_supported_for_channel_type' };
      if (!/^[UW][A-Z0-9]+$/.test(users[0]!)) return { ok: false, error: 'user_not_found' };
      return { channel: { id: dmChannel(users[0]!) } };
    },
    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename || !Number.isInteger(length) || length < 0) return { ok: false, error: 'invalid_arguments' };
      const id = `F${String(uploads.length + 1).padStart(8, '0')}`;
      uploads.push({ id, filename, length, completed: false, ...(str(args.alt_text) ? { altText: String(args.alt_text) } : {}) });
      return { upload_url: `${server.url}/upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (args) => {
      const listed = Array.isArray(args.files) ? (args.files as Array<{ id?: string; title?: string }>) : undefined;
      if (!listed?.length) return { ok: false, error: 'invalid_arguments' };
      const found = listed.map((f) => uploads.find((u) => u.id === f.id));
      // Strict like Slack: a file whose bytes never arrived cannot be completed.
      if (found.some((u) => !u?.content)) return { ok: false, error: 'file_not_found' };
      const channel = str(args.channel_id);
      const threadTs = str(args.thread_ts);
      // A reply needs the one channel its thread is in.
      if (threadTs && !channel) return { ok: false, error: 'invalid_arguments' };
      listed.forEach((f, i) => {
        const upload = found[i]!;
        upload.completed = true;
        if (f.title) upload.title = f.title;
        if (channel) upload.channel = channel;
        if (threadTs) upload.threadTs = threadTs;
        if (typeof args.initial_comment === 'string') upload.initialComment = args.initial_comment;
        // Between the message before it and the next one, without taking a message ts (tests count those).
        fileTsCounter = (fileTsCounter % 98) + 1;
        upload.ts = tsOf((lastMicros || TS_BASE_SECONDS * 1_000_000) + fileTsCounter);
        emit({ kind: 'file', file: upload });
      });
      return { files: found.map((u) => ({ id: u!.id, title: u!.title ?? u!.filename })) };
    },
  };

  /** Form or JSON body → arguments, with JSON-string fields turned back into objects. */
  const decodeArgs = (req: IncomingMessage, body: Buffer): Record<string, unknown> => {
    const contentType = req.headers['content-type'] ?? '';
    let args: Record<string, unknown> = {};
    if (contentType.includes('application/json')) {
      const parsed = parseJsonBody(body);
      if (parsed && typeof parsed === 'object') args = { ...(parsed as Record<string, unknown>) };
    } else {
      args = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    }
    for (const field of JSON_FIELDS) {
      const value = args[field];
      if (typeof value === 'string') {
        try {
          args[field] = JSON.parse(value) as unknown;
        } catch {
          // Leave it as sent: Slack would reject it, and the test can see the raw string.
        }
      }
    }
    return args;
  };

  const tokenOf = (req: IncomingMessage, args: Record<string, unknown>): string | undefined => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    return match?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
  };

  /** Writes an injected failure; returns false when there is none. */
  const answerFailure = (res: ServerResponse, failure: SlackFailure | undefined): boolean => {
    if (!failure) return false;
    if (failure.retryAfterSeconds !== undefined) {
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds) });
    } else if (failure.status !== undefined && failure.status !== 200) {
      sendJson(res, failure.status, { ok: false, error: failure.error ?? 'http_error' });
    } else {
      sendJson(res, 200, { ok: false, error: failure.error ?? 'internal_error' });
    }
    return true;
  };

  /** Applies a post to a `response_url` handed out by `responseUrlFor`, as Slack shows it. */
  const applyResponse = (id: string, body: unknown): void => {
    const context = responseContexts.get(id);
    if (!context || typeof body !== 'object' || body === null) return;
    const b = body as Record<string, unknown>;
    const content = {
      ...(typeof b.text === 'string' ? { text: b.text } : {}),
      ...(Array.isArray(b.blocks) ? { blocks: b.blocks } : {}),
      ...(Array.isArray(b.attachments) ? { attachments: b.attachments } : {}),
    };
    if (b.delete_original === true) {
      if (context.ephemeralTs) {
        const index = ephemerals.findIndex((e) => e.message_ts === context.ephemeralTs);
        if (index >= 0) emit({ kind: 'ephemeral_deleted', ephemeral: ephemerals.splice(index, 1)[0]! });
      } else if (context.messageTs && messages.delete(key(context.channel, context.messageTs))) {
        emit({ kind: 'message_deleted', channel: context.channel, ts: context.messageTs });
      }
      return;
    }
    if (b.replace_original === true) {
      if (context.ephemeralTs) {
        const ephemeral = ephemerals.find((e) => e.message_ts === context.ephemeralTs);
        if (ephemeral) {
          delete ephemeral.text;
          delete ephemeral.blocks;
          Object.assign(ephemeral, content);
          emit({ kind: 'ephemeral', ephemeral });
          return;
        }
      }
      const message = context.messageTs ? messages.get(key(context.channel, context.messageTs)) : undefined;
      if (message) {
        // Slack replaces the whole message with what was posted.
        delete message.text;
        delete message.blocks;
        delete message.attachments;
        Object.assign(message, content);
        message.updates += 1;
        emit({ kind: 'message', message });
        return;
      }
    }
    if (b.response_type === 'in_channel') {
      const message: SlackMessage = {
        channel: context.channel,
        ts: nextTs(),
        user: identity.botUserId,
        updates: 0,
        ...content,
        ...(typeof b.thread_ts === 'string' ? { thread_ts: b.thread_ts } : context.threadTs ? { thread_ts: context.threadTs } : {}),
      };
      messages.set(key(message.channel, message.ts), message);
      emit({ kind: 'message', message });
      return;
    }
    const ephemeral: SlackEphemeral = {
      channel: context.channel,
      user: context.user,
      message_ts: nextTs(),
      at: Date.now(),
      ...(content.text !== undefined ? { text: content.text } : {}),
      ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
      ...(context.threadTs ? { thread_ts: context.threadTs } : {}),
    };
    ephemerals.push(ephemeral);
    emit({ kind: 'ephemeral', ephemeral });
  };

  const server = await startLoopbackServer('slack', (req, res, body) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;

    const respondMatch = /^\/respond\/([^/]+)$/.exec(path);
    if (respondMatch && req.method === 'POST') {
      const id = decodeURIComponent(respondMatch[1] ?? '');
      const response: SlackResponseUrlPost = { id, body: parseJsonBody(body), at: new Date() };
      responses.push(response);
      if (answerFailure(res, takeFailure('response_url'))) return;
      applyResponse(id, response.body);
      emit({ kind: 'response', response });
      sendJson(res, 200, { ok: true });
      return;
    }

    const fileMatch = /^\/files\/([A-Z0-9]+)$/.exec(path);
    if (fileMatch && req.method === 'GET') {
      const upload = uploads.find((u) => u.id === fileMatch[1]);
      if (!upload?.content) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
      res.writeHead(200, { 'content-type': mimeOf(upload.filename), 'content-length': upload.content.length });
      res.end(upload.content);
      return;
    }

    const uploadMatch = /^\/upload\/([A-Z0-9]+)$/.exec(path);
    if (uploadMatch && req.method === 'POST') {
      if (answerFailure(res, takeFailure('file_upload'))) return;
      const upload = uploads.find((u) => u.id === uploadMatch[1]);
      if (!upload) return sendJson(res, 404, { ok: false, error: 'not_found' });
      upload.content = body;
      upload.headers = { contentLength: req.headers['content-length'], contentType: req.headers['content-type'] };
      // Slack answers the upload URL in plain text.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(`OK - ${body.length}`) });
      res.end(`OK - ${body.length}`);
      return;
    }

    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
    if (!apiMatch) {
      sendJson(res, 404, { ok: false, error: 'not_found' });
      return;
    }
    const method = apiMatch[1] ?? '';
    const args = decodeArgs(req, body);
    const token = tokenOf(req, args);
    calls.push({ method, args, token, at: new Date() });

    if (answerFailure(res, takeFailure(method))) return;
    if (postRate && method === 'chat.postMessage' && typeof args.channel === 'string') {
      const now = postRate.now();
      const second = Math.floor(now / 1000);
      const key = `${args.channel}:${second}`;
      const taken = postsPerSecond.get(key) ?? 0;
      if (taken >= postRate.perSecond) {
        rateLimited.push(calls.at(-1)!);
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(Math.max(1, Math.ceil(((second + 1) * 1000 - now) / 1000))) });
      }
      postsPerSecond.set(key, taken + 1);
    }
    if (token === undefined) return sendJson(res, 200, { ok: false, error: 'not_authed' });
    if (requiredToken !== undefined && token !== requiredToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    const handler = handlers[method];
    if (!handler) return sendJson(res, 200, { ok: false, error: 'unknown_method' });
    sendJson(res, 200, { ok: true, ...handler(args) });
  });

  return {
    url: server.url,
    apiUrl: `${server.url}/api/`,
    calls,
    responses,
    messages,
    ephemerals,
    homeViews,
    openedViews,
    uploads,
    dmChannel,
    filesIn: (channel) => uploads.filter((u) => u.completed && u.channel === channel),
    filesInThread: (channel, threadTs) => uploads.filter((u) => u.completed && u.channel === channel && u.threadTs === threadTs),
    callsTo: (method) => calls.filter((call) => call.method === method),
    waitForCall: (method, predicate = () => true, timeoutMs = 2000) =>
      pollUntil(() => calls.find((call) => call.method === method && predicate(call)), timeoutMs, `Slack ${method} call`),
    message: (channel, ts) => messages.get(key(channel, ts)),
    lastMessageIn(channel) {
      let last: SlackMessage | undefined;
      // Map preserves insertion order, i.e. posting order.
      for (const message of messages.values()) if (message.channel === channel) last = message;
      return last;
    },
    setUserGroup: (usergroupId, userIds) => void userGroups.set(usergroupId, [...userIds]),
    setUser: (userId, profile) => void users.set(userId, { ...profile }),
    requireToken: (token) => void (requiredToken = token),
    limitPostRate(options = {}) {
      postRate = options === false ? undefined : { perSecond: options.perSecond ?? 1, now: options.now ?? Date.now };
    },
    rateLimited,
    failNext(method, failure = {}) {
      const queue = failures.get(method) ?? [];
      queue.push({ ...failure, times: failure.times ?? 1 });
      failures.set(method, queue);
    },
    responseUrl(id) {
      responseUrlCounter += 1;
      return `${server.url}/respond/${encodeURIComponent(id ?? `r${responseUrlCounter}`)}`;
    },
    responsesTo: (id) => responses.filter((response) => response.id === id),
    responseUrlFor(context, id) {
      responseUrlCounter += 1;
      const name = id ?? `r${responseUrlCounter}`;
      responseContexts.set(name, { ...context });
      return `${server.url}/respond/${encodeURIComponent(name)}`;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    postAs(user, channel, text, threadTs) {
      const message: SlackMessage = { channel, ts: nextTs(), user, updates: 0, text, ...(threadTs ? { thread_ts: threadTs } : {}) };
      messages.set(key(channel, message.ts), message);
      emit({ kind: 'message', message });
      return message;
    },
    addEphemeral(input) {
      const ephemeral: SlackEphemeral = { ...input, message_ts: nextTs(), at: Date.now() };
      ephemerals.push(ephemeral);
      emit({ kind: 'ephemeral', ephemeral });
      return ephemeral;
    },
    closeView(id) {
      const opened = openedViews.find((v) => v.view.id === id && !v.closed);
      if (!opened) return false;
      opened.closed = true;
      emit({ kind: 'view_closed', id });
      return true;
    },
    replaceView(id, view) {
      const opened = openedViews.find((v) => v.view.id === id && !v.closed);
      if (!opened) return false;
      opened.view = { id, team_id: identity.teamId, ...view };
      emit({ kind: 'view', view: opened.view, triggerId: opened.triggerId });
      return true;
    },
    file: (id) => uploads.find((u) => u.id === id),
    snapshot(): SlackSnapshot {
      return {
        version: 1,
        tsCounter,
        responseUrlCounter,
        messages: [...messages.values()],
        ephemerals,
        homeViews: [...homeViews.entries()],
        openedViews,
        uploads: uploads.map((u) => ({ ...u, content: u.content?.toString('base64') })),
        usedTriggers: [...usedTriggers],
        userGroups: [...userGroups.entries()],
        users: [...users.entries()],
        responseContexts: [...responseContexts.entries()],
      };
    },
    restore(snapshot) {
      const snap = snapshot as Partial<SlackSnapshot> | null;
      if (snap?.version !== 1 || !Array.isArray(snap.messages)) throw new Error('fake Slack: not a snapshot of version 1');
      tsCounter = snap.tsCounter ?? 0;
      lastMicros = options.clockTs ? 0 : TS_BASE_SECONDS * 1_000_000 + tsCounter * 100;
      responseUrlCounter = snap.responseUrlCounter ?? 0;
      messages.clear();
      for (const m of snap.messages) messages.set(key(m.channel, m.ts), { ...m });
      ephemerals.splice(0, ephemerals.length, ...(snap.ephemerals ?? []));
      homeViews.clear();
      for (const [user, view] of snap.homeViews ?? []) homeViews.set(user, view);
      openedViews.splice(0, openedViews.length, ...(snap.openedViews ?? []));
      uploads.splice(
        0,
        uploads.length,
        ...(snap.uploads ?? []).map((u) => ({ ...u, content: u.content === undefined ? undefined : Buffer.from(u.content, 'base64') })),
      );
      usedTriggers.clear();
      for (const t of snap.usedTriggers ?? []) usedTriggers.add(t);
      userGroups.clear();
      for (const [id, members] of snap.userGroups ?? []) userGroups.set(id, members);
      users.clear();
      for (const [id, profile] of snap.users ?? []) users.set(id, profile);
      responseContexts.clear();
      for (const [id, context] of snap.responseContexts ?? []) responseContexts.set(id, context);
    },
    reset() {
      responseContexts.clear();
      calls.length = 0;
      responses.length = 0;
      ephemerals.length = 0;
      messages.clear();
      homeViews.clear();
      openedViews.length = 0;
      uploads.length = 0;
      usedTriggers.clear();
      userGroups.clear();
      users.clear();
      failures.clear();
      requiredToken = undefined;
      postRate = undefined;
      postsPerSecond.clear();
      rateLimited.length = 0;
    },
    close: () => server.close(),
  };
}
