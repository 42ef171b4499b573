/**
 * The alarm job's part after routing: one message per episode (src/domain/alarm-episode.ts), carried out in two halves.
 *
 * 1. **Decide and store.** Read the alarm's episode, apply the change, write it back conditionally on the version read
 *    (a lost race reads again). A change that opens an episode first asks the channel's storm window where it goes
 *    (a message of its own, or the digest), also with a conditional write, and an episode in a digest joins it (once).
 *    The change itself stays in the alarm's episode, so a storm's jobs race per alarm, not for one digest item. A change
 *    applied before (a repeated delivery) writes nothing.
 * 2. **Show.** Whatever Slack does not show yet of the episode's (or digest's, read with its members' episodes) message
 *    and thread is carried out from what is stored, by one job at a time: the one holding the item's claim (a field of the item, taken and let go with
 *    conditional writes). A job that finds another holding it leaves its change to that one, which reads the item again
 *    after every step and once more after letting go. Each step (post, edit, reply) is recorded as soon as Slack took
 *    it, so a job delivered again continues where the last one stopped: it edits rather than posting twice, except when
 *    it died between Slack's answer and the record (a repeated message is preferred to a lost one).
 *
 * New messages and replies keep Slack's pace of about one a second per channel: each takes a one-second slot of its
 * channel (a one-time key) and waits for it; changes that arrive meanwhile go out together in the next reply. A job
 * works at most {@link SYNC_BUDGET_MS}, then hands what is left to an `alarm_sync` job, so none runs into Lambda's
 * timeout. A Slack call that fails lets go of the claim and fails the job, which is delivered again.
 */
import type { DeployContext } from '../deploys/context.js';
import type { AlarmNotice, AlarmReport, AlarmTarget } from '../domain/alarm.js';
import {
  type AlarmDigest,
  type AlarmEpisode,
  type AlarmThread,
  type AlarmThreadRef,
  applyAlarmChange,
  claimThread,
  type DigestRef,
  digestLines,
  type EpisodeSettings,
  episodeSettingsOf,
  hooksDue,
  joinDigest,
  linesFingerprint,
  markDigestEdited,
  markDigestPosted,
  markDigestReplied,
  markEdited,
  markPosted,
  markReplied,
  nextDigestStep,
  nextReplyStep,
  nextThreadStep,
  type Placement,
  placeEpisode,
  pruneShown,
  releaseThread,
} from '../domain/alarm-episode.js';

/** Least time between two new messages (replies included) in one channel: Slack takes about one a second. */
export const ALARM_POST_SPACING_MS = 1000;
const spacingOf = (ctx: DeployContext) => Math.max(1, ctx.alarmPostSpacingMs ?? ALARM_POST_SPACING_MS);
/** Edits are spaced like posts when a test shortens those; else by {@link ALARM_EDIT_SPACING_MS}. */
const editSpacingOf = (ctx: DeployContext) => Math.min(ALARM_EDIT_SPACING_MS, spacingOf(ctx));
/** How long a claim lasts past the holder's last step: a job that died lets go after this. */
const CLAIM_MS = 60_000;
/** How long one job brings Slack up to date before it hands the rest over: well below Lambda's 30 s timeout. */
export const SYNC_BUDGET_MS = 12_000;
/** The longest a job waits for a slot to post in: past it, the channel is busy, and the rest is handed over. */
const MAX_SLOT_WAIT_MS = 10_000;
/** A hand-over job waits this long before it starts: when the channel was too busy, a moment later it is less so. */
const HAND_OVER_DELAY_MS = 2_000;
/** Slot keys outlive their second by far: the claim of a one-time key treats an expired key as free. */
const SLOT_KEY_SECONDS = 600;
/** Rounds of read, decide, conditional write before a job gives up (and is delivered again). */
const WRITE_ROUNDS = 60;
/**
 * Least time between two edits of one item's messages (the message, or its open log reply): the holder waits out the
 * rest, and the edit after the wait shows every change stored meanwhile (Slack's edits are rate limited too).
 */
export const ALARM_EDIT_SPACING_MS = 1000;

/** Where an ALARM episode's message is, once posted, with the report it shows: what the hooks after the post get. */
export type AlarmPosted = { report: AlarmReport; channel: string; ts: string };

/** Runs once per episode after its ALARM message is posted (the graph, the bake mark and rollback); must be idempotent. */
export type AfterAlarmPosted = (posted: AlarmPosted) => Promise<void>;

/** One routed state change, with the report of an ALARM. */
export interface AlarmChangeInput {
  notice: AlarmNotice;
  channel: string;
  target?: AlarmTarget;
  report?: AlarmReport;
}

/** What became of a change: applied now or before (`duplicate`), shown in the alarm's own message or in a storm digest. */
export interface AlarmChangeOutcome {
  kind: 'applied' | 'duplicate';
  episode: AlarmEpisode;
  shownIn: 'message' | 'digest';
  /** How the sync ended for this job: Slack shows everything, another job holds the item, or the rest was handed over. */
  sync: SyncResult;
}

/** How a job's sync of an item ended. */
export type SyncResult = 'done' | 'held' | 'handed_over';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A little random wait after a lost race, so that racing jobs do not meet again at once. */
const backOff = (round: number) => sleep(Math.random() * 3 * Math.min(round, 10));
/** The wall clock: claims and slots are about processes and Slack's pace, not about alarm times (tests inject `slotClock`). */
const wallOf = (ctx: DeployContext) => ctx.slotClock ?? Date.now;

/**
 * Applies and shows one routed state change (see the module comment). `owner` names the job (its key): an earlier
 * delivery of the same job that died holding a claim is taken over at once. Throws when Slack fails, so that the job is
 * delivered again; the change is stored by then and is shown by that delivery, or by any later job of the item.
 */
export async function showAlarmChange(ctx: DeployContext, input: AlarmChangeInput, owner: string, afterPost: AfterAlarmPosted): Promise<AlarmChangeOutcome> {
  const settings = episodeSettingsOf(ctx.catalog);
  const { notice } = input;
  let placement: Placement | undefined;
  let episode: AlarmEpisode | undefined;
  let applied = false;
  let late = false;
  for (let round = 1; !episode; round++) {
    const stored = await ctx.alarmEpisodes.get(notice.name);
    // An alarm in a digest keeps its changes until the digest shows them: drop those it does.
    const digest = stored?.digest ? await ctx.alarmEpisodes.digest(stored.digest.channel, stored.digest.id) : undefined;
    const current = stored && digest ? pruneShown(stored, digest.shown[stored.name] ?? 0) : stored;
    const decision = applyAlarmChange(current, notice, { settings, channel: input.channel, target: input.target, report: input.report, placement });
    if (decision.kind === 'needs_placement') {
      placement = await place(ctx, decision.channel, decision.episodeId, settings);
    } else if (decision.kind === 'duplicate') {
      episode = decision.episode;
    } else if (await ctx.alarmEpisodes.save(decision.episode, stored?.version ?? 0)) {
      episode = { ...decision.episode, version: (stored?.version ?? 0) + 1 };
      applied = true;
      late = Boolean(decision.change.late);
    } else {
      if (round >= WRITE_ROUNDS) throw new Error(`alarm ${notice.name}: the episode kept changing under ${WRITE_ROUNDS} writes`);
      await backOff(round);
    }
  }
  let sync: SyncResult;
  if (episode.digest) {
    // Also for a repeat: the delivery that opened the episode may have died before the digest listed it.
    await joinTheDigest(ctx, episode.digest, episode.name);
    sync = await syncAlarmThread(ctx, { kind: 'digest', ...episode.digest }, owner, afterPost);
  } else {
    sync = await syncAlarmThread(ctx, { kind: 'episode', name: notice.name }, owner, afterPost);
  }
  const outcome: AlarmChangeOutcome = { kind: applied ? 'applied' : 'duplicate', episode, shownIn: episode.digest ? 'digest' : 'message', sync };
  ctx.logger.info('alarm.applied', {
    alarm: notice.name,
    state: notice.state,
    at: notice.at,
    outcome: outcome.kind,
    episode: episode.id,
    shownIn: outcome.shownIn,
    late,
    flapping: episode.flapping?.count,
    sync,
  });
  return outcome;
}

/** Asks the channel's storm window where the new episode `episodeId` goes (a conditional write when that changes it). */
async function place(ctx: DeployContext, channel: string, episodeId: string, settings: EpisodeSettings): Promise<Placement> {
  for (let round = 1; ; round++) {
    const stored = await ctx.alarmEpisodes.window(channel);
    const { window, placement, changed } = placeEpisode(stored, channel, episodeId, ctx.now(), settings);
    if (!changed || (await ctx.alarmEpisodes.saveWindow(window, stored?.version ?? 0))) return placement;
    if (round >= WRITE_ROUNDS) throw new Error(`channel ${channel}: the storm window kept changing under ${WRITE_ROUNDS} writes`);
    await backOff(round);
  }
}

/** Makes the alarm `name` a member of the digest `ref` (a conditional write, none when it is one already). */
async function joinTheDigest(ctx: DeployContext, ref: DigestRef, name: string): Promise<void> {
  for (let round = 1; ; round++) {
    const stored = await ctx.alarmEpisodes.digest(ref.channel, ref.id);
    const { digest, changed } = joinDigest(stored, ref, name, ctx.now());
    if (!changed || (await ctx.alarmEpisodes.saveDigest(digest, stored?.version ?? 0))) return;
    if (round >= WRITE_ROUNDS) throw new Error(`digest ${ref.id} of ${ref.channel}: it kept changing under ${WRITE_ROUNDS} writes`);
    await backOff(round);
  }
}

/** Writes `mark` applied to the newest item (from `from`), renewing the holder's claim; returns the item as stored. */
type Recorder<T> = (from: T, mark: (latest: T) => T) => Promise<T>;

/** An item with a message and thread (an episode, a digest), as the job holding its claim reads, writes and shows it. */
interface Claimable<T extends { version: number }> {
  ref: AlarmThreadRef;
  load(): Promise<T | undefined>;
  save(next: T, expectedVersion: number): Promise<boolean>;
  thread(item: T): AlarmThread | undefined;
  withThread(item: T, thread: AlarmThread): T;
  /** True when Slack does not show all of the item yet (or hooks are due). */
  hasWork(item: T): Promise<boolean>;
  /** Carries out the steps while holding the claim; `budget` when the time ran out with steps left. */
  work(held: T, record: Recorder<T>, deadline: number): Promise<'done' | 'budget'>;
}

/**
 * Brings Slack up to date with the message and thread of `ref` as stored (see the module comment): takes the item's
 * claim (or leaves the work to the job holding it), carries out the steps, lets go, and looks once more. `owner` names
 * the job. Returns how it ended.
 */
export function syncAlarmThread(ctx: DeployContext, ref: AlarmThreadRef, owner: string, afterPost: AfterAlarmPosted): Promise<SyncResult> {
  return ref.kind === 'episode' ? sync(ctx, episodeItem(ctx, ref.name, afterPost), owner) : sync(ctx, digestItem(ctx, ref), owner);
}

/**
 * The `alarm_sync` job: waits a moment (the job it continues stopped because Slack's pace held it), then brings the item
 * up to date as {@link syncAlarmThread} does.
 */
export async function continueAlarmThread(ctx: DeployContext, ref: AlarmThreadRef, owner: string, afterPost: AfterAlarmPosted): Promise<SyncResult> {
  await sleep(HAND_OVER_DELAY_MS);
  return syncAlarmThread(ctx, ref, owner, afterPost);
}

async function sync<T extends { version: number }>(ctx: DeployContext, it: Claimable<T>, owner: string): Promise<SyncResult> {
  const wall = wallOf(ctx);
  const deadline = wall() + SYNC_BUDGET_MS;
  const letGo = (latest: T) => (it.thread(latest)?.claim?.by === owner ? it.withThread(latest, releaseThread(it.thread(latest)!, owner)) : undefined);
  // Each record also renews the claim: a job waiting for its slot is alive.
  const record: Recorder<T> = (from, mark) =>
    update(it, from, (latest) => {
      const marked = mark(latest);
      const thread = it.thread(marked)!;
      return it.withThread(marked, claimThread(thread, owner, wall(), CLAIM_MS) ?? thread);
    });
  for (let round = 1; round <= WRITE_ROUNDS; round++) {
    const item = await it.load();
    const thread = item && it.thread(item);
    if (!item || !thread) return 'done';
    // A claim held by another job is seen first: in a storm most jobs stop here, after one read.
    const claimed = claimThread(thread, owner, wall(), CLAIM_MS);
    if (!claimed) return 'held';
    if (!(await it.hasWork(item))) return 'done';
    if (!(await it.save(it.withThread(item, claimed), item.version))) {
      await backOff(round);
      continue;
    }
    let outcome: 'done' | 'budget';
    try {
      outcome = await it.work({ ...it.withThread(item, claimed), version: item.version + 1 }, record, deadline);
    } catch (err) {
      // Let go, so that the next delivery (or another job of the item) need not wait for the claim to run out.
      await update(it, undefined, letGo).catch(() => undefined);
      throw err;
    }
    const released = await update(it, undefined, letGo);
    if (outcome === 'budget') {
      await ctx.jobs.enqueue({ type: 'alarm_sync', ref: it.ref, version: released.version });
      ctx.logger.info('alarm.sync_handed_over', { ref: it.ref, version: released.version });
      return 'handed_over';
    }
    // Changes stored while this job held the claim were left to it; it read them at each step, and looks once more now.
  }
  return 'done';
}

/**
 * Stores `change` applied to the newest item (starting from `current` when given), reading again after a lost race;
 * a change that answers undefined writes nothing. Returns the item as stored.
 */
async function update<T extends { version: number }>(it: Claimable<T>, current: T | undefined, change: (latest: T) => T | undefined): Promise<T> {
  let item = current ?? (await it.load());
  for (let round = 1; ; round++) {
    if (!item) throw new Error(`alarm item ${JSON.stringify(it.ref)} is gone`);
    const next = change(item);
    if (!next) return item;
    if (await it.save(next, item.version)) return { ...next, version: item.version + 1 };
    if (round >= WRITE_ROUNDS) throw new Error(`alarm item ${JSON.stringify(it.ref)} kept changing under ${WRITE_ROUNDS} writes`);
    await backOff(round);
    item = await it.load();
  }
}

/** An alarm's own message and thread; the hooks run once its ALARM message is posted. */
function episodeItem(ctx: DeployContext, name: string, afterPost: AfterAlarmPosted): Claimable<AlarmEpisode> {
  const wall = wallOf(ctx);
  const edited = (thread: AlarmThread): AlarmThread => ({ ...thread, editedAt: wall() });
  const it: Claimable<AlarmEpisode> = {
    ref: { kind: 'episode', name },
    load: () => ctx.alarmEpisodes.get(name),
    save: (next, expected) => ctx.alarmEpisodes.save(next, expected),
    thread: (e) => e.thread,
    withThread: (e, thread) => ({ ...e, thread }),
    // An alarm in a digest is shown by the digest's sync.
    hasWork: async (e) => Boolean(e.thread && !e.digest && (nextThreadStep(e.thread, Boolean(e.flapping)).kind !== 'done' || hooksDue(e))),
    async work(held, record, deadline) {
      let e = held;
      for (;;) {
        if (hooksDue(e)) {
          await afterPost({ report: e.report!, channel: e.thread!.channel, ts: e.thread!.ts! });
          e = await update(it, e, (latest) => ({ ...latest, hooked: true }));
          continue;
        }
        const thread = e.thread!;
        const step = nextThreadStep(thread, Boolean(e.flapping));
        if (step.kind === 'done') return 'done';
        if (wall() > deadline) return 'budget';
        const reply = (changes: typeof thread.changes, log: boolean) =>
          ({ kind: 'changes', changes, log, digest: false, ...(e.flapping ? { flapping: e.flapping } : {}) }) as const;
        if (step.kind === 'edit' || step.kind === 'extend') {
          if (await waitForEdit(ctx, thread, deadline)) {
            // Show what is stored after the wait.
            e = (await it.load()) ?? e;
            continue;
          }
          if (step.kind === 'edit') {
            await ctx.cards.reviseAlarm(thread.channel, thread.ts!, { kind: 'episode', episode: e });
            e = await record(e, (latest) => ({ ...latest, thread: edited(markEdited(latest.thread!, step.rev)) }));
          } else {
            await ctx.cards.reviseAlarm(thread.channel, step.reply.ts, reply(step.changes, true));
            e = await record(e, (latest) => ({ ...latest, thread: edited(markReplied(latest.thread!, { ...step.reply, to: step.to })) }));
          }
        } else {
          // A new message: wait for the channel's next free slot, then show what is stored by then.
          if (!(await takeSlot(ctx, thread.channel, Math.min(deadline, wall() + MAX_SLOT_WAIT_MS)))) return 'budget';
          e = (await it.load()) ?? e;
          const now = e.thread!;
          if (step.kind === 'post') {
            const rev = now.rev;
            const ts = await ctx.cards.postAlarm(now.channel, { kind: 'episode', episode: e });
            e = await record(e, (latest) => ({ ...latest, thread: markPosted(latest.thread!, ts, rev) }));
          } else {
            const next = nextReplyStep(now, Boolean(e.flapping));
            if (next.kind === 'reply') {
              const ts = await ctx.cards.alarmReply(now.channel, now.ts!, reply(next.changes, next.log));
              e = await record(e, (latest) => ({ ...latest, thread: markReplied(latest.thread!, { ts, from: next.from, to: next.to, log: next.log }) }));
            }
            // Otherwise an open log reply can take the changes after all: the next round edits it; the slot goes unused.
          }
        }
      }
    },
  };
  return it;
}

/** The members' episodes of `digest`, as stored now. */
const membersOf = (ctx: DeployContext, digest: AlarmDigest) => Promise.all(digest.members.map((name) => ctx.alarmEpisodes.get(name)));

/** A storm digest: its lines and thread come from its members' episodes, read at each step. */
function digestItem(ctx: DeployContext, ref: DigestRef): Claimable<AlarmDigest> {
  const wall = wallOf(ctx);
  const edited = (thread: AlarmThread): AlarmThread => ({ ...thread, editedAt: wall() });
  const it: Claimable<AlarmDigest> = {
    ref: { kind: 'digest', ...ref },
    load: () => ctx.alarmEpisodes.digest(ref.channel, ref.id),
    save: (next, expected) => ctx.alarmEpisodes.saveDigest(next, expected),
    thread: (d) => d.thread,
    withThread: (d, thread) => ({ ...d, thread }),
    hasWork: async (d) => nextDigestStep(d, await membersOf(ctx, d)).kind !== 'done',
    async work(held, record, deadline) {
      let d = held;
      for (;;) {
        const step = nextDigestStep(d, await membersOf(ctx, d));
        if (step.kind === 'done') return 'done';
        if (wall() > deadline) return 'budget';
        const channel = d.channel;
        if (step.kind === 'edit' || step.kind === 'extend') {
          if (await waitForEdit(ctx, d.thread, deadline)) {
            d = (await it.load()) ?? d;
            continue;
          }
          if (step.kind === 'edit') {
            await ctx.cards.reviseAlarm(channel, d.thread.ts!, { kind: 'digest', digest: d, lines: step.lines });
            d = await record(d, (latest) => ({ ...markDigestEdited(latest, step.fingerprint), thread: edited(latest.thread) }));
          } else {
            await ctx.cards.reviseAlarm(channel, step.reply.ts, { kind: 'changes', changes: step.changes, log: true, digest: true });
            d = await record(d, (latest) => {
              const replied = markDigestReplied(latest, step.reply.ts, step.changes, step.shown);
              return { ...replied, thread: edited(replied.thread) };
            });
          }
        } else {
          if (!(await takeSlot(ctx, channel, Math.min(deadline, wall() + MAX_SLOT_WAIT_MS)))) return 'budget';
          d = (await it.load()) ?? d;
          const members = await membersOf(ctx, d);
          if (step.kind === 'post') {
            const lines = digestLines(d, members);
            const ts = await ctx.cards.postAlarm(channel, { kind: 'digest', digest: d, lines });
            d = await record(d, (latest) => markDigestPosted(latest, ts, linesFingerprint(lines)));
          } else {
            // The thread's part of the step, even if the lines changed while waiting: the edit comes next round.
            const next = nextDigestStep({ ...d, shownLines: linesFingerprint(digestLines(d, members)) }, members);
            if (next.kind === 'reply') {
              const ts = await ctx.cards.alarmReply(channel, d.thread.ts!, { kind: 'changes', changes: next.changes, log: true, digest: true });
              d = await record(d, (latest) => markDigestReplied(latest, ts, next.changes, next.shown));
            }
          }
        }
      }
    },
  };
  return it;
}

/**
 * Waits until the item's last edit is {@link ALARM_EDIT_SPACING_MS} old (not past `deadline`); true when it waited, so
 * that the caller reads the item again and shows what was stored meanwhile.
 */
async function waitForEdit(ctx: DeployContext, thread: AlarmThread, deadline: number): Promise<boolean> {
  const wall = wallOf(ctx);
  const wait = Math.min((thread.editedAt ?? 0) + editSpacingOf(ctx) - wall(), deadline - wall());
  if (wait <= 0) return false;
  await sleep(wait);
  return true;
}

/**
 * The last slot this process took per channel, per store of slot keys: slots up to it are known taken, so the next
 * search starts after it.
 */
const lastSlots = new WeakMap<object, Map<string, number>>();

/**
 * Takes the channel's next free one-second slot for a new message, no later than `until` (wall clock, ms), and waits
 * for it; false when none is free by then. The slots are one-time keys, so they hold across processes.
 */
async function takeSlot(ctx: DeployContext, channel: string, until: number): Promise<boolean> {
  const wall = wallOf(ctx);
  const spacing = spacingOf(ctx);
  let lastSlot = lastSlots.get(ctx.idempotency);
  if (!lastSlot) lastSlots.set(ctx.idempotency, (lastSlot = new Map()));
  const hint = lastSlot.get(`${channel}:${spacing}`) ?? -1;
  const first = Math.max(Math.floor(wall() / spacing), hint + 1);
  for (let slot = first; slot * spacing <= until; slot++) {
    if (!(await ctx.idempotency.claim(`alarm-post:${channel}:${spacing}:${slot}`, SLOT_KEY_SECONDS))) continue;
    lastSlot.set(`${channel}:${spacing}`, slot);
    const wait = slot * spacing - wall();
    if (wait > 0) await sleep(wait);
    return true;
  }
  return false;
}
