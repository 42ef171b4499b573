/**
 * The alarm job's episode use case (src/alarms/episodes.ts) on in-memory ports: a job that runs twice changes nothing,
 * a Slack call that fails mid-way leaves the stored state to the next delivery, which finishes without repeating what
 * landed; racing jobs apply every change once; the hooks run once per episode; a job out of time hands over.
 */
import type { AlarmNotice, AlarmReport, AlarmState } from '../../src/domain/alarm.js';
import type { AlarmView } from '../../src/domain/alarm-episode.js';
import { type AlarmPosted, showAlarmChange, syncAlarmThread } from '../../src/alarms/episodes.js';
import { type MemoryContext, memoryContext } from '../support/memory-context.js';

const T0 = Date.parse('2026-11-28T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const notice = (state: AlarmState, minutes: number, name = 'foxy-backend-production-errors'): AlarmNotice => ({
  name,
  state,
  reason: `${state} at ${minutes}`,
  at: at(minutes),
});
const target = { service: 'foxy-backend', environment: 'production' };
const report = (n: AlarmNotice): AlarmReport => ({ alarm: n, target, likelyCause: false, inFlight: [] });

let m: MemoryContext;
let hooked: AlarmPosted[];
const afterPost = async (posted: AlarmPosted) => void hooked.push(posted);
beforeEach(() => {
  m = memoryContext({ now: () => new Date(T0) });
  // Slots of 1 ms: these tests are about what is posted, not about Slack's pace.
  m.ctx.alarmPostSpacingMs = 1;
  hooked = [];
});

/** Runs the job of `n` as the alarm job does, under its job key. */
const run = (n: AlarmNotice) =>
  showAlarmChange(
    m.ctx,
    { notice: n, channel: 'C0PROD', target, ...(n.state === 'ALARM' ? { report: report(n) } : {}) },
    `alarm:${n.name}:${n.state}:${n.at}`,
    afterPost,
  );

const kinds = (views: Array<{ view: AlarmView; threadTs?: string }>) => views.map((p) => `${p.threadTs ? 'reply' : 'post'}:${p.view.kind}`);

test('ALARM then OK: one message, edited, one reply; the hooks ran once with where the message is', async () => {
  // Act
  const first = await run(notice('ALARM', 0));
  const second = await run(notice('OK', 7));

  // Assess
  expect([first.kind, second.kind]).toEqual(['applied', 'applied']);
  expect(kinds(m.alarmPosts)).toEqual(['post:episode', 'reply:changes']);
  expect(m.alarmPosts[1]!.threadTs).toBe('2.1');
  expect(m.alarmEdits.map((e) => [e.ts, e.view.kind])).toEqual([['2.1', 'episode']]);
  const shown = m.alarmEdits[0]!.view;
  expect(shown.kind === 'episode' && shown.episode.resolved).toEqual({ at: at(7), afterMs: 7 * 60_000 });
  expect(hooked).toEqual([{ report: expect.objectContaining({ alarm: notice('ALARM', 0) }), channel: 'C0PROD', ts: '2.1' }]);
  // Nothing is left to show, and no claim is left behind.
  const stored = await m.alarmEpisodes.get('foxy-backend-production-errors');
  expect(stored).toMatchObject({ hooked: true, thread: { ts: '2.1', shownSeq: 1, shownRev: 2 } });
  expect(stored!.thread!.claim).toBeUndefined();
});

test('a job that runs twice is a duplicate and makes no Slack call', async () => {
  // Prepare
  await run(notice('ALARM', 0));
  await run(notice('OK', 7));
  const before = [m.alarmPosts.length, m.alarmEdits.length];

  // Act
  const again = await run(notice('OK', 7));

  // Assess
  expect(again.kind).toBe('duplicate');
  expect([m.alarmPosts.length, m.alarmEdits.length]).toEqual(before);
  expect(hooked).toHaveLength(1);
});

test('a reply Slack refuses fails the job; its next delivery posts it once, without posting the message again', async () => {
  // Prepare
  await run(notice('ALARM', 0));
  const reply = m.ctx.cards.alarmReply;
  let failures = 1;
  m.ctx.cards.alarmReply = async (...args) => {
    if (failures-- > 0) throw new Error('internal_error');
    return reply(...args);
  };

  // Act
  await expect(run(notice('OK', 7))).rejects.toThrow('internal_error');
  const stuck = await m.alarmEpisodes.get('foxy-backend-production-errors');
  const redelivered = await run(notice('OK', 7));

  // Assess: the change was stored before the failure, and the claim let go
  expect(stuck!.thread).toMatchObject({ shownSeq: 0, nextSeq: 1 });
  expect(stuck!.thread!.claim).toBeUndefined();
  expect(redelivered.kind).toBe('duplicate');
  expect(kinds(m.alarmPosts)).toEqual(['post:episode', 'reply:changes']);
});

test('a job that died holding the claim is taken over by its own next delivery at once', async () => {
  // Prepare: the OK's first delivery stored its change and claimed the thread, then died
  await run(notice('ALARM', 0));
  const episode = (await m.alarmEpisodes.get('foxy-backend-production-errors'))!;
  const ok = notice('OK', 7);
  const owner = `alarm:${ok.name}:${ok.state}:${ok.at}`;
  await m.alarmEpisodes.save(
    {
      ...episode,
      applied: [...episode.applied, `OK@${ok.at}`],
      thread: {
        ...episode.thread!,
        rev: episode.thread!.rev + 1,
        changes: [{ seq: 0, name: ok.name, state: 'OK', at: ok.at }],
        nextSeq: 1,
        claim: { by: owner, until: Date.now() + 60_000 },
      },
    },
    episode.version,
  );

  // Act: another job finds it held and leaves it; the OK's redelivery takes over
  const other = await syncAlarmThread(m.ctx, { kind: 'episode', name: ok.name }, 'someone-else', afterPost);
  const redelivered = await run(ok);

  // Assess
  expect(other).toBe('held');
  expect(redelivered).toMatchObject({ kind: 'duplicate', sync: 'done' });
  expect(kinds(m.alarmPosts)).toEqual(['post:episode', 'reply:changes']);
});

test('changes of one alarm racing each other are all applied, on one message', async () => {
  // Act
  await Promise.all([notice('ALARM', 0), notice('OK', 1), notice('ALARM', 2), notice('OK', 3)].map(run));

  // Assess
  const stored = (await m.alarmEpisodes.get('foxy-backend-production-errors'))!;
  expect(stored.changes).toBe(4);
  expect(m.alarmPosts.filter((p) => !p.threadTs)).toHaveLength(1);
  expect(stored.thread).toMatchObject({ shownSeq: 3, nextSeq: 3 });
  expect(stored.thread!.claim).toBeUndefined();
  expect(m.alarmEpisodes.staleWrites).toBeGreaterThan(0);
});

test('past the storm threshold new alarms go into one digest, each change in its thread', async () => {
  // Prepare: the default threshold is 10 new messages a minute
  const names = Array.from({ length: 13 }, (_, i) => `foxy-backend-production-a${String(i).padStart(2, '0')}`);

  // Act
  for (const name of names) await run(notice('ALARM', 0, name));
  await run(notice('OK', 1, names[12]!));

  // Assess
  const top = m.alarmPosts.filter((p) => !p.threadTs);
  expect(top.map((p) => p.view.kind)).toEqual([...Array(10).fill('episode'), 'digest']);
  const digest = [...m.alarmEpisodes.digests.values()][0]!;
  expect(digest).toMatchObject({ members: names.slice(10), shown: { [names[10]!]: 1, [names[11]!]: 1, [names[12]!]: 2 } });
  // The digest was edited to the last line's OK; its thread lists the four changes.
  const lastDigest = m.alarmEdits.filter((e) => e.view.kind === 'digest').at(-1)!.view;
  expect(lastDigest.kind === 'digest' && lastDigest.lines.map((l) => [l.name, l.state])).toEqual([
    [names[10], 'ALARM'],
    [names[11], 'ALARM'],
    [names[12], 'OK'],
  ]);
  const logged = [...m.alarmPosts, ...m.alarmEdits].filter((p) => p.view.kind === 'changes').at(-1)!.view;
  expect(logged.kind === 'changes' && logged.changes.map((c) => [c.name, c.state])).toEqual([
    [names[10], 'ALARM'],
    [names[11], 'ALARM'],
    [names[12], 'ALARM'],
    [names[12], 'OK'],
  ]);
  // Digest alarms get no hooks: they have no message of their own.
  expect(hooked).toHaveLength(10);
});

test('a job out of time hands the rest over to an alarm_sync job, which finishes it', async () => {
  // Prepare: a wall clock that jumps 5 s at each read, so the budget runs out after the first steps
  let wall = T0;
  m.ctx.slotClock = () => (wall += 5_000);

  // Act
  const first = await run(notice('ALARM', 0));
  const second = await run(notice('OK', 7));

  // Assess
  expect([first.sync, second.sync]).toContain('handed_over');
  const sync = m.jobs.find((j) => j.type === 'alarm_sync');
  expect(sync).toEqual({ type: 'alarm_sync', ref: { kind: 'episode', name: 'foxy-backend-production-errors' }, version: expect.any(Number) });
  // The hand-over, with a clock that moves normally, shows the rest.
  m.ctx.slotClock = Date.now;
  expect(await syncAlarmThread(m.ctx, { kind: 'episode', name: 'foxy-backend-production-errors' }, 'alarm-sync:1', afterPost)).toBe('done');
  expect(kinds(m.alarmPosts)).toEqual(['post:episode', 'reply:changes']);
});
