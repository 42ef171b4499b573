/**
 * GitHub's workflow run and job objects, validated (only the fields foxops reads) and turned into
 * {@link RunUpdate}s. Webhook payloads and REST answers carry the same objects, so both go through here.
 */
import * as z from 'zod/mini';
import type { RunSnapshot } from '../domain/ports.js';
import type { GitHubRunStatus, RunDeployment, RunJob } from '../domain/request.js';
import type { RunUpdate } from '../domain/run-events.js';

const STATUSES: readonly GitHubRunStatus[] = ['requested', 'pending', 'waiting', 'queued', 'in_progress', 'completed'];
/** Values the API's `status` filter also knows, which mean the run completed with that conclusion. */
const CONCLUSIONS = ['success', 'failure', 'cancelled', 'skipped', 'timed_out', 'action_required', 'neutral', 'stale', 'startup_failure'];

/**
 * GitHub's status words, made safe: a conclusion given as status means completed, and a word GitHub adds
 * later counts as not started yet, the one reading that can never end or advance a deploy by mistake.
 */
export function normaliseStatus(status: string | null | undefined): GitHubRunStatus {
  if (status && (STATUSES as readonly string[]).includes(status)) return status as GitHubRunStatus;
  if (status && CONCLUSIONS.includes(status)) return 'completed';
  return 'pending';
}

const text = z.nullish(z.string());
const positiveInt = z.int().check(z.positive());

/** A workflow run: `workflow_run` in webhooks, `GET /repos/{o}/{r}/actions/runs/{id}`. */
export const runSchema = z.object({
  id: positiveInt,
  /** The workflow's name; older payloads carry the run name here. */
  name: text,
  /** The rendered `run-name`, which carries foxops' deploy id. */
  display_title: text,
  path: text,
  status: text,
  conclusion: text,
  run_attempt: z.nullish(positiveInt),
  html_url: text,
  run_started_at: text,
  created_at: text,
  updated_at: text,
});
export type GitHubRun = z.infer<typeof runSchema>;

const stepSchema = z.object({ name: z.string(), number: z.nullish(z.int()), status: text, conclusion: text });

/** A job: `workflow_job` in webhooks, an element of `GET …/runs/{id}/jobs`. */
export const jobSchema = z.object({
  id: positiveInt,
  run_id: positiveInt,
  run_attempt: z.nullish(positiveInt),
  name: z.string(),
  status: text,
  conclusion: text,
  started_at: text,
  completed_at: text,
  html_url: text,
  steps: z.nullish(z.array(stepSchema)),
});
export type GitHubJob = z.infer<typeof jobSchema>;

const repositorySchema = z.object({ full_name: z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/)) });

/** The webhook events foxops follows, by `X-GitHub-Event`. */
export const webhookSchemas = {
  workflow_run: z.object({ action: z.string(), workflow_run: runSchema, repository: repositorySchema }),
  workflow_job: z.object({ action: z.string(), workflow_job: jobSchema, repository: repositorySchema }),
  deployment_status: z.object({
    action: z.string(),
    deployment_status: z.object({ state: z.string(), environment: text, environment_url: text, target_url: text, log_url: text }),
    deployment: z.object({ id: z.int(), environment: z.string() }),
    workflow_run: z.nullish(runSchema),
    repository: repositorySchema,
  }),
} as const;
export type WebhookEventName = keyof typeof webhookSchemas;
/** The validated payload of a followed event. */
export type WebhookPayload<K extends WebhookEventName> = z.infer<(typeof webhookSchemas)[K]>;

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** A job as the card shows it, with the failing (or running) step picked out of its steps. */
export function toRunJob(job: GitHubJob): RunJob {
  const steps = job.steps ?? [];
  const failed = steps.find((s) => s.conclusion === 'failure' || s.conclusion === 'timed_out') ?? steps.find((s) => s.conclusion === 'cancelled');
  const current = steps.find((s) => s.status === 'in_progress');
  const status = normaliseStatus(job.status);
  const out: RunJob = { id: job.id, name: job.name, status, attempt: job.run_attempt ?? 1 };
  if (job.conclusion) out.conclusion = job.conclusion;
  if (job.started_at) out.startedAt = job.started_at;
  if (job.completed_at) out.completedAt = job.completed_at;
  if (job.html_url) out.url = job.html_url;
  if (failed && job.conclusion && job.conclusion !== 'success') {
    out.failedStep = failed.name;
    if (failed.number) out.failedStepNumber = failed.number;
  }
  if (current && status === 'in_progress') out.currentStep = current.name;
  return out;
}

/** A run object as an observation. */
export function runUpdateFromRun(run: GitHubRun): RunSnapshot {
  const update: RunSnapshot = { runId: run.id, attempt: run.run_attempt ?? 1, status: normaliseStatus(run.status) };
  const conclusion = orUndefined(run.conclusion) ?? (run.status && CONCLUSIONS.includes(run.status) ? run.status : undefined);
  if (conclusion) update.conclusion = conclusion;
  if (run.html_url) update.htmlUrl = run.html_url;
  if (run.run_started_at) update.startedAt = run.run_started_at;
  if (run.updated_at) update.updatedAt = run.updated_at;
  if (run.created_at) update.createdAt = run.created_at;
  const title = run.display_title || run.name;
  if (title) update.title = title;
  return update;
}

/**
 * A job event as an observation of its run. A queued job says the run is queued; a job that started says
 * the run runs. A job never says the run completed: only the run's own events and the API do.
 */
export function runUpdateFromJob(job: GitHubJob): RunUpdate {
  const runJob = toRunJob(job);
  const started = runJob.status === 'in_progress' || (runJob.status === 'completed' && runJob.conclusion !== 'skipped');
  return { runId: job.run_id, attempt: job.run_attempt ?? 1, status: started ? 'in_progress' : 'queued', job: runJob };
}

/** The deployment part of a `deployment_status` event. */
export function deploymentOf(event: WebhookPayload<'deployment_status'>): RunDeployment {
  const s = event.deployment_status;
  const url = s.environment_url || s.target_url || s.log_url || undefined;
  return { environment: s.environment || event.deployment.environment, state: s.state, ...(url ? { url } : {}) };
}
