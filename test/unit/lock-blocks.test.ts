/**
 * What people read about locks and freezes outside the deploy card: `/deploy locks`, the notices in the channel
 * (a lock taken or lifted, a break-glass asked for or approved), and the lock and freeze lines of status and App
 * Home. Pure: locks, notices and requests in, Block Kit out, with a fixed clock.
 */
import type { FreezePeriod } from '../../src/domain/freeze.js';
import type { Lock } from '../../src/domain/lock.js';
import type { DeployRequest } from '../../src/domain/request.js';
import type { ServiceStatus } from '../../src/deploys/status.js';
import { channelNoticeMessage } from '../../src/slack/blocks/channel-notice.js';
import { zonedTime } from '../../src/slack/blocks/holds.js';
import { lockedText, unlockedText } from '../../src/slack/blocks/lock-answers.js';
import { locksMessage } from '../../src/slack/blocks/locks.js';
import { statusMessage } from '../../src/slack/blocks/status.js';
import { blocksText } from '../support/blocks.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const date = (epoch: number, iso: string) => `<!date^${epoch}^{date_short_pretty} {time}|${iso}>`;
const SINCE = date(1893492000, '2030-01-01T10:00:00.000Z');
const UNTIL = date(1893506400, '2030-01-01T14:00:00.000Z');

/** Dave's lock on all of production until 14:00, Erin's on foxy-backend there until unlocked. */
const envLock: Lock = { environment: 'production', owner: 'U0DAVE', reason: 'DB migration', at: '2030-01-01T10:00:00.000Z', until: '2030-01-01T14:00:00.000Z' };
const serviceLock: Lock = { environment: 'production', service: 'foxy-backend', owner: 'U0ERIN', reason: 'incident 42', at: '2030-01-01T10:00:00.000Z' };
/** The lock a rollback took in staging. */
const rollbackLock: Lock = {
  environment: 'staging',
  service: 'foxy-backend',
  owner: 'U0FRANK',
  reason: 'rolled back bbbbbbb (d-bbbbbbbbbb)',
  at: '2030-01-01T10:00:00.000Z',
  requestId: 'd-cccccccccc',
};
/** A lock that ended an hour before NOW and is still stored. */
const endedLock: Lock = { environment: 'staging', owner: 'U0GRACE', reason: 'load test', at: '2030-01-01T09:00:00.000Z', until: '2030-01-01T11:00:00.000Z' };

describe('locksMessage', () => {
  it('lists the locks in force per environment, the environment lock first, with who, since, until, why and how to lift', () => {
    // Act
    const [text, blocks] = locksMessage([serviceLock, rollbackLock, envLock, endedLock], NOW);

    // Assess
    expect(blocks.map((b) => blocksText({ blocks: [b] }).trim())).toEqual([
      '*production*\n' +
        `:lock: *all services*, locked by <@U0DAVE> since ${SINCE}, until ${UNTIL} (2h left): DB migration. To lift: \`/deploy unlock production\`.\n` +
        `:lock: *foxy-backend*, locked by <@U0ERIN> since ${SINCE}, until unlocked: incident 42. To lift: \`/deploy unlock production foxy-backend\`.`,
      '*staging*\n' +
        `:lock: *foxy-backend* (after rollback \`d-cccccccccc\`), locked by <@U0FRANK> since ${SINCE}, until unlocked: rolled back bbbbbbb (d-bbbbbbbbbb). ` +
        'To lift: `/deploy unlock staging foxy-backend`.',
    ]);
    expect(text).toBe('Locked: foxy-backend in production by <@U0ERIN>, foxy-backend in staging by <@U0FRANK>, production (all services) by <@U0DAVE>');
  });

  it('says nothing is locked, and how to lock, when every lock has ended', () => {
    // Act
    const [text, blocks] = locksMessage([endedLock], NOW);

    // Assess
    expect(text).toBe('Nothing is locked.');
    expect(blocksText({ blocks })).toContain('Nothing is locked. To lock: `/deploy lock <env> [service] <reason> [for 2h]`.');
  });

  it('names the environment asked about when nothing is locked there', () => {
    // Act
    const [text] = locksMessage([], NOW, 'production');

    // Assess
    expect(text).toBe('Nothing is locked in production.');
  });

  it('escapes a reason so that it cannot mention anyone', () => {
    // Act
    const [, blocks] = locksMessage([{ ...envLock, reason: '<!channel> & friends' }], NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words).not.toContain('<!channel>');
    expect(words).toContain('&lt;!channel&gt; &amp; friends');
  });

  it('stays within one text object with a hundred service locks', () => {
    // Prepare
    const many = Array.from({ length: 100 }, (_, i) => ({ ...serviceLock, service: `service-${String(i).padStart(3, '0')}`, reason: 'x'.repeat(100) }));

    // Act
    const [, blocks] = locksMessage(many, NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words.length).toBeLessThan(3000);
    expect(words).toMatch(/…and \d+ more$/);
  });
});

describe('channelNoticeMessage: locks', () => {
  it('announces a lock with its end and reason, and says who it holds back and how to lift it', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_taken', lock: envLock, renewed: false });

    // Assess
    expect(message.text).toBe(`:lock: <@U0DAVE> locked *production* (all services) until ${UNTIL}: DB migration`);
    expect(blocksText(message)).toContain(
      'Deploys to production by anyone else wait until it ends (<@U0DAVE> may still deploy). To lift it: `/deploy unlock production`.',
    );
  });

  it('announces a lock on one service until unlocked', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_taken', lock: serviceLock, renewed: false });

    // Assess
    expect(message.text).toBe(':lock: <@U0ERIN> locked *foxy-backend* in *production* until unlocked: incident 42');
    expect(blocksText(message)).toContain('Deploys of foxy-backend to production by anyone else wait until it ends');
  });

  it('says the owner changed their lock when they take it again', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_taken', lock: envLock, renewed: true });

    // Assess
    expect(message.text).toBe(`:lock: <@U0DAVE> changed their lock on *production* (all services): now until ${UNTIL}: DB migration`);
  });

  it('names the rollback that took a lock', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_taken', lock: rollbackLock, renewed: false });

    // Assess
    expect(message.text).toBe(
      ':lock: <@U0FRANK> locked *foxy-backend* in *staging* after rollback `d-cccccccccc` until unlocked: rolled back bbbbbbb (d-bbbbbbbbbb)',
    );
  });

  it('announces an unlock by the owner in a few words', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_released', lock: envLock, by: 'U0DAVE' });

    // Assess
    expect(message.text).toBe(':unlock: <@U0DAVE> unlocked *production* (all services).');
    expect(blocksText(message)).toContain('Deploys it held back go ahead by themselves.');
  });

  it('says whose lock an approver lifted, since when and why they held it', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'lock_released', lock: envLock, by: 'U0ALICE' });

    // Assess
    expect(message.text).toBe(`:unlock: <@U0ALICE> unlocked *production* (all services) (locked by <@U0DAVE> since ${SINCE}: DB migration).`);
  });
});

describe('channelNoticeMessage: break-glass', () => {
  const breakGlass = (overrides: Partial<DeployRequest> = {}): DeployRequest => ({
    ...productionRequest({ now: NOW }),
    status: 'awaiting_approval',
    sha: SHA,
    breakGlass: { reason: 'checkout is down <!here>', duringFreeze: true },
    ...overrides,
  });

  it('announces the request with its reason, where the card is and what it needs', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' }, breakGlass());

    // Assess
    expect(message.text).toBe(
      ':rotating_light: *BREAK-GLASS*: <@U0CAROL> asks to deploy `3f78685` of *foxy-backend* to *production* during a freeze: checkout is down &lt;!here&gt;',
    );
    expect(blocksText(message)).toContain(
      "The card is in <#C0PROD>, deploy `d-0123456789`. It needs 2 approvals from the break-glass approvers, never the requester's own.",
    );
  });

  it('names the ref while the SHA is still being resolved', () => {
    // Act
    const message = channelNoticeMessage(
      { kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' },
      breakGlass({ status: 'preparing', sha: undefined }),
    );

    // Assess
    expect(message.text).toContain('asks to deploy `main` of *foxy-backend* to *production*');
  });

  it('names the source of a promotion whose SHA is not pinned yet, never its ref', () => {
    // Act
    const message = channelNoticeMessage(
      { kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' },
      breakGlass({ kind: 'promote', status: 'preparing', sha: undefined, promotion: { from: 'staging' } }),
    );

    // Assess
    expect(message.text).toContain('asks to promote what last succeeded in *staging* of *foxy-backend* to *production*');
    expect(message.text).not.toContain('`main`');
  });

  it('says when no freeze was in force: the break-glass is for the pre-flight checks', () => {
    // Act
    const asked = channelNoticeMessage(
      { kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' },
      breakGlass({ breakGlass: { reason: 'hotfix' } }),
    );
    const approved = channelNoticeMessage(
      { kind: 'break_glass', requestId: 'd-0123456789', stage: 'approved' },
      breakGlass({ status: 'approved', breakGlass: { reason: 'hotfix' } }),
    );

    // Assess
    expect(asked.text).toBe(
      ':rotating_light: *BREAK-GLASS*: <@U0CAROL> asks to deploy `3f78685` of *foxy-backend* to *production* past the pre-flight checks (no freeze in force): hotfix',
    );
    expect(approved.text).toContain('goes ahead: hotfix');
    expect(approved.text).not.toContain('freeze');
  });

  it('announces the approval with both approvers', () => {
    // Prepare
    const approvals = [
      { userId: 'U0ALICE', at: '2030-01-01T12:01:00.000Z' },
      { userId: 'U0BOB', at: '2030-01-01T12:02:00.000Z' },
    ];

    // Act
    const message = channelNoticeMessage({ kind: 'break_glass', requestId: 'd-0123456789', stage: 'approved' }, breakGlass({ status: 'approved', approvals }));

    // Assess
    expect(message.text).toBe(
      ":rotating_light: *BREAK-GLASS* approved by <@U0ALICE> and <@U0BOB>: <@U0CAROL>'s deploy `3f78685` of *foxy-backend* to *production* " +
        'goes ahead during the freeze: checkout is down &lt;!here&gt;',
    );
  });

  it('names the deploy id when the request is no longer stored', () => {
    // Act
    const message = channelNoticeMessage({ kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' }, undefined);

    // Assess
    expect(message.text).toBe(':rotating_light: *BREAK-GLASS* requested: deploy `d-0123456789`.');
  });
});

describe('zonedTime', () => {
  it.each([
    ['winter time in Berlin (UTC+1)', '2030-01-04T16:00:00.000Z', 'Europe/Berlin', 'Fri 2030-01-04 17:00'],
    ['summer time in Berlin (UTC+2)', '2030-07-05T15:00:00.000Z', 'Europe/Berlin', 'Fri 2030-07-05 17:00'],
    ['midnight, as 00:00 and not 24:00', '2030-01-04T23:00:00.000Z', 'Europe/Berlin', 'Sat 2030-01-05 00:00'],
    ['New York, the day before', '2030-01-04T03:00:00.000Z', 'America/New_York', 'Thu 2030-01-03 22:00'],
  ])('writes %s', (_what, iso, zone, expected) => {
    // Act
    const written = zonedTime(iso, zone);

    // Assess
    expect(written).toBe(expected);
  });
});

describe('statusMessage: locks and freezes', () => {
  const freeze: FreezePeriod = {
    reason: 'weekend',
    start: '2030-01-04T16:00:00.000Z',
    end: '2030-01-07T07:00:00.000Z',
    timeZone: 'Europe/Berlin',
    recurring: true,
  };
  const WINDOW =
    '*weekend*, Fri 2030-01-04 17:00 to Mon 2030-01-07 08:00 Europe/Berlin ' +
    `(${date(1893772800, '2030-01-04T16:00:00.000Z')} to ${date(1893999600, '2030-01-07T07:00:00.000Z')} your time)`;
  const status = (production: Partial<ServiceStatus['environments'][number]>): ServiceStatus[] => [
    { service: 'foxy-backend', environments: [{ environment: 'production', inFlight: [], waiting: [], locks: [], ...production }] },
  ];

  it('shows the locks that hold the service, with how long they have left and how to lift them', () => {
    // Act
    const [, blocks] = statusMessage(status({ locks: [envLock, serviceLock] }), NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words).toContain(
      `    :lock: Locked (all services) by <@U0DAVE> since ${SINCE}, until ${UNTIL} (2h left): DB migration. To lift: \`/deploy unlock production\`.`,
    );
    expect(words).toContain(`    :lock: Locked by <@U0ERIN> since ${SINCE}, until unlocked: incident 42. To lift: \`/deploy unlock production foxy-backend\`.`);
  });

  it('shows the freeze in force and how to break glass, and not the next one', () => {
    // Act
    const [, blocks] = statusMessage(status({ freeze, nextFreeze: { ...freeze, start: '2030-01-11T16:00:00.000Z' } }), NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words).toContain(`    :snowflake: Frozen: ${WINDOW}. Deploys wait until it ends; in an emergency, add \`--break-glass "<reason>"\`.`);
    expect(words).not.toContain('Next freeze');
  });

  it('shows the next freeze when none is in force', () => {
    // Act
    const [, blocks] = statusMessage(status({ nextFreeze: freeze }), NOW);

    // Assess
    expect(blocksText({ blocks })).toContain(`    :calendar: Next freeze: ${WINDOW}.`);
  });

  it('says what a queued request waits for', () => {
    // Prepare
    const held: DeployRequest = {
      ...productionRequest({ now: NOW }),
      status: 'queued_behind',
      sha: SHA,
      hold: { code: 'busy', requestId: 'd-aaaaaaaaaa', status: 'running', since: NOW.toISOString() },
    };

    // Act
    const [, blocks] = statusMessage(status({ waiting: [held] }), NOW);

    // Assess
    expect(blocksText({ blocks })).toContain('`3f78685` (`main`) queued behind deploy `d-aaaaaaaaaa`, requested by <@U0CAROL>, deploy `d-0123456789`');
  });

  it('says nothing about locks or freezes where there are none', () => {
    // Act
    const [, blocks] = statusMessage(status({}), NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words).not.toContain(':lock:');
    expect(words).not.toContain('freeze');
  });
});

describe('the answers to /deploy lock and unlock', () => {
  test('name the lock, its end and how to lift it; the reason is shown, never read as Slack markup', () => {
    expect(lockedText(envLock, false)).toBe(
      `:lock: Locked *production* (all services) until ${UNTIL}: _DB migration_. ` +
        'New requests and promotions there are refused, and approved ones wait, except yours; rollbacks still go. ' +
        'I told the channel. Lift it with `/deploy unlock production`.',
    );
    expect(lockedText({ ...serviceLock, reason: 'see <!channel>' }, true)).toContain(
      'Your lock on *foxy-backend* in *production* now holds until you unlock it: _see &lt;!channel&gt;_.',
    );
    expect(unlockedText(serviceLock, true)).toBe(
      ':unlock: Unlocked *foxy-backend* in *production*, which <@U0ERIN> had locked: _incident 42_. Requests held by it go ahead by themselves. I told the channel.',
    );
  });
});
