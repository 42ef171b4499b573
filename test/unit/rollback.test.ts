/** Last known good and rollback planning, from ledger entries alone. */
import type { DeploymentRecord } from '../../src/domain/ports.js';
import { lastKnownGood, planRollback } from '../../src/domain/rollback.js';

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
