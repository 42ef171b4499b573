/**
 * The pure side of promotion (src/domain/promotion.ts and the `promote` form of src/domain/command.ts): the gates as
 * codes and data, which alarms are looked at, `require_promotion`, and parsing `/deploy promote`. No fakes.
 */
import { parseCatalog } from '../../src/config/catalog-schema.js';
import { parseYaml } from '../../src/config/yaml.js';
import type { Catalog } from '../../src/domain/catalog.js';
import { parseCommand } from '../../src/domain/command.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { alarmQueryOf, type GateInput, gatesFailure, gatesPassed, promotionGates, requirePromotionFailure } from '../../src/domain/promotion.js';
import { TEST_CONFIG } from '../support/harness.js';

const MINUTE = 60_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const SHA = 'a'.repeat(40);

function catalogOf(yaml: string): Catalog {
  const parsed = parseCatalog(parseYaml(yaml), 'test');
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  return parsed.catalog;
}
const promoting = (extra = '') => catalogOf(TEST_CONFIG.replace('    run_timeout: 60m\n', `    run_timeout: 60m\n    promote_from: staging\n${extra}`));

function source(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    service: 'foxy-backend',
    environment: 'staging',
    sha: SHA,
    ref: 'main',
    requestId: 'd-0000000001',
    kind: 'deploy',
    requester: 'U0ERIN',
    approvers: [],
    outcome: 'succeeded',
    finishedAt: new Date(NOW.getTime() - 20 * MINUTE).toISOString(),
    ...overrides,
  };
}

function input(overrides: Partial<GateInput> = {}): GateInput {
  return {
    service: 'foxy-backend',
    from: 'staging',
    to: 'production',
    source: source(),
    promoteAfterMs: 15 * MINUTE,
    now: NOW,
    alarms: { kind: 'read', query: { names: [], prefixes: ['fb-stg-'] }, firing: [] },
    active: [],
    ...overrides,
  };
}

const verdicts = (i: GateInput) => promotionGates(i).map((g) => [g.gate, g.passed]);

describe('promotionGates', () => {
  it('passes all four gates for a success that soaked, with quiet alarms and an idle target', () => {
    // Act
    const gates = promotionGates(input());

    // Assess
    expect(gates).toEqual([
      { gate: 'source_succeeded', passed: true, params: { from: 'staging', deployId: 'd-0000000001', sha: SHA } },
      { gate: 'soaked', passed: true, params: { from: 'staging', soakedMs: 20 * MINUTE, requiredMs: 15 * MINUTE } },
      { gate: 'no_alarm', passed: true, params: { from: 'staging', watched: 'fb-stg-*' } },
      { gate: 'target_idle', passed: true, params: { to: 'production' } },
    ]);
    expect(gatesPassed(gates)).toBe(true);
  });

  it.each<[string, NonNullable<GateInput['ordering']>, [boolean, Record<string, unknown>] | undefined]>([
    ['ahead: passes', { mode: 'refuse', deployedSha: 'b'.repeat(40), status: 'ahead', aheadBy: 3 }, [true, { aheadBy: 3 }]],
    ['behind, refuse: fails', { mode: 'refuse', deployedSha: 'b'.repeat(40), status: 'behind', behindBy: 2 }, [false, { status: 'behind', behindBy: 2 }]],
    ['diverged, refuse: fails', { mode: 'refuse', deployedSha: 'b'.repeat(40), status: 'diverged', behindBy: 1, aheadBy: 1 }, [false, { status: 'diverged' }]],
    ['behind, warn: passes, marked', { mode: 'warn', deployedSha: 'b'.repeat(40), status: 'behind', behindBy: 2 }, [true, { warn: true, behindBy: 2 }]],
    ['not compared: passes, marked', { mode: 'refuse', deployedSha: 'b'.repeat(40) }, [true, { unreadable: true }]],
    ['off: no gate', { mode: 'off', deployedSha: 'b'.repeat(40), status: 'behind', behindBy: 2 }, undefined],
  ])('decides whether the promotion moves the target forward (%s)', (_name, ordering, expected) => {
    // Act
    const gates = promotionGates(input({ ordering }));

    // Assess
    const gate = gates.find((g) => g.gate === 'moves_forward');
    if (!expected) expect(gate).toBeUndefined();
    else {
      expect(gate).toMatchObject({ passed: expected[0], params: { to: 'production', sha: SHA, deployedSha: 'b'.repeat(40), ...expected[1] } });
      expect(gates.at(-1)).toBe(gate);
    }
  });

  it('fails the source and soak gates when nothing succeeded in the source', () => {
    // Act
    const gates = promotionGates(input({ source: undefined }));

    // Assess
    expect(gates.map((g) => [g.gate, g.passed])).toEqual([
      ['source_succeeded', false],
      ['soaked', false],
      ['no_alarm', true],
      ['target_idle', true],
    ]);
    expect(gatesFailure(gates, { service: 'foxy-backend', from: 'staging', to: 'production' })).toEqual({
      code: 'promotion_gates',
      params: { service: 'foxy-backend', from: 'staging', to: 'production', failed: 'source_succeeded,soaked' },
    });
  });

  it('fails the soak gate before promote_after, saying when it will pass; exactly at promote_after it passes', () => {
    // Act
    const early = promotionGates(input({ source: source({ finishedAt: new Date(NOW.getTime() - 5 * MINUTE).toISOString() }) }))[1];
    const exact = promotionGates(input({ source: source({ finishedAt: new Date(NOW.getTime() - 15 * MINUTE).toISOString() }) }))[1];

    // Assess
    expect(early).toEqual({
      gate: 'soaked',
      passed: false,
      params: { from: 'staging', soakedMs: 5 * MINUTE, requiredMs: 15 * MINUTE, readyAt: new Date(NOW.getTime() + 10 * MINUTE).toISOString() },
    });
    expect(exact?.passed).toBe(true);
  });

  it('fails the alarm gate naming the alarms in ALARM, and when the alarms could not be read', () => {
    // Prepare
    const query = { names: ['fb-stg-errors'], prefixes: ['fb-stg-'] };

    // Act
    const firing = promotionGates(input({ alarms: { kind: 'read', query, firing: ['fb-stg-errors', 'fb-stg-latency'] } }))[2];
    const unreadable = promotionGates(
      input({ alarms: { kind: 'unreadable', query, code: 'access_denied', action: 'cloudwatch:DescribeAlarms', resource: 'alarm:fb-stg-*', said: 'no' } }),
    )[2];

    // Assess
    expect(firing).toEqual({
      gate: 'no_alarm',
      passed: false,
      params: { from: 'staging', watched: 'fb-stg-errors, fb-stg-*', firing: 'fb-stg-errors, fb-stg-latency', count: 2 },
    });
    expect(unreadable).toMatchObject({ passed: false, params: { unreadable: 'access_denied', action: 'cloudwatch:DescribeAlarms', said: 'no' } });
  });

  it('passes the alarm gate when the source has no alarms to look at', () => {
    // Act
    const gate = promotionGates(input({ alarms: { kind: 'none' } }))[2];

    // Assess
    expect(gate).toEqual({ gate: 'no_alarm', passed: true, params: { from: 'staging', service: 'foxy-backend', none: true } });
  });

  it.each([
    ['approved', false],
    ['dispatching', false],
    ['running', false],
    ['queued', false],
    ['awaiting_approval', true],
    ['preparing', true],
  ] as const)('treats a target request in %s as busy: %s → idle gate passes = %s', (status, passes) => {
    // Act
    const gate = promotionGates(input({ active: [{ id: 'd-0000000002', status }] }))[3];

    // Assess
    expect(gate?.passed).toBe(passes);
    if (!passes) expect(gate?.params).toEqual({ to: 'production', deployId: 'd-0000000002', status });
  });

  it('does not count a failed source deploy as a success', () => {
    expect(verdicts(input({ source: source({ outcome: 'failed' }) })).slice(0, 2)).toEqual([
      ['source_succeeded', false],
      ['soaked', false],
    ]);
  });
});

describe('alarmQueryOf', () => {
  const service = (targets: Record<string, object>) => ({ targets });

  it('defaults to the prefix `<function>-` of the target, in its region', () => {
    expect(alarmQueryOf(service({ staging: { functionName: 'fb-stg', region: 'eu-west-1' } }), 'staging')).toEqual({
      names: [],
      prefixes: ['fb-stg-'],
      region: 'eu-west-1',
    });
  });

  it('splits configured alarms into names and prefixes', () => {
    expect(alarmQueryOf(service({ staging: { functionName: 'fb-stg', alarms: ['api-5xx', 'fb-stg-*'] } }), 'staging')).toEqual({
      names: ['api-5xx'],
      prefixes: ['fb-stg-'],
    });
  });

  it('has nothing to look at without a target, or with a target that names no function and no alarms', () => {
    expect(alarmQueryOf(service({}), 'staging')).toBeUndefined();
    expect(alarmQueryOf(service({ staging: { stack: 'fb-stg' } }), 'staging')).toBeUndefined();
    expect(alarmQueryOf(service({}), 'constructor')).toBeUndefined();
  });
});

describe('requirePromotionFailure', () => {
  const env = { name: 'production', requirePromotion: true, promoteFrom: 'staging' };

  it('refuses a SHA that has not succeeded in promote_from, with the data to word the fix', () => {
    expect(
      requirePromotionFailure(env, 'foxy-backend', SHA, [
        { sha: SHA, outcome: 'failed' },
        { sha: 'b'.repeat(40), outcome: 'succeeded' },
      ]),
    ).toEqual({
      code: 'promotion_required',
      params: { service: 'foxy-backend', environment: 'production', from: 'staging', sha: SHA },
    });
  });

  it('lets a SHA through that succeeded there, and anything where promotion is not required', () => {
    expect(requirePromotionFailure(env, 'foxy-backend', SHA, [{ sha: SHA, outcome: 'succeeded' }])).toBeUndefined();
    expect(requirePromotionFailure({ ...env, requirePromotion: false }, 'foxy-backend', SHA, [])).toBeUndefined();
  });
});

describe('parseCommand: /deploy promote', () => {
  it('targets the one environment with promote_from, from its source, with the default service', () => {
    expect(parseCommand('promote', promoting())).toEqual({ kind: 'promote', environment: 'production', service: 'foxy-backend', from: 'staging' });
  });

  it('reads the service and an explicit `<from> to <to>` (aliases too), in any order', () => {
    const expected = { kind: 'promote', environment: 'production', service: 'foxy-backend', from: 'staging' };
    expect(parseCommand('promote backend stg to prod', promoting())).toEqual(expected);
    expect(parseCommand('promote staging to production api', promoting())).toEqual(expected);
    expect(parseCommand('promote staging to production', catalogOf(TEST_CONFIG))).toEqual(expected);
    expect(parseCommand('promote prod', promoting())).toEqual(expected);
  });

  it('explains when no environment names promote_from', () => {
    expect(parseCommand('promote', catalogOf(TEST_CONFIG))).toMatchObject({ kind: 'error', code: 'no_promotion_target', choices: [] });
  });

  it('explains when several environments name promote_from, listing the routes', () => {
    // Prepare
    const catalog = catalogOf(
      TEST_CONFIG.replace('    run_timeout: 60m\n', '    run_timeout: 60m\n    promote_from: staging\n')
        .replace('default_service:', '  qa:\n    channels: [C0QA]\n    approvals: 0\ndefault_service:')
        .replace('    channels: [C0STAGING]\n    approvals: 0\n', '    channels: [C0STAGING]\n    approvals: 0\n    promote_from: qa\n'),
    );

    // Act, Assess
    expect(parseCommand('promote', catalog)).toMatchObject({
      code: 'no_promotion_target',
      choices: [
        { from: 'qa', to: 'staging' },
        { from: 'staging', to: 'production' },
      ],
    });
  });

  it.each([
    ['promote staging', { code: 'no_promotion_source', environment: 'staging' }],
    ['promote to production', { code: 'bad_promotion_route', to: 'production' }],
    ['promote staging to', { code: 'bad_promotion_route', from: 'staging' }],
    ['promote prod to production', { code: 'bad_promotion_route', from: 'production', to: 'production' }],
    ['promote stagign to production', { code: 'unknown_environment', word: 'stagign', suggestions: ['staging'] }],
    ['promote staging to production frontend', { code: 'unknown_word', form: 'promote', word: 'frontend' }],
  ])('refuses `%s` with the data for a fix', (text, expected) => {
    expect(parseCommand(text, promoting())).toMatchObject({ kind: 'error', ...expected });
  });

  it('takes a misspelt `promote` for a typo', () => {
    expect(parseCommand('promoet', promoting())).toMatchObject({ code: 'unknown_environment', meant: ['promote'] });
  });
});
