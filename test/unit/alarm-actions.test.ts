/**
 * Acting on alarms, the pure parts: when an alarm falls in a deploy's bake window, the marks it leaves, the Roll back
 * button under an alarm message, and the words of the deploy card's mark, the auto-rollback notice and the refusal
 * of a button whose deploy no longer runs.
 */
import type { AlarmNotice, AlarmReport } from '../../src/domain/alarm.js';
import { duringBake, MAX_BAKE_ALARMS, withBakeAlarm } from '../../src/domain/bake.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { newRequest, transition } from '../../src/domain/request.js';
import { jobKey } from '../../src/jobs/keys.js';
import { parseJob } from '../../src/jobs/parse.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { alarmRollbackActions } from '../../src/slack/blocks/alarm-actions.js';
import { alarmMessage } from '../../src/slack/blocks/alarm.js';
import { channelNoticeMessage } from '../../src/slack/blocks/channel-notice.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';
import { blocksText } from '../support/blocks.js';
import { deploymentRecord } from '../support/requests.js';

const ALARM_AT = '2026-11-28T10:00:00.000Z';
const alarm = (over: Partial<AlarmNotice> = {}): AlarmNotice => ({
  name: 'foxy-backend-production-errors',
  state: 'ALARM',
  reason: 'r',
  at: ALARM_AT,
  ...over,
});
const minutesBefore = (minutes: number) => new Date(Date.parse(ALARM_AT) - minutes * 60_000).toISOString();
const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => deploymentRecord({ finishedAt: minutesBefore(10), version: '6', ...over });
const previous = record({ sha: '5'.repeat(40), requestId: 'd-5555555555', version: '5', finishedAt: minutesBefore(120) });
const report = (over: Partial<AlarmReport> = {}): AlarmReport => ({
  alarm: alarm(),
  target: { service: 'foxy-backend', environment: 'production' },
  current: record(),
  likelyCause: true,
  previous,
  inFlight: [],
  ...over,
});
const BAKE = { bakeMs: 30 * 60_000 };

describe('duringBake', () => {
  test('an ALARM up to `bake` after a deploy or promotion succeeded', () => {
    expect(duringBake(record(), alarm(), BAKE)).toBe(true);
    expect(duringBake(record({ finishedAt: minutesBefore(30) }), alarm(), BAKE)).toBe(true);
    expect(duringBake(record({ kind: 'promote' }), alarm(), BAKE)).toBe(true);
  });

  test.each([
    ['after the window', record({ finishedAt: minutesBefore(31) }), alarm(), BAKE],
    ['before the deploy finished', record({ finishedAt: minutesBefore(-1) }), alarm(), BAKE],
    ['an environment without `bake`', record(), alarm(), {}],
    ['an OK', record(), alarm({ state: 'OK' }), BAKE],
    ['a rollback', record({ kind: 'rollback' }), alarm(), BAKE],
    ['a failed deploy', record({ outcome: 'failed' }), alarm(), BAKE],
    ['nothing deployed', undefined, alarm(), BAKE],
  ])('not %s', (_why, deploy, notice, env) => {
    expect(duringBake(deploy, notice, env)).toBe(false);
  });
});

describe('withBakeAlarm', () => {
  test('adds a new alarm or state change, and nothing for one it has or beyond the limit', () => {
    const first = { name: 'errors', at: ALARM_AT };
    const marks = withBakeAlarm(undefined, first);
    expect(marks).toEqual([first]);
    expect(withBakeAlarm(marks, { ...first })).toBeUndefined();
    expect(withBakeAlarm(marks, { name: 'errors', at: minutesBefore(-5) })).toHaveLength(2);
    expect(withBakeAlarm(marks, { name: 'latency', at: ALARM_AT })).toHaveLength(2);
    const full = Array.from({ length: MAX_BAKE_ALARMS }, (_, i) => ({ name: `a${i}`, at: ALARM_AT }));
    expect(withBakeAlarm(full, { name: 'one-more', at: ALARM_AT })).toBeUndefined();
  });
});

describe('alarmRollbackActions', () => {
  test('offers to roll back the likely cause to the previous version; the value is only its deploy id', () => {
    // Act
    const [block] = alarmRollbackActions(report());

    // Assess
    expect(block).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', action_id: ACTION_IDS.alarmRollback, text: { text: 'Roll back to v5' }, value: 'd-6666666666' }],
    });
    expect(blocksText({ blocks: [block] })).toContain('from v6 `6666666` (deploy `d-6666666666`) to v5 (deploy `d-5555555555`)');
  });

  test('names the short SHA where no version was recorded', () => {
    const [block] = alarmRollbackActions(report({ previous: { ...previous, version: undefined } }));
    expect(block).toMatchObject({ elements: [{ text: { text: 'Roll back to 5555555' } }] });
  });

  test.each([
    ['no likely cause', report({ likelyCause: false })],
    ['nothing to go back to', report({ previous: undefined })],
    ['an OK', report({ alarm: alarm({ state: 'OK' }) })],
    ['nothing deployed', report({ current: undefined })],
  ])('offers nothing for %s', (_why, r) => {
    expect(alarmRollbackActions(r)).toEqual([]);
  });

  test('the alarm message carries the button after what it says about the deploy', () => {
    // Act
    const message = alarmMessage(report());

    // Assess
    expect(message.blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ action_id: ACTION_IDS.alarmRollback }] });
    expect(blocksText(message)).toContain('Likely cause');
  });
});

describe('the words', () => {
  const deploy = () => {
    const now = new Date(minutesBefore(20));
    const r = newRequest({
      id: 'd-6666666666',
      kind: 'deploy',
      service: 'foxy-backend',
      environment: 'production',
      repo: 'o/r',
      workflow: 'deploy.yml',
      ref: 'main',
      requester: 'U0DAVE',
      channel: 'C0PROD',
      requiredApprovals: 0,
      ttlMs: 60_000,
      now,
    });
    return transition(r, 'approved', now, { sha: '6'.repeat(40) });
  };

  test('the deploy card marks each alarm during bake, and only then', () => {
    // Act
    const marked = blocksText(deployCard({ ...deploy(), bakeAlarms: [{ name: 'foxy-backend-production-errors', at: ALARM_AT }] }));
    const plain = blocksText(deployCard(deploy()));

    // Assess
    expect(marked).toContain(':rotating_light: alarm during bake: `foxy-backend-production-errors` <!date^');
    expect(plain).not.toContain('alarm during bake');
  });

  test('the auto-rollback notice says which alarm, which deploy, and where the card is', () => {
    // Prepare
    const rollback = { ...deploy(), id: 'd-7777777777', kind: 'rollback' as const };

    // Act
    const text = blocksText(
      channelNoticeMessage({ kind: 'auto_rollback', requestId: rollback.id, alarm: 'foxy-backend-production-errors', deployId: 'd-6666666666' }, rollback),
    );

    // Assess
    expect(text).toContain(
      ':rewind: *Auto-rollback* of *foxy-backend* in *production*: alarm `foxy-backend-production-errors` went off during the bake of deploy `d-6666666666`',
    );
    expect(text).toContain('without waiting for approval');
    expect(text).toContain('The card is in <#C0PROD>, deploy `d-7777777777`.');
  });

  test('the notice job survives the job schema and is keyed once per rollback', () => {
    // Prepare
    const job = {
      type: 'channel_notice' as const,
      channel: 'C0PROD',
      notice: { kind: 'auto_rollback' as const, requestId: 'd-7777777777', alarm: 'foxy-backend-production-errors', deployId: 'd-6666666666' },
    };

    // Act, Assess
    expect(parseJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    expect(parseJob({ ...job, notice: { ...job.notice, deployId: 'not-an-id' } })).toBeUndefined();
    expect(jobKey(job)).toBe('channel-notice:C0PROD:auto_rollback:d-7777777777:d-6666666666');
  });

  test('a button whose deploy no longer runs is refused with what runs now and the command to use', () => {
    expect(
      refusalText({
        code: 'no_longer_running',
        requestId: 'd-6666666666',
        service: 'foxy-backend',
        environment: 'production',
        current: { requestId: 'd-7777777777', sha: '7'.repeat(40) },
      }),
    ).toBe(
      'Deploy `d-6666666666` no longer runs in *production*: someone deployed or rolled back since this alarm. ' +
        '`7777777` (deploy `d-7777777777`) runs there now. To roll back what runs, use `/deploy rollback production foxy-backend`.',
    );
  });
});
