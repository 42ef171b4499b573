/**
 * Real GitHub webhook payloads (test/fixtures/github, from @octokit/webhooks-examples) adapted to a test's
 * run: repository, run and job ids, attempt, status and conclusion are set in code, everything else is
 * GitHub's own payload. See test/fixtures/github/README.md for where each file comes from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** From the repository root, where jest and `npm run bench` run: works under CommonJS (jest) and ESM (tsx) alike. */
const FIXTURES = path.resolve(process.cwd(), 'test/fixtures/github');

/** A fresh copy of a fixture, safe to change. */
export function fixture<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

/** Where the event happened. */
export interface RunRef {
  repo: string;
  runId: number;
  attempt?: number;
}

function withRepository(payload: Record<string, any>, repo: string): Record<string, any> {
  const [owner, name] = repo.split('/');
  payload.repository = { ...payload.repository, full_name: repo, name, owner: { ...payload.repository?.owner, login: owner } };
  return payload;
}

/** What a `workflow_run` event should say. */
export interface WorkflowRunSpec extends RunRef {
  /** The rendered `run-name` (`display_title`), e.g. `Deploy production <sha> [d-…]`. */
  title?: string;
  conclusion?: string;
  /** Workflow file, default `deploy.yml`. */
  workflow?: string;
  /** GitHub's `run_started_at` of this attempt (the fixture's is from 2020). */
  startedAt?: string;
  /** GitHub's `updated_at`: when a completed run completed. */
  updatedAt?: string;
}

/** `workflow_run` `requested`, `in_progress` or `completed` (default conclusion `success`). */
export function workflowRunEvent(action: 'requested' | 'in_progress' | 'completed', spec: WorkflowRunSpec): Record<string, any> {
  const payload = fixture(action === 'completed' ? 'workflow_run.completed' : 'workflow_run.requested');
  payload.action = action;
  const run = payload.workflow_run;
  run.id = spec.runId;
  run.run_attempt = spec.attempt ?? 1;
  run.status = action === 'requested' ? 'queued' : action;
  run.conclusion = action === 'completed' ? (spec.conclusion ?? 'success') : null;
  run.path = `.github/workflows/${spec.workflow ?? 'deploy.yml'}`;
  run.name = 'Deploy';
  run.display_title = spec.title ?? run.display_title;
  run.html_url = `https://github.com/${spec.repo}/actions/runs/${spec.runId}`;
  run.url = `https://api.github.com/repos/${spec.repo}/actions/runs/${spec.runId}`;
  run.event = 'workflow_dispatch';
  if (spec.startedAt) run.run_started_at = spec.startedAt;
  if (spec.updatedAt) run.updated_at = spec.updatedAt;
  return withRepository(payload, spec.repo);
}

/** What a `workflow_job` event should say. */
export interface WorkflowJobSpec extends RunRef {
  jobId: number;
  name: string;
  /** For `completed`; default `success`. A failure keeps the fixture's failing step (8, `Run yarn run format-check`). */
  conclusion?: string;
}

/** `workflow_job` `queued`, `in_progress` or `completed`. */
export function workflowJobEvent(action: 'queued' | 'in_progress' | 'completed', spec: WorkflowJobSpec): Record<string, any> {
  const failed = action === 'completed' && (spec.conclusion ?? 'success') !== 'success';
  const payload = fixture(action === 'completed' ? (failed ? 'workflow_job.completed.failure' : 'workflow_job.completed.success') : `workflow_job.${action}`);
  const job = payload.workflow_job;
  job.id = spec.jobId;
  job.run_id = spec.runId;
  job.run_attempt = spec.attempt ?? 1;
  job.name = spec.name;
  job.status = action;
  if (action === 'completed') job.conclusion = spec.conclusion ?? 'success';
  job.html_url = `https://github.com/${spec.repo}/actions/runs/${spec.runId}/job/${spec.jobId}`;
  job.run_url = `https://api.github.com/repos/${spec.repo}/actions/runs/${spec.runId}`;
  return withRepository(payload, spec.repo);
}

/** `deployment_status` `created` for the deployment that a run's job made. */
export function deploymentStatusEvent(spec: RunRef & { state: string; environment: string; environmentUrl?: string; title?: string }): Record<string, any> {
  const payload = fixture('deployment_status.in_progress');
  payload.deployment_status.state = spec.state;
  payload.deployment_status.environment = spec.environment;
  payload.deployment_status.environment_url = spec.environmentUrl ?? '';
  payload.deployment.environment = spec.environment;
  const run = payload.workflow_run;
  run.id = spec.runId;
  run.run_attempt = spec.attempt ?? 1;
  run.status = 'in_progress';
  run.conclusion = null;
  run.path = '.github/workflows/deploy.yml';
  run.display_title = spec.title ?? run.display_title;
  run.html_url = `https://github.com/${spec.repo}/actions/runs/${spec.runId}`;
  return withRepository(payload, spec.repo);
}

/** One delivery: the `X-GitHub-Event` name and its payload. */
export type GitHubDelivery = [event: 'workflow_run' | 'workflow_job', payload: Record<string, any>];

/**
 * Every event GitHub sends for one run of `jobs`, in GitHub's usual order: the run requested, each job
 * queued, the run in progress, each job in progress then completed (the last one with `conclusion`), the
 * run completed with `conclusion`.
 */
export function runEventSequence(run: RunRef & { title?: string }, jobs: Array<{ id: number; name: string }>, conclusion = 'success'): GitHubDelivery[] {
  const out: GitHubDelivery[] = [['workflow_run', workflowRunEvent('requested', run)]];
  for (const j of jobs) out.push(['workflow_job', workflowJobEvent('queued', { ...run, jobId: j.id, name: j.name })]);
  out.push(['workflow_run', workflowRunEvent('in_progress', run)]);
  jobs.forEach((j, i) => {
    out.push(['workflow_job', workflowJobEvent('in_progress', { ...run, jobId: j.id, name: j.name })]);
    out.push([
      'workflow_job',
      workflowJobEvent('completed', { ...run, jobId: j.id, name: j.name, conclusion: i === jobs.length - 1 ? conclusion : 'success' }),
    ]);
  });
  out.push(['workflow_run', workflowRunEvent('completed', { ...run, conclusion })]);
  return out;
}
