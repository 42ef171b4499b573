/**
 * One message per alarm episode: how a stream of CloudWatch state changes becomes few Slack messages without losing
 * one change. Pure: the alarm job (src/alarms/episodes.ts) reads these items, decides here, writes them back with
 * conditional writes, and carries the Slack side out from what is stored.
 *
 * - An **episode** is one alarm's story from the change that opened it until it has been out of ALARM for
 *   `new_message_after`: one message, edited as the state changes, with every later change in its thread. A change
 *   older than the one shown arrives late: the message keeps its state, the thread says "late". More than
 *   `flapping.changes` changes within `flapping.within` is flapping: the message says so with the count, and the
 *   changes are collected in one reply that is edited, instead of a reply each.
 * - A **storm**: past `storm.alarms` new messages in one channel within `storm.within`, new episodes get no message of
 *   their own but a line in the channel's **digest**, one message edited as alarms arrive, every change in its thread.
 * - A message and its thread (an {@link AlarmThread}) keep what Slack should show next to what it shows; one job at a
 *   time (the claim) brings Slack up to date, step by step ({@link nextThreadStep}), recording each step.
 */
import type { AlarmNotice, AlarmReport, AlarmState, AlarmTarget } from './alarm.js';
import type { Catalog } from './catalog.js';

/** How changes are grouped into messages (`alarms:` in foxops.yml). */
export interface EpisodeSettings {
  /** More than `changes` state changes of one alarm within `withinMs` is flapping. */
  flapping: { changes: number; withinMs: number };
  /** More than `alarms` new alarm messages in one channel within `withinMs` is a storm: later alarms go into a digest. */
  storm: { alarms: number; withinMs: number };
  /** A change this long after an alarm left ALARM opens a new episode (a new message); a sooner one reuses the message. */
  newMessageAfterMs: number;
}

/** The settings when foxops.yml says nothing. */
export const DEFAULT_EPISODE_SETTINGS: EpisodeSettings = {
  flapping: { changes: 5, withinMs: 10 * 60_000 },
  storm: { alarms: 10, withinMs: 60_000 },
  newMessageAfterMs: 30 * 60_000,
};

/** The {@link EpisodeSettings} of `catalog`: its `alarms:` keys, each defaulting to {@link DEFAULT_EPISODE_SETTINGS}. */
export function episodeSettingsOf(catalog: Pick<Catalog, 'alarms'>): EpisodeSettings {
  const a = catalog.alarms;
  return {
    flapping: a?.flapping ?? DEFAULT_EPISODE_SETTINGS.flapping,
    storm: a?.storm ?? DEFAULT_EPISODE_SETTINGS.storm,
    newMessageAfterMs: a?.newMessageAfterMs ?? DEFAULT_EPISODE_SETTINGS.newMessageAfterMs,
  };
}

/** Lines a log reply (the changes of a flapping alarm, or of a digest) lists before a new reply starts. */
export const LOG_REPLY_LINES = 100;
/** Alarms one digest lists; past this a new digest starts (Slack allows 50 blocks a message: 25 sections of 8 lines). */
export const DIGEST_MAX_ALARMS = 200;
/** Reasons are cut to this in the thread; the message keeps the full reason of the change it shows. */
const REASON_CHARS = 300;
/** Change ids remembered for spotting a repeated delivery: repeats come within minutes, not hundreds of changes later. */
const APPLIED_KEPT = 200;
/** Placements a storm window remembers (same reason). */
const PLACED_KEPT = 200;
/** Change times kept for the flapping count, at most. */
const RECENT_KEPT = 200;

/** One state change as a message or its thread shows it. */
export interface AlarmChange {
  /** Its place in the thread: the changes of one message are numbered from 0 in the order they were applied. */
  seq: number;
  /** The alarm (a digest lists several). */
  name: string;
  state: AlarmState;
  /** When CloudWatch changed the state (ISO). */
  at: string;
  /** CloudWatch's reason, cut short; absent in a digest, whose lines are short. */
  reason?: string;
  /** The change arrived after a newer one was shown (the state and time shown then): the thread says so, the message does not change. */
  late?: { state: AlarmState; at: string };
  /** For an OK after ALARM: how long it was in alarm. */
  alarmForMs?: number;
}

/** A reply posted in a thread: the changes `from` (inclusive) to `to` (exclusive); `log` lists several, one line each. */
export interface PostedReply {
  ts: string;
  from: number;
  to: number;
  log: boolean;
}

/**
 * A message and its thread: what they should show (`rev` of the message, the `changes` of the thread) next to what Slack
 * shows (`ts`, `shownRev`, `shownSeq`, `lastReply`), and which job is bringing Slack up to date (`claim`).
 */
export interface AlarmThread {
  channel: string;
  /** The message, once posted. */
  ts?: string;
  /** Grows with every change to what the message shows. */
  rev: number;
  /** The `rev` Slack shows. */
  shownRev: number;
  /** The thread's changes that Slack may not show in full yet (those of the last reply while it is open, and later ones), oldest first. */
  changes: AlarmChange[];
  /** The `seq` of the next change. */
  nextSeq: number;
  /** Every change before this `seq` is in a posted reply. */
  shownSeq: number;
  /** The newest reply; a log with room is edited to take more lines, earlier replies are final. */
  lastReply?: PostedReply;
  /** Replies posted so far. */
  replies: number;
  /** When the message or a reply was last edited (epoch ms of the wall clock), so that edits keep a pace. */
  editedAt?: number;
  /** The job bringing Slack up to date, until `until` (epoch ms of the wall clock: it is about processes, not alarms). */
  claim?: { by: string; until: number };
}

/** Flapping as shown: `count` changes within `withinMs`. */
export interface Flapping {
  count: number;
  withinMs: number;
}

/** One alarm's episode (see the module comment); stored as one item per alarm name, the newest episode replacing the last. */
export interface AlarmEpisode {
  name: string;
  /** `<name>@<time of the change that opened it>`: the same change always opens the same episode. */
  id: string;
  /** Where the alarm belongs; absent for alarms posted in `alarms.default_channel`. */
  target?: AlarmTarget;
  /** The alarm's AWS region, for the console link. */
  region?: string;
  /**
   * Its own message and thread. For an alarm in a storm digest (`digest`) it is never posted: its `changes` wait there
   * until the digest's thread shows them (`shownSeq`, pruned by {@link pruneShown}).
   */
  thread?: AlarmThread;
  /** The storm digest that lists it, instead of a message of its own. */
  digest?: DigestRef;
  openedAt: string;
  /** The state shown: the newest change's (late ones do not count). */
  state: AlarmState;
  stateAt: string;
  reason: string;
  /** The first change of the episode, shown in the message for good. */
  opening: { state: AlarmState; at: string };
  /** When the current stretch in ALARM began (cleared by OK). */
  alarmSince?: string;
  /** The OK that ended the last stretch in ALARM, and how long it lasted. */
  resolved?: { at: string; afterMs: number };
  /** Changes applied, late ones included. */
  changes: number;
  /** Times of the latest changes (ISO, unordered), for the flapping count. */
  recent: string[];
  /** Set while the alarm flaps (at the last change applied). */
  flapping?: Flapping;
  /** Ids (`<state>@<at>`) of the latest changes applied: a repeated delivery finds its change here and changes nothing. */
  applied: string[];
  /**
   * The report of the episode's first ALARM (what runs there, the likely cause, the rollback offer), or of a later one
   * when another deploy ran by then: the message shows it.
   */
  report?: AlarmReport;
  /** True once the hooks after the post (graph, act) ran for `report`. */
  hooked?: boolean;
  /** The stored version; writes are conditional on it. 0: not stored yet. */
  version: number;
}

/** Which digest: its channel and id. */
export interface DigestRef {
  channel: string;
  id: string;
}

/** One alarm in a digest, as its message lists it (from the alarm's episode). */
export interface DigestLine {
  name: string;
  target?: AlarmTarget;
  state: AlarmState;
  /** Since when it is in `state`. */
  at: string;
  /** Its changes listed in the digest's thread. */
  changes: number;
  flapping?: Flapping;
}

/**
 * The digest of a storm in one channel: one message listing its alarms, every change in its thread. The changes stay in
 * the alarms' own episodes (written by their alarm jobs, one alarm each) until the digest shows them: only the job
 * holding the digest's claim writes it (besides alarms joining), so a storm's jobs do not all race for one item.
 */
export interface AlarmDigest extends DigestRef {
  openedAt: string;
  /** The alarms it lists, in the order they joined. */
  members: string[];
  /** Per alarm: every change below this seq (of its episode's thread) is in a reply. */
  shown: Record<string, number>;
  /** A fingerprint of the lines the message shows; the message is edited when the lines differ. */
  shownLines?: string;
  /**
   * The message (`ts`) and thread: `lastReply` and, while that log reply has room, its lines in `changes`; `claim`.
   * `rev`, `shownRev` and `nextSeq` are unused: the lines come from the members.
   */
  thread: AlarmThread;
  version: number;
}

/** The storm window of one channel: the alarm messages of the last `storm.within`, and the digest while the storm lasts. */
export interface StormWindow {
  channel: string;
  /** Episodes that got a message of their own lately: id and when (ISO, arrival time). */
  messages: Array<{ id: string; at: string }>;
  /** The digest new episodes go into while the storm lasts: its id, when an alarm last joined it, how many it lists. */
  digest?: { id: string; lastAt: string; alarms: number };
  /** Placements made lately: deciding again for the same episode gives the same answer. */
  placed: Array<{ id: string; digest?: string }>;
  /** Digests opened in this channel: numbers the next one. */
  digests: number;
  version: number;
}

/** The identity of one change of one alarm, as the alarm job's key has it. */
export const changeId = (notice: Pick<AlarmNotice, 'state' | 'at'>): string => `${notice.state}@${notice.at}`;

const ms = (iso: string) => Date.parse(iso);
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const keepLast = <T>(items: T[], n: number) => (items.length > n ? items.slice(items.length - n) : items);

/** A fresh thread for a message not posted yet. */
export function newThread(channel: string): AlarmThread {
  return { channel, rev: 1, shownRev: 0, changes: [], nextSeq: 0, shownSeq: 0, replies: 0 };
}

/** `thread` with `change` added to it (its seq assigned) and the message due for an edit. */
function withChange(thread: AlarmThread, change: Omit<AlarmChange, 'seq'>): AlarmThread {
  return { ...thread, rev: thread.rev + 1, changes: [...thread.changes, { ...change, seq: thread.nextSeq }], nextSeq: thread.nextSeq + 1 };
}

/** True when `episode` is over for a change at `at`: out of ALARM for longer than `newMessageAfterMs`. */
function isOver(episode: AlarmEpisode, at: string, settings: EpisodeSettings): boolean {
  return episode.state !== 'ALARM' && ms(at) - ms(episode.stateAt) > settings.newMessageAfterMs;
}

/** Flapping within `within` of the newest of `times`, or undefined when the count is not above `changes`. */
function flappingOf(times: string[], settings: EpisodeSettings): { recent: string[]; flapping?: Flapping } {
  const newest = Math.max(...times.map(ms));
  const recent = keepLast(
    times.filter((t) => newest - ms(t) < settings.flapping.withinMs),
    RECENT_KEPT,
  );
  return { recent, ...(recent.length > settings.flapping.changes ? { flapping: { count: recent.length, withinMs: settings.flapping.withinMs } } : {}) };
}

/** Where a new episode is shown: in `channel`, with a message of its own or (in a storm) in the digest `digest`. */
export interface Placement {
  channel: string;
  digest?: string;
}

/** What the alarm job knows beside the change: where it belongs, where a new episode would go, the report of an ALARM. */
export interface ChangeInput {
  settings: EpisodeSettings;
  /** Where the alarm is routed now (used when the change opens an episode). */
  channel: string;
  target?: AlarmTarget;
  /** Set once the storm window was asked (see {@link placeEpisode}); needed only when the change opens an episode. */
  placement?: Placement;
  /** The report of this change when it is an ALARM; the episode keeps the first. */
  report?: AlarmReport;
}

/** What {@link applyAlarmChange} decided. */
export type ChangeDecision =
  /** The change was applied before (a repeated delivery, or SNS and EventBridge both): nothing to write. */
  | { kind: 'duplicate'; episode: AlarmEpisode }
  /** The change opens an episode, and where to show it is not known yet: ask the channel's storm window for `episodeId`. */
  | { kind: 'needs_placement'; episodeId: string; channel: string }
  /** Write `episode` (conditional on the version read); `change` is how the thread, or the digest, lists it. */
  | { kind: 'applied'; episode: AlarmEpisode; change: Omit<AlarmChange, 'seq'>; opened: boolean };

/**
 * Applies the state change `notice` to the alarm's stored episode (or none). A change already applied is a duplicate;
 * one that finds no episode, or one that is over, opens a new episode (once its placement is known); a change older
 * than the state shown is added as late (to the thread, not the message's state); any other updates the state, the
 * time in alarm, the flapping count and the message.
 */
export function applyAlarmChange(stored: AlarmEpisode | undefined, notice: AlarmNotice, input: ChangeInput): ChangeDecision {
  const id = changeId(notice);
  if (stored?.applied.includes(id)) return { kind: 'duplicate', episode: stored };
  const late = stored !== undefined && ms(notice.at) < ms(stored.stateAt);
  if (!stored || (!late && isOver(stored, notice.at, input.settings))) {
    const episodeId = `${notice.name}@${notice.at}`;
    if (!input.placement) return { kind: 'needs_placement', episodeId, channel: input.channel };
    return { kind: 'applied', ...openEpisode(stored, notice, episodeId, input.placement, input), opened: true };
  }
  const reason = cut(notice.reason, REASON_CHARS);
  const { recent, flapping } = flappingOf([...stored.recent, notice.at], input.settings);
  const base = { ...stored, changes: stored.changes + 1, recent, applied: keepLast([...stored.applied, id], APPLIED_KEPT) };
  delete base.flapping;
  if (flapping) base.flapping = flapping;
  if (late) {
    const change = { name: notice.name, state: notice.state, at: notice.at, reason, late: { state: stored.state, at: stored.stateAt } };
    // The episode's first ALARM, delivered after the OK that ended it: the message takes its report (the deploys, the
    // likely cause, the rollback offer) and its hooks run (graph, bake check), as if it had come in order; and the
    // message says how long it lasted.
    if (notice.state === 'ALARM' && input.report && base.report?.alarm.state !== 'ALARM') {
      base.report = input.report;
      base.hooked = false;
      if (stored.state === 'OK' && !stored.resolved && ms(stored.stateAt) > ms(notice.at))
        base.resolved = { at: stored.stateAt, afterMs: ms(stored.stateAt) - ms(notice.at) };
    }
    return { kind: 'applied', episode: stored.thread ? { ...base, thread: withChange(stored.thread, change) } : base, change, opened: false };
  }
  const next: AlarmEpisode = { ...base, state: notice.state, stateAt: notice.at, reason: notice.reason };
  const change: Omit<AlarmChange, 'seq'> = { name: notice.name, state: notice.state, at: notice.at, reason };
  if (notice.state === 'ALARM') {
    next.alarmSince ??= notice.at;
    delete next.resolved;
    // The message shows the deploys as they were at the first ALARM (an episode opened by OK gets them now), until a
    // deploy finished since: an ALARM after it takes the new report, so that it names that deploy as the likely cause
    // and the hooks (graph, bake check, auto-rollback) run for it.
    if (input.report && (next.report?.alarm.state !== 'ALARM' || input.report.current?.requestId !== next.report.current?.requestId)) {
      next.report = input.report;
      next.hooked = false;
    }
  } else if (notice.state === 'OK' && next.alarmSince) {
    const afterMs = ms(notice.at) - ms(next.alarmSince);
    next.resolved = { at: notice.at, afterMs };
    change.alarmForMs = afterMs;
    delete next.alarmSince;
  }
  return { kind: 'applied', episode: next.thread ? { ...next, thread: withChange(next.thread, change) } : next, change, opened: false };
}

/** A new episode opened by `notice`, replacing `previous` (whose applied ids it keeps, so its late repeats stay repeats). */
function openEpisode(
  previous: AlarmEpisode | undefined,
  notice: AlarmNotice,
  id: string,
  placement: Placement,
  input: ChangeInput,
): { episode: AlarmEpisode; change: Omit<AlarmChange, 'seq'> } {
  const episode: AlarmEpisode = {
    name: notice.name,
    id,
    ...(input.target ? { target: input.target } : {}),
    ...(notice.region ? { region: notice.region } : {}),
    ...(placement.digest ? { digest: { channel: placement.channel, id: placement.digest } } : {}),
    // In a digest, the opening change waits in the thread too: the digest's thread lists every change.
    thread: placement.digest ? withChange(newThread(placement.channel), openingChange(notice)) : newThread(placement.channel),
    openedAt: notice.at,
    state: notice.state,
    stateAt: notice.at,
    reason: notice.reason,
    opening: { state: notice.state, at: notice.at },
    ...(notice.state === 'ALARM' ? { alarmSince: notice.at } : {}),
    changes: 1,
    recent: [notice.at],
    applied: keepLast([...(previous?.applied ?? []), changeId(notice)], APPLIED_KEPT),
    ...(input.report ? { report: input.report, hooked: false } : {}),
    version: previous?.version ?? 0,
  };
  // The opening change is the message itself: the thread starts empty (in a digest, see above).
  return { episode, change: openingChange(notice) };
}

const openingChange = (notice: AlarmNotice): Omit<AlarmChange, 'seq'> => ({
  name: notice.name,
  state: notice.state,
  at: notice.at,
  reason: cut(notice.reason, REASON_CHARS),
});

/**
 * Where the new episode `episodeId` of `channel` is shown, arriving at `now`: a message of its own while the channel had
 * at most `storm.alarms` of those within `storm.within`, else the open digest (a new one when none is open, or it is
 * full). A digest stays open while alarms keep joining it within `storm.within`. Deciding again for the same episode
 * gives the same answer and changes nothing (`changed: false`).
 */
export function placeEpisode(
  stored: StormWindow | undefined,
  channel: string,
  episodeId: string,
  now: Date,
  settings: EpisodeSettings,
): { window: StormWindow; placement: Placement; changed: boolean } {
  const window: StormWindow = stored ?? { channel, messages: [], placed: [], digests: 0, version: 0 };
  const before = window.placed.find((p) => p.id === episodeId);
  if (before) return { window, placement: { channel, ...(before.digest ? { digest: before.digest } : {}) }, changed: false };
  const nowIso = now.toISOString();
  const withinStorm = (iso: string) => now.getTime() - ms(iso) <= settings.storm.withinMs;
  const messages = window.messages.filter((m) => withinStorm(m.at));
  // The storm lasts while alarms keep joining its digest; a full digest makes way for a new one, not for messages.
  const storm = window.digest && withinStorm(window.digest.lastAt) ? window.digest : undefined;
  let next: StormWindow;
  let digest: string | undefined;
  if (storm && storm.alarms < DIGEST_MAX_ALARMS) {
    digest = storm.id;
    next = { ...window, messages, digest: { id: storm.id, lastAt: nowIso, alarms: storm.alarms + 1 } };
  } else if (storm || messages.length >= settings.storm.alarms) {
    digest = `${nowIso}#${window.digests + 1}`;
    next = { ...window, messages, digest: { id: digest, lastAt: nowIso, alarms: 1 }, digests: window.digests + 1 };
  } else {
    next = { ...window, messages: [...messages, { id: episodeId, at: nowIso }] };
  }
  next.placed = keepLast([...window.placed, { id: episodeId, ...(digest ? { digest } : {}) }], PLACED_KEPT);
  return { window: next, placement: { channel, ...(digest ? { digest } : {}) }, changed: true };
}

/** `digest` (or a new one, `ref`, opened at `now`) with the alarm `name` among its members; unchanged when it is one. */
export function joinDigest(stored: AlarmDigest | undefined, ref: DigestRef, name: string, now: Date): { digest: AlarmDigest; changed: boolean } {
  const digest: AlarmDigest = stored ?? { ...ref, openedAt: now.toISOString(), members: [], shown: {}, thread: newThread(ref.channel), version: 0 };
  if (digest.members.includes(name)) return { digest, changed: false };
  return { digest: { ...digest, members: [...digest.members, name] }, changed: true };
}

/** `episode` without the changes its digest shows already (every seq below `shownSeq`). */
export function pruneShown(episode: AlarmEpisode, shownSeq: number): AlarmEpisode {
  if (!episode.thread || shownSeq <= episode.thread.shownSeq) return episode;
  return { ...episode, thread: { ...episode.thread, shownSeq, changes: episode.thread.changes.filter((c) => c.seq >= shownSeq) } };
}

/** The digest's lines: one per member, from its episode (a member whose episode moved on to a message of its own keeps its last line out). */
export function digestLines(digest: AlarmDigest, members: Array<AlarmEpisode | undefined>): DigestLine[] {
  return members
    .filter((e): e is AlarmEpisode => e?.digest?.id === digest.id && e.digest.channel === digest.channel)
    .map((e) => ({
      name: e.name,
      ...(e.target ? { target: e.target } : {}),
      state: e.state,
      at: e.stateAt,
      changes: e.changes,
      ...(e.flapping ? { flapping: e.flapping } : {}),
    }));
}

/** A short fingerprint of `lines` (FNV-1a of their JSON): enough to tell whether the message shows them. */
export function linesFingerprint(lines: DigestLine[]): string {
  let hash = 0x811c9dc5;
  const text = JSON.stringify(lines);
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${lines.length}:${hash.toString(16)}`;
}

/** What to do next for a digest; see {@link nextDigestStep}. `shown`: per member, the seq its changes are shown up to after the step. */
export type DigestStep =
  | { kind: 'post'; lines: DigestLine[]; fingerprint: string }
  | { kind: 'edit'; lines: DigestLine[]; fingerprint: string }
  /** Edit the open log reply to list `changes` (its lines so far, then new ones). */
  | { kind: 'extend'; reply: PostedReply; changes: AlarmChange[]; shown: Record<string, number> }
  /** Post a log reply listing `changes`. */
  | { kind: 'reply'; changes: AlarmChange[]; shown: Record<string, number> }
  | { kind: 'done' };

/**
 * What to do next for `digest`, given its members' episodes: post the message, edit it when its lines changed, then
 * show the members' changes its thread does not show yet, in log replies (the open one edited while it has room).
 * The changes taken are, per alarm, the oldest waiting ones (a prefix by seq), merged by time.
 */
export function nextDigestStep(digest: AlarmDigest, members: Array<AlarmEpisode | undefined>): DigestStep {
  const lines = digestLines(digest, members);
  const fingerprint = linesFingerprint(lines);
  if (!digest.thread.ts) return { kind: 'post', lines, fingerprint };
  if (digest.shownLines !== fingerprint) return { kind: 'edit', lines, fingerprint };
  const waiting = members
    .filter((e): e is AlarmEpisode => e?.digest?.id === digest.id && e.digest.channel === digest.channel && e.thread !== undefined)
    .map((e) => e.thread!.changes.filter((c) => c.seq >= (digest.shown[e.name] ?? 0)).sort((a, b) => a.seq - b.seq))
    .filter((list) => list.length > 0);
  if (waiting.length === 0) return { kind: 'done' };
  const last = digest.thread.lastReply;
  const open = last?.log && last.to - last.from < LOG_REPLY_LINES ? last : undefined;
  const room = open ? LOG_REPLY_LINES - (open.to - open.from) : LOG_REPLY_LINES;
  const taken: AlarmChange[] = [];
  const shown = { ...digest.shown };
  while (taken.length < room && waiting.length > 0) {
    // The head of each alarm's list is its oldest waiting change: take the earliest of those.
    let pick = 0;
    for (let i = 1; i < waiting.length; i++) if (ms(waiting[i]![0]!.at) < ms(waiting[pick]![0]!.at)) pick = i;
    const change = waiting[pick]!.shift()!;
    taken.push(change);
    shown[change.name] = change.seq + 1;
    if (waiting[pick]!.length === 0) waiting.splice(pick, 1);
  }
  return open ? { kind: 'extend', reply: open, changes: [...digest.thread.changes, ...taken], shown } : { kind: 'reply', changes: taken, shown };
}

/** `digest` once its message `ts` was posted showing the lines `fingerprint` (a message posted before stays the one). */
export function markDigestPosted(digest: AlarmDigest, ts: string, fingerprint: string): AlarmDigest {
  return { ...digest, thread: { ...digest.thread, ts: digest.thread.ts ?? ts }, shownLines: fingerprint };
}

/** `digest` once its message shows the lines `fingerprint`. */
export function markDigestEdited(digest: AlarmDigest, fingerprint: string): AlarmDigest {
  return { ...digest, shownLines: fingerprint };
}

/**
 * `digest` once the log reply `ts` lists `changes` (a new reply, or the open one extended): the members' changes are
 * shown up to `shown`; the reply's lines are kept while it has room, for the next extension.
 */
export function markDigestReplied(digest: AlarmDigest, ts: string, changes: AlarmChange[], shown: Record<string, number>): AlarmDigest {
  const isNew = digest.thread.lastReply?.ts !== ts;
  const lastReply: PostedReply = { ts, from: 0, to: changes.length, log: true };
  const merged = Object.fromEntries(Object.entries({ ...digest.shown, ...shown }).map(([name, seq]) => [name, Math.max(seq, digest.shown[name] ?? 0)]));
  return {
    ...digest,
    shown: merged,
    thread: {
      ...digest.thread,
      lastReply,
      replies: digest.thread.replies + (isNew ? 1 : 0),
      changes: changes.length < LOG_REPLY_LINES ? changes : [],
    },
  };
}

/** The next thing to do to bring Slack up to date with a thread; see {@link nextThreadStep}. */
export type ThreadStep =
  /** Post the message. */
  | { kind: 'post' }
  /** Edit the message to show `rev`. */
  | { kind: 'edit'; rev: number }
  /** Edit the open log reply so that it lists `changes` (`reply.from` up to `to`). */
  | { kind: 'extend'; reply: PostedReply; to: number; changes: AlarmChange[] }
  /** Post a reply with `changes` (`from` up to `to`); `log` when it lists several, or the thread collects changes. */
  | { kind: 'reply'; from: number; to: number; log: boolean; changes: AlarmChange[] }
  | { kind: 'done' };

/**
 * What to do next for `thread`: post the message, then edit it when it is behind, then show the changes Slack does not
 * show yet. `collect` (a flapping alarm, a digest): changes go into log replies, the open one edited while it has room.
 * Otherwise a change waiting alone gets a reply of its own, several waiting together (Slack's pace held them) one log.
 */
export function nextThreadStep(thread: AlarmThread, collect: boolean): ThreadStep {
  if (!thread.ts) return { kind: 'post' };
  if (thread.shownRev < thread.rev) return { kind: 'edit', rev: thread.rev };
  return nextReplyStep(thread, collect);
}

/** The thread's part of {@link nextThreadStep}: the reply to post or extend next, or `done`. */
export function nextReplyStep(thread: AlarmThread, collect: boolean): Extract<ThreadStep, { kind: 'extend' | 'reply' | 'done' }> {
  if (thread.shownSeq >= thread.nextSeq) return { kind: 'done' };
  const last = thread.lastReply;
  if (collect && last?.log && last.to - last.from < LOG_REPLY_LINES) {
    const to = Math.min(thread.nextSeq, last.from + LOG_REPLY_LINES);
    return { kind: 'extend', reply: last, to, changes: thread.changes.filter((c) => c.seq >= last.from && c.seq < to) };
  }
  const pending = thread.changes.filter((c) => c.seq >= thread.shownSeq).slice(0, LOG_REPLY_LINES);
  const from = thread.shownSeq;
  return { kind: 'reply', from, to: from + pending.length, log: collect || pending.length > 1, changes: pending };
}

/** `thread` once its message `ts` was posted showing `rev`. A message posted before (another delivery) stays the one. */
export function markPosted(thread: AlarmThread, ts: string, rev: number): AlarmThread {
  return { ...thread, ts: thread.ts ?? ts, shownRev: Math.max(thread.shownRev, rev) };
}

/** `thread` once Slack shows `rev` of the message. */
export function markEdited(thread: AlarmThread, rev: number): AlarmThread {
  return { ...thread, shownRev: Math.max(thread.shownRev, rev) };
}

/**
 * `thread` once Slack shows `reply` (posted, or an open log reply edited to take more). Changes that no open reply can
 * still take are dropped from the item: Slack shows them for good.
 */
export function markReplied(thread: AlarmThread, reply: PostedReply): AlarmThread {
  const isNew = thread.lastReply?.ts !== reply.ts;
  const lastReply = !isNew && thread.lastReply && thread.lastReply.to > reply.to ? thread.lastReply : reply;
  const shownSeq = Math.max(thread.shownSeq, reply.to);
  const open = lastReply.log && lastReply.to - lastReply.from < LOG_REPLY_LINES;
  const keepFrom = open ? Math.min(lastReply.from, shownSeq) : shownSeq;
  return {
    ...thread,
    lastReply,
    shownSeq,
    replies: thread.replies + (isNew ? 1 : 0),
    changes: thread.changes.filter((c) => c.seq >= keepFrom),
  };
}

/**
 * `thread` claimed by `by` until `nowMs + leaseMs`, or undefined when another job holds an unexpired claim. The job
 * that holds it already (an earlier delivery of the same job that died) takes it over.
 */
export function claimThread(thread: AlarmThread, by: string, nowMs: number, leaseMs: number): AlarmThread | undefined {
  if (thread.claim && thread.claim.by !== by && thread.claim.until > nowMs) return undefined;
  return { ...thread, claim: { by, until: nowMs + leaseMs } };
}

/** `thread` without `by`'s claim (unchanged when someone else holds it). */
export function releaseThread(thread: AlarmThread, by: string): AlarmThread {
  if (thread.claim?.by !== by) return thread;
  const { claim: _claim, ...rest } = thread;
  return rest;
}

/** True when the hooks after the post (graph, act) are due for `episode`: its message is posted and shows an ALARM not yet hooked. */
export function hooksDue(episode: AlarmEpisode): boolean {
  return Boolean(episode.thread?.ts) && episode.report?.alarm.state === 'ALARM' && episode.hooked !== true;
}

/** What an alarm message or reply shows; the Slack adapter words it. */
export type AlarmView =
  /** The message of an episode. */
  | { kind: 'episode'; episode: AlarmEpisode }
  /** The message of a storm digest, with its lines (see {@link digestLines}). */
  | { kind: 'digest'; digest: AlarmDigest; lines: DigestLine[] }
  /**
   * A reply in a thread: one change, or several as a log (`log`); `digest` when each line must name its alarm;
   * `flapping` while the episode flaps.
   */
  | { kind: 'changes'; changes: AlarmChange[]; log: boolean; digest: boolean; flapping?: Flapping };

/** Which item a thread belongs to: an episode (by alarm name) or a digest. */
export type AlarmThreadRef = { kind: 'episode'; name: string } | { kind: 'digest'; channel: string; id: string };
