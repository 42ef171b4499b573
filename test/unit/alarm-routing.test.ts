/**
 * Where an alarm goes (src/domain/alarm.ts): its service and environment by a `FunctionName` dimension (of the metric
 * or of a metric-math query), by the names and prefixes in `targets.<env>.alarms`, or by the `<service>-<environment>-`
 * convention; otherwise `alarms.default_channel`, or nowhere. And the `alarms:` keys of foxops.yml.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAlarmEvent, parseAlarmMessage } from '../../src/alarms/envelope.js';
import { formatProblems, parseCatalog } from '../../src/config/index.js';
import {
  type AlarmNotice,
  LIKELY_CAUSE_WINDOW_MS,
  alarmDestination,
  alarmFunctionNames,
  alarmTarget,
  isLikelyCause,
  likelyCauseWindowMs,
} from '../../src/domain/alarm.js';
import type { Catalog } from '../../src/domain/catalog.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { deploymentRecord } from '../support/requests.js';

const YAML = `
services:
  foxy-backend:
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
    targets:
      production:
        function: foxy-backend-production
        alarms: [checkout-unhealthy, checkout-*]
      staging:
        function: foxy-backend-staging
  foxy:
    repo: foxy-org/foxy
    workflow: deploy.yml
    targets:
      production:
        alarms: [checkout-latency-*, foxy-edge-5xx]
  billing:
    repo: foxy-org/billing
    workflow: deploy.yml
environments:
  staging:
    channels: [C0STAGING]
    approvals: 0
  production:
    channels: [C0PROD, C0PROD2]
    approvals: 1
    approvers: [U0ALICE]
`;

const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');
const catalogOf = (yaml: string): Catalog => {
  const result = parse(yaml);
  if ('problems' in result) throw new Error(formatProblems(result.problems));
  return result.catalog;
};
const catalog = catalogOf(YAML);
const alarm = (over: Partial<AlarmNotice> = {}): AlarmNotice => ({ name: 'x', state: 'ALARM', reason: 'r', at: '2026-11-28T10:00:00.000Z', ...over });
const fixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws', name), 'utf8'));

describe('alarmTarget', () => {
  test('by the FunctionName dimension of the metric, before any name', () => {
    // Prepare: a name that the convention would give to staging
    const a = alarm({ name: 'foxy-backend-staging-errors', metric: { dimensions: { FunctionName: 'foxy-backend-production' } } });

    // Act, Assess
    expect(alarmTarget(catalog, a)).toEqual({ service: 'foxy-backend', environment: 'production' });
  });

  test('by the FunctionName dimension of a metric-math query (the SNS and EventBridge fixtures)', () => {
    // Prepare: a name that neither the `alarms` patterns nor the convention place
    const fromSns = parseAlarmMessage(fixture('cloudwatch-alarm-math.sns.json').Records[0].Sns.Message);
    const fromEvent = parseAlarmEvent(fixture('cloudwatch-alarm-math.eventbridge.json'));
    if ('problem' in fromSns || 'problem' in fromEvent) throw new Error('the fixtures must parse');
    const renamed = { ...fromSns, name: 'error-rate' };

    // Act, Assess
    expect(alarmFunctionNames(renamed)).toEqual(['foxy-backend-production']);
    expect(alarmTarget(catalog, renamed)).toEqual({ service: 'foxy-backend', environment: 'production' });
    expect(alarmTarget(catalog, { ...fromEvent, name: 'error-rate' })).toEqual({ service: 'foxy-backend', environment: 'production' });
  });

  test('a FunctionName no target names falls through to the names', () => {
    // Act
    const target = alarmTarget(catalog, alarm({ name: 'foxy-backend-staging-errors', metric: { dimensions: { FunctionName: 'somebody-else' } } }));

    // Assess
    expect(target).toEqual({ service: 'foxy-backend', environment: 'staging' });
  });

  test.each([
    ['an exact name', 'checkout-unhealthy', 'foxy-backend'],
    ['a prefix', 'checkout-errors', 'foxy-backend'],
    ['the longer of two matching prefixes', 'checkout-latency-p99', 'foxy'],
    ['an exact name of another service', 'foxy-edge-5xx', 'foxy'],
  ])('by the configured alarms: %s (%s)', (_how, name, service) => {
    // Act, Assess
    expect(alarmTarget(catalog, alarm({ name }))).toEqual({ service, environment: 'production' });
  });

  test('an exact name beats a prefix that also matches', () => {
    // Prepare: `checkout-*` of foxy-backend matches too, and is listed first
    const both = catalogOf(
      YAML.replace('alarms: [checkout-unhealthy, checkout-*]', 'alarms: [checkout-*]').replace(
        'alarms: [checkout-latency-*, foxy-edge-5xx]',
        'alarms: [checkout-unhealthy]',
      ),
    );

    // Act, Assess
    expect(alarmTarget(both, alarm({ name: 'checkout-unhealthy' }))).toEqual({ service: 'foxy', environment: 'production' });
  });

  test('of two equal matches, the first in foxops.yml wins, whatever the order of the look-up', () => {
    // Prepare
    const twice = catalogOf(YAML.replace('alarms: [checkout-latency-*, foxy-edge-5xx]', 'alarms: [checkout-*]'));

    // Act, Assess
    expect(alarmTarget(twice, alarm({ name: 'checkout-errors' }))).toEqual({ service: 'foxy-backend', environment: 'production' });
  });

  test('the composite alarm fixture is placed by its configured name', () => {
    // Prepare
    const composite = parseAlarmEvent(fixture('cloudwatch-alarm-composite.eventbridge.json'));
    if ('problem' in composite) throw new Error(composite.problem);

    // Act, Assess
    expect(alarmTarget(catalog, composite)).toEqual({ service: 'foxy-backend', environment: 'production' });
  });

  test('by the <service>-<environment>- convention last, the longest service name first', () => {
    // Act, Assess
    expect(alarmTarget(catalog, alarm({ name: 'billing-production-errors' }))).toEqual({ service: 'billing', environment: 'production' });
    expect(alarmTarget(catalog, alarm({ name: 'foxy-backend-staging-throttles' }))).toEqual({ service: 'foxy-backend', environment: 'staging' });
    expect(alarmTarget(catalog, alarm({ name: 'foxy-staging-throttles' }))).toEqual({ service: 'foxy', environment: 'staging' });
  });

  test('nothing places an alarm of something foxops does not deploy', () => {
    // Act, Assess
    expect(alarmTarget(catalog, alarm({ name: 'rds-cpu', metric: { dimensions: { DBInstanceIdentifier: 'billing' } } }))).toBeUndefined();
  });

  test('a target of an environment the catalog lacks places nothing (a hand-made catalog)', () => {
    // Prepare
    const odd: Catalog = {
      ...catalog,
      services: [{ ...catalog.services[0]!, targets: { qa: { functionName: 'fn-qa', alarms: ['qa-*'] } } }],
    };

    // Act, Assess
    expect(alarmTarget(odd, alarm({ name: 'qa-errors', metric: { dimensions: { FunctionName: 'fn-qa' } } }))).toBeUndefined();
  });
});

describe('alarmDestination', () => {
  test('a placed alarm goes to the home channel of its environment', () => {
    // Act, Assess
    expect(alarmDestination(catalog, alarm({ name: 'checkout-errors' }))).toEqual({
      kind: 'target',
      target: { service: 'foxy-backend', environment: 'production' },
      channel: 'C0PROD',
    });
  });

  test('an unplaced alarm goes to alarms.default_channel', () => {
    // Prepare
    const withDefault = catalogOf(`${YAML}alarms:\n  default_channel: C0OPS\n`);

    // Act, Assess
    expect(alarmDestination(withDefault, alarm({ name: 'rds-cpu' }))).toEqual({ kind: 'default', channel: 'C0OPS' });
  });

  test('an unplaced alarm is dropped without alarms.default_channel', () => {
    // Act, Assess
    expect(alarmDestination(catalog, alarm({ name: 'rds-cpu' }))).toEqual({ kind: 'drop' });
  });
});

describe('isLikelyCause and alarms.window', () => {
  const deploy = (finishedAt: string): DeploymentRecord =>
    deploymentRecord({ sha: 'a'.repeat(40), requestId: 'd-1', requester: 'U0D', approvers: [], finishedAt });
  const at = '2026-11-28T10:00:00.000Z';

  test('the window is 60 minutes unless foxops.yml says otherwise', () => {
    // Act, Assess
    expect(likelyCauseWindowMs(catalog)).toBe(60 * 60_000);
    expect(LIKELY_CAUSE_WINDOW_MS).toBe(60 * 60_000);
    expect(likelyCauseWindowMs(catalogOf(`${YAML}alarms:\n  window: 15m\n`))).toBe(15 * 60_000);
  });

  test.each([
    ['09:50, a 15m window', '2026-11-28T09:50:00.000Z', 15 * 60_000, true],
    ['09:40, a 15m window', '2026-11-28T09:40:00.000Z', 15 * 60_000, false],
    ['09:40, a 2h window', '2026-11-28T09:40:00.000Z', 2 * 60 * 60_000, true],
    ['the alarm’s time, a window of 0', at, 0, false],
  ])('a deploy that finished at %s', (_when, finishedAt, windowMs, expected) => {
    // Act, Assess
    expect(isLikelyCause(deploy(finishedAt), alarm({ at }), windowMs)).toBe(expected);
  });
});

describe('foxops.yml: alarms', () => {
  const problemsAt = (yaml: string, where: string) => {
    const result = parse(yaml);
    return 'problems' in result ? result.problems.filter((p) => p.where === `f.yml: ${where}`) : [];
  };

  test('absent: no settings, so every default', () => {
    // Act, Assess
    expect(catalog.alarms).toBeUndefined();
  });

  test('reads default_channel and window (0s: never)', () => {
    // Act
    const set = catalogOf(`${YAML}alarms:\n  default_channel: G0OPS\n  window: 1h30m\n`);
    const never = catalogOf(`${YAML}alarms:\n  window: 0s\n`);

    // Assess
    expect(set.alarms).toEqual({ defaultChannel: 'G0OPS', windowMs: 90 * 60_000 });
    expect(never.alarms).toEqual({ windowMs: 0 });
  });

  test.each([
    ['a channel name', 'alarms:\n  default_channel: "#ops"\n', 'alarms.default_channel', /`alarms: \{ default_channel: C0OPS \}`/],
    ['a window that is no duration', 'alarms:\n  window: an hour\n', 'alarms.window', /`alarms: \{ window: 60m \}` \(`0s`: never\)/],
    ['alarms that are no map', 'alarms: C0OPS\n', 'alarms', /`alarms: \{ default_channel: C0OPS, window: 60m \}`/],
  ])('reports %s at its key path with the fix', (_why, lines, where, fix) => {
    // Act
    const problems = problemsAt(`${YAML}${lines}`, where);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.fix).toMatch(fix);
  });

  test('names an unknown key', () => {
    // Act
    const problems = problemsAt(`${YAML}alarms:\n  default_chanel: C0OPS\n`, 'alarms');

    // Assess
    expect(problems).toEqual([expect.objectContaining({ problem: 'unknown key(s) `default_chanel`' })]);
  });
});
