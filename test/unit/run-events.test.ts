/**
 * The run state rules on their own: late, repeated and out-of-order news, re-runs, conclusions,
 * failing jobs, and which milestones deserve a reply and a ledger entry.
 */
import { productionRequest } from '../support/requests.js';
import { type DeployRequest, type RequestStatus, type RunJob, findDeployIds, transition } from '../../src/domain/request.js';
import { failureText } from '../../src/slack/blocks/failures.js';
import {
  type RunUpdate,
  applyRunUpdate,
  deployDuration,
  giveUpOnRun,
  mergeJobs,
  noteRunChecked,
  runNotice,
  runOutcome,
  runOverdue,
  statusForConclusion,
} from '../../src/domain/run-events.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const RUN = 9_000_001;
const RUN_URL = `https://github.com/foxy-org/foxy-backend/actions/runs/${RUN}`;

/** A request dispatched at NOW, its run known by id unless `runId` is undefined. */
function dispatched(overrides: Partial<DeployRequest> = {}, runId: number | undefined = RUN): DeployRequest {
  const r = productionRequest({ requester: 'U0DAVE', requiredApprovals: 1, ttlMs: 1_800_000, now: NOW });
  const path: RequestStatus[] = ['awaiting_approval', 'approved', 'dispatching', 'dispatched'];
  const approved: DeployRequest = { ...r, sha: 'a'.repeat(40), approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }] };
  const walked = path.reduce((req, to) => transition(req, to, NOW), approved);
  return {
    ...walked,
    dispatchedAt: NOW.toISOString(),
    lastRunEventAt: NOW.toISOString(),
    run: { id: runId, url: runId ? RUN_URL : 'https://github.com/foxy-org/foxy-backend/actions/workflows/deploy.yml', attempt: 1, jobs: [] },
    ...overrides,
  };
}

const update = (status: RunUpdate['status'], extra: Partial<RunUpdate> = {}): RunUpdate => ({ runId: RUN, attempt: 1, status, htmlUrl: RUN_URL, ...extra });
const job = (id: number, name: string, status: RunJob['status'], extra: Partial<RunJob> = {}): RunJob => ({
  id,
  name,
  status,
  attempt: 1,
  url: `${RUN_URL}/job/${id}`,
  ...extra,
});

/** Applies updates in order, keeping the request when one changes nothing, as the store does. */
const applyAll = (start: DeployRequest, updates: RunUpdate[], when = at(1)) => updates.reduce((r, u) => applyRunUpdate(r, u, when) ?? r, start);

describe('statusForConclusion', () => {
  it.each<[string | null | undefined, RequestStatus]>([
    ['success', 'succeeded'],
    ['failure', 'failed'],
    ['startup_failure', 'failed'],
    ['action_required', 'failed'],
    ['cancelled', 'cancelled'],
    ['skipped', 'cancelled'],
    ['timed_out', 'timed_out'],
    ['neutral', 'unknown'],
    ['stale', 'unknown'],
    ['something_new', 'unknown'],
    [null, 'unknown'],
  ])('maps %p to %p', (conclusion, expected) => {
    // Act
    const status = statusForConclusion(conclusion);

    // Assess
    expect(status).toBe(expected);
  });
});

describe('applyRunUpdate: the normal path', () => {
  it('walks dispatched → queued → running → succeeded, with GitHub details on the way', () => {
    // Prepare
    const start = dispatched();

    // Act
    const queued = applyRunUpdate(start, update('queued'), at(1))!;
    const running = applyRunUpdate(queued, update('in_progress', { startedAt: at(1).toISOString() }), at(2))!;
    const done = applyRunUpdate(running, update('completed', { conclusion: 'success', updatedAt: at(4).toISOString() }), at(5))!;

    // Assess
    expect([queued.status, running.status, done.status]).toEqual(['queued', 'running', 'succeeded']);
    expect(done.run).toMatchObject({ id: RUN, url: RUN_URL, attempt: 1, conclusion: 'success', status: 'completed', startedAt: at(1).toISOString() });
    expect(done.finishedAt).toBe(at(4).toISOString());
    expect(done.lastRunEventAt).toBe(at(5).toISOString());
    expect(done.failure).toBeUndefined();
    expect(deployDuration(done)).toEqual({ startedAt: NOW.toISOString(), ms: 4 * 60_000 });
  });

  it('takes foxops’ clock for the end when GitHub’s is before the dispatch (clock skew, old payloads)', () => {
    // Act
    const done = applyRunUpdate(dispatched({ status: 'running' }), update('completed', { conclusion: 'success', updatedAt: '2020-10-05T16:33:49Z' }), at(3))!;

    // Assess
    expect(done.finishedAt).toBe(at(3).toISOString());
  });

  it('maps GitHub’s waiting and pending to queued and keeps the reason for the card', () => {
    // Act
    const waiting = applyRunUpdate(dispatched(), update('waiting'), at(1))!;

    // Assess
    expect(waiting.status).toBe('queued');
    expect(waiting.run?.status).toBe('waiting');
  });

  it('follows a request still in dispatching (the webhook beat the dispatch job) and sets dispatchedAt', () => {
    // Prepare
    const { run: _run, dispatchedAt: _at, ...rest } = dispatched();
    const start: DeployRequest = { ...rest, status: 'dispatching' };

    // Act
    const next = applyRunUpdate(start, update('in_progress'), at(1))!;

    // Assess
    expect(next.status).toBe('running');
    expect(next.dispatchedAt).toBe(at(1).toISOString());
    expect(next.run).toMatchObject({ id: RUN, attempt: 1, url: RUN_URL });
  });

  it('follows a run that shows up after the dispatch was reported failed (GitHub did it despite the error)', () => {
    // Act
    const next = applyRunUpdate(
      dispatched({ status: 'dispatch_failed', failure: { code: 'unavailable', params: { action: 'dispatch', status: 504 }, cause: 'timeout' } }, undefined),
      update('queued'),
      at(1),
    )!;

    // Assess
    expect(next.status).toBe('queued');
    expect(next.failure).toBeUndefined();
  });

  it('accepts any run id while the dispatch returned none, and then only that run', () => {
    // Prepare
    const start = dispatched({}, undefined);

    // Act
    const linked = applyRunUpdate(start, update('queued'), at(1))!;
    const other = applyRunUpdate(linked, { ...update('in_progress'), runId: RUN + 1 }, at(2));

    // Assess
    expect(linked.run?.id).toBe(RUN);
    expect(other).toBeUndefined();
  });
});

describe('applyRunUpdate: late, repeated and out-of-order news', () => {
  it('returns undefined for the same news twice', () => {
    // Prepare
    const once = applyRunUpdate(dispatched(), update('in_progress', { job: job(1, 'build', 'in_progress') }), at(1))!;

    // Act
    const twice = applyRunUpdate(once, update('in_progress', { job: job(1, 'build', 'in_progress') }), at(2));

    // Assess
    expect(twice).toBeUndefined();
  });

  it('ends completed when completed arrives before in_progress and queued', () => {
    // Act
    const end = applyAll(dispatched(), [update('completed', { conclusion: 'success' }), update('in_progress'), update('queued')]);

    // Assess
    expect(end.status).toBe('succeeded');
    expect(end.run?.conclusion).toBe('success');
  });

  it('never takes a running request back to queued', () => {
    // Act
    const end = applyAll(dispatched(), [update('in_progress'), update('queued')]);

    // Assess
    expect(end.status).toBe('running');
  });

  it('ignores another run and a lower attempt', () => {
    // Prepare
    const second = applyRunUpdate(dispatched(), update('in_progress', { attempt: 2 }), at(1))!;

    // Act
    const otherRun = applyRunUpdate(second, { ...update('completed', { conclusion: 'failure' }), runId: 1234 }, at(2));
    const olderAttempt = applyRunUpdate(second, update('completed', { conclusion: 'failure', attempt: 1 }), at(2));

    // Assess
    expect(otherRun).toBeUndefined();
    expect(olderAttempt).toBeUndefined();
  });

  it('ignores run news for requests that follow no run', () => {
    // Act
    const results = (['preparing', 'awaiting_approval', 'approved', 'rejected', 'expired'] as const).map((status) =>
      applyRunUpdate(dispatched({ status }), update('in_progress'), at(1)),
    );

    // Assess
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('keeps a completed job when its in_progress event comes late', () => {
    // Act
    const end = applyAll(dispatched(), [
      update('in_progress', {
        job: job(1, 'deploy', 'completed', { conclusion: 'success', startedAt: at(1).toISOString(), completedAt: at(2).toISOString() }),
      }),
      update('in_progress', { job: job(1, 'deploy', 'in_progress', { startedAt: at(1).toISOString(), currentStep: 'Deploy' }) }),
    ]);

    // Assess
    expect(end.run?.jobs).toEqual([expect.objectContaining({ id: 1, status: 'completed', conclusion: 'success' })]);
  });

  it('fills in the failing job of a run that already failed, without a new milestone', () => {
    // Prepare
    const failed = applyRunUpdate(dispatched({ status: 'running' }), update('completed', { conclusion: 'failure' }), at(3))!;

    // Act
    const detailed = applyRunUpdate(
      failed,
      update('in_progress', { job: job(7, 'smoke test', 'completed', { conclusion: 'failure', failedStep: 'Run smoke tests', failedStepNumber: 4 }) }),
      at(4),
    )!;

    // Assess
    expect(failed.failure).toEqual({ code: 'run_failed' });
    expect(failureText(failed.failure!)).toBe('The run failed.');
    expect(detailed.status).toBe('failed');
    expect(detailed.failure).toEqual({ code: 'job_failed', params: { job: 'smoke test', jobConclusion: 'failure', step: 'Run smoke tests' } });
    expect(failureText(detailed.failure!)).toBe('Job “smoke test” failed at step “Run smoke tests”.');
    expect(detailed.finishedAt).toBe(failed.finishedAt);
    expect(runNotice(failed, detailed)).toBeUndefined();
    expect(runOutcome(failed, detailed)).toBeUndefined();
  });
});

describe('applyRunUpdate: re-runs', () => {
  it('shows a re-run of a failed run as attempt 2, back to queued, with the old end cleared', () => {
    // Prepare
    const failed = applyRunUpdate(
      dispatched({ status: 'running' }),
      update('completed', { conclusion: 'failure', job: job(1, 'deploy', 'completed', { conclusion: 'failure' }) }),
      at(3),
    )!;

    // Act
    const rerun = applyRunUpdate(failed, update('queued', { attempt: 2, startedAt: at(10).toISOString() }), at(10))!;

    // Assess
    expect(rerun.status).toBe('queued');
    expect(rerun.run).toMatchObject({ attempt: 2, startedAt: at(10).toISOString() });
    expect(rerun.run?.conclusion).toBeUndefined();
    expect(rerun.finishedAt).toBeUndefined();
    expect(rerun.failure).toBeUndefined();
  });

  it('starts a re-run clean of a Cancel pressed on the earlier attempt', () => {
    // Prepare: Dave pressed Cancel on attempt 1 (forced later), which ended cancelled
    const cancelled = applyRunUpdate(
      {
        ...dispatched({ status: 'running' }),
        cancelRequestedBy: 'U0DAVE',
        cancelRequestedAt: at(2).toISOString(),
        cancelForcedAt: at(4).toISOString(),
      },
      update('completed', { conclusion: 'cancelled' }),
      at(5),
    )!;

    // Act: the run is re-run in GitHub
    const rerun = applyRunUpdate(cancelled, update('in_progress', { attempt: 2, startedAt: at(15).toISOString() }), at(15))!;

    // Assess
    expect(cancelled.cancelRequestedBy).toBe('U0DAVE');
    expect(rerun).toMatchObject({ status: 'running', run: { attempt: 2 } });
    expect(rerun.cancelRequestedBy).toBeUndefined();
    expect(rerun.cancelRequestedAt).toBeUndefined();
    expect(rerun.cancelForcedAt).toBeUndefined();
  });

  it('moves a failed run to succeeded when the re-run is first seen completed, through running', () => {
    // Prepare
    const failed = applyRunUpdate(dispatched({ status: 'running' }), update('completed', { conclusion: 'failure' }), at(3))!;

    // Act
    const fixed = applyRunUpdate(
      failed,
      update('completed', { attempt: 2, conclusion: 'success', startedAt: at(10).toISOString(), updatedAt: at(12).toISOString() }),
      at(13),
    )!;

    // Assess
    expect(fixed.status).toBe('succeeded');
    expect(fixed.run?.attempt).toBe(2);
    expect(fixed.finishedAt).toBe(at(12).toISOString());
    expect(deployDuration(fixed)).toEqual({ startedAt: at(10).toISOString(), ms: 2 * 60_000 });
    expect(runOutcome(failed, fixed)).toBe('succeeded');
  });

  it('replaces a job by name when the re-run reports it with a new id', () => {
    // Act
    const jobs = mergeJobs(
      [job(1, 'build', 'completed', { conclusion: 'success' }), job(2, 'deploy', 'completed', { conclusion: 'failure' })],
      [job(5, 'deploy', 'in_progress', { attempt: 2 })],
    );

    // Assess
    expect(jobs.map((j) => [j.id, j.name, j.status])).toEqual([
      [1, 'build', 'completed'],
      [5, 'deploy', 'in_progress'],
    ]);
  });

  it('ignores a job of the older attempt after the re-run started', () => {
    // Prepare
    const rerun = applyRunUpdate(
      dispatched({ status: 'running' }),
      update('in_progress', { attempt: 2, job: job(5, 'deploy', 'in_progress', { attempt: 2 }) }),
      at(1),
    )!;

    // Act
    const late = applyRunUpdate(rerun, update('in_progress', { attempt: 2, job: job(2, 'deploy', 'completed', { attempt: 1, conclusion: 'failure' }) }), at(2));

    // Assess
    expect(late).toBeUndefined();
  });
});

describe('applyRunUpdate: after foxops gave up', () => {
  const overdue = { code: 'run_overdue', params: { runTimeoutMs: 3_600_000, environment: 'production', githubUnreachable: false } };
  const gaveUp = () => giveUpOnRun(dispatched({ status: 'running' }), 'timed_out', overdue, at(61));

  it('does not come back to running on progress alone', () => {
    // Act
    const next = applyRunUpdate(gaveUp(), update('in_progress', { job: job(1, 'deploy', 'in_progress') }), at(62))!;

    // Assess
    expect(next.status).toBe('timed_out');
    expect(next.failure).toEqual(overdue);
    expect(next.run?.jobs).toHaveLength(1);
  });

  it('takes GitHub’s real outcome when it finally comes', () => {
    // Prepare
    const before = gaveUp();

    // Act
    const next = applyRunUpdate(before, update('completed', { conclusion: 'success' }), at(63))!;

    // Assess
    expect(next.status).toBe('succeeded');
    expect(next.failure).toBeUndefined();
    expect(runOutcome(before, next)).toBe('succeeded');
  });
});

describe('failures', () => {
  it.each<[string, string, DeployRequest['failure'], string]>([
    [
      'startup_failure',
      'failed',
      { code: 'startup_failure' },
      'The workflow could not start (startup_failure): check the workflow file on the dispatched ref.',
    ],
    ['action_required', 'failed', { code: 'action_required' }, 'GitHub wants someone to allow this run (action_required); open the run.'],
    ['skipped', 'cancelled', { code: 'run_skipped' }, 'GitHub skipped every job: nothing was deployed.'],
    ['cancelled', 'cancelled', { code: 'run_cancelled' }, 'The run was cancelled on GitHub: the deploy may have stopped halfway.'],
    [
      'neutral',
      'unknown',
      { code: 'run_neutral', params: { conclusion: 'neutral', environment: 'production' } },
      'GitHub ended the run as `neutral`, which says neither success nor failure. Check production by hand before deploying again.',
    ],
  ])('explains a run that ended %p', (conclusion, status, failure, words) => {
    // Act
    const next = applyRunUpdate(dispatched({ status: 'running' }), update('completed', { conclusion }), at(2))!;

    // Assess
    expect(next.status).toBe(status);
    expect(next.failure).toEqual(failure);
    expect(failureText(next.failure!)).toBe(words);
  });

  it('names the job that timed out at GitHub’s limit', () => {
    // Act
    const next = applyRunUpdate(
      dispatched({ status: 'running' }),
      update('completed', {
        conclusion: 'timed_out',
        jobs: [job(1, 'build', 'completed', { conclusion: 'success' }), job(2, 'deploy', 'completed', { conclusion: 'timed_out' })],
      }),
      at(2),
    )!;

    // Assess
    expect(next.status).toBe('timed_out');
    expect(next.failure).toEqual({ code: 'run_timed_out', params: { job: 'deploy', jobConclusion: 'timed_out' } });
    expect(failureText(next.failure!)).toBe('GitHub stopped the run at a time limit. Job “deploy” timed out.');
  });
});

describe('milestones', () => {
  it('says started once when the run starts, and the outcome once when it ends', () => {
    // Prepare
    const start = dispatched();
    const queued = applyRunUpdate(start, update('queued'), at(1))!;
    const running = applyRunUpdate(queued, update('in_progress'), at(2))!;
    const stillRunning = applyRunUpdate(running, update('in_progress', { job: job(1, 'deploy', 'in_progress') }), at(3))!;
    const done = applyRunUpdate(stillRunning, update('completed', { conclusion: 'failure' }), at(4))!;

    // Act
    const notices = [runNotice(start, queued), runNotice(queued, running), runNotice(running, stillRunning), runNotice(stillRunning, done)];

    // Assess
    expect(notices).toEqual([undefined, 'started', undefined, 'failed']);
    expect(runOutcome(stillRunning, done)).toBe('failed');
    expect(runOutcome(queued, running)).toBeUndefined();
  });

  it('says started again for a re-run', () => {
    // Prepare
    const failed = applyRunUpdate(dispatched({ status: 'running' }), update('completed', { conclusion: 'failure' }), at(3))!;

    // Act
    const rerun = applyRunUpdate(failed, update('in_progress', { attempt: 2 }), at(10))!;

    // Assess
    expect(runNotice(failed, rerun)).toBe('started');
  });
});

describe('the reconciler’s helpers', () => {
  it('notes a look at GitHub without changing anything else', () => {
    // Prepare
    const start = dispatched({ status: 'running' });

    // Act
    const next = noteRunChecked(start, at(5));

    // Assess
    expect(next).toEqual({ ...start, lastRunEventAt: at(5).toISOString() });
  });

  it('gives up with a visible status and reason', () => {
    // Act
    const next = giveUpOnRun(
      dispatched({ status: 'running' }),
      'unknown',
      { code: 'run_not_found', params: { repo: 'foxy-org/foxy-backend', runId: RUN } },
      at(5),
    );

    // Assess
    expect(next).toMatchObject({
      status: 'unknown',
      failure: { code: 'run_not_found', params: { repo: 'foxy-org/foxy-backend', runId: RUN } },
      finishedAt: at(5).toISOString(),
    });
  });

  it('measures the run timeout from the dispatch, and from the start of a re-run', () => {
    // Prepare
    const first = dispatched({ status: 'running' });
    const rerun = { ...first, run: { ...first.run!, attempt: 2, startedAt: at(50).toISOString() } };

    // Act
    const overdue = [runOverdue(first, 60 * 60_000, at(61)), runOverdue(first, 60 * 60_000, at(59)), runOverdue(rerun, 60 * 60_000, at(61))];

    // Assess
    expect(overdue).toEqual([true, false, false]);
  });
});

describe('findDeployIds', () => {
  it.each<[string | undefined, string[]]>([
    ['Deploy production 3f786850e387550fdab836ed7e6dc881de23001b [d-7k2m9x4p1q]', ['d-7k2m9x4p1q']],
    ['d-7k2m9x4p1q', ['d-7k2m9x4p1q']],
    ['Deploy d-7k2m9x4p1q and again d-7k2m9x4p1q', ['d-7k2m9x4p1q']],
    ['no id d-7k2m9x4p1 here', []],
    ['too long d-7k2m9x4p1qq', []],
    ['letters foxops never uses d-7k2m9x4p1u', []],
    ['glued xd-7k2m9x4p1q', []],
    [undefined, []],
  ])('finds the ids in %p', (title, ids) => {
    // Act
    const found = findDeployIds(title);

    // Assess
    expect(found).toEqual(ids);
  });
});
