/**
 * The sandbox's webhook payloads (src/sandbox/sim/github-webhooks.ts) against GitHub's real ones (test/fixtures/github):
 * the same keys, and foxops' own parsers read them as they read GitHub's.
 */
import { runIdOfCallback, handleProtectionRuleEvent } from '../../src/github/protection-rule-webhook.js';
import { runUpdateFromJob, runUpdateFromRun, webhookSchemas } from '../../src/github/run-payloads.js';
import type { DeployContext } from '../../src/deploys/context.js';
import type { Logger } from '../../src/log.js';
import { deploymentProtectionRulePayload, workflowJobPayload, workflowRunPayload } from '../../src/sandbox/sim/github-webhooks.js';
import type { FakeCommit, FakeJob, FakeRun } from '../../src/sandbox/sim/github.js';
import { fixture } from '../support/github-events.js';

const keys = (value: unknown): string[] => Object.keys(value as object).sort();
const union = (...lists: string[][]) => [...new Set(lists.flat())].sort();

const job: FakeJob = {
  id: 7000002,
  name: 'deploy',
  status: 'completed',
  conclusion: 'failure',
  startedAt: '2024-05-01T10:01:00Z',
  completedAt: '2024-05-01T10:02:00Z',
  steps: [
    { name: 'Set up job', number: 1, status: 'completed', conclusion: 'success', startedAt: '2024-05-01T10:01:00Z', completedAt: '2024-05-01T10:01:05Z' },
    { name: 'Deploy to Lambda', number: 2, status: 'completed', conclusion: 'failure', startedAt: '2024-05-01T10:01:05Z', completedAt: '2024-05-01T10:02:00Z' },
    { name: 'Smoke test', number: 3, status: 'completed', conclusion: 'skipped', startedAt: null, completedAt: null },
  ],
};

const run: FakeRun = {
  id: 9000001,
  repo: 'foxy/foxy-backend',
  workflowFile: 'deploy.yml',
  workflowId: 160100,
  workflowName: 'Deploy',
  headBranch: 'main',
  headSha: 'a'.repeat(40),
  inputs: { environment: 'production', deploy_id: 'd-0123456789' },
  displayTitle: `Deploy production ${'a'.repeat(40)} [d-0123456789]`,
  runNumber: 3,
  status: 'completed',
  conclusion: 'failure',
  createdAt: '2024-05-01T10:00:00Z',
  updatedAt: '2024-05-01T10:02:00Z',
  jobs: [job],
};

const commit: FakeCommit = { sha: run.headSha, message: 'Fix the thing', authorLogin: 'alice', date: '2024-05-01T09:00:00Z', parent: undefined };

describe('workflowRunPayload', () => {
  const payload = workflowRunPayload(run, 'completed', { commit, repository: { id: 4, defaultBranch: 'main' } }) as Record<string, any>;
  const requested = fixture('workflow_run.requested');
  const completed = fixture('workflow_run.completed');

  it('has the keys of GitHub’s workflow_run deliveries, at the top and in every nested object', () => {
    expect(keys(payload)).toEqual(keys(completed));
    expect(keys(workflowRunPayload(run, 'requested'))).toEqual(keys(requested));
    expect(keys(payload.workflow_run)).toEqual(keys(completed.workflow_run));
    expect(keys(payload.workflow)).toEqual(keys(completed.workflow));
    expect(keys(payload.repository)).toEqual(keys(completed.repository));
    expect(keys(payload.repository.owner)).toEqual(keys(completed.repository.owner));
    expect(keys(payload.organization)).toEqual(keys(completed.organization));
    expect(keys(payload.sender)).toEqual(keys(completed.sender));
    for (const key of ['repository', 'head_repository', 'actor', 'triggering_actor', 'head_commit'])
      expect([key, keys(payload.workflow_run[key])]).toEqual([key, keys(completed.workflow_run[key])]);
  });

  it('says what the simulator says, the status following the action', () => {
    expect(payload.workflow_run).toMatchObject({
      id: 9000001,
      name: 'Deploy',
      display_title: run.displayTitle,
      path: '.github/workflows/deploy.yml',
      status: 'completed',
      conclusion: 'failure',
      run_attempt: 1,
      event: 'workflow_dispatch',
      html_url: 'https://github.com/foxy/foxy-backend/actions/runs/9000001',
      head_commit: { id: run.headSha, message: 'Fix the thing' },
    });
    expect(payload.repository).toMatchObject({ id: 4, full_name: 'foxy/foxy-backend', default_branch: 'main' });
    const queued = workflowRunPayload({ ...run, status: 'queued', conclusion: null }, 'requested') as Record<string, any>;
    expect(queued.workflow_run).toMatchObject({ status: 'queued', conclusion: null });
    expect((workflowRunPayload(run, 'in_progress') as Record<string, any>).workflow_run).toMatchObject({ status: 'in_progress', conclusion: null });
  });

  it('is read by foxops’ parser as GitHub’s is', () => {
    const parsed = webhookSchemas.workflow_run.safeParse(payload);
    expect(parsed.success).toBe(true);
    if (!parsed.success) return;
    expect(parsed.data.repository.full_name).toBe('foxy/foxy-backend');
    expect(runUpdateFromRun(parsed.data.workflow_run)).toEqual({
      runId: 9000001,
      attempt: 1,
      status: 'completed',
      conclusion: 'failure',
      htmlUrl: 'https://github.com/foxy/foxy-backend/actions/runs/9000001',
      startedAt: '2024-05-01T10:00:00Z',
      createdAt: '2024-05-01T10:00:00Z',
      updatedAt: '2024-05-01T10:02:00Z',
      title: run.displayTitle,
    });
  });

  it('carries the installation only for an app’s delivery', () => {
    expect(workflowRunPayload(run, 'completed')).not.toHaveProperty('installation');
    expect(workflowRunPayload(run, 'completed', { installationId: 42 })).toMatchObject({ installation: { id: 42 } });
  });
});

describe('workflowJobPayload', () => {
  const names = ['workflow_job.queued', 'workflow_job.in_progress', 'workflow_job.completed.success', 'workflow_job.completed.failure'];
  const fixtures = names.map((name) => fixture(name));

  it('has the keys of GitHub’s workflow_job deliveries (organization and, for an app, installation, as an app in an organisation gets)', () => {
    const allTop = union(...fixtures.map(keys));
    const commonTop = allTop.filter((key) => fixtures.every((f) => key in f));
    for (const action of ['queued', 'in_progress', 'completed'] as const) {
      const payload = workflowJobPayload(run, job, action, { installationId: 1 }) as Record<string, any>;
      expect(keys(payload)).toEqual(allTop);
      expect(keys(workflowJobPayload(run, job, action))).toEqual(expect.arrayContaining(commonTop));
      for (const f of fixtures) expect(keys(payload.workflow_job)).toEqual(keys(f.workflow_job));
      expect(keys(payload.workflow_job.steps[0])).toEqual(keys(fixtures[1]!.workflow_job.steps[0]));
    }
  });

  it('is read by foxops’ parser: a failed job names its failing step', () => {
    const payload = workflowJobPayload(run, job, 'completed');
    const parsed = webhookSchemas.workflow_job.safeParse(payload);
    expect(parsed.success).toBe(true);
    if (!parsed.success) return;
    expect(runUpdateFromJob(parsed.data.workflow_job)).toEqual({
      runId: 9000001,
      attempt: 1,
      status: 'in_progress',
      job: expect.objectContaining({
        id: 7000002,
        name: 'deploy',
        status: 'completed',
        conclusion: 'failure',
        failedStep: 'Deploy to Lambda',
        failedStepNumber: 2,
        url: 'https://github.com/foxy/foxy-backend/actions/runs/9000001/job/7000002',
      }),
    });
  });

  it('a running job names its current step; a queued one has no runner yet', () => {
    const running: FakeJob = {
      ...job,
      status: 'in_progress',
      conclusion: null,
      completedAt: null,
      steps: [{ ...job.steps[0]! }, { ...job.steps[1]!, status: 'in_progress', conclusion: null, completedAt: null }],
    };
    const parsed = webhookSchemas.workflow_job.parse(workflowJobPayload(run, running, 'in_progress'));
    expect(runUpdateFromJob(parsed.workflow_job)).toMatchObject({ status: 'in_progress', job: { status: 'in_progress', currentStep: 'Deploy to Lambda' } });
    expect((workflowJobPayload(run, running, 'queued') as Record<string, any>).workflow_job).toMatchObject({ status: 'queued', runner_name: null });
  });
});

describe('deploymentProtectionRulePayload', () => {
  const payload = deploymentProtectionRulePayload(run, 'production', { installationId: 77 }) as Record<string, any>;
  const documented = fixture('deployment_protection_rule.requested');

  it('has the keys of GitHub’s documented deployment_protection_rule event', () => {
    expect(keys(payload)).toEqual(keys(documented));
    expect(keys(payload.deployment)).toEqual(keys(documented.deployment));
    expect(payload).toMatchObject({ action: 'requested', environment: 'production', installation: { id: 77 }, deployment: { sha: run.headSha } });
  });

  it('names the run in its callback URL, and foxops queues the decision', async () => {
    expect(runIdOfCallback(payload.deployment_callback_url, 'foxy/foxy-backend')).toBe(9000001);
    const enqueued: unknown[] = [];
    const context = async () => ({ jobs: { enqueue: async (j: unknown) => (enqueued.push(j), true) } }) as unknown as DeployContext;
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const answer = await handleProtectionRuleEvent(context, logger, payload, 'delivery-1', {});
    expect(answer.statusCode).toBe(200);
    expect(enqueued).toEqual([
      expect.objectContaining({ type: 'protection_rule', repo: 'foxy/foxy-backend', runId: 9000001, environment: 'production', installationId: 77 }),
    ]);
  });
});
