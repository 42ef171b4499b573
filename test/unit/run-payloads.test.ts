/**
 * GitHub's run and job objects, as real payloads carry them, turned into run observations.
 */
import {
  deploymentOf,
  jobSchema,
  normaliseStatus,
  runSchema,
  runUpdateFromJob,
  runUpdateFromRun,
  toRunJob,
  webhookSchemas,
} from '../../src/github/run-payloads.js';
import { fixture } from '../support/github-events.js';

describe('toRunJob', () => {
  it('picks the failing step, with its number for the log link', () => {
    // Prepare
    const job = jobSchema.parse(fixture('workflow_job.completed.failure').workflow_job);

    // Act
    const out = toRunJob(job);

    // Assess
    expect(out).toEqual({
      id: job.id,
      name: 'linters',
      status: 'completed',
      conclusion: 'failure',
      attempt: 1,
      startedAt: '2021-08-05T10:34:58Z',
      completedAt: '2021-08-05T10:38:16Z',
      url: job.html_url,
      failedStep: 'Run yarn run format-check',
      failedStepNumber: 8,
    });
  });

  it('names the step running now while the job runs', () => {
    // Act
    const out = toRunJob(jobSchema.parse(fixture('workflow_job.in_progress').workflow_job));

    // Assess
    expect(out.status).toBe('in_progress');
    expect(out.currentStep).toBe('Run actions/setup-node@2fddd8803e2f5c9604345a0b591c3020ee971a93');
    expect(out.failedStep).toBeUndefined();
  });

  it('names no failing step for a job that succeeded', () => {
    // Act
    const out = toRunJob(jobSchema.parse(fixture('workflow_job.completed.success').workflow_job));

    // Assess
    expect(out).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(out.failedStep).toBeUndefined();
  });
});

describe('runUpdateFromJob', () => {
  it.each([
    { name: 'queued', status: 'queued', conclusion: null, runStatus: 'queued' },
    { name: 'waiting (environment review)', status: 'waiting', conclusion: null, runStatus: 'queued' },
    { name: 'in_progress', status: 'in_progress', conclusion: null, runStatus: 'in_progress' },
    { name: 'completed', status: 'completed', conclusion: 'success', runStatus: 'in_progress' },
    { name: 'skipped before it ran', status: 'completed', conclusion: 'skipped', runStatus: 'queued' },
  ])('reads a $name job as a run that is $runStatus, never completed', ({ status, conclusion, runStatus }) => {
    // Prepare
    const job = jobSchema.parse({ ...fixture('workflow_job.queued').workflow_job, status, conclusion });

    // Act
    const update = runUpdateFromJob(job);

    // Assess
    expect(update).toMatchObject({ runId: job.run_id, attempt: 1, status: runStatus, job: { id: job.id } });
  });
});

describe('runUpdateFromRun', () => {
  it('takes the rendered run-name from display_title', () => {
    // Act
    const update = runUpdateFromRun(runSchema.parse(fixture('workflow_run.requested').workflow_run));

    // Assess
    expect(update).toMatchObject({
      runId: 289782451,
      attempt: 1,
      status: 'queued',
      title: 'ci(action): update actions/setup-node digest to 8c91899',
      htmlUrl: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
    });
    expect(update.conclusion).toBeUndefined();
  });

  it('falls back to name on older payloads without display_title', () => {
    // Prepare
    const { display_title: _title, ...run } = fixture('workflow_run.requested').workflow_run;

    // Act
    const update = runUpdateFromRun(runSchema.parse({ ...run, name: 'Deploy production [d-7k2m9x4p1q]' }));

    // Assess
    expect(update.title).toBe('Deploy production [d-7k2m9x4p1q]');
  });

  it('reads the conclusion of a completed run', () => {
    // Act
    const update = runUpdateFromRun(runSchema.parse(fixture('workflow_run.completed').workflow_run));

    // Assess
    expect(update).toMatchObject({ status: 'completed', conclusion: 'success', updatedAt: '2020-10-05T16:33:49Z' });
  });
});

describe('normaliseStatus', () => {
  it.each<[string | null | undefined, string]>([
    ['queued', 'queued'],
    ['in_progress', 'in_progress'],
    ['completed', 'completed'],
    ['waiting', 'waiting'],
    ['success', 'completed'],
    ['failure', 'completed'],
    ['a_status_github_adds_later', 'pending'],
    [null, 'pending'],
  ])('reads %p as %p', (status, expected) => {
    // Act
    const out = normaliseStatus(status);

    // Assess
    expect(out).toBe(expected);
  });
});

describe('deploymentOf', () => {
  it('prefers the environment URL, then the link GitHub gives', () => {
    // Prepare
    const event = webhookSchemas.deployment_status.parse(fixture('deployment_status.in_progress'));
    const withUrl = webhookSchemas.deployment_status.parse({
      ...event,
      deployment_status: { ...event.deployment_status, environment_url: 'https://api.foxy.example' },
    });

    // Act
    const [plain, linked] = [deploymentOf(event), deploymentOf(withUrl)];

    // Assess
    expect(plain).toEqual({
      environment: 'github-pages',
      state: 'in_progress',
      url: 'https://github.com/Codertocat/Hello-World/runs/145988746?check_suite_focus=true',
    });
    expect(linked.url).toBe('https://api.foxy.example');
  });
});

describe('webhookSchemas', () => {
  it.each([
    'workflow_run.requested',
    'workflow_run.completed',
    'workflow_job.queued',
    'workflow_job.in_progress',
    'workflow_job.completed.failure',
    'deployment_status.in_progress',
    'deployment_status.no_run',
  ])('accepts the real payload %p', (name) => {
    // Prepare
    const event = name.split('.')[0] as keyof typeof webhookSchemas;

    // Act
    const parsed = webhookSchemas[event].safeParse(fixture(name));

    // Assess
    expect(parsed.success).toBe(true);
  });
});
