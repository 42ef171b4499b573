/**
 * What GitHub tells foxops about a workflow run, and how that moves the deploy request.
 * Pure: observations and the clock in, the next request out. Webhooks and the reconciler both feed it, in
 * any order and any number of times, so every rule here is about news that is late, repeated or stale:
 *  - within one run attempt the run only moves forward (queued → running → completed), and a completed
 *    attempt never moves again; later news about that attempt only fills in job details;
 *  - a lower attempt is old news; a higher attempt is a re-run, shown as such (`run.attempt`);
 *  - after foxops gave up on a run (`timed_out` or `unknown` without GitHub's word), only GitHub's
 *    completion or a re-run moves the request again.
 */
import {
  type DeployRequest,
  type Failure,
  type GitHubRunStatus,
  type RequestStatus,
  type RunDeployment,
  type RunInfo,
  type RunJob,
  canTransition,
  isFinal,
  transition,
} from './request.js';

/** One observation of a run: a `workflow_run`, `workflow_job` or `deployment_status` event, or a poll of the API. */
export interface RunUpdate {
  runId: number;
  attempt: number;
  status: GitHubRunStatus;
  /** GitHub's conclusion once `status` is `completed`. */
  conclusion?: string | null;
  htmlUrl?: string;
  /** When the attempt started (`run_started_at`). */
  startedAt?: string | null;
  /** GitHub's `updated_at`: when the run completed, for a completed run. */
  updatedAt?: string | null;
  /** Every job of the attempt, as the API lists them (reconciler). */
  jobs?: RunJob[];
  /** One job, as a `workflow_job` event reports it. */
  job?: RunJob;
  deployment?: RunDeployment;
}

/** Request statuses in which news about a run matters. */
const FOLLOWS_RUN: readonly RequestStatus[] = [
  'dispatching',
  'dispatched',
  'dispatch_failed',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'unknown',
];

/** Statuses that end a run, and the outcomes that the ledger records. */
export const RUN_OUTCOMES = ['succeeded', 'failed', 'cancelled', 'timed_out', 'unknown'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** The threaded replies under a card. */
export type RunNotice = 'started' | RunOutcome;

const RANK: Record<GitHubRunStatus, number> = { requested: 1, pending: 1, waiting: 1, queued: 1, in_progress: 2, completed: 3 };

/** True when a request in `status` takes news about its run. */
export function followsRun(status: RequestStatus): boolean {
  return FOLLOWS_RUN.includes(status);
}

/** True for the statuses in which a run ended. */
export function isRunOutcome(status: RequestStatus): status is RunOutcome {
  return (RUN_OUTCOMES as readonly string[]).includes(status);
}

/**
 * The request status for a completed run's conclusion. Besides the obvious ones:
 *  - `startup_failure` (the workflow file is broken) and `action_required` (GitHub wants a person to allow the
 *    run) are failures: nothing was deployed and someone has to act;
 *  - `skipped` is `cancelled`: every job was skipped, so nothing was deployed, but nothing broke either;
 *  - `neutral`, `stale` and anything new are `unknown`: GitHub does not say whether the deploy happened, so
 *    foxops records no new deployment and asks people to check by hand.
 */
export function statusForConclusion(conclusion: string | null | undefined): RunOutcome {
  switch (conclusion) {
    case 'success':
      return 'succeeded';
    case 'failure':
    case 'startup_failure':
    case 'action_required':
      return 'failed';
    case 'cancelled':
    case 'skipped':
      return 'cancelled';
    case 'timed_out':
      return 'timed_out';
    default:
      return 'unknown';
  }
}

function targetStatus(update: RunUpdate): RequestStatus {
  if (update.status === 'completed') return statusForConclusion(update.conclusion);
  return update.status === 'in_progress' ? 'running' : 'queued';
}

/** How far this attempt got as far as the request knows: 0 nothing yet, 1 queued, 2 running, 3 completed. */
function knownRank(request: DeployRequest): number {
  if (request.run?.conclusion) return 3;
  if (request.status === 'running') return 2;
  if (request.status === 'queued') return 1;
  return 0;
}

const JOB_FAILURES = ['failure', 'timed_out', 'startup_failure'];

/** The job that made the run fail: the first one that failed, else the first one that was cancelled. */
export function failingJob(run: RunInfo | undefined): RunJob | undefined {
  const jobs = run?.jobs ?? [];
  return jobs.find((j) => j.conclusion && JOB_FAILURES.includes(j.conclusion)) ?? jobs.find((j) => j.conclusion === 'cancelled');
}

/** Link to the log of a job's failing step, or to the job. */
export function failingStepUrl(job: RunJob): string | undefined {
  if (!job.url) return undefined;
  return job.failedStepNumber ? `${job.url}#step:${job.failedStepNumber}:1` : job.url;
}

/** The job that made the run fail, as params of the failure: its name, GitHub's conclusion of it, the failed step. */
function jobParams(job: RunJob): NonNullable<Failure['params']> {
  return { job: job.name, jobConclusion: job.conclusion ?? 'failure', ...(job.failedStep ? { step: job.failedStep } : {}) };
}

/** Why the run ended as it did, as an outcome (the Slack adapter words it, and adds the links). */
function failureFor(status: RequestStatus, run: RunInfo, environment: string): Failure | undefined {
  const job = failingJob(run);
  switch (status) {
    case 'failed':
      if (run.conclusion === 'startup_failure') return { code: 'startup_failure' };
      if (run.conclusion === 'action_required') return { code: 'action_required' };
      return job ? { code: 'job_failed', params: jobParams(job) } : { code: 'run_failed' };
    case 'timed_out':
      return job ? { code: 'run_timed_out', params: jobParams(job) } : { code: 'run_timed_out' };
    case 'cancelled':
      return { code: run.conclusion === 'skipped' ? 'run_skipped' : 'run_cancelled' };
    case 'unknown':
      // A conclusion that says neither success nor failure (`neutral`, `stale`, or one GitHub adds later).
      return { code: `run_${run.conclusion ?? 'unknown'}`, params: { conclusion: run.conclusion ?? 'unknown', environment } };
    default:
      return undefined;
  }
}

/** Keeps the newest news per job: by id within an attempt, by name across attempts (a re-run makes new job ids). */
export function mergeJobs(existing: readonly RunJob[], incoming: readonly RunJob[]): RunJob[] {
  const jobs = [...existing];
  for (const job of incoming) {
    const at = jobs.findIndex((j) => j.id === job.id);
    const index = at >= 0 ? at : jobs.findIndex((j) => j.name === job.name);
    if (index < 0) {
      jobs.push(job);
      continue;
    }
    const old = jobs[index]!;
    if (old.id === job.id) {
      // Out of order: a job never goes back, and a completed job stays as it completed.
      if (RANK[job.status] < RANK[old.status] || (old.status === 'completed' && job.status === 'completed')) continue;
      jobs[index] = { ...job, startedAt: job.startedAt ?? old.startedAt };
    } else if ((job.attempt ?? 1) >= (old.attempt ?? 1)) {
      jobs[index] = job;
    }
  }
  return jobs;
}

/** Moves `request` to `to`, through `running` when the state machine wants that (a re-run seen first as completed). */
function moveTo(request: DeployRequest, to: RequestStatus, now: Date, changes: Partial<DeployRequest>): DeployRequest | undefined {
  if (to === request.status) {
    // Same status, newer details: no transition to check, but the request is just as live.
    return { ...request, ...changes, updatedAt: now.toISOString() };
  }
  if (canTransition(request.status, to)) return transition(request, to, now, changes);
  if (canTransition(request.status, 'running') && canTransition('running', to))
    return transition(transition(request, 'running', now, changes), to, now, changes);
  return undefined;
}

/** JSON with sorted keys, so that two objects built in a different key order compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** GitHub's completion time when it is plausible (not before the attempt began by foxops' clock), else `now`. */
function finishTime(request: DeployRequest, run: RunInfo, update: RunUpdate, now: Date): string {
  const github = update.updatedAt ? Date.parse(update.updatedAt) : NaN;
  const began = Date.parse((run.attempt > 1 ? run.startedAt : request.dispatchedAt) ?? '') || 0;
  return Number.isFinite(github) && github >= began && github <= now.getTime() ? new Date(github).toISOString() : now.toISOString();
}

/**
 * The request after `update`, or undefined when the update tells nothing new (a repeat, old news, another
 * run, or a request that follows no run). Never throws for stale input: out-of-order news is normal.
 */
export function applyRunUpdate(request: DeployRequest, update: RunUpdate, now: Date): DeployRequest | undefined {
  if (!followsRun(request.status)) return undefined;
  const known = request.run;
  if (known?.id !== undefined && known.id !== update.runId) return undefined;
  const knownAttempt = known?.attempt ?? update.attempt;
  if (update.attempt < knownAttempt) return undefined;
  // A re-run only counts once foxops followed the earlier attempt (a dispatch that returned no run has attempt 1 too).
  const rerun = known !== undefined && update.attempt > knownAttempt;

  const base: RunInfo = rerun
    ? { id: known.id, url: known.url, attempt: update.attempt, jobs: known.jobs }
    : { ...(known ?? { attempt: update.attempt, jobs: [] }) };
  const run: RunInfo = { ...base, id: update.runId, attempt: update.attempt };
  if (update.htmlUrl) run.url = update.htmlUrl;
  if (update.startedAt && (rerun || !run.startedAt)) run.startedAt = update.startedAt;
  const incomingJobs = [...(update.jobs ?? []), ...(update.job ? [update.job] : [])].map((j) => ({ ...j, attempt: j.attempt ?? update.attempt }));
  // Jobs of an older attempt are history: they neither replace nor add to what the newer attempt shows.
  const fresh = incomingJobs.filter((j) => j.attempt >= update.attempt);
  if (fresh.length) run.jobs = mergeJobs(run.jobs, fresh);
  if (update.deployment) run.deployment = update.deployment;

  // Only forward within an attempt; a completed attempt ranks highest, so nothing moves it again.
  const advances = RANK[update.status] > (rerun ? 0 : knownRank(request));
  // After foxops gave up on the run (timed_out/unknown), progress alone does not bring it back: only the end does.
  const gaveUp = !rerun && isFinal(request.status) && !known?.conclusion;
  const statusMoves = advances && (!gaveUp || update.status === 'completed');

  let to = request.status;
  if (statusMoves) {
    to = targetStatus(update);
    run.status = update.status;
    if (update.status === 'completed') {
      run.conclusion = update.conclusion ?? 'unknown';
      run.completedAt = update.updatedAt ?? now.toISOString();
    }
  }
  const changes: Partial<DeployRequest> = { run };
  if (isRunOutcome(to) && run.conclusion) {
    // Later job news can name the failing job and step: keep the explanation in step with the jobs.
    // (Without GitHub's conclusion foxops gave up itself, and its own explanation stays.)
    changes.failure = failureFor(to, run, request.environment);
  } else if (statusMoves) {
    changes.failure = undefined;
  }
  if (!request.dispatchedAt) changes.dispatchedAt = now.toISOString();

  if (to === request.status && same(run, known) && same(changes.failure, request.failure) && request.dispatchedAt) return undefined;
  if (statusMoves && isRunOutcome(to) && to !== request.status) changes.finishedAt = finishTime(request, run, update, now);
  if (statusMoves && !isFinal(to)) changes.finishedAt = undefined;
  const next = moveTo(request, to, now, { ...changes, lastRunEventAt: now.toISOString() });
  if (next && next.finishedAt === undefined) delete next.finishedAt;
  if (next && next.failure === undefined) delete next.failure;
  if (next && rerun) {
    // A re-run starts clean: a Cancel pressed on an earlier attempt is not this attempt's (nor may it force-cancel it).
    delete next.cancelRequestedBy;
    delete next.cancelRequestedAt;
    delete next.cancelForcedAt;
  }
  return next;
}

/** Ends a run that foxops stops following: GitHub lost it (`unknown`) or it ran past the limit (`timed_out`). */
export function giveUpOnRun(request: DeployRequest, status: 'unknown' | 'timed_out', failure: Failure, now: Date): DeployRequest {
  return transition(request, status, now, { failure, lastRunEventAt: now.toISOString() });
}

/** Notes that GitHub was asked and had nothing new, so the reconciler waits a full period before asking again. */
export function noteRunChecked(request: DeployRequest, now: Date): DeployRequest {
  return { ...request, lastRunEventAt: now.toISOString() };
}

/** The threaded reply that the move from `prev` to `next` deserves, if any. */
export function runNotice(prev: DeployRequest, next: DeployRequest): RunNotice | undefined {
  const newAttempt = (prev.run?.attempt ?? 1) !== (next.run?.attempt ?? 1);
  if (next.status === prev.status && !newAttempt) return undefined;
  if (next.status === 'running') return 'started';
  return isRunOutcome(next.status) ? next.status : undefined;
}

/** The outcome to record in the ledger when the move from `prev` to `next` ended a run attempt. */
export function runOutcome(prev: DeployRequest, next: DeployRequest): RunOutcome | undefined {
  const notice = runNotice(prev, next);
  return notice && notice !== 'started' ? notice : undefined;
}

/**
 * When the deploy began and how long it took: from the dispatch for the first attempt, from the
 * attempt's start for a re-run. Undefined until it finished.
 */
export function deployDuration(request: DeployRequest): { startedAt: string; ms: number } | undefined {
  const startedAt = request.run && request.run.attempt > 1 && request.run.startedAt ? request.run.startedAt : request.dispatchedAt;
  if (!startedAt || !request.finishedAt) return undefined;
  return { startedAt, ms: Math.max(0, Date.parse(request.finishedAt) - Date.parse(startedAt)) };
}

/** How long a run may go on before foxops calls it `timed_out`, measured like {@link deployDuration}. */
export function runOverdue(request: DeployRequest, runTimeoutMs: number, now: Date): boolean {
  const startedAt = request.run && request.run.attempt > 1 && request.run.startedAt ? request.run.startedAt : request.dispatchedAt;
  return startedAt !== undefined && now.getTime() - Date.parse(startedAt) > runTimeoutMs;
}
