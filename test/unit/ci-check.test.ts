/**
 * The `ci` pre-flight check: required names against check runs and commit statuses (src/domain/ci-check.ts), Approve
 * waiting on it (canApprove), and its words on the card, in the refusal and in the failure.
 */
import type { EnvironmentDefinition } from '../../src/domain/catalog.js';
import { type CommitChecks, ciCheck, ciUnreadable } from '../../src/domain/ci-check.js';
import { canApprove } from '../../src/domain/policy.js';
import { jobKey } from '../../src/jobs/keys.js';
import { readJob } from '../../src/jobs/parse.js';
import { failedChecks, preflightFailure } from '../../src/domain/preflight-rules.js';
import { ciCheckWords } from '../../src/slack/blocks/ci-check.js';
import { preflightFailureText } from '../../src/slack/blocks/preflight.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';
import { productionRequest } from '../support/requests.js';

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const NOW = new Date('2030-01-01T12:00:00.000Z');
const run = (name: string, status: string, conclusion: string | null = null) => ({ name, status, conclusion });
const checks = (partial: Partial<CommitChecks>): CommitChecks => ({ checkRuns: [], statuses: [], ...partial });

describe('ciCheck', () => {
  test('all required green (success, neutral, skipped, a success status) passes', () => {
    const c = ciCheck(['build', 'test', 'lint', 'ci/legacy'], 'config', {
      checkRuns: [
        run('build', 'completed', 'success'),
        run('test', 'completed', 'neutral'),
        run('lint', 'completed', 'skipped'),
        run('other', 'completed', 'failure'),
      ],
      statuses: [{ context: 'ci/legacy', state: 'success' }],
    });
    expect(c).toEqual({ check: 'ci', verdict: 'pass', code: 'green', params: { source: 'config', required: 4 } });
  });

  test('nothing required passes as none_required, whatever fails on the commit', () => {
    expect(ciCheck([], 'protection', checks({ checkRuns: [run('build', 'completed', 'failure')] }))).toEqual({
      check: 'ci',
      verdict: 'pass',
      code: 'none_required',
    });
  });

  test('a failed or missing required check fails, naming each; failure wins over pending', () => {
    const c = ciCheck(['build', 'test', 'deploy-preview', 'e2e'], 'protection', {
      checkRuns: [run('build', 'completed', 'failure'), run('e2e', 'in_progress')],
      statuses: [{ context: 'test', state: 'error' }],
    });
    expect(c.verdict).toBe('fail');
    expect(c.code).toBe('failing');
    expect(c.items).toEqual(['build: failure', 'test: error', 'deploy-preview: missing']);
    expect(c.params).toMatchObject({ source: 'protection', failing: 3 });
  });

  test.each(['cancelled', 'timed_out', 'action_required', 'stale'])('a %s check run fails', (conclusion) => {
    expect(ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'completed', conclusion)] })).verdict).toBe('fail');
  });

  test('a queued, running or pending required one is pending, naming them', () => {
    const c = ciCheck(['build', 'test', 'legacy'], 'config', {
      checkRuns: [run('build', 'queued'), run('test', 'completed', 'success')],
      statuses: [{ context: 'legacy', state: 'pending' }],
    });
    expect(c).toMatchObject({ verdict: 'pending', code: 'running', items: ['build', 'legacy'], params: { pending: 2 } });
  });

  test('unreadable fails closed with what could not be read', () => {
    expect(ciUnreadable({ read: 'check_runs', code: 'forbidden', status: 403, cause: 'Resource not accessible by integration' })).toEqual({
      check: 'ci',
      verdict: 'fail',
      code: 'unreadable',
      params: { read: 'check_runs', error: 'forbidden', status: 403, cause: 'Resource not accessible by integration' },
    });
  });
});

describe('Approve and the ci check', () => {
  const env: EnvironmentDefinition = {
    name: 'production',
    aliases: [],
    channels: ['C0PROD'],
    approvals: 2,
    approvers: ['U0ALICE', 'U0BOB'],
    requesters: 'any',
    requestTtlMs: 30 * 60_000,
    staleAfterMs: 120_000,
    runTimeoutMs: 3_600_000,
  } as EnvironmentDefinition;
  const alice = { userId: 'U0ALICE', groups: [] };
  const waiting = (ci: ReturnType<typeof ciCheck>) => ({ ...productionRequest({ now: NOW }), status: 'awaiting_approval' as const, sha: SHA, preflight: [ci] });

  test('pending refuses with checks_pending and says Approve waits', () => {
    const decision = canApprove(waiting(ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'in_progress')] }))), env, alice, NOW);
    expect(decision).toEqual({ allowed: false, refusal: { code: 'checks_pending', sha: SHA, pending: ['build'] } });
    if (decision.allowed) throw new Error('allowed');
    expect(refusalText(decision.refusal)).toBe('CI is still running on `3f78685` (`build`): Approve once it is green; the card updates by itself.');
  });

  test('a ✗ found while waiting refuses with checks_failed; green and break-glass approve', () => {
    const failing = ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'completed', 'failure')] }));
    const refused = canApprove(waiting(failing), env, alice, NOW);
    expect(refused).toMatchObject({ allowed: false, refusal: { code: 'checks_failed', failing: ['build: failure'] } });
    expect(canApprove(waiting(ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'completed', 'success')] }))), env, alice, NOW).allowed).toBe(
      true,
    );
    expect(canApprove({ ...waiting(failing), breakGlass: { reason: 'outage' } }, { ...env, breakGlassApprovers: ['U0ALICE'] }, alice, NOW).allowed).toBe(true);
  });
});

describe('words', () => {
  test('card lines say what runs, what failed and what could not be read', () => {
    expect(ciCheckWords(ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'queued')] })))).toBe(
      'CI: still running `build`; Approve waits, and this card updates when it finishes.',
    );
    expect(ciCheckWords(ciCheck(['a<b'], 'protection', checks({})))).toBe('CI: failing `a&lt;b: missing` (required by the default branch protection).');
    expect(ciCheckWords(ciUnreadable({ read: 'protection', code: 'forbidden', status: 403, cause: 'Resource not accessible' }))).toBe(
      'CI: GitHub did not let foxops read the default branch protection (HTTP 403): “Resource not accessible”, so CI counts as failed. ' +
        'Give the GitHub token Checks: read and Commit statuses: read (and Contents: read) on the repository.',
    );
  });

  test('the refusal of a request names the failing checks', () => {
    const failed = failedChecks([ciCheck(['build'], 'config', checks({ checkRuns: [run('build', 'completed', 'failure')] }))]);
    const failure = preflightFailure(failed, { environment: 'production', service: 'foxy-backend', ref: 'main', sha: SHA });
    expect(failure.params).toMatchObject({ failed: 'ci', ci: 'failing', ciFailing: 'build: failure' });
    expect(preflightFailureText(failure)).toContain('Required CI checks failed or are missing on this SHA (`build: failure`)');
  });
});

describe('the ci_check job', () => {
  test('is read back from the outbox with its request id, and refused with another', () => {
    expect(readJob({ type: 'ci_check', requestId: 'd-0123456789' })).toEqual({ job: { type: 'ci_check', requestId: 'd-0123456789' } });
    expect(readJob({ type: 'ci_check', requestId: 'x'.repeat(300) })).toHaveProperty('problem');
    expect(jobKey({ type: 'ci_check', requestId: 'd-0123456789' })).toBe('ci-check:d-0123456789');
  });
});
