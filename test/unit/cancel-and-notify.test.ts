/**
 * Cancel (who may, once; the force-cancel deadline; the job that asks GitHub) and which notifications go out
 * (`notify:` per environment, the failure DM): codes and data from the domain, the words from the Slack side.
 */
import { cancelRun } from '../../src/deploys/cancel-run.js';
import { FORCE_CANCEL_AFTER_MS, forceCancelDue } from '../../src/domain/cancel.js';
import type { EnvironmentDefinition } from '../../src/domain/catalog.js';
import { failureDmWanted, noticeWanted } from '../../src/domain/notify.js';
import { type Decision, type Refusal, canCancel } from '../../src/domain/policy.js';
import type { SourceControl } from '../../src/domain/ports.js';
import { type DeployRequest, REQUEST_STATUSES, type RequestStatus } from '../../src/domain/request.js';
import { RUN_OUTCOMES } from '../../src/domain/run-events.js';
import { refusalText } from '../../src/slack/blocks/refusals.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');

const production: EnvironmentDefinition = {
  name: 'production',
  aliases: ['prod'],
  channels: ['C0PROD'],
  approvals: 2,
  approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'],
  requesters: 'any',
  requestTtlMs: 30 * 60_000,
  staleAfterMs: 3 * 60_000,
  runTimeoutMs: 60 * 60_000,
};

/** Carol's deploy in `status`, with run 42. */
function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return { ...productionRequest({ now: NOW }), status, run: { id: 42, attempt: 1, jobs: [] }, ...overrides };
}

/** The refusal of a verdict that must be one. */
function refusalOf(verdict: Decision): Refusal {
  if (verdict.allowed) throw new Error('expected a refusal');
  return verdict.refusal;
}

describe('canCancel', () => {
  test.each(['dispatched', 'queued', 'running'] as const)('lets the requester and an approver cancel a %s deploy', (status) => {
    expect(canCancel(request(status), production, { userId: 'U0CAROL', groups: [] })).toEqual({ allowed: true });
    expect(canCancel(request(status), production, { userId: 'U0ALICE', groups: [] })).toEqual({ allowed: true });
    expect(canCancel(request(status), production, { userId: 'U0ERIN', groups: ['S0RELEASE'] })).toEqual({ allowed: true, viaGroup: 'S0RELEASE' });
  });

  test('refuses anyone else, saying who may', () => {
    const verdict = canCancel(request('running'), production, { userId: 'U0EVE', groups: [] });
    expect(verdict).toEqual({
      allowed: false,
      refusal: { code: 'not_approver', action: 'cancel', environment: 'production', approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'], requesterMay: true },
    });
    expect(refusalText(refusalOf(verdict))).toBe('Only the requester or <@U0ALICE>, <@U0BOB>, <!subteam^S0RELEASE> may cancel *production* deploys.');
  });

  test.each(REQUEST_STATUSES.filter((s) => !['dispatched', 'queued', 'running'].includes(s)))('refuses a %s request: no run to cancel', (status) => {
    const verdict = canCancel(request(status), production, { userId: 'U0CAROL', groups: [] });
    expect(verdict).toEqual({ allowed: false, refusal: { code: 'wrong_status', action: 'cancel', status } });
    expect(refusalText(refusalOf(verdict))).toContain('there is no run to cancel');
  });

  test('a second Cancel is told who pressed it first and when', () => {
    const first = request('running', { cancelRequestedBy: 'U0ALICE', cancelRequestedAt: NOW.toISOString() });
    const verdict = canCancel(first, production, { userId: 'U0BOB', groups: [] });
    expect(verdict).toEqual({ allowed: false, refusal: { code: 'already_cancelling', by: 'U0ALICE', at: NOW.toISOString() } });
    expect(refusalText(refusalOf(verdict))).toMatch(/^This deploy is being cancelled already: <@U0ALICE> pressed Cancel <!date\^/);
  });

  test('an outsider is refused as an outsider even after someone pressed Cancel', () => {
    const first = request('running', { cancelRequestedBy: 'U0ALICE', cancelRequestedAt: NOW.toISOString() });
    expect(canCancel(first, production, { userId: 'U0EVE', groups: [] })).toMatchObject({ allowed: false, refusal: { code: 'not_approver' } });
  });
});

describe('forceCancelDue', () => {
  const pressed = request('running', { cancelRequestedBy: 'U0CAROL', cancelRequestedAt: NOW.toISOString() });
  const at = (ms: number) => new Date(NOW.getTime() + ms);

  test('after the deadline, once, while the run still goes', () => {
    expect(forceCancelDue(pressed, at(FORCE_CANCEL_AFTER_MS - 1))).toBe(false);
    expect(forceCancelDue(pressed, at(FORCE_CANCEL_AFTER_MS))).toBe(true);
    expect(forceCancelDue({ ...pressed, cancelForcedAt: at(FORCE_CANCEL_AFTER_MS).toISOString() }, at(FORCE_CANCEL_AFTER_MS * 2))).toBe(false);
    expect(forceCancelDue({ ...pressed, status: 'cancelled' }, at(FORCE_CANCEL_AFTER_MS))).toBe(false);
    expect(forceCancelDue(request('running'), at(FORCE_CANCEL_AFTER_MS * 10))).toBe(false);
  });
});

describe('the cancel_run job', () => {
  function withGitHub(requests: DeployRequest[], answer: Awaited<ReturnType<SourceControl['cancelRun']>> = 'requested') {
    const m = memoryContext({ requests, now: () => NOW });
    const calls: Array<[string, number, boolean | undefined]> = [];
    m.ctx.sourceControl = async () =>
      ({ cancelRun: async (repo: string, runId: number, force?: boolean) => (calls.push([repo, runId, force]), answer) }) as never;
    return { ...m, calls };
  }

  test('asks GitHub to cancel the run and audits it', async () => {
    const m = withGitHub([request('running', { cancelRequestedBy: 'U0CAROL', cancelRequestedAt: NOW.toISOString() })]);
    await cancelRun(m.ctx, 'd-0123456789', false);
    expect(m.calls).toEqual([['foxy-org/foxy-backend', 42, false]]);
    expect(m.audit).toEqual([expect.objectContaining({ actor: 'foxops', action: 'cancel_run', outcome: 'ok', detail: 'run 42: requested, for U0CAROL' })]);
  });

  test('asks GitHub nothing once the run finished (it won the race), nor without a Cancel', async () => {
    const m = withGitHub([
      request('succeeded', { cancelRequestedBy: 'U0CAROL', cancelRequestedAt: NOW.toISOString() }),
      { ...request('running'), id: 'd-1123456789' },
    ]);
    await cancelRun(m.ctx, 'd-0123456789', false);
    await cancelRun(m.ctx, 'd-1123456789', false);
    expect(m.calls).toEqual([]);
    expect(m.requests.get('d-0123456789')?.status).toBe('succeeded');
    expect(m.logger.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['cancel.nothing_to_cancel', 'cancel.not_requested']));
  });

  test('a force-cancel is recorded first and sent once', async () => {
    const m = withGitHub([request('running', { cancelRequestedBy: 'U0CAROL', cancelRequestedAt: NOW.toISOString() })]);
    await cancelRun(m.ctx, 'd-0123456789', true);
    await cancelRun(m.ctx, 'd-0123456789', true);
    expect(m.calls).toEqual([['foxy-org/foxy-backend', 42, true]]);
    expect(m.requests.get('d-0123456789')?.cancelForcedAt).toBe(NOW.toISOString());
  });

  test('a run that completed meanwhile (409) changes nothing', async () => {
    const m = withGitHub([request('running', { cancelRequestedBy: 'U0CAROL', cancelRequestedAt: NOW.toISOString() })], 'completed');
    await cancelRun(m.ctx, 'd-0123456789', false);
    expect(m.requests.get('d-0123456789')?.status).toBe('running');
    expect(m.audit).toEqual([expect.objectContaining({ action: 'cancel_run', outcome: 'refused', detail: 'run 42: completed, for U0CAROL' })]);
  });
});

describe('notify', () => {
  test('`all` (and no setting) lets every thread reply through', () => {
    for (const notice of ['started', ...RUN_OUTCOMES] as const) {
      expect(noticeWanted(undefined, notice)).toBe(true);
      expect(noticeWanted('all', notice)).toBe(true);
    }
  });

  test('`failures` lets only failed, timed out and unknown through; `none` nothing', () => {
    const through = (['started', ...RUN_OUTCOMES] as const).filter((n) => noticeWanted('failures', n));
    expect(through).toEqual(['failed', 'timed_out', 'unknown']);
    expect((['started', ...RUN_OUTCOMES] as const).filter((n) => noticeWanted('none', n))).toEqual([]);
  });

  test('a failed or timed-out run sends the failure DM; nothing else does', () => {
    expect((['started', ...RUN_OUTCOMES] as const).filter(failureDmWanted)).toEqual(['failed', 'timed_out']);
  });
});

describe('the card', () => {
  const text = (r: DeployRequest) => JSON.stringify(deployCard(r).blocks);

  test('a running deploy offers Cancel until someone pressed it; then it says who and when', () => {
    expect(text(request('running'))).toContain(ACTION_IDS.cancel);
    const pressed = text(request('running', { cancelRequestedBy: 'U0ALICE', cancelRequestedAt: NOW.toISOString() }));
    expect(pressed).not.toContain(ACTION_IDS.cancel);
    expect(pressed).toContain('Cancel requested by <@U0ALICE>');
  });

  test('a run cancelled in GitHub itself names nobody and suggests no rollback', () => {
    const card = text(request('cancelled'));
    expect(card).toContain('Cancelled');
    expect(card).not.toContain('Cancelled by');
    expect(card).not.toContain('/deploy rollback');
    expect(card).not.toContain(ACTION_IDS.cancel);
  });
});
