/**
 * The words of alarm episodes (src/slack/blocks/alarm-episode.ts): the message says the state now and keeps what the
 * first ALARM's report showed (the likely cause, the Roll back button), a storm's digest lists every alarm within
 * Slack's limits, and the thread says each change once, late ones as late.
 */
import type { AlarmNotice } from '../../src/domain/alarm.js';
import { type AlarmEpisode, applyAlarmChange, DEFAULT_EPISODE_SETTINGS, digestLines, joinDigest } from '../../src/domain/alarm-episode.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { alarmChangesReply, alarmDigestMessage, alarmEpisodeMessage } from '../../src/slack/blocks/alarm-episode.js';
import { blocksText } from '../support/blocks.js';
import { deploymentRecord } from '../support/requests.js';

const target = { service: 'foxy-backend', environment: 'production' };
const at = (minutes: number) => new Date(Date.parse('2026-11-28T10:00:00.000Z') + minutes * 60_000).toISOString();
const notice = (state: AlarmNotice['state'], minutes: number, name = 'foxy-backend-production-errors'): AlarmNotice => ({
  name,
  state,
  reason: `${state} <because> ${minutes}`,
  at: at(minutes),
  region: 'eu-west-1',
});
const deploy = (requestId: string, version: string): DeploymentRecord =>
  deploymentRecord({ sha: `${version}`.padEnd(40, 'a'), requestId, finishedAt: at(-12), version });

/** Applies `notices` in order, the first with the report of a likely-cause deploy that can be rolled back. */
function episodeOf(notices: AlarmNotice[]): AlarmEpisode {
  let episode: AlarmEpisode | undefined;
  for (const [i, n] of notices.entries()) {
    const report =
      i === 0 ? { alarm: n, target, current: deploy('d-abcdefghjk', '5'), previous: deploy('d-bbbbbbbbbb', '4'), likelyCause: true, inFlight: [] } : undefined;
    const decision = applyAlarmChange(episode, n, {
      settings: DEFAULT_EPISODE_SETTINGS,
      channel: 'C0PROD',
      target,
      placement: { channel: 'C0PROD' },
      ...(report ? { report } : {}),
    });
    if (decision.kind !== 'applied') throw new Error(decision.kind);
    episode = { ...decision.episode, version: decision.episode.version + 1 };
  }
  return episode!;
}

test('the message says the state now once, keeps the likely cause and the Roll back button, and how it began', () => {
  // Act
  const message = alarmEpisodeMessage(episodeOf([notice('ALARM', 0), notice('OK', 7)]));

  // Assess
  const text = blocksText(message);
  expect(message.text).toBe('foxy-backend production: foxy-backend-production-errors resolved after 7m');
  expect(text).toContain(':white_check_mark: *foxy-backend* in *production*: <https://eu-west-1.console.aws.amazon.com/');
  expect(text).toContain('OK &lt;because&gt; 7');
  expect(text).not.toContain('is in alarm');
  expect(text).toContain('Likely cause');
  expect(message.blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
  expect(text).toContain('Began in alarm at <!date^');
  expect(text).toContain('1 state change since, in the thread');
});

test('a flapping alarm says so with the count and window; INSUFFICIENT_DATA is shown as such', () => {
  // Act
  const flapping = alarmEpisodeMessage(episodeOf([0, 1, 2, 3, 4, 5].map((m) => notice(m % 2 ? 'OK' : 'ALARM', m))));
  const insufficient = alarmEpisodeMessage(episodeOf([notice('INSUFFICIENT_DATA', 0)]));

  // Assess
  expect(flapping.text).toBe('foxy-backend production: foxy-backend-production-errors resolved after 1m (flapping: 6 changes in 10 min)');
  expect(blocksText(flapping)).toContain(':warning: flapping: 6 changes in 10 min');
  expect(insufficient.text).toBe('foxy-backend production: foxy-backend-production-errors has insufficient data');
  expect(blocksText(insufficient)).not.toContain('Likely cause');
});

test('a digest lists every alarm, 8 to a section, within 50 blocks for the most it holds', () => {
  // Prepare: 200 alarms with long names, each in the digest
  const ref = { channel: 'C0PROD', id: 'd1' };
  const members = Array.from({ length: 200 }, (_, i) => ({
    ...episodeOf([notice('ALARM', 0, `foxy-backend-production-${'x'.repeat(180)}-${i}`)]),
    digest: ref,
  }));
  const digest = members.reduce(
    (d, e) => joinDigest(d, ref, e.name, new Date(at(0))).digest,
    joinDigest(undefined, ref, members[0]!.name, new Date(at(0))).digest,
  );

  // Act
  const message = alarmDigestMessage(digest, digestLines(digest, members));

  // Assess
  expect(message.text).toBe('Alarm storm: 200 alarms');
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(Math.max(...message.blocks.map((b) => (b.type === 'section' ? b.text!.text.length : 0)))).toBeLessThanOrEqual(3000);
  // Each alarm one line; names this long are cut short (at 200 characters).
  expect(blocksText(message).match(/^:rotating_light: `foxy-backend-production-x+` \(foxy-backend in production\): in alarm since /gm)).toHaveLength(200);
});

test('the thread: one change in a sentence, a late one as late, several as lines naming the alarm in a digest', () => {
  // Prepare
  const ok = { seq: 0, name: 'a', state: 'OK' as const, at: at(7), reason: 'fine', alarmForMs: 7 * 60_000 };
  const late = { seq: 1, name: 'a', state: 'ALARM' as const, at: at(5), reason: 'late one', late: { state: 'OK' as const, at: at(7) } };

  // Act
  const single = alarmChangesReply({ kind: 'changes', changes: [ok], log: false, digest: false });
  const lateOne = alarmChangesReply({ kind: 'changes', changes: [late], log: false, digest: false });
  const log = alarmChangesReply({ kind: 'changes', changes: [ok, late], log: true, digest: true });

  // Assess
  expect(single.text).toMatch(/^:white_check_mark: Back to OK after 7m in alarm at <!date\^\d+\^[^|]+\|2026-11-28T10:07:00.000Z>: fine$/);
  expect(lateOne.text).toMatch(/^:hourglass_flowing_sand: Late: in alarm at .* arrived after back to OK at .*, which the message keeps showing: late one$/);
  expect(log.text.split('\n')).toEqual([
    'State changes:',
    expect.stringMatching(/^• <!date.*> :white_check_mark: `a` back to OK after 7m: fine$/),
    expect.stringMatching(/^• <!date.*> :rotating_light: `a` in alarm \(late: arrived after back to OK at .*\): late one$/),
  ]);
});
