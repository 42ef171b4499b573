/**
 * The words of promotion: each gate as a ✓/✗ line that says what would make it pass, the promotion failures, the
 * `/deploy promote` command errors, the card's promotion section and the private refusal.
 */
import type { CommandError } from '../../src/domain/command.js';
import { newRequest, type DeployRequest, type PromotionGate } from '../../src/domain/request.js';
import { commandErrorText } from '../../src/slack/blocks/command-errors.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { failureText } from '../../src/slack/blocks/failures.js';
import { helpText } from '../../src/slack/blocks/help.js';
import { gateLine, promotionText } from '../../src/slack/blocks/promotion.js';
import { whisperText } from '../../src/slack/blocks/run-notice.js';
import { TEST_CATALOG } from '../support/catalog.js';
import { blocksText } from '../support/harness.js';

const MINUTE = 60_000;
const SHA = '3f78685aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('gateLine', () => {
  it.each<[string, PromotionGate, string]>([
    [
      'source passed',
      { gate: 'source_succeeded', passed: true, params: { from: 'staging', deployId: 'd-0000000001', sha: SHA } },
      '✓ The last deploy in *staging* succeeded: `3f78685` (deploy `d-0000000001`).',
    ],
    [
      'source failed',
      { gate: 'source_succeeded', passed: false, params: { from: 'staging', service: 'foxy-backend' } },
      '✗ Nothing of foxy-backend has succeeded in *staging* yet: deploy it there first, then promote.',
    ],
    [
      'soaked',
      { gate: 'soaked', passed: true, params: { from: 'staging', soakedMs: 20 * MINUTE, requiredMs: 15 * MINUTE } },
      '✓ Soaked in *staging* for 20m (`promote_after`: 15m).',
    ],
    [
      'no soak asked',
      { gate: 'soaked', passed: true, params: { from: 'staging', soakedMs: 2 * MINUTE, requiredMs: 0 } },
      '✓ No soak time asked (`promote_after` is 0s); it has run in *staging* for 2m.',
    ],
    [
      'not soaked',
      {
        gate: 'soaked',
        passed: false,
        params: { from: 'staging', soakedMs: 5 * MINUTE, requiredMs: 15 * MINUTE, readyAt: '2026-12-01T12:10:00.000Z' },
      },
      '✗ Soaked in *staging* for 5m of the 15m `promote_after` asks: promote again after ' +
        '<!date^1796127000^{date_short_pretty} {time}|2026-12-01T12:10:00.000Z>.',
    ],
    [
      'nothing to soak',
      { gate: 'soaked', passed: false, params: { from: 'staging', requiredMs: 0, nothing: true } },
      '✗ Nothing to soak: no successful deploy in *staging*.',
    ],
    ['quiet alarms', { gate: 'no_alarm', passed: true, params: { from: 'staging', watched: 'fb-stg-*' } }, '✓ No alarm in ALARM in *staging* (fb-stg-*).'],
    [
      'no alarms to check',
      { gate: 'no_alarm', passed: true, params: { from: 'staging', service: 'foxy-backend', none: true } },
      '✓ No CloudWatch alarms to check for foxy-backend in *staging* (give its target `alarms` or a `function` to check some).',
    ],
    [
      'alarm firing (names escaped)',
      { gate: 'no_alarm', passed: false, params: { from: 'staging', watched: 'fb-stg-*', firing: 'fb-stg-<errors>', count: 1 } },
      '✗ In ALARM in *staging* now: fb-stg-&lt;errors&gt;. Promote once they are back to OK.',
    ],
    [
      'alarms unreadable',
      {
        gate: 'no_alarm',
        passed: false,
        params: { from: 'staging', watched: 'fb-stg-*', unreadable: 'unavailable', action: 'cloudwatch:DescribeAlarms', resource: 'alarm:fb-stg-*' },
      },
      '✗ Could not read the alarms in *staging* (fb-stg-*): AWS did not answer `cloudwatch:DescribeAlarms` on `alarm:fb-stg-*`; try again in a minute.',
    ],
    ['idle', { gate: 'target_idle', passed: true, params: { to: 'production' } }, '✓ Nothing is being deployed to *production*.'],
    [
      'busy',
      { gate: 'target_idle', passed: false, params: { to: 'production', deployId: 'd-0000000002', status: 'awaiting_approval' } },
      '✗ Deploy `d-0000000002` is awaiting approval in *production*: promote again once it has finished.',
    ],
    [
      'moves forward',
      { gate: 'moves_forward', passed: true, params: { from: 'staging', to: 'production', sha: SHA, deployedSha: 'b'.repeat(40), aheadBy: 2 } },
      '✓ Moves *production* forward: `3f78685` is 2 commit(s) ahead of `bbbbbbb`, which runs there.',
    ],
    [
      'steps back',
      {
        gate: 'moves_forward',
        passed: false,
        params: { from: 'staging', to: 'production', sha: SHA, deployedSha: 'b'.repeat(40), status: 'behind', behindBy: 3, aheadBy: 0 },
      },
      '✗ *production* runs `bbbbbbb`, which has 3 commit(s) that `3f78685` lacks: promoting would take them out. ' +
        'A step back is `/deploy rollback production`; or promote once *staging* runs what *production* runs, or newer.',
    ],
    [
      'steps back, warned',
      {
        gate: 'moves_forward',
        passed: true,
        params: { from: 'staging', to: 'production', sha: SHA, deployedSha: 'b'.repeat(40), status: 'behind', behindBy: 3, aheadBy: 0, warn: true },
      },
      '⚠ *production* runs `bbbbbbb`, which has 3 commit(s) that `3f78685` lacks: promoting would take them out (`checks.ordering: warn` lets it through).',
    ],
    [
      'not compared',
      { gate: 'moves_forward', passed: true, params: { from: 'staging', to: 'production', sha: SHA, deployedSha: 'b'.repeat(40), unreadable: true } },
      '✓ `3f78685` against what runs in *production* (`bbbbbbb`): GitHub could not compare them, so not checked.',
    ],
  ])('words %s', (_what, gate, expected) => {
    expect(gateLine(gate)).toBe(expected);
  });
});

function promotionRequest(overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    ...newRequest({
      id: 'd-0000000009',
      kind: 'promote',
      service: 'foxy-backend',
      environment: 'production',
      repo: 'foxy-org/foxy-backend',
      workflow: 'deploy.yml',
      ref: 'main',
      requester: 'U0DAVE',
      channel: 'C0PROD',
      requiredApprovals: 2,
      ttlMs: 30 * MINUTE,
      now: new Date('2026-12-01T12:00:00Z'),
    }),
    promotion: {
      from: 'staging',
      source: {
        requestId: 'd-0000000001',
        sha: SHA,
        ref: 'main',
        version: '5',
        requester: 'U0ERIN',
        finishedAt: '2026-12-01T11:40:00.000Z',
        kind: 'deploy',
      },
      gates: [
        { gate: 'source_succeeded', passed: true, params: { from: 'staging', deployId: 'd-0000000001', sha: SHA } },
        { gate: 'target_idle', passed: true, params: { to: 'production' } },
      ],
    },
    ...overrides,
  };
}

describe('the promotion section and refusal', () => {
  it('shows where the SHA comes from, with its version, and the gates on the card', () => {
    // Act
    const text = blocksText(deployCard({ ...promotionRequest(), status: 'awaiting_approval', sha: SHA }));

    // Assess
    expect(text).toContain(
      '*Promotes from staging:* v5 `3f78685` (`main`), deployed by <@U0ERIN> <!date^1796125200^{date_short_pretty} {time}|2026-12-01T11:40:00.000Z>, ' +
        'deploy `d-0000000001`\n✓ The last deploy in *staging* succeeded',
    );
    expect(text).toContain('✓ Nothing is being deployed to *production*.');
  });

  it('has no promotion section for other kinds', () => {
    expect(promotionText({ ...promotionRequest(), kind: 'deploy' })).toBeUndefined();
  });

  it('tells the requester privately why a promotion was refused, with the gates', () => {
    // Prepare
    const request: DeployRequest = {
      ...promotionRequest(),
      status: 'prepare_failed',
      failure: { code: 'promotion_gates', params: { service: 'foxy-backend', from: 'staging', to: 'production', failed: 'soaked' } },
    };

    // Act
    const text = whisperText({ kind: 'prepare_failed', request });

    // Assess
    expect(text).toBe(
      ':x: I could not promote *foxy-backend* from *staging* to *production*: The promotion of foxy-backend from staging to production ' +
        'did not pass its gates; each ✗ says what would make it pass.\n' +
        '*Promotes from staging:* v5 `3f78685` (`main`), deployed by <@U0ERIN> <!date^1796125200^{date_short_pretty} {time}|2026-12-01T11:40:00.000Z>, ' +
        'deploy `d-0000000001`\n' +
        '✓ The last deploy in *staging* succeeded: `3f78685` (deploy `d-0000000001`).\n' +
        '✓ Nothing is being deployed to *production*.',
    );
  });
});

describe('failureText: promotion', () => {
  it('says how to promote instead when require_promotion refuses a deploy', () => {
    expect(failureText({ code: 'promotion_required', params: { service: 'foxy-backend', environment: 'production', from: 'staging', sha: SHA } })).toBe(
      'production only takes what succeeded in staging first (`require_promotion`), and `3f78685` has not succeeded there. ' +
        'Deploy it to staging, then promote it: `/deploy promote foxy-backend`.',
    );
  });

  it('words a promotion without a source', () => {
    expect(failureText({ code: 'promotion_unplanned', params: { environment: 'production' } })).toBe(
      'production names no `promote_from`, so this promotion has no source. Name one: `/deploy promote <from> to production`.',
    );
  });
});

describe('commandErrorText: /deploy promote', () => {
  const envs = [
    { name: 'staging', aliases: ['stg'] },
    { name: 'production', aliases: ['prod'] },
  ];

  it.each<[string, CommandError, string]>([
    [
      'no environment promotes',
      { kind: 'error', code: 'no_promotion_target', suggestions: [], choices: [], environments: envs },
      'No environment says where promotions come from: add `promote_from: <environment>` to one in foxops.yml, ' +
        'or name both sides: `/deploy promote [service] <from> to <to>`. Environments: staging (stg), production (prod).',
    ],
    [
      'several environments promote',
      {
        kind: 'error',
        code: 'no_promotion_target',
        suggestions: [],
        choices: [
          { from: 'qa', to: 'staging' },
          { from: 'staging', to: 'production' },
        ],
        environments: envs,
      },
      'Promote where? Several environments take promotions: `qa to staging`, `staging to production`. Name one, e.g. `/deploy promote qa to staging`.',
    ],
    [
      'a target without promote_from',
      { kind: 'error', code: 'no_promotion_source', suggestions: [], environment: 'staging', choices: [{ from: 'staging', to: 'production' }] },
      "*staging* has no `promote_from`, so I don't know where to promote from. Name the source: `/deploy promote <from> to staging`, " +
        'or use one of the configured routes: `staging to production`.',
    ],
    [
      'the same environment twice',
      { kind: 'error', code: 'bad_promotion_route', suggestions: [], from: 'production', to: 'production', environments: envs },
      '*production* cannot be promoted to itself. Usage: `/deploy promote [service] <from> to <to>`, e.g. `/deploy promote staging to production`.',
    ],
    [
      'a side missing',
      { kind: 'error', code: 'bad_promotion_route', suggestions: [], to: 'production', environments: envs },
      'Promote from where to where? After `promote` comes `<from> to <to>`, e.g. `/deploy promote staging to production`. ' +
        'Environments: staging (stg), production (prod).',
    ],
    [
      'a missing service',
      { kind: 'error', code: 'missing_service', suggestions: [], form: 'promote', environment: 'production', services: [{ name: 'a', aliases: [] }] },
      'Which service? Name one: `/deploy promote <service> [<from> to production]`. Services: a.',
    ],
  ])('words %s', (_what, error, expected) => {
    expect(commandErrorText(error)).toBe(expected);
  });
});

describe('helpText', () => {
  it('has a line for /deploy promote', () => {
    expect(helpText(TEST_CATALOG)).toContain('`/deploy promote [service] [<from> to <to>]`: ship the exact SHA that last succeeded in the source environment');
  });
});
