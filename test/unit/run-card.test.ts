/**
 * What people read about a run: the jobs and status line of the deploy card, and the threaded replies.
 */
import { blocksText } from '../support/blocks.js';
import { productionRequest } from '../support/requests.js';
import type { DeployRequest, RequestStatus, RunJob } from '../../src/domain/request.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { runNoticeText } from '../../src/slack/blocks/run-notice.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const RUN_URL = 'https://github.com/foxy-org/foxy-backend/actions/runs/42';
const jobUrl = (id: number) => `${RUN_URL}/job/${id}`;

function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  const r = productionRequest({ requester: 'U0DAVE', requiredApprovals: 2, ttlMs: 1_800_000, now: NOW });
  return {
    ...r,
    status,
    sha: '3f786850e387550fdab836ed7e6dc881de23001b',
    approvals: [
      { userId: 'U0ALICE', at: NOW.toISOString() },
      { userId: 'U0BOB', at: NOW.toISOString() },
    ],
    dispatchedAt: '2030-01-01T12:10:00.000Z',
    run: { id: 42, url: RUN_URL, attempt: 1, jobs: [] },
    ...overrides,
  };
}

const text = (r: DeployRequest) => blocksText({ blocks: deployCard(r).blocks });

const failedJob: RunJob = {
  id: 7,
  name: 'deploy',
  status: 'completed',
  conclusion: 'failure',
  startedAt: '2030-01-01T12:11:00Z',
  completedAt: '2030-01-01T12:13:30Z',
  url: jobUrl(7),
  failedStep: 'Smoke test',
  failedStepNumber: 5,
};

describe('the jobs on the card', () => {
  it('shows each job with its state, its duration once done, and the step it runs', () => {
    // Prepare
    const jobs: RunJob[] = [
      {
        id: 1,
        name: 'build',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2030-01-01T12:10:05Z',
        completedAt: '2030-01-01T12:11:00Z',
        url: jobUrl(1),
      },
      { id: 2, name: 'deploy', status: 'in_progress', startedAt: '2030-01-01T12:11:05Z', url: jobUrl(2), currentStep: 'Update the alias' },
      { id: 3, name: 'smoke', status: 'queued' },
    ];

    // Act
    const card = text(request('running', { run: { id: 42, url: RUN_URL, attempt: 1, jobs } }));

    // Assess
    expect(card).toContain(
      `:white_check_mark: <${jobUrl(1)}|build> 55s\n:arrows_counterclockwise: <${jobUrl(2)}|deploy>: _Update the alias_\n:double_vertical_bar: smoke`,
    );
  });

  it('links the failing job and its step, in the jobs and in the status line, with the total duration', () => {
    // Act
    const card = text(
      request('failed', { finishedAt: '2030-01-01T12:14:00.000Z', run: { id: 42, url: RUN_URL, attempt: 1, jobs: [failedJob], conclusion: 'failure' } }),
    );

    // Assess
    expect(card).toContain(`:x: <${jobUrl(7)}|deploy> 2m 30s: step <${jobUrl(7)}#step:5:1|Smoke test> failed`);
    expect(card).toContain(`*Failed* in 4m: <${RUN_URL}|run 42> Job <${jobUrl(7)}|deploy> failed at step <${jobUrl(7)}#step:5:1|Smoke test>.`);
  });

  it('keeps every line whole and the failing jobs in view when there are too many jobs', () => {
    // Prepare
    const ok = Array.from(
      { length: 80 },
      (_, i): RunJob => ({ id: 100 + i, name: `deploy-region-${i}-with-a-long-name`, status: 'completed', conclusion: 'success', url: jobUrl(100 + i) }),
    );
    const jobs = [...ok.slice(0, 60), { ...failedJob, id: 999, url: jobUrl(999) }, ...ok.slice(60)];

    // Act
    const blocks = deployCard(request('failed', { run: { id: 42, url: RUN_URL, attempt: 1, jobs } })).blocks;
    const section = blocks.map((b) => (b.type === 'section' ? (b.text?.text ?? '') : '')).find((t) => t.includes('deploy-region-0-'))!;

    // Assess
    expect(section.length).toBeLessThan(3000);
    expect(section).toContain(`<${jobUrl(999)}|deploy>`);
    expect(section).toMatch(/…and \d+ more jobs$/);
    for (const line of section.split('\n').slice(0, -1)) expect(line).toMatch(/^:\w+: <https:\/\/github\.com\/[^|>]+\|[^>]+>/);
  });
});

describe('the status line', () => {
  it.each<[string, Partial<DeployRequest>, string]>([
    [
      'waits for a GitHub environment reviewer',
      { run: { id: 42, url: RUN_URL, attempt: 1, jobs: [], status: 'waiting' } },
      'Queued (waiting for a reviewer of the GitHub environment)',
    ],
    [
      'waits for an earlier run',
      { run: { id: 42, url: RUN_URL, attempt: 1, jobs: [], status: 'pending' } },
      'Queued (waiting for an earlier run of the workflow to finish)',
    ],
  ])('says when a queued run %s', (_name, overrides, expected) => {
    // Act
    const card = text(request('queued', overrides));

    // Assess
    expect(card).toContain(expected);
  });

  it('measures a re-run from its own start', () => {
    // Act
    const card = text(
      request('succeeded', {
        finishedAt: '2030-01-01T13:03:00.000Z',
        run: { id: 42, url: RUN_URL, attempt: 2, startedAt: '2030-01-01T13:00:00.000Z', jobs: [], conclusion: 'success' },
      }),
    );

    // Assess
    expect(card).toContain(`*Succeeded* in 3m: <${RUN_URL}|run 42> (re-run, attempt 2)`);
  });

  it('says why foxops lost track of a run', () => {
    // Act
    const card = text(request('unknown', { failure: { code: 'run_not_found', params: { repo: 'foxy-org/foxy-backend', runId: 42 } } }));

    // Assess
    expect(card).toContain(
      `*Unknown*: <${RUN_URL}|run 42>. GitHub no longer knows run 42 (404): it was deleted, or foxops lost access to foxy-org/foxy-backend. ` +
        'Check the workflow and the environment by hand.',
    );
  });

  it('shows the GitHub environment the run deployed to', () => {
    // Act
    const card = text(
      request('running', {
        run: { id: 42, url: RUN_URL, attempt: 1, jobs: [], deployment: { environment: 'production', state: 'in_progress', url: 'https://api.foxy.example' } },
      }),
    );

    // Assess
    expect(card).toContain('GitHub environment <https://api.foxy.example|production>: in progress');
  });
});

describe('runNoticeText', () => {
  it('announces the start with the run link', () => {
    // Act
    const out = runNoticeText(request('running'), 'started');

    // Assess
    expect(out).toBe(`:arrows_counterclockwise: Deploy of *foxy-backend* \`3f78685\` to *production* started: <${RUN_URL}|run 42>.`);
  });

  it('says how long a success took', () => {
    // Act
    const out = runNoticeText(request('succeeded', { finishedAt: '2030-01-01T12:14:10.000Z' }), 'succeeded');

    // Assess
    expect(out).toBe(`:large_green_circle: *foxy-backend* \`3f78685\` to *production* succeeded after 4m 10s: <${RUN_URL}|run 42>.`);
  });

  it('calls the requester and every approver on a failure, with the failing job and step', () => {
    // Act
    const out = runNoticeText(
      request('failed', { finishedAt: '2030-01-01T12:14:10.000Z', run: { id: 42, url: RUN_URL, attempt: 1, jobs: [failedJob] } }),
      'failed',
    );

    // Assess
    expect(out).toBe(
      ':red_circle: <@U0DAVE> <@U0ALICE> <@U0BOB> the deploy of *foxy-backend* `3f78685` to *production* failed after 4m 10s: ' +
        `Job <${jobUrl(7)}|deploy> failed at step <${jobUrl(7)}#step:5:1|Smoke test>. See <${RUN_URL}|run 42>.`,
    );
  });

  it('escapes what GitHub reports, so a job name cannot mention the channel', () => {
    // Act
    const out = runNoticeText(
      request('failed', { run: { id: 42, url: RUN_URL, attempt: 1, jobs: [{ ...failedJob, name: '<!channel>', failedStep: '<!here>' }] } }),
      'failed',
    );

    // Assess
    expect(out).not.toContain('<!channel>');
    expect(out).not.toContain('<!here>');
  });

  it('marks a re-run', () => {
    // Act
    const out = runNoticeText(request('running', { run: { id: 42, url: RUN_URL, attempt: 3, jobs: [] } }), 'started');

    // Assess
    expect(out).toContain('started (re-run, attempt 3)');
  });

  it('says in words why a run without a failing job failed, was cancelled, timed out or was lost', () => {
    // Act
    const failed = runNoticeText(request('failed', { failure: { code: 'startup_failure' } }), 'failed');
    const cancelled = runNoticeText(request('cancelled', { failure: { code: 'run_skipped' } }), 'cancelled');
    const overdue = runNoticeText(
      request('timed_out', { failure: { code: 'run_overdue', params: { runTimeoutMs: 3_600_000, environment: 'production', githubUnreachable: true } } }),
      'timed_out',
    );
    const lost = runNoticeText(request('unknown', { failure: { code: 'run_not_found', params: { repo: 'foxy-org/foxy-backend', runId: 42 } } }), 'unknown');

    // Assess
    expect(failed).toContain('failed: The workflow could not start (startup_failure): check the workflow file on the dispatched ref. See ');
    expect(cancelled).toContain('was cancelled. GitHub skipped every job: nothing was deployed. See ');
    expect(overdue).toContain(
      'timed out. The run went on for more than 1h (run_timeout of production); foxops stopped following it. ' +
        'GitHub did not answer either. It may still be running: look at it on GitHub. Check ',
    );
    expect(lost).toContain(
      'lost track of the deploy of *foxy-backend* `3f78685` to *production*. ' +
        'GitHub no longer knows run 42 (404): it was deleted, or foxops lost access to foxy-org/foxy-backend. Check ',
    );
  });

  it('escapes the names and GitHub’s words in a failure', () => {
    // Act
    const out = runNoticeText(request('unknown', { failure: { code: 'run_not_found', params: { repo: '<!channel>', runId: 42 } } }), 'unknown');

    // Assess
    expect(out).not.toContain('<!channel>');
    expect(out).toContain('foxops lost access to &lt;!channel&gt;.');
  });
});
