/** Last known good and rollback planning, from ledger entries alone. */
import type { ServiceDefinition } from '../../src/domain/catalog.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import {
  aliasTargetOf,
  deployOfVersion,
  lastKnownGood,
  noRollbackFailure,
  planRollback,
  rollbackLedgerFields,
  rollbackModeOf,
  rollbackNoteOf,
  rollbackSide,
} from '../../src/domain/rollback.js';

let n = 0;
/** A ledger entry finished at minute `at`, SHA `sha`, Lambda version `version`. */
function entry(at: number, sha: string, version: string | undefined, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  n += 1;
  return {
    service: 'foxy-backend',
    environment: 'production',
    sha: sha.padEnd(40, '0'),
    ref: 'main',
    requestId: `d-${String(n).padStart(10, '0')}`,
    kind: 'deploy',
    requester: 'U0DAVE',
    approvers: ['U0ALICE'],
    outcome: 'succeeded',
    finishedAt: new Date(Date.UTC(2030, 0, 1, 12, at)).toISOString(),
    ...(version ? { version } : {}),
    ...overrides,
  };
}

describe('lastKnownGood', () => {
  it('is the newest earlier success, skipping failures and entries without a version', () => {
    // Prepare
    const a = entry(1, 'aaaaaaa', '3');
    const b = entry(2, 'bbbbbbb', undefined);
    const c = entry(3, 'ccccccc', '5', { outcome: 'failed' });
    const d = entry(4, 'ddddddd', '6');

    // Act
    const { current, good } = lastKnownGood([d, c, b, a], true);

    // Assess
    expect(current).toBe(d);
    expect(good).toBe(a);
  });

  it('skips what a rollback has taken out, so a second rollback goes further back', () => {
    // Prepare: A, B, C deployed; C rolled back to B; now B runs (as the rollback's entry)
    const a = entry(1, 'aaaaaaa', '3');
    const b = entry(2, 'bbbbbbb', '4');
    const c = entry(3, 'ccccccc', '5');
    const back = entry(4, 'bbbbbbb', '4', { kind: 'rollback', restores: { requestId: b.requestId, finishedAt: b.finishedAt, sha: b.sha, version: '4' } });

    // Act
    const { current, good } = lastKnownGood([a, b, c, back], true);

    // Assess
    expect(current).toBe(back);
    expect(good).toBe(a);
  });

  it('is nothing when only the current deploy succeeded', () => {
    // Act
    const result = lastKnownGood([entry(1, 'aaaaaaa', '3'), entry(0, 'fffffff', '2', { outcome: 'failed' })], true);

    // Assess
    expect(result.good).toBeUndefined();
  });
});

describe('planRollback', () => {
  const a = entry(1, 'aaaaaaa', '3');
  const b = entry(2, 'bbbbbbb', '4');
  const failed = entry(3, 'eeeeeee', '7', { outcome: 'failed' });
  const c = entry(4, 'ccccccc', '5');
  const history = [a, b, failed, c];

  it('goes to the last known good without a target', () => {
    expect(planRollback(history, true)).toEqual({ plan: { from: c, to: b } });
  });

  it.each([
    ['a version', '3'],
    ['a version written v3', 'v3'],
    ['a short SHA', 'aaaaaaa'],
    ['a deploy id', a.requestId],
  ])('goes to the deploy named by %s', (_what, target) => {
    expect(planRollback(history, true, target)).toEqual({ plan: { from: c, to: a } });
  });

  it('refuses a target that is what runs now, one that failed, and one it does not know', () => {
    expect(planRollback(history, true, '5')).toEqual({ refused: { code: 'target_is_current', current: c } });
    expect(planRollback(history, true, 'eeeeeee')).toEqual({ refused: { code: 'target_unusable', target: failed, why: 'not_succeeded' } });
    expect(planRollback(history, true, 'nope')).toEqual({ refused: { code: 'target_unknown', target: 'nope' } });
  });

  it('refuses a target that a rollback took out: going "back" to it would ship it again, without a deploy\'s checks', () => {
    // Prepare: v5 (c) was rolled back to v4 (b)
    const back = entry(5, 'bbbbbbb', '4', { kind: 'rollback', restores: { requestId: b.requestId, finishedAt: b.finishedAt, sha: b.sha, version: '4' } });

    // Act
    const planning = planRollback([...history, back], true, 'v5');

    // Assess
    expect(planning).toEqual({ refused: { code: 'target_unusable', target: c, why: 'taken_out' } });
  });

  it('refuses an environment with nothing deployed, or nothing to go back to', () => {
    expect(planRollback([], true)).toEqual({ refused: { code: 'nothing_deployed' } });
    expect(planRollback([c], true)).toEqual({ refused: { code: 'no_known_good', current: c } });
  });

  it('needs no version for a redeploy rollback, and goes by SHA', () => {
    const plain = [entry(1, '1111111', undefined), entry(2, '2222222', undefined)];
    expect(planRollback(plain, false)).toEqual({ plan: { from: plain[1], to: plain[0] } });
    expect(planRollback(plain, true)).toEqual({ refused: { code: 'no_known_good', current: plain[1] } });
  });
});

describe('where a rollback goes, and how', () => {
  const service = (targets: ServiceDefinition['targets'], rollback?: ServiceDefinition['rollback']): ServiceDefinition => ({
    name: 'foxy-backend',
    aliases: [],
    repo: 'foxy-org/foxy-backend',
    workflow: 'deploy.yml',
    defaultRef: 'main',
    targets,
    ...(rollback ? { rollback } : {}),
  });

  it('moves the target alias, `live` unless the target names another, in the target region', () => {
    // Act
    const plain = aliasTargetOf(service({ production: { functionName: 'fb-prod' } }), 'production');
    const named = aliasTargetOf(service({ production: { functionName: 'fb-prod', alias: 'current', region: 'eu-west-1' } }), 'production');

    // Assess
    expect(plain).toEqual({ functionName: 'fb-prod', alias: 'live' });
    expect(named).toEqual({ functionName: 'fb-prod', alias: 'current', region: 'eu-west-1' });
  });

  it('has no alias where the target names no function, or there is no target (not even an Object member)', () => {
    // Act, Assess
    expect(aliasTargetOf(service({ production: { stack: 'fb' } }), 'production')).toBeUndefined();
    expect(aliasTargetOf(service({}), 'staging')).toBeUndefined();
    expect(aliasTargetOf(service({}), 'constructor')).toBeUndefined();
  });

  it.each<[string, ServiceDefinition, string, 'alias' | 'redeploy']>([
    ['a function target, no setting', service({ production: { functionName: 'fb-prod' } }), 'production', 'alias'],
    ['`rollback: redeploy`', service({ production: { functionName: 'fb-prod' } }, 'redeploy'), 'production', 'redeploy'],
    ['no target in that environment', service({ production: { functionName: 'fb-prod' } }, 'alias'), 'staging', 'redeploy'],
    ['a target without a function', service({ production: { stack: 'fb' } }), 'production', 'redeploy'],
  ])('goes by %s: %s', (_why, svc, environment, mode) => {
    // Act, Assess
    expect(rollbackModeOf(svc, environment)).toBe(mode);
  });
});

describe('what a rollback records and leaves', () => {
  it('records what it restores and what it took out, with the reason; the note names who and why', () => {
    // Prepare
    const to = entry(1, 'aaaaaaa', '5');
    const from = entry(2, 'bbbbbbb', '6');

    // Act
    const fields = rollbackLedgerFields({ mode: 'alias', reason: 'errors', from: rollbackSide(from), to: rollbackSide(to) });
    const rolledBack = entry(3, 'aaaaaaa', '5', { kind: 'rollback', requester: 'U0ERIN', ...fields });

    // Assess
    expect(fields).toEqual({
      restores: { requestId: to.requestId, finishedAt: to.finishedAt, sha: to.sha, version: '5' },
      rolledBackFrom: { requestId: from.requestId, sha: from.sha, version: '6', reason: 'errors' },
    });
    expect(rollbackNoteOf(rolledBack)).toEqual({
      requestId: from.requestId,
      sha: from.sha,
      version: '6',
      by: 'U0ERIN',
      reason: 'errors',
      at: rolledBack.finishedAt,
    });
    expect(rollbackNoteOf(from)).toBeUndefined();
    expect(rollbackLedgerFields(undefined)).toEqual({});
  });

  it('goes back past what an earlier rollback took out', () => {
    // Prepare: v4, v5, v6; a rollback to v5 took v6 out
    const v4 = entry(1, 'aaaaaaa', '4');
    const v5 = entry(2, 'bbbbbbb', '5');
    const v6 = entry(3, 'ccccccc', '6');
    const back = entry(4, 'bbbbbbb', '5', { kind: 'rollback', ...rollbackLedgerFields({ mode: 'alias', from: rollbackSide(v6), to: rollbackSide(v5) }) });

    // Act
    const planning = planRollback([back, v6, v5, v4], true);

    // Assess
    expect(planning).toEqual({ plan: { from: back, to: v4 } });
  });

  it('finds who left a version running, newest first', () => {
    // Prepare
    const old = entry(1, 'aaaaaaa', '4', { requester: 'U0ERIN' });
    const again = entry(2, 'bbbbbbb', '4', { requester: 'U0FRANK' });
    const failed = entry(3, 'ccccccc', '4', { outcome: 'failed' });

    // Act, Assess
    expect(deployOfVersion([old, failed, again], '4')).toBe(again);
    expect(deployOfVersion([old], '9')).toBeUndefined();
  });

  it('turns every refusal into a failure code with the data to word it', () => {
    // Prepare
    const current = entry(1, 'aaaaaaa', '6');
    const where = { service: 'foxy-backend', environment: 'production', needVersion: true };

    // Act, Assess
    expect(noRollbackFailure({ code: 'nothing_deployed' }, where)).toEqual({
      code: 'nothing_deployed',
      params: { service: 'foxy-backend', environment: 'production' },
    });
    expect(noRollbackFailure({ code: 'no_known_good', current }, where)).toEqual({
      code: 'no_known_good',
      params: { ...where, sha: current.sha, version: '6' },
    });
    expect(noRollbackFailure({ code: 'target_unknown', target: 'v9' }, where).params).toMatchObject({ target: 'v9' });
    expect(noRollbackFailure({ code: 'target_is_current', current }, where).params).toMatchObject({ deployId: current.requestId, version: '6' });
    expect(noRollbackFailure({ code: 'target_unusable', target: current, why: 'no_version' }, where).params).toMatchObject({
      why: 'no_version',
      outcome: 'succeeded',
    });
  });
});
