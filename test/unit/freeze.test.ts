/**
 * Freeze windows (src/domain/freeze.ts): which freeze holds at an instant and which comes next, with exact UTC
 * instants across daylight saving changes in Europe/Berlin (2026-03-29, 2026-10-25) and America/New_York
 * (2026-03-08, 2026-11-01). Every clock is fixed and passed in.
 */
import { parseCatalog } from '../../src/config/catalog-schema.js';
import { parseYaml } from '../../src/config/yaml.js';
import { activeFreeze, type FreezeWindow, nextFreeze, type WeeklyTime } from '../../src/domain/freeze.js';

const DAY = 24 * 3_600_000;
const at = (iso: string) => new Date(iso);
const justBefore = (iso: string) => new Date(Date.parse(iso) - 1);

const time = (weekday: WeeklyTime['weekday'], hour: number, minute = 0): WeeklyTime => ({ weekday, hour, minute });
const weekly = (timeZone: string, from: WeeklyTime, to: WeeklyTime, reason = 'weekend'): FreezeWindow => ({ kind: 'weekly', from, to, timeZone, reason });
const once = (timeZone: string, from: string, to: string, reason = 'year end'): FreezeWindow => ({ kind: 'once', from, to, timeZone, reason });

/** Friday 15:00 to Monday 08:00, the running example. */
const weekend = (timeZone: string) => weekly(timeZone, time(5, 15), time(1, 8));

/** The freezes of the one environment of a foxops.yml whose `environments.production` ends with `lines`. */
function freezesOf(lines: string): FreezeWindow[] {
  const yaml = `
services:
  foxy-backend:
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
environments:
  production:
    channels: [C0PROD]
    approvals: 0
    break_glass_approvers: [U0ALICE, U0BOB]
${lines}`;
  const result = parseCatalog(parseYaml(yaml), 'f.yml');
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return result.catalog.environments[0]!.freezes!;
}

describe('activeFreeze: a weekly window in Europe/Berlin', () => {
  it('spans the weekend daylight saving starts: Friday 15:00 CET to Monday 08:00 CEST', () => {
    // Act
    const period = activeFreeze([weekend('Europe/Berlin')], at('2026-03-28T12:00:00Z'));

    // Assess
    expect(period).toEqual({
      reason: 'weekend',
      start: '2026-03-27T14:00:00.000Z',
      end: '2026-03-30T06:00:00.000Z',
      timeZone: 'Europe/Berlin',
      recurring: true,
    });
  });

  it('spans the weekend daylight saving ends: Friday 15:00 CEST to Monday 08:00 CET', () => {
    // Act
    const period = activeFreeze([weekend('Europe/Berlin')], at('2026-10-25T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-10-23T13:00:00.000Z', end: '2026-10-26T07:00:00.000Z' });
  });

  it.each([
    ['just before the start', false, justBefore('2026-03-27T14:00:00Z')],
    ['at the start', true, at('2026-03-27T14:00:00Z')],
    ['just after the start', true, at('2026-03-27T14:00:00.001Z')],
    ['on Monday just before the end (the window wraps the week)', true, justBefore('2026-03-30T06:00:00Z')],
    ['at the end', false, at('2026-03-30T06:00:00Z')],
    ['just after the end', false, at('2026-03-30T06:00:00.001Z')],
    ['midweek', false, at('2026-03-25T12:00:00Z')],
  ])('%s: frozen is %p', (_when, frozen, now) => {
    // Act
    const period = activeFreeze([weekend('Europe/Berlin')], now);

    // Assess
    expect(period !== undefined).toBe(frozen);
  });

  it('shifts a start that does not exist on the spring-forward day (02:30) forward by the gap, to 03:30 CEST', () => {
    // Prepare: Sunday 02:30 to 04:00, on the night the clocks jump from 02:00 to 03:00
    const window = weekly('Europe/Berlin', time(7, 2, 30), time(7, 4));

    // Act
    const period = activeFreeze([window], at('2026-03-29T01:45:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-03-29T01:30:00.000Z', end: '2026-03-29T02:00:00.000Z' });
    expect(activeFreeze([window], justBefore('2026-03-29T01:30:00Z'))).toBeUndefined();
  });

  it('takes the second 02:30 on the fall-back day, as luxon does', () => {
    // Prepare: Sunday 02:30 to 03:30, on the night 02:00–03:00 happens twice
    const window = weekly('Europe/Berlin', time(7, 2, 30), time(7, 3, 30));

    // Act
    const period = activeFreeze([window], at('2026-10-25T02:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-10-25T01:30:00.000Z', end: '2026-10-25T02:30:00.000Z' });
  });

  it('runs a window that ends at an earlier time on its own weekday for almost a week', () => {
    // Prepare: Monday 13:00 to the next Monday 12:00
    const window = weekly('Europe/Berlin', time(1, 13), time(1, 12));

    // Act
    const period = activeFreeze([window], at('2026-06-07T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-06-01T11:00:00.000Z', end: '2026-06-08T10:00:00.000Z' });
    expect(activeFreeze([window], at('2026-06-08T10:30:00Z'))).toBeUndefined();
  });
});

describe('activeFreeze: a weekly window in America/New_York', () => {
  it('spans the weekend daylight saving starts: Friday 15:00 EST to Monday 08:00 EDT', () => {
    // Act
    const period = activeFreeze([weekend('America/New_York')], at('2026-03-07T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-03-06T20:00:00.000Z', end: '2026-03-09T12:00:00.000Z', timeZone: 'America/New_York' });
  });

  it('spans the weekend daylight saving ends: Friday 15:00 EDT to Monday 08:00 EST', () => {
    // Act
    const period = activeFreeze([weekend('America/New_York')], at('2026-10-31T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-10-30T19:00:00.000Z', end: '2026-11-02T13:00:00.000Z' });
  });

  it.each([
    ['just before the start', false, justBefore('2026-10-30T19:00:00Z')],
    ['at the start', true, at('2026-10-30T19:00:00Z')],
    ['just before the end', true, justBefore('2026-11-02T13:00:00Z')],
    ['at the end', false, at('2026-11-02T13:00:00Z')],
  ])('%s: frozen is %p', (_when, frozen, now) => {
    // Act
    const period = activeFreeze([weekend('America/New_York')], now);

    // Assess
    expect(period !== undefined).toBe(frozen);
  });

  it('reads the weekday in the window’s zone: Friday 21:00 in New York is already Saturday in UTC', () => {
    // Prepare: Friday 20:00 to 22:00 New York time
    const window = weekly('America/New_York', time(5, 20), time(5, 22));

    // Act
    const period = activeFreeze([window], at('2026-06-13T01:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-06-13T00:00:00.000Z', end: '2026-06-13T02:00:00.000Z' });
  });
});

describe('activeFreeze: one-off windows', () => {
  it('runs from and to the local times given', () => {
    // Prepare
    const window = once('Europe/Berlin', '2026-12-23T18:00', '2027-01-04T08:00');

    // Act
    const period = activeFreeze([window], at('2026-12-30T12:00:00Z'));

    // Assess
    expect(period).toEqual({
      reason: 'year end',
      start: '2026-12-23T17:00:00.000Z',
      end: '2027-01-04T07:00:00.000Z',
      timeZone: 'Europe/Berlin',
      recurring: false,
    });
  });

  it.each([
    ['just before the start', false, justBefore('2026-12-23T17:00:00Z')],
    ['at the start', true, at('2026-12-23T17:00:00Z')],
    ['just before the end', true, justBefore('2027-01-04T07:00:00Z')],
    ['at the end', false, at('2027-01-04T07:00:00Z')],
  ])('%s: frozen is %p', (_when, frozen, now) => {
    // Act
    const period = activeFreeze([once('Europe/Berlin', '2026-12-23T18:00', '2027-01-04T08:00')], now);

    // Assess
    expect(period !== undefined).toBe(frozen);
  });

  it('with dates only, from the start of the first day to the end of the last one', () => {
    // Prepare
    const windows = freezesOf('    time_zone: Europe/Berlin\n    freezes:\n      - { from: 2026-12-23, to: 2027-01-04, reason: year end }\n');

    // Act
    const period = activeFreeze(windows, at('2027-01-04T12:00:00Z'));

    // Assess: 00:00 CET on the 23rd to 00:00 CET on the 5th
    expect(period).toMatchObject({ start: '2026-12-22T23:00:00.000Z', end: '2027-01-04T23:00:00.000Z', recurring: false });
    expect(activeFreeze(windows, justBefore('2026-12-22T23:00:00Z'))).toBeUndefined();
    expect(activeFreeze(windows, justBefore('2027-01-04T23:00:00Z'))).toBeDefined();
    expect(activeFreeze(windows, at('2027-01-04T23:00:00Z'))).toBeUndefined();
  });

  it('with dates only across the spring-forward night: the last day has 23 hours', () => {
    // Prepare
    const windows = freezesOf('    time_zone: Europe/Berlin\n    freezes:\n      - { from: 2026-03-28, to: 2026-03-29, reason: migration }\n');

    // Act
    const period = activeFreeze(windows, at('2026-03-29T12:00:00Z'));

    // Assess: 00:00 CET on the 28th to 00:00 CEST on the 30th
    expect(period).toMatchObject({ start: '2026-03-27T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z' });
  });

  it('is in UTC when the environment names no time zone', () => {
    // Prepare
    const windows = freezesOf('    freezes:\n      - { from: "2026-12-23 18:00", to: 2026-12-24, reason: party }\n');

    // Act
    const period = activeFreeze(windows, at('2026-12-24T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-12-23T18:00:00.000Z', end: '2026-12-25T00:00:00.000Z', timeZone: 'UTC' });
  });

  it('prefers the window’s own time zone over the environment’s', () => {
    // Prepare
    const windows = freezesOf(
      '    time_zone: Europe/Berlin\n    freezes:\n      - { from: 2026-07-01T09:00, to: 2026-07-01T17:00, time_zone: America/New_York, reason: launch }\n',
    );

    // Act
    const period = activeFreeze(windows, at('2026-07-01T14:00:00Z'));

    // Assess: EDT, UTC-4
    expect(period).toMatchObject({ start: '2026-07-01T13:00:00.000Z', end: '2026-07-01T21:00:00.000Z', timeZone: 'America/New_York' });
  });
});

describe('activeFreeze: overlapping windows', () => {
  it('takes the one that ends last: the holiday freeze over a weekend inside it', () => {
    // Prepare
    const windows = [weekend('Europe/Berlin'), once('Europe/Berlin', '2026-12-23T00:00', '2027-01-05T00:00')];

    // Act
    const period = activeFreeze(windows, at('2026-12-26T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ reason: 'year end', end: '2027-01-04T23:00:00.000Z' });
  });

  it('takes the one that ends last: the weekend that outlasts a short freeze', () => {
    // Prepare: Christmas Day 2026 is a Friday
    const windows = [once('Europe/Berlin', '2026-12-24T00:00', '2026-12-26T00:00'), weekend('Europe/Berlin')];

    // Act
    const period = activeFreeze(windows, at('2026-12-25T18:00:00Z'));

    // Assess
    expect(period).toMatchObject({ reason: 'weekend', start: '2026-12-25T14:00:00.000Z', end: '2026-12-28T07:00:00.000Z' });
  });

  it('is undefined without windows', () => {
    // Act
    const period = activeFreeze([], at('2026-12-26T12:00:00Z'));

    // Assess
    expect(period).toBeUndefined();
  });
});

describe('nextFreeze', () => {
  it('finds the next weekend from midweek', () => {
    // Act
    const period = nextFreeze([weekend('Europe/Berlin')], at('2026-03-25T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-03-27T14:00:00.000Z', end: '2026-03-30T06:00:00.000Z', recurring: true });
  });

  it('during a freeze, finds the one after it, not the one in force', () => {
    // Act
    const period = nextFreeze([weekend('Europe/Berlin')], at('2026-03-28T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ start: '2026-04-03T13:00:00.000Z' });
  });

  it('counts a freeze that starts at `now` as active, not next', () => {
    // Prepare
    const now = at('2026-03-27T14:00:00Z');

    // Act
    const period = nextFreeze([weekend('Europe/Berlin')], now);

    // Assess
    expect(period?.start).toBe('2026-04-03T13:00:00.000Z');
    expect(activeFreeze([weekend('Europe/Berlin')], now)?.start).toBe('2026-03-27T14:00:00.000Z');
  });

  it('takes the earliest start among several windows', () => {
    // Prepare
    const windows = [weekend('Europe/Berlin'), once('Europe/Berlin', '2026-03-26T10:00', '2026-03-26T12:00', 'migration')];

    // Act
    const period = nextFreeze(windows, at('2026-03-25T12:00:00Z'));

    // Assess
    expect(period).toMatchObject({ reason: 'migration', start: '2026-03-26T09:00:00.000Z', recurring: false });
  });

  it('looks 35 days ahead by default', () => {
    // Prepare: starts 40 days after now
    const now = at('2026-11-13T17:00:00Z');
    const windows = [once('Europe/Berlin', '2026-12-23T18:00', '2027-01-04T08:00')];

    // Act
    const byDefault = nextFreeze(windows, now);
    const further = nextFreeze(windows, now, 41 * DAY);

    // Assess
    expect(byDefault).toBeUndefined();
    expect(further?.start).toBe('2026-12-23T17:00:00.000Z');
  });

  it.each([
    ['at the horizon', true, 40 * DAY],
    ['just past the horizon', false, 40 * DAY - 1],
  ])('for a freeze that starts %s, finds it is %p', (_where, found, horizonMs) => {
    // Prepare
    const windows = [once('Europe/Berlin', '2026-12-23T18:00', '2027-01-04T08:00')];

    // Act
    const period = nextFreeze(windows, at('2026-11-13T17:00:00Z'), horizonMs);

    // Assess
    expect(period !== undefined).toBe(found);
  });

  it('after this week’s window, finds next week’s, at next week’s offset (CEST)', () => {
    // Prepare: Friday 15:00 to 16:00; now is Friday 16:30 CET
    const window = weekly('Europe/Berlin', time(5, 15), time(5, 16));

    // Act
    const period = nextFreeze([window], at('2026-03-27T15:30:00Z'), 8 * DAY);

    // Assess
    expect(period?.start).toBe('2026-04-03T13:00:00.000Z');
  });

  it('is undefined for a one-off freeze that is over', () => {
    // Act
    const period = nextFreeze([once('UTC', '2026-01-01T00:00', '2026-01-02T00:00')], at('2026-03-01T00:00:00Z'));

    // Assess
    expect(period).toBeUndefined();
  });
});
