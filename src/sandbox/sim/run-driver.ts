/**
 * Plays each dispatched workflow run of the GitHub simulator the way GitHub Actions does: the run is requested, its
 * jobs are queued, run and complete step by step, and the run completes, over about `totalMs`. Every change goes into
 * the simulator first (`setRunState`), so that what foxops' reconciler reads over REST agrees with the webhooks,
 * which go out through `deliver` (the sandbox server signs and POSTs them to foxops' `/github/webhooks`).
 *
 * A run that is cancelled over REST (the simulator ends it at once and sends nothing) is noticed through the
 * simulator's `onRunChange`: the driver stops playing it and delivers the `completed` / `cancelled` webhooks, as
 * GitHub does. With `protection`, a run deploying to a listed environment waits before its deploy job for foxops'
 * answer to a `deployment_protection_rule` delivery, as GitHub does for a custom deployment protection rule. With
 * `verify` and a plan that has a {@link VERIFY_JOB} job (as {@link VERIFY_JOBS}), that job asks foxops at
 * {@link VERIFY_STEP}, as the example workflow's first job does with its OIDC token: anything but yes fails it, and
 * the jobs after it never run.
 */
import type { RunOutcome } from '../protocol.js';
import { deploymentProtectionRulePayload, type WebhookOptions, workflowJobPayload, workflowRunPayload } from './github-webhooks.js';
import type { FakeGitHub, FakeJob, FakeRun, RunConclusion, RunStatus } from './github.js';

/** Timer functions; injected by tests so that nothing waits for real. */
export interface RunDriverTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A job of the simulated workflow and its steps, in order. */
export interface JobPlan {
  name: string;
  steps: string[];
}

/** The step that deploys: a `fail` run fails here, a `hang` run hangs here, and a `succeed` run calls `onSucceeded` as it completes. */
export const DEPLOY_STEP = 'Deploy to Lambda';

/** The jobs of the example deploy workflow: build, then deploy (which uses the GitHub environment). */
export const DEFAULT_JOBS: readonly JobPlan[] = [
  { name: 'build', steps: ['Set up job', 'Checkout', 'Install', 'Test'] },
  { name: 'deploy', steps: ['Set up job', 'Checkout', DEPLOY_STEP, 'Smoke test'] },
];

/** The job that asks foxops before anything else runs (the example workflow's `verify`), and its step that asks. */
export const VERIFY_JOB = 'verify';
export const VERIFY_STEP = 'Ask foxops (OIDC)';

/** The example workflow with its first job: `verify` (foxops says yes to the run's OIDC token), then build and deploy. */
export const VERIFY_JOBS: readonly JobPlan[] = [{ name: VERIFY_JOB, steps: ['Set up job', VERIFY_STEP] }, ...DEFAULT_JOBS];

/** foxops' answer to a run's verify job: `ok` only for a 200. */
export interface VerifyAnswer {
  ok: boolean;
  /** The HTTP status foxops answered (0 when it could not be asked). */
  status: number;
  /** foxops' `reason`, for the job's log. */
  reason?: string;
}

/** Options of {@link startRunDriver}. */
export interface RunDriverOptions {
  github: FakeGitHub;
  /** Sends one webhook (`X-GitHub-Event` name and payload). A rejection is logged; the run goes on. */
  deliver(event: string, payload: unknown): Promise<void>;
  /** About how long a run takes from dispatch to completion; default 20 000 ms. */
  totalMs?: number;
  /**
   * Called when a `succeed` run's deploy step completes, before the run completes: the real workflow publishes the
   * Lambda version and moves the alias in that step, so foxops finds the new version when it hears of success. A
   * throw fails that step, and so the run.
   */
  onSucceeded?(run: FakeRun): Promise<void> | void;
  /** What a newly dispatched run does. */
  outcomeOf(run: FakeRun): RunOutcome;
  timers?: RunDriverTimers;
  /** Called after every change the driver made (or noticed) in a run's state: the page's GitHub panel redraws. */
  onChange?(): void;
  log?(line: string, data?: object): void;
  /** The workflow's jobs; default {@link DEFAULT_JOBS}. The job with {@link DEPLOY_STEP} (else the last) is the deploy job. */
  jobs?: readonly JobPlan[];
  /** What the webhook payloads carry beyond the run (API base of their URLs, the app installation, the actor). */
  webhook?: Pick<WebhookOptions, 'apiUrl' | 'htmlUrl' | 'installationId' | 'actor'>;
  /**
   * GitHub enforces the approvals (a custom deployment protection rule): for a run whose `environment` input is listed,
   * `deployment_protection_rule` `requested` is delivered before the deploy job, which waits for foxops' answer
   * (polled from the simulator every `pollMs`, default 500): approved, it runs; rejected, it fails without starting.
   */
  protection?: { environments: string[]; pollMs?: number };
  /**
   * Asks foxops about the run, as the verify job does (`POST /github/verify` with the job's OIDC token). Called at
   * {@link VERIFY_STEP} of the {@link VERIFY_JOB} job, when the plan has one: not `ok` (or a throw) fails that step, the
   * later jobs are skipped and the run fails, before any AWS credential (`onSucceeded` is never called).
   */
  verify?(run: FakeRun): Promise<VerifyAnswer>;
}

/** Handle on a running driver. */
export interface RunDriver {
  /** Stops playing every run and follows no new dispatch; runs stay as they are. */
  stop(): void;
  /** Resolves when no delivery or step is under way (timers still pending do not count: a hanging run never ends). */
  idle(): Promise<void>;
  /** The outcome a driven run was given; undefined for a run the driver never saw. */
  outcomeOf(runId: number): RunOutcome | undefined;
}

interface StepModel {
  name: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
}

interface JobModel {
  name: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  steps: StepModel[];
  /** Whether GitHub would have told of this job yet (its `queued` delivery went out). */
  announced: boolean;
}

/** One run the driver plays. */
interface Driven {
  run: FakeRun;
  outcome: RunOutcome;
  status: RunStatus;
  conclusion: RunConclusion | null;
  jobs: JobModel[];
  /** Deliveries of this run, one after the other: GitHub's order, and the cancel's after whatever was under way. */
  chain: Promise<void>;
  /** Completed by the driver, cancelled, replaced or stopped: nothing more is played. */
  ended: boolean;
  /** Whether `workflow_run` `in_progress` went out. */
  started: boolean;
  timer?: unknown;
  wake?: (go: boolean) => void;
}

/**
 * Starts following `github`'s dispatches and playing each new run as its `outcomeOf` says: `succeed` (every step
 * green), `fail` (the deploy job fails at {@link DEPLOY_STEP}, later steps skipped, the run fails) or `hang` (it stays
 * at {@link DEPLOY_STEP} until cancelled).
 */
export function startRunDriver(options: RunDriverOptions): RunDriver {
  const { github } = options;
  const timers: RunDriverTimers = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const plan = options.jobs ?? DEFAULT_JOBS;
  const withDeployStep = plan.findIndex((job) => job.steps.includes(DEPLOY_STEP));
  /** The deploy job, and its step where a run fails, hangs or deploys: {@link DEPLOY_STEP}, else the job's last step. */
  const deployIndex = withDeployStep === -1 ? plan.length - 1 : withDeployStep;
  const deploySteps = plan[deployIndex]?.steps ?? [];
  const pivot = deploySteps.includes(DEPLOY_STEP) ? deploySteps.indexOf(DEPLOY_STEP) : deploySteps.length - 1;
  // Ticks of a run: requested, one per job start and one per step, completed.
  const ticks = 2 + plan.reduce((n, job) => n + 1 + job.steps.length, 0);
  const interval = Math.max(1, Math.floor((options.totalMs ?? 20_000) / ticks));
  const pollMs = options.protection?.pollMs ?? 500;
  const log = options.log ?? (() => undefined);
  const driven = new Map<number, Driven>();
  let stopped = false;
  /** Work under way (a tick, its deliveries, a cancel); {@link RunDriver.idle} waits for none. */
  let active = 0;
  const idleWaiters: Array<() => void> = [];
  /** Set while the driver itself writes a run's state, so that its own writes are not taken for a cancel. */
  let selfWrites = 0;

  const begin = () => void (active += 1);
  const settle = () => {
    active -= 1;
    if (active === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const alive = (d: Driven) => !stopped && !d.ended && github.runs.get(d.run.id) === d.run;

  /** Waits `ms`; false when the run ended meanwhile (cancel, stop), and the caller must return. */
  const sleep = (d: Driven, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (!alive(d)) return resolve(false);
      const wake = (go: boolean) => {
        if (d.wake !== wake) return;
        d.wake = undefined;
        d.timer = undefined;
        begin();
        resolve(go && alive(d));
      };
      d.wake = wake;
      d.timer = timers.setTimeout(() => wake(true), ms);
      settle();
    });

  const interrupt = (d: Driven) => {
    if (d.timer !== undefined) timers.clearTimeout(d.timer);
    d.wake?.(false);
  };

  const webhookOptions = (run: FakeRun): WebhookOptions => {
    const repository = github.repoInfo(run.repo);
    const commit = github.commit(run.repo, run.headSha);
    return { ...options.webhook, ...(repository ? { repository } : {}), ...(commit ? { commit } : {}) };
  };

  /** Queues one delivery after the run's earlier ones; the payload is taken now, from the state as it is now. */
  const send = (d: Driven, event: string, payload: Record<string, unknown>) => {
    d.chain = d.chain.then(async () => {
      try {
        await options.deliver(event, payload);
      } catch (err) {
        log('run driver: a webhook delivery failed', { event, action: payload.action, runId: d.run.id, error: (err as Error)?.message ?? String(err) });
      }
    });
  };
  const sendRun = (d: Driven, action: 'requested' | 'in_progress' | 'completed') =>
    send(d, 'workflow_run', workflowRunPayload(d.run, action, webhookOptions(d.run)));
  const sendJob = (d: Driven, index: number, action: 'queued' | 'waiting' | 'in_progress' | 'completed') => {
    const job = d.run.jobs.find((j) => j.name === d.jobs[index]?.name) as FakeJob;
    send(d, 'workflow_job', workflowJobPayload(d.run, job, action, webhookOptions(d.run)));
  };

  /** Writes the model into the simulator (so REST reads agree); false when the run is gone (deleted, reset). */
  const apply = (d: Driven): boolean => {
    if (!alive(d)) {
      d.ended = true;
      return false;
    }
    selfWrites += 1;
    try {
      github.setRunState(d.run.id, {
        status: d.status,
        conclusion: d.conclusion,
        jobs: d.jobs.map((job) => ({
          name: job.name,
          status: job.status,
          conclusion: job.conclusion,
          steps: job.steps.map((step) => ({ name: step.name, status: step.status, conclusion: step.conclusion })),
        })),
      });
    } finally {
      selfWrites -= 1;
    }
    options.onChange?.();
    return true;
  };

  const complete = (target: { status: RunStatus; conclusion: RunConclusion | null }, conclusion: RunConclusion) => {
    target.status = 'completed';
    target.conclusion = conclusion;
  };

  /**
   * The protection rule's wait before job `index`: `free` when the environment has none, `approved`, `rejected` (the
   * job then failed), or undefined when the run ended meanwhile.
   */
  const protectionGate = async (d: Driven, index: number): Promise<'free' | 'approved' | 'rejected' | undefined> => {
    const environment = typeof d.run.inputs.environment === 'string' ? d.run.inputs.environment : '';
    if (!options.protection?.environments.includes(environment)) return 'free';
    const job = d.jobs[index] as JobModel;
    const from = github.protectionAnswers.length;
    d.status = 'waiting';
    job.status = 'waiting';
    if (!apply(d)) return undefined;
    sendJob(d, index, 'waiting');
    send(
      d,
      'deployment_protection_rule',
      deploymentProtectionRulePayload(d.run, environment, { ...webhookOptions(d.run), installationId: options.webhook?.installationId ?? 1 }),
    );
    await d.chain;
    if (!alive(d)) return undefined;
    for (;;) {
      const answer = github.protectionAnswers
        .slice(from)
        .find((a) => a.runId === d.run.id && (a.body.environment_name ?? environment).toLowerCase() === environment.toLowerCase());
      if (answer) {
        log('run driver: protection rule answered', { runId: d.run.id, environment, state: answer.body.state });
        if (answer.body.state === 'approved') return 'approved';
        break;
      }
      if (!(await sleep(d, pollMs))) return undefined;
    }
    // Rejected: the job fails without starting, and so does the run; jobs that need it never run.
    complete(job, 'failure');
    job.steps = [];
    for (const later of d.jobs.slice(index + 1)) complete(later, 'skipped');
    d.status = 'in_progress';
    if (!apply(d)) return undefined;
    sendJob(d, index, 'completed');
    return 'rejected';
  };

  /** The verify step: whether foxops said yes to the run. */
  const askFoxops = async (d: Driven): Promise<boolean> => {
    let answer: VerifyAnswer;
    try {
      answer = await (options.verify as NonNullable<RunDriverOptions['verify']>)(d.run);
    } catch (err) {
      answer = { ok: false, status: 0, reason: (err as Error)?.message ?? String(err) };
    }
    log(answer.ok ? 'run driver: foxops verified the run' : 'run driver: foxops refused the run, so its verify job fails', {
      runId: d.run.id,
      status: answer.status,
      ...(answer.reason ? { reason: answer.reason } : {}),
    });
    return answer.ok;
  };

  /** Plays one run to its end (or until cancelled, stopped, or hanging). */
  const play = async (d: Driven): Promise<void> => {
    if (!(await sleep(d, interval))) return;
    if (!apply(d)) return;
    sendRun(d, 'requested');
    (d.jobs[0] as JobModel).announced = true;
    sendJob(d, 0, 'queued');
    await d.chain;
    let conclusion: RunConclusion = 'success';
    for (let index = 0; index < d.jobs.length; index += 1) {
      const job = d.jobs[index] as JobModel;
      if (!(await sleep(d, interval))) return;
      if (index === deployIndex) {
        const gate = await protectionGate(d, index);
        if (gate === undefined) return;
        if (gate === 'rejected') {
          conclusion = 'failure';
          break;
        }
        if (gate === 'approved' && !(await sleep(d, interval))) return;
      }
      const first = !d.started;
      d.started = true;
      d.status = 'in_progress';
      job.status = 'in_progress';
      if (job.steps[0]) job.steps[0].status = 'in_progress';
      if (!apply(d)) return;
      if (first) sendRun(d, 'in_progress');
      sendJob(d, index, 'in_progress');
      await d.chain;
      if (d.outcome === 'hang' && index === deployIndex && pivot === 0) return;
      for (let s = 0; s < job.steps.length; s += 1) {
        const step = job.steps[s] as StepModel;
        if (!(await sleep(d, interval))) return;
        const atPivot = index === deployIndex && s === pivot;
        let failed = d.outcome === 'fail' && atPivot;
        if (options.verify && job.name === VERIFY_JOB && step.name === VERIFY_STEP) {
          failed = !(await askFoxops(d));
          if (!alive(d)) return;
        }
        if (atPivot && d.outcome === 'succeed' && options.onSucceeded) {
          try {
            await options.onSucceeded(d.run);
          } catch (err) {
            log('run driver: onSucceeded failed, so the deploy step fails', { runId: d.run.id, error: (err as Error)?.message ?? String(err) });
            failed = true;
          }
          if (!alive(d)) return;
        }
        complete(step, failed ? 'failure' : 'success');
        const next = job.steps[s + 1];
        if (failed) {
          for (const later of job.steps.slice(s + 1)) complete(later, 'skipped');
          complete(job, 'failure');
          conclusion = 'failure';
        } else if (next) {
          next.status = 'in_progress';
        } else {
          complete(job, 'success');
        }
        const jobDone = failed || !next;
        const following = d.jobs[index + 1];
        if (jobDone && following && !failed) following.announced = true;
        // Jobs that need a failed one never run.
        if (failed) for (const later of d.jobs.slice(index + 1)) complete(later, 'skipped');
        if (!apply(d)) return;
        if (jobDone) {
          sendJob(d, index, 'completed');
          if (following?.announced) sendJob(d, index + 1, 'queued');
        }
        await d.chain;
        if (failed) break;
        if (d.outcome === 'hang' && index === deployIndex && s + 1 === pivot) return;
      }
      if (conclusion === 'failure') break;
    }
    if (!(await sleep(d, interval))) return;
    complete(d, conclusion);
    if (!apply(d)) return;
    d.ended = true;
    sendRun(d, 'completed');
    await d.chain;
    log('run driver: run completed', { runId: d.run.id, conclusion });
  };

  /** Someone else completed the run (a REST cancel): end it as GitHub does, with the webhooks the cancel did not send. */
  const onCancelled = async (d: Driven, run: FakeRun) => {
    d.ended = true;
    interrupt(d);
    begin();
    try {
      const conclusion = run.conclusion ?? 'cancelled';
      const finishing: number[] = [];
      d.jobs.forEach((job, index) => {
        if (job.status === 'completed') return;
        for (const step of job.steps) {
          if (step.status === 'in_progress') complete(step, conclusion);
          else if (step.status !== 'completed') complete(step, 'skipped');
        }
        complete(job, conclusion);
        if (job.announced) finishing.push(index);
      });
      complete(d, conclusion);
      // The run is already completed in the simulator; this puts back what the cancel overwrote (finished jobs stay green).
      selfWrites += 1;
      try {
        github.setRunState(run.id, {
          status: 'completed',
          conclusion,
          jobs: d.jobs.map((job) => ({ name: job.name, status: job.status, conclusion: job.conclusion, steps: job.steps.map((s) => ({ ...s })) })),
        });
      } finally {
        selfWrites -= 1;
      }
      options.onChange?.();
      for (const index of finishing) sendJob(d, index, 'completed');
      sendRun(d, 'completed');
      await d.chain;
      log('run driver: run cancelled', { runId: run.id, conclusion });
    } finally {
      settle();
    }
  };

  const unsubscribeDispatch = github.onDispatch((run) => {
    if (stopped) return;
    const previous = driven.get(run.id);
    if (previous) {
      // Ids start again after a reset: the old run is gone.
      previous.ended = true;
      interrupt(previous);
    }
    const d: Driven = {
      run,
      outcome: options.outcomeOf(run),
      status: 'queued',
      conclusion: null,
      jobs: plan.map((job) => ({
        name: job.name,
        status: 'queued',
        conclusion: null,
        announced: false,
        steps: job.steps.map((name) => ({ name, status: 'queued', conclusion: null })),
      })),
      chain: Promise.resolve(),
      ended: false,
      started: false,
    };
    driven.set(run.id, d);
    log('run driver: run dispatched', { runId: run.id, outcome: d.outcome });
    begin();
    void play(d)
      .catch((err: unknown) => log('run driver: playing a run failed', { runId: run.id, error: (err as Error)?.message ?? String(err) }))
      .finally(settle);
  });

  const unsubscribeChange = github.onRunChange((run) => {
    if (selfWrites > 0 || stopped) return;
    const d = driven.get(run.id);
    if (!d || d.run !== run || d.ended || run.status !== 'completed') return;
    void onCancelled(d, run);
  });

  return {
    stop() {
      stopped = true;
      unsubscribeDispatch();
      unsubscribeChange();
      for (const d of driven.values()) interrupt(d);
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    outcomeOf: (runId) => driven.get(runId)?.outcome,
  };
}
