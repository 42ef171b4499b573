/**
 * One message per alarm episode, decided purely (src/domain/alarm-episode.ts): which change opens an episode, which is a
 * repeat or late, when an alarm flaps, where a storm's alarms go, and what Slack is asked to do next for a thread.
 * Every time is fixed.
 */
import type { AlarmNotice, AlarmReport, AlarmState } from '../../src/domain/alarm.js';
import {
  type AlarmEpisode,
  type AlarmThread,
  applyAlarmChange,
  type ChangeDecision,
  type ChangeInput,
  claimThread,
  DEFAULT_EPISODE_SETTINGS,
  DIGEST_MAX_ALARMS,
  digestLines,
  episodeSettingsOf,
  hooksDue,
  joinDigest,
  LOG_REPLY_LINES,
  linesFingerprint,
  markDigestEdited,
  markDigestPosted,
  markDigestReplied,
  markEdited,
  markPosted,
  markReplied,
  nextDigestStep,
  nextThreadStep,
  newThread,
  placeEpisode,
  pruneShown,
  releaseThread,
  type StormWindow,
} from '../../src/domain/alarm-episode.js';

const T0 = Date.parse('2026-11-28T10:00:00.000Z');
/** The ISO time `minutes` after 10:00. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const notice = (state: AlarmState, minutes: number, over: Partial<AlarmNotice> = {}): AlarmNotice => ({
  name: 'foxy-backend-production-errors',
  state,
  reason: `${state} reason at ${minutes}`,
  at: at(minutes),
  region: 'eu-west-1',
  ...over,
});
const target = { service: 'foxy-backend', environment: 'production' };
const input = (over: Partial<ChangeInput> = {}): ChangeInput => ({
  settings: DEFAULT_EPISODE_SETTINGS,
  channel: 'C0PROD',
  target,
  placement: { channel: 'C0PROD' },
  ...over,
});
const report = (n: AlarmNotice): AlarmReport => ({ alarm: n, target, likelyCause: false, inFlight: [] });

/** The episode of an applied decision, stored (its version bumped), or a failure naming what was decided instead. */
function stored(decision: ChangeDecision): AlarmEpisode {
  if (decision.kind !== 'applied') throw new Error(`expected an applied change, got ${decision.kind}`);
  return { ...decision.episode, version: decision.episode.version + 1 };
}

/** Applies `notices` in order from nothing, each to the episode the last one stored. */
function applyAll(notices: AlarmNotice[], over: Partial<ChangeInput> = {}): AlarmEpisode {
  let episode: AlarmEpisode | undefined;
  for (const n of notices) episode = stored(applyAlarmChange(episode, n, input(over)));
  return episode!;
}

describe('applyAlarmChange: one episode, one message', () => {
  test('the first change asks where to go, then opens an episode whose message is still to post', () => {
    // Act
    const asks = applyAlarmChange(undefined, notice('ALARM', 0), input({ placement: undefined }));
    const opens = applyAlarmChange(undefined, notice('ALARM', 0), input({ report: report(notice('ALARM', 0)) }));

    // Assess
    expect(asks).toEqual({ kind: 'needs_placement', episodeId: `foxy-backend-production-errors@${at(0)}`, channel: 'C0PROD' });
    expect(opens).toMatchObject({ kind: 'applied', opened: true, change: { state: 'ALARM', at: at(0) } });
    const episode = stored(opens);
    expect(episode).toMatchObject({
      state: 'ALARM',
      alarmSince: at(0),
      opening: { state: 'ALARM', at: at(0) },
      changes: 1,
      hooked: false,
      region: 'eu-west-1',
    });
    expect(episode.thread).toEqual(newThread('C0PROD'));
    expect(nextThreadStep(episode.thread!, false)).toEqual({ kind: 'post' });
  });

  test('OK after ALARM resolves the same episode: "after 7m", the message due for an edit, the change due in the thread', () => {
    // Prepare
    const alarm = applyAll([notice('ALARM', 0)]);
    const posted = { ...alarm, thread: markPosted(alarm.thread!, '1.1', alarm.thread!.rev) };

    // Act
    const ok = stored(applyAlarmChange(posted, notice('OK', 7), input()));

    // Assess
    expect(ok).toMatchObject({ id: alarm.id, state: 'OK', resolved: { at: at(7), afterMs: 7 * 60_000 }, changes: 2 });
    expect(ok.alarmSince).toBeUndefined();
    expect(nextThreadStep(ok.thread!, false)).toEqual({ kind: 'edit', rev: 2 });
    const edited = markEdited(ok.thread!, 2);
    expect(nextThreadStep(edited, false)).toEqual({
      kind: 'reply',
      from: 0,
      to: 1,
      log: false,
      changes: [expect.objectContaining({ seq: 0, state: 'OK', at: at(7), alarmForMs: 7 * 60_000 })],
    });
  });

  test('INSUFFICIENT_DATA is a state of its own: not resolved, the time in alarm runs on', () => {
    // Act
    const episode = applyAll([notice('ALARM', 0), notice('INSUFFICIENT_DATA', 3), notice('OK', 9)]);

    // Assess: resolved after 9m, counted from the ALARM, not from the INSUFFICIENT_DATA
    expect(episode).toMatchObject({ state: 'OK', resolved: { afterMs: 9 * 60_000 } });
    expect(episode.thread!.changes.map((c) => c.state)).toEqual(['INSUFFICIENT_DATA', 'OK']);
  });

  test('a change applied before is a duplicate and changes nothing', () => {
    // Prepare
    const episode = applyAll([notice('ALARM', 0), notice('OK', 7)]);

    // Act, Assess
    expect(applyAlarmChange(episode, notice('OK', 7), input())).toEqual({ kind: 'duplicate', episode });
    expect(applyAlarmChange(episode, notice('ALARM', 0), input())).toEqual({ kind: 'duplicate', episode });
  });

  test('a change older than the one shown is late: in the thread, marked so, the message keeps its state', () => {
    // Prepare: ALARM 10:00, then ALARM again 10:07; the OK of 10:05 arrives last
    const episode = applyAll([notice('ALARM', 0), notice('ALARM', 7)]);

    // Act
    const decision = applyAlarmChange(episode, notice('OK', 5), input());

    // Assess
    expect(decision).toMatchObject({ kind: 'applied', opened: false, change: { state: 'OK', at: at(5), late: { state: 'ALARM', at: at(7) } } });
    const after = stored(decision);
    expect(after).toMatchObject({ state: 'ALARM', stateAt: at(7), alarmSince: at(0), changes: 3 });
    expect(after.resolved).toBeUndefined();
    expect(after.thread!.changes.map((c) => [c.state, c.at, Boolean(c.late)])).toEqual([
      ['ALARM', at(7), false],
      ['OK', at(5), true],
    ]);
  });

  test('a late change of an episode that ended goes in the thread of the current one', () => {
    // Prepare: an episode that ended, and a new one 2 hours later
    const first = applyAll([notice('ALARM', 0), notice('OK', 5)]);
    const second = stored(applyAlarmChange(first, notice('ALARM', 125), input()));

    // Act: the first episode's INSUFFICIENT_DATA of 10:03 arrives now
    const late = stored(applyAlarmChange(second, notice('INSUFFICIENT_DATA', 3), input()));

    // Assess
    expect(second.id).not.toBe(first.id);
    expect(late.id).toBe(second.id);
    expect(late.thread!.changes).toEqual([expect.objectContaining({ state: 'INSUFFICIENT_DATA', late: { state: 'ALARM', at: at(125) } })]);
  });

  test('ALARM within `new_message_after` of the OK reuses the message; later, a new episode with a new message', () => {
    // Prepare
    const resolved = applyAll([notice('ALARM', 0), notice('OK', 5)]);

    // Act
    const soon = applyAlarmChange(resolved, notice('ALARM', 5 + 30), input());
    const later = applyAlarmChange(resolved, notice('ALARM', 5 + 31), input({ placement: undefined }));
    const opened = applyAlarmChange(resolved, notice('ALARM', 5 + 31), input());

    // Assess
    expect(soon).toMatchObject({ kind: 'applied', opened: false, episode: { id: resolved.id, alarmSince: at(35) } });
    expect(later).toEqual({ kind: 'needs_placement', episodeId: `foxy-backend-production-errors@${at(36)}`, channel: 'C0PROD' });
    expect(opened).toMatchObject({ kind: 'applied', opened: true, episode: { changes: 1, version: resolved.version } });
    // The new episode keeps the old one's change ids: a repeat of an old change stays a repeat.
    expect(applyAlarmChange(stored(opened), notice('OK', 5), input()).kind).toBe('duplicate');
  });

  test('an alarm in ALARM never ends its episode, however long', () => {
    const episode = applyAll([notice('ALARM', 0)]);
    expect(applyAlarmChange(episode, notice('OK', 24 * 60), input({ placement: undefined })).kind).toBe('applied');
  });

  test("the episode keeps the report of its first ALARM; an episode opened by OK takes the next ALARM's", () => {
    // Prepare
    const first = notice('ALARM', 0);
    const second = notice('ALARM', 4);

    // Act
    const byAlarm = applyAll([first, notice('OK', 2), second]);
    const withReports = (() => {
      let e = stored(applyAlarmChange(undefined, first, input({ report: report(first) })));
      e = { ...e, hooked: true };
      e = stored(applyAlarmChange(e, notice('OK', 2), input()));
      return stored(applyAlarmChange(e, second, input({ report: report(second) })));
    })();
    const openedByOk = (() => {
      const e = stored(applyAlarmChange(undefined, notice('OK', 0), input()));
      return stored(applyAlarmChange(e, second, input({ report: report(second) })));
    })();

    // Assess
    expect(byAlarm.report).toBeUndefined();
    expect(withReports).toMatchObject({ report: { alarm: { at: at(0) } }, hooked: true });
    expect(openedByOk).toMatchObject({ report: { alarm: { at: at(4) } }, hooked: false, opening: { state: 'OK' } });
  });

  test('an ALARM after a deploy that finished since the report takes the new report, and its hooks run again', () => {
    // Prepare: ALARM with v5 running (hooked), OK, then v6 is deployed, then ALARM again within the same episode
    const deployed = (requestId: string) => ({ requestId }) as NonNullable<AlarmReport['current']>;
    const first = notice('ALARM', 0);
    let e = stored(applyAlarmChange(undefined, first, input({ report: { ...report(first), current: deployed('d-v5') } })));
    e = stored(applyAlarmChange({ ...e, hooked: true }, notice('OK', 5), input()));
    const again = notice('ALARM', 27);

    // Act
    const sameDeploy = stored(applyAlarmChange(e, again, input({ report: { ...report(again), current: deployed('d-v5') } })));
    const newDeploy = stored(applyAlarmChange(e, again, input({ report: { ...report(again), current: deployed('d-v6'), likelyCause: true } })));

    // Assess: the same deploy keeps the first report, hooked; a new one replaces it, to be hooked
    expect(sameDeploy).toMatchObject({ id: e.id, report: { alarm: { at: at(0) }, current: { requestId: 'd-v5' } }, hooked: true });
    expect(newDeploy).toMatchObject({ id: e.id, report: { alarm: { at: at(27) }, current: { requestId: 'd-v6' }, likelyCause: true }, hooked: false });
  });

  test('the first ALARM delivered after the OK that ended it takes its report, hooks and "resolved after"', () => {
    // Prepare: the OK at 10:09 arrives first and opens the episode
    const alarm = notice('ALARM', 1);
    const okFirst = stored(applyAlarmChange(undefined, notice('OK', 9), input()));

    // Act
    const late = applyAlarmChange(okFirst, alarm, input({ report: { ...report(alarm), likelyCause: true } }));

    // Assess: still a late change in the thread, and the message now carries the ALARM's report, resolved after 8m
    expect(late).toMatchObject({ kind: 'applied', change: { state: 'ALARM', late: { state: 'OK', at: at(9) } } });
    expect(stored(late)).toMatchObject({
      state: 'OK',
      report: { alarm: { state: 'ALARM', at: at(1) }, likelyCause: true },
      hooked: false,
      resolved: { at: at(9), afterMs: 8 * 60_000 },
    });
  });
});

describe('applyAlarmChange: flapping', () => {
  const flip = (count: number, everyMinutes: number) => Array.from({ length: count }, (_, i) => notice(i % 2 === 0 ? 'ALARM' : 'OK', i * everyMinutes));

  test('more than 5 changes within 10 minutes is flapping, with the count', () => {
    // Act
    const five = applyAll(flip(5, 1));
    const six = applyAll(flip(6, 1));

    // Assess
    expect(five.flapping).toBeUndefined();
    expect(six.flapping).toEqual({ count: 6, withinMs: 10 * 60_000 });
    expect(six.thread!.changes).toHaveLength(5);
  });

  test('changes spread wider than the window are no flapping; it ends once the count falls', () => {
    // Act
    const slow = applyAll(flip(8, 3));
    const calmed = stored(applyAlarmChange(applyAll(flip(6, 1)), notice('OK', 30), input()));

    // Assess: 3 minutes apart, at most 4 fall within 10 minutes
    expect(slow.flapping).toBeUndefined();
    expect(calmed.flapping).toBeUndefined();
  });

  test('the window and count come from foxops.yml', () => {
    // Prepare
    const settings = episodeSettingsOf({ alarms: { flapping: { changes: 2, withinMs: 60_000 } } });

    // Act
    const episode = applyAll(flip(3, 0.25), { settings });

    // Assess
    expect(settings.storm).toEqual(DEFAULT_EPISODE_SETTINGS.storm);
    expect(episode.flapping).toEqual({ count: 3, withinMs: 60_000 });
  });
});

describe('placeEpisode: storms', () => {
  const now = (seconds: number) => new Date(T0 + seconds * 1000);
  /** Places episodes e0… one per `everySeconds`, each on the window the last one stored. */
  function placeAll(count: number, everySeconds: number, start?: StormWindow) {
    let window = start;
    const digests: Array<string | undefined> = [];
    for (let i = 0; i < count; i++) {
      const placed = placeEpisode(window, 'C0PROD', `e${i}`, now(i * everySeconds), DEFAULT_EPISODE_SETTINGS);
      window = { ...placed.window, version: placed.window.version + 1 };
      digests.push(placed.placement.digest);
    }
    return { window: window!, digests };
  }

  test('10 alarms in a minute get messages of their own; from the 11th on, one digest lists them', () => {
    // Act: as many as one digest holds, and one more
    const { digests, window } = placeAll(10 + DIGEST_MAX_ALARMS + 1, 0.1);

    // Assess
    expect(digests.slice(0, 10)).toEqual(Array(10).fill(undefined));
    const ids = new Set(digests.slice(10));
    expect(ids.size).toBe(2);
    // A full digest makes way for the next one, not for messages.
    expect(digests.slice(10, 10 + DIGEST_MAX_ALARMS)).toEqual(Array(DIGEST_MAX_ALARMS).fill(digests[10]));
    expect(window.digests).toBe(2);
  });

  test('alarms spread over minutes never storm', () => {
    expect(placeAll(30, 7).digests).toEqual(Array(30).fill(undefined));
  });

  test('the storm lasts while alarms keep joining the digest, and ends a minute after the last', () => {
    // Prepare
    const storm = placeAll(12, 1).window;

    // Act
    const during = placeEpisode(storm, 'C0PROD', 'late-joiner', now(11 + 50), DEFAULT_EPISODE_SETTINGS);
    const after = placeEpisode(storm, 'C0PROD', 'next-day', now(11 + 61), DEFAULT_EPISODE_SETTINGS);

    // Assess
    expect(during.placement.digest).toBe(storm.digest!.id);
    expect(after.placement).toEqual({ channel: 'C0PROD' });
  });

  test('asking again for the same episode gives the same answer and changes nothing', () => {
    // Prepare
    const { window, digests } = placeAll(12, 1);

    // Act
    const again = placeEpisode(window, 'C0PROD', 'e11', now(30), DEFAULT_EPISODE_SETTINGS);
    const own = placeEpisode(window, 'C0PROD', 'e0', now(30), DEFAULT_EPISODE_SETTINGS);

    // Assess
    expect(again).toEqual({ window, placement: { channel: 'C0PROD', digest: digests[11] }, changed: false });
    expect(own).toEqual({ window, placement: { channel: 'C0PROD' }, changed: false });
  });
});

describe('digests', () => {
  const ref = { channel: 'C0PROD', id: 'storm-1' };
  const now = new Date(T0);
  /** `n` applied to `previous` (or opening an episode in the digest), stored. */
  const inDigest = (n: AlarmNotice, previous?: AlarmEpisode) =>
    stored(applyAlarmChange(previous, n, input({ placement: { channel: 'C0PROD', digest: 'storm-1' } })));
  const a1 = inDigest(notice('ALARM', 0, { name: 'a' }));
  const b1 = inDigest(notice('ALARM', 1, { name: 'b' }));
  const a2 = inDigest(notice('OK', 2, { name: 'a' }), a1);
  const joined = () => {
    let digest = joinDigest(undefined, ref, 'a', now).digest;
    digest = joinDigest(digest, ref, 'b', now).digest;
    return digest;
  };

  test("each alarm joins once; the lines come from the members' episodes, with their state now", () => {
    // Act
    const digest = joined();
    const again = joinDigest(digest, ref, 'a', now);
    const moved = { ...b1, id: 'b@later', thread: newThread('C0PROD') } as AlarmEpisode;
    delete moved.digest;

    // Assess
    expect(digest).toMatchObject({ members: ['a', 'b'], shown: {}, openedAt: at(0) });
    expect(again.changed).toBe(false);
    expect(digestLines(digest, [a2, b1]).map((l) => [l.name, l.state, l.at, l.changes])).toEqual([
      ['a', 'OK', at(2), 2],
      ['b', 'ALARM', at(1), 1],
    ]);
    // An alarm whose later episode got a message of its own is no longer listed.
    expect(digestLines(digest, [a2, moved]).map((l) => l.name)).toEqual(['a']);
  });

  test('posts the message, edits it when its lines change, and shows every change in log replies, oldest first', () => {
    // Prepare: the opening change of each alarm waits in its episode too
    expect(a2.thread!.changes.map((c) => [c.seq, c.state])).toEqual([
      [0, 'ALARM'],
      [1, 'OK'],
    ]);
    let digest = joined();

    // Act, Assess: post, then a reply with all three changes merged by time
    const post = nextDigestStep(digest, [a2, b1]);
    expect(post).toMatchObject({ kind: 'post', lines: [{ name: 'a' }, { name: 'b' }] });
    digest = markDigestPosted(digest, '1.1', post.kind === 'post' ? post.fingerprint : '');
    const reply = nextDigestStep(digest, [a2, b1]);
    expect(reply).toMatchObject({ kind: 'reply', shown: { a: 2, b: 1 } });
    expect(reply.kind === 'reply' && reply.changes.map((c) => [c.name, c.at])).toEqual([
      ['a', at(0)],
      ['b', at(1)],
      ['a', at(2)],
    ]);
    digest = reply.kind === 'reply' ? markDigestReplied(digest, '1.2', reply.changes, reply.shown) : digest;
    expect(nextDigestStep(digest, [a2, b1])).toEqual({ kind: 'done' });

    // A new change of b: the lines changed (edit), then the open log reply takes the change (extend)
    const b2 = inDigest(notice('OK', 3, { name: 'b' }), b1);
    const edit = nextDigestStep(digest, [a2, b2]);
    expect(edit).toMatchObject({ kind: 'edit', lines: [{ name: 'a' }, { name: 'b', state: 'OK' }] });
    digest = markDigestEdited(digest, edit.kind === 'edit' ? edit.fingerprint : '');
    const extend = nextDigestStep(digest, [a2, b2]);
    expect(extend).toMatchObject({ kind: 'extend', reply: { ts: '1.2' }, shown: { a: 2, b: 2 } });
    expect(extend.kind === 'extend' && extend.changes.map((c) => c.at)).toEqual([at(0), at(1), at(2), at(3)]);
    digest = extend.kind === 'extend' ? markDigestReplied(digest, '1.2', extend.changes, extend.shown) : digest;
    expect(digest.thread.replies).toBe(1);
    expect(nextDigestStep(digest, [a2, b2])).toEqual({ kind: 'done' });
    // The alarm's next job drops what the digest shows.
    expect(pruneShown(b2, digest.shown.b!).thread).toMatchObject({ shownSeq: 2, changes: [] });
  });

  test("each alarm's changes go out in their order (a late one after the one it follows), at most 100 lines a reply", () => {
    // Prepare: a's change of 10:05 came first, its change of 10:03 arrived late; then 150 more changes of c
    const late = inDigest(notice('OK', 3, { name: 'a' }), inDigest(notice('ALARM', 5, { name: 'a' })));
    let c = inDigest(notice('ALARM', 10, { name: 'c' }));
    for (let i = 1; i < 150; i++) c = inDigest(notice(i % 2 ? 'OK' : 'ALARM', 10 + i / 100, { name: 'c' }), c);
    let digest = markDigestPosted(joinDigest(joined(), ref, 'c', now).digest, '1.1', '');
    digest = { ...digest, shownLines: linesFingerprint(digestLines(digest, [late, b1, c])) };

    // Act
    const first = nextDigestStep(digest, [late, b1, c]);
    digest = first.kind === 'reply' ? markDigestReplied(digest, '1.2', first.changes, first.shown) : digest;
    const second = nextDigestStep(digest, [late, b1, c]);

    // Assess
    expect(first.kind === 'reply' && first.changes).toHaveLength(LOG_REPLY_LINES);
    const aInFirst = first.kind === 'reply' ? first.changes.filter((ch) => ch.name === 'a').map((ch) => ch.at) : [];
    expect(aInFirst).toEqual([at(5), at(3)]);
    // The full reply is closed: the rest start a new one.
    expect(second).toMatchObject({ kind: 'reply' });
    expect(second.kind === 'reply' && second.changes.length).toBe(150 + 2 + 1 - LOG_REPLY_LINES);
    expect(digest.thread.changes).toEqual([]);
  });
});

describe('threads: what Slack is asked to do next', () => {
  /** A posted thread with `n` changes waiting. */
  const withChanges = (n: number, over: Partial<AlarmThread> = {}): AlarmThread => {
    const changes = Array.from({ length: n }, (_, seq) => ({ seq, name: 'x', state: 'OK' as const, at: at(seq) }));
    return { ...newThread('C0PROD'), ts: '1.1', shownRev: 1, changes, nextSeq: n, ...over };
  };

  test('several changes waiting together go out as one log reply; one alone as a reply of its own', () => {
    expect(nextThreadStep(withChanges(3), false)).toMatchObject({ kind: 'reply', from: 0, to: 3, log: true });
    expect(nextThreadStep(withChanges(1), false)).toMatchObject({ kind: 'reply', from: 0, to: 1, log: false });
  });

  test('a collecting thread edits its open log reply while it has room, then starts another', () => {
    // Prepare
    const thread = markReplied(withChanges(3), { ts: '1.2', from: 0, to: 3, log: true });
    const more = { ...thread, changes: [...thread.changes, { seq: 3, name: 'x', state: 'ALARM' as const, at: at(3) }], nextSeq: 4 };

    // Act
    const step = nextThreadStep(more, true);
    const full = markReplied({ ...withChanges(LOG_REPLY_LINES + 2) }, { ts: '1.2', from: 0, to: LOG_REPLY_LINES, log: true });

    // Assess
    expect(step).toMatchObject({ kind: 'extend', reply: { ts: '1.2', from: 0, to: 3 }, to: 4 });
    expect(step.kind === 'extend' && step.changes.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(nextThreadStep(more, false)).toMatchObject({ kind: 'reply', from: 3, to: 4, log: false });
    expect(nextThreadStep(full, true)).toMatchObject({ kind: 'reply', from: LOG_REPLY_LINES, to: LOG_REPLY_LINES + 2, log: true });
    // A full log reply keeps no changes: Slack shows them for good.
    expect(full.changes.map((c) => c.seq)).toEqual([LOG_REPLY_LINES, LOG_REPLY_LINES + 1]);
  });

  test('recording a post twice keeps the first ts; an extended reply is not counted again', () => {
    // Act
    const posted = markPosted(markPosted(newThread('C0PROD'), '1.1', 1), '1.9', 1);
    const replied = markReplied(markReplied(withChanges(2), { ts: '1.2', from: 0, to: 1, log: true }), { ts: '1.2', from: 0, to: 2, log: true });

    // Assess
    expect(posted).toMatchObject({ ts: '1.1', shownRev: 1 });
    expect(replied).toMatchObject({ replies: 1, shownSeq: 2, lastReply: { ts: '1.2', to: 2 } });
    expect(nextThreadStep(replied, true)).toEqual({ kind: 'done' });
  });

  test('one job holds a thread at a time; the same job takes its own claim over; a claim runs out', () => {
    // Prepare
    const thread = newThread('C0PROD');
    const held = claimThread(thread, 'job-a', 1_000, 60_000)!;

    // Act, Assess
    expect(claimThread(held, 'job-b', 30_000, 60_000)).toBeUndefined();
    expect(claimThread(held, 'job-a', 30_000, 60_000)?.claim).toEqual({ by: 'job-a', until: 90_000 });
    expect(claimThread(held, 'job-b', 61_001, 60_000)?.claim?.by).toBe('job-b');
    expect(releaseThread(held, 'job-b')).toBe(held);
    expect(releaseThread(held, 'job-a').claim).toBeUndefined();
  });

  test('the hooks are due once the message of an ALARM is posted, until they ran', () => {
    // Prepare
    const first = notice('ALARM', 0);
    const episode = stored(applyAlarmChange(undefined, first, input({ report: report(first) })));
    const posted = { ...episode, thread: markPosted(episode.thread!, '1.1', 1) };

    // Act, Assess
    expect(hooksDue(episode)).toBe(false);
    expect(hooksDue(posted)).toBe(true);
    expect(hooksDue({ ...posted, hooked: true })).toBe(false);
    expect(hooksDue(stored(applyAlarmChange(undefined, notice('OK', 0), input())))).toBe(false);
  });
});
