/**
 * The sandbox's run driver (src/sandbox/sim/run-driver.ts) over the GitHub simulator, with hand-driven timers:
 * the webhooks of each outcome in GitHub's order, REST state agreeing with them, cancels, stop(), protection rules
 * and the verify job that asks foxops first.
 */
import { runUpdateFromJob, webhookSchemas } from '../../src/github/run-payloads.js';
import type { RunOutcome } from '../../src/sandbox/protocol.js';
import { type FakeGitHub, type FakeRun, startFakeGitHub } from '../../src/sandbox/sim/github.js';
import {
  DEFAULT_JOBS,
  type RunDriver,
  type RunDriverOptions,
  startRunDriver,
  VERIFY_JOBS,
  VERIFY_STEP,
  type VerifyAnswer,
} from '../../src/sandbox/sim/run-driver.js';

const REPO = 'foxy/foxy-backend';

/** Timers that fire only when the test says, on a virtual clock. */
class ManualTimers {
  now = 0;
  private nextId = 1;
  readonly pending = new Map<number, { callback: () => void; at: number }>();
  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.pending.set(id, { callback, at: this.now + ms });
    return id;
  };
  clearTimeout = (handle: unknown): void => void this.pending.delete(handle as number);
  /** Fires the earliest timer, then waits until the driver has nothing under way. */
  async fireNext(driver: RunDriver): Promise<boolean> {
    const [id, timer] = [...this.pending.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (id === undefined || !timer) return false;
    this.pending.delete(id);
    this.now = timer.at;
    timer.callback();
    await driver.idle();
    return true;
  }
  /** Fires timers until none is left (or `limit` fired). */
  async runAll(driver: RunDriver, limit = 500): Promise<number> {
    let fired = 0;
    while (fired < limit && (await this.fireNext(driver))) fired += 1;
    return fired;
  }
}

type Delivery = [event: string, payload: Record<string, any>];

let github: FakeGitHub;
let timers: ManualTimers;
let deliveries: Delivery[];
let lines: Array<{ line: string; data?: object }>;
let driver: RunDriver | undefined;

beforeAll(async () => {
  github = await startFakeGitHub({ now: () => new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + timers.now) });
});
afterAll(() => github.close());
beforeEach(() => {
  github.reset();
  github.addRepo(REPO, { workflows: [{ file: 'deploy.yml', name: 'Deploy' }] });
  timers = new ManualTimers();
  deliveries = [];
  lines = [];
});
afterEach(() => driver?.stop());

function start(outcome: RunOutcome, extra: Partial<RunDriverOptions> = {}): RunDriver {
  driver = startRunDriver({
    github,
    outcomeOf: () => outcome,
    deliver: async (event, payload) => void deliveries.push([event, payload as Record<string, any>]),
    timers,
    log: (line, data) => void lines.push({ line, data }),
    ...extra,
  });
  return driver;
}

async function dispatch(environment = 'production'): Promise<number> {
  const res = await fetch(`${github.url}/repos/${REPO}/actions/workflows/deploy.yml/dispatches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ref: 'main', inputs: { environment, deploy_id: 'd-1' }, return_run_details: true }),
  });
  return ((await res.json()) as { workflow_run_id: number }).workflow_run_id;
}

async function rest(path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${github.url}/repos/${REPO}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'POST' ? '{}' : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Each delivery in a line: what foxops would learn from it. */
function summary(list: Delivery[] = deliveries): string[] {
  return list.map(([event, p]) => {
    if (event === 'workflow_run') return `run ${p.action} ${p.workflow_run.status} ${p.workflow_run.conclusion}`;
    if (event === 'workflow_job') return `job ${p.workflow_job.name} ${p.action} ${p.workflow_job.conclusion}`;
    return `${event} ${p.environment}`;
  });
}

const stepsOf = (job: { steps: Array<{ name: string; status: string; conclusion: string | null }> }) =>
  job.steps.map((s) => `${s.name}:${s.status}:${s.conclusion}`);

describe('a run that succeeds', () => {
  it('goes through GitHub’s events in order, every one readable by foxops, and REST ends green', async () => {
    const order: string[] = [];
    const succeeded: FakeRun[] = [];
    const d = start('succeed', {
      onSucceeded: (run) => {
        succeeded.push(run);
        order.push(`onSucceeded after ${deliveries.length} deliveries`);
      },
    });
    const runId = await dispatch();
    expect(d.outcomeOf(runId)).toBe('succeed');
    await timers.runAll(d);

    expect(summary()).toEqual([
      'run requested queued null',
      'job build queued null',
      'run in_progress in_progress null',
      'job build in_progress null',
      'job build completed success',
      'job deploy queued null',
      'job deploy in_progress null',
      'job deploy completed success',
      'run completed completed success',
    ]);
    for (const [event, payload] of deliveries) expect(webhookSchemas[event as 'workflow_run' | 'workflow_job'].safeParse(payload).success).toBe(true);
    expect(deliveries.every(([, p]) => p.repository.full_name === REPO)).toBe(true);
    // The alias moved in the deploy step: before foxops hears of the deploy job's end.
    expect(succeeded.map((r) => r.id)).toEqual([runId]);
    expect(order).toEqual(['onSucceeded after 7 deliveries']);
    // About totalMs (default 20 s) of virtual time.
    expect(timers.now).toBeGreaterThan(15_000);
    expect(timers.now).toBeLessThanOrEqual(20_000);

    const run = await rest(`/actions/runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'completed', conclusion: 'success' });
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect(jobs.map((j: any) => `${j.name}:${j.conclusion}`)).toEqual(['build:success', 'deploy:success']);
    expect(stepsOf(jobs[1])).toEqual([
      'Set up job:completed:success',
      'Checkout:completed:success',
      'Deploy to Lambda:completed:success',
      'Smoke test:completed:success',
    ]);
    expect(timers.pending.size).toBe(0);
  });

  it('shows the steps progressing over REST while it runs, agreeing with the last webhook', async () => {
    const d = start('succeed');
    const runId = await dispatch();
    const seen: string[] = [];
    while (await timers.fireNext(d)) {
      const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs as any[];
      const running = jobs.find((j) => j.status === 'in_progress');
      const step = running?.steps.find((s: any) => s.status === 'in_progress');
      if (step) seen.push(`${running.name}/${step.name}`);
      const lastRun = [...deliveries].reverse().find(([e]) => e === 'workflow_run')?.[1];
      if (lastRun) expect((await rest(`/actions/runs/${runId}`)).body.status).toBe(lastRun.workflow_run.status);
    }
    expect(seen).toEqual([
      'build/Set up job',
      'build/Checkout',
      'build/Install',
      'build/Test',
      'deploy/Set up job',
      'deploy/Checkout',
      'deploy/Deploy to Lambda',
      'deploy/Smoke test',
    ]);
  });

  it('keeps going when a delivery fails, and logs it', async () => {
    let failures = 1;
    const d = start('succeed', {
      deliver: async (event, payload) => {
        if ((payload as any).action === 'in_progress' && failures-- > 0) throw new Error('foxops answered 500');
        deliveries.push([event, payload as Record<string, any>]);
      },
    });
    await dispatch();
    await timers.runAll(d);
    expect(summary().at(-1)).toBe('run completed completed success');
    expect(lines).toContainEqual({
      line: 'run driver: a webhook delivery failed',
      data: expect.objectContaining({ event: 'workflow_run', error: 'foxops answered 500' }),
    });
  });

  it('fails the deploy step when onSucceeded throws', async () => {
    const d = start('succeed', {
      onSucceeded: () => {
        throw new Error('PublishVersion failed');
      },
    });
    await dispatch();
    await timers.runAll(d);
    expect(summary().slice(-2)).toEqual(['job deploy completed failure', 'run completed completed failure']);
  });
});

describe('a run that fails', () => {
  it('fails the deploy job at Deploy to Lambda, skips the later steps, and the run fails', async () => {
    const succeeded: FakeRun[] = [];
    const d = start('fail', { onSucceeded: (run) => void succeeded.push(run) });
    const runId = await dispatch();
    await timers.runAll(d);
    expect(summary()).toEqual([
      'run requested queued null',
      'job build queued null',
      'run in_progress in_progress null',
      'job build in_progress null',
      'job build completed success',
      'job deploy queued null',
      'job deploy in_progress null',
      'job deploy completed failure',
      'run completed completed failure',
    ]);
    const failedJob = deliveries[7]![1].workflow_job;
    expect(runUpdateFromJob(webhookSchemas.workflow_job.parse(deliveries[7]![1]).workflow_job).job).toMatchObject({
      failedStep: 'Deploy to Lambda',
      failedStepNumber: 3,
    });
    expect(stepsOf(failedJob)).toEqual([
      'Set up job:completed:success',
      'Checkout:completed:success',
      'Deploy to Lambda:completed:failure',
      'Smoke test:completed:skipped',
    ]);
    expect((await rest(`/actions/runs/${runId}`)).body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect(stepsOf(jobs[1])).toEqual(stepsOf(failedJob));
    expect(succeeded).toEqual([]);
  });
});

describe('a run that hangs', () => {
  it('stays at Deploy to Lambda with no timer left, until cancelled over REST; then completes cancelled', async () => {
    const d = start('hang');
    const runId = await dispatch();
    await timers.runAll(d);
    expect(timers.pending.size).toBe(0);
    expect(summary().at(-1)).toBe('job deploy in_progress null');
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect((await rest(`/actions/runs/${runId}`)).body.status).toBe('in_progress');
    expect(jobs[1].steps.find((s: any) => s.status === 'in_progress')?.name).toBe('Deploy to Lambda');

    const before = deliveries.length;
    expect((await rest(`/actions/runs/${runId}/cancel`, 'POST')).status).toBe(202);
    await d.idle();
    expect(summary(deliveries.slice(before))).toEqual(['job deploy completed cancelled', 'run completed completed cancelled']);
    const after = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    // The finished build job stays green; the cancelled step is cancelled and the rest skipped, as on GitHub.
    expect(after.map((j: any) => `${j.name}:${j.conclusion}`)).toEqual(['build:success', 'deploy:cancelled']);
    expect(stepsOf(after[1])).toEqual([
      'Set up job:completed:success',
      'Checkout:completed:success',
      'Deploy to Lambda:completed:cancelled',
      'Smoke test:completed:skipped',
    ]);
    expect((await rest(`/actions/runs/${runId}`)).body).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    await timers.runAll(d);
    expect(deliveries.length).toBe(before + 2);
  });
});

describe('a cancel mid-run', () => {
  it('stops playing the run and delivers the cancelled ends of the started jobs and the run', async () => {
    const d = start('succeed');
    const runId = await dispatch();
    for (let i = 0; i < 4; i += 1) await timers.fireNext(d); // requested, started, two steps of build
    expect(summary().at(-1)).toBe('job build in_progress null');
    const before = deliveries.length;
    await rest(`/actions/runs/${runId}/cancel`, 'POST');
    await d.idle();
    expect(timers.pending.size).toBe(0);
    expect(summary(deliveries.slice(before))).toEqual(['job build completed cancelled', 'run completed completed cancelled']);
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect(jobs.map((j: any) => `${j.name}:${j.conclusion}`)).toEqual(['build:cancelled', 'deploy:cancelled']);
    expect(stepsOf(jobs[0])).toEqual(['Set up job:completed:success', 'Checkout:completed:success', 'Install:completed:cancelled', 'Test:completed:skipped']);
    expect(lines.map((l) => l.line)).toContain('run driver: run cancelled');
  });
});

describe('stop()', () => {
  it('stops every run and follows no new dispatch', async () => {
    const d = start('succeed');
    const first = await dispatch();
    await timers.fireNext(d);
    d.stop();
    await d.idle();
    expect(timers.pending.size).toBe(0);
    const count = deliveries.length;
    const second = await dispatch();
    await timers.runAll(d);
    expect(deliveries.length).toBe(count);
    expect(d.outcomeOf(second)).toBeUndefined();
    expect(github.runs.get(first)?.status).toBe('queued');
  });
});

describe('with GitHub enforcing the approvals (deployment protection rule)', () => {
  const answer = (runId: number, state: 'approved' | 'rejected') =>
    fetch(`${github.url}/repos/${REPO}/actions/runs/${runId}/deployment_protection_rule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ environment_name: 'production', state, comment: 'foxops' }),
    });

  /** Fires timers until the protection rule was delivered. */
  async function untilAsked(d: RunDriver) {
    while (!deliveries.some(([e]) => e === 'deployment_protection_rule')) if (!(await timers.fireNext(d))) throw new Error('never asked');
  }

  it('asks before the deploy job, waits (polling) for the answer, and goes on when approved', async () => {
    const d = start('succeed', { protection: { environments: ['production'], pollMs: 100 }, webhook: { installationId: 5 } });
    const runId = await dispatch();
    await untilAsked(d);
    const asked = deliveries.find(([e]) => e === 'deployment_protection_rule')![1];
    expect(asked).toMatchObject({ action: 'requested', environment: 'production', installation: { id: 5 } });
    expect(asked.deployment_callback_url).toMatch(new RegExp(`/repos/${REPO}/actions/runs/${runId}/deployment_protection_rule$`));
    expect((await rest(`/actions/runs/${runId}`)).body.status).toBe('waiting');
    // No answer: it keeps waiting.
    for (let i = 0; i < 20; i += 1) await timers.fireNext(d);
    expect(summary().at(-1)).toBe('deployment_protection_rule production');
    await answer(runId, 'approved');
    await timers.runAll(d);
    expect(summary().slice(4)).toEqual([
      'job build completed success',
      'job deploy queued null',
      'job deploy waiting null',
      'deployment_protection_rule production',
      'job deploy in_progress null',
      'job deploy completed success',
      'run completed completed success',
    ]);
  });

  it('fails the run without starting the deploy job when rejected', async () => {
    const succeeded: FakeRun[] = [];
    const d = start('succeed', { protection: { environments: ['production'], pollMs: 100 }, onSucceeded: (r) => void succeeded.push(r) });
    const runId = await dispatch();
    await untilAsked(d);
    await answer(runId, 'rejected');
    await timers.runAll(d);
    expect(summary().slice(-3)).toEqual(['deployment_protection_rule production', 'job deploy completed failure', 'run completed completed failure']);
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect(jobs[1]).toMatchObject({ name: 'deploy', conclusion: 'failure', steps: [] });
    expect(succeeded).toEqual([]);
  });

  it('does not ask for an environment that is not listed', async () => {
    const d = start('succeed', { protection: { environments: ['production'] } });
    await dispatch('staging');
    await timers.runAll(d);
    expect(summary().some((line) => line.startsWith('deployment_protection_rule'))).toBe(false);
    expect(summary().at(-1)).toBe('run completed completed success');
  });
});

describe('with a verify job that asks foxops first (the OIDC check)', () => {
  it('plays verify before build, asks once at its step, and goes on when foxops says yes', async () => {
    const asked: Array<{ runId: number; deliveries: number; jobs: string[] }> = [];
    const succeeded: FakeRun[] = [];
    const d = start('succeed', {
      jobs: VERIFY_JOBS,
      verify: async (run) => {
        const jobs = (await rest(`/actions/runs/${run.id}/jobs`)).body.jobs as any[];
        asked.push({ runId: run.id, deliveries: deliveries.length, jobs: jobs.map((j) => `${j.name}:${j.status}`) });
        return { ok: true, status: 200 };
      },
      onSucceeded: (run) => void succeeded.push(run),
    });
    const runId = await dispatch();
    await timers.runAll(d);

    // While foxops is asked, the verify job runs and the others wait.
    expect(asked).toEqual([{ runId, deliveries: 4, jobs: ['verify:in_progress', 'build:queued', 'deploy:queued'] }]);
    expect(summary()).toEqual([
      'run requested queued null',
      'job verify queued null',
      'run in_progress in_progress null',
      'job verify in_progress null',
      'job verify completed success',
      'job build queued null',
      'job build in_progress null',
      'job build completed success',
      'job deploy queued null',
      'job deploy in_progress null',
      'job deploy completed success',
      'run completed completed success',
    ]);
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs;
    expect(stepsOf(jobs[0])).toEqual(['Set up job:completed:success', `${VERIFY_STEP}:completed:success`]);
    expect(succeeded.map((r) => r.id)).toEqual([runId]);
    expect(lines).toContainEqual({ line: 'run driver: foxops verified the run', data: { runId, status: 200 } });
    // Still about totalMs of virtual time, with one job more.
    expect(timers.now).toBeLessThanOrEqual(20_000);
  });

  it.each<[string, RunDriverOptions['verify'], object]>([
    ['foxops refuses (403)', async () => ({ ok: false, status: 403, reason: 'no deploy_id' }), { status: 403, reason: 'no deploy_id' }],
    [
      'foxops cannot be asked',
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
      { status: 0, reason: 'connect ECONNREFUSED' },
    ],
  ])('fails the verify job at its step when %s: later jobs are skipped, nothing is deployed, the run fails', async (_, verify, logged) => {
    const succeeded: FakeRun[] = [];
    const d = start('succeed', { jobs: VERIFY_JOBS, verify, onSucceeded: (run) => void succeeded.push(run) });
    const runId = await dispatch();
    await timers.runAll(d);

    expect(summary()).toEqual([
      'run requested queued null',
      'job verify queued null',
      'run in_progress in_progress null',
      'job verify in_progress null',
      'job verify completed failure',
      'run completed completed failure',
    ]);
    expect(runUpdateFromJob(webhookSchemas.workflow_job.parse(deliveries[4]![1]).workflow_job).job).toMatchObject({ failedStep: VERIFY_STEP });
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs as any[];
    expect(jobs.map((j) => `${j.name}:${j.conclusion}`)).toEqual(['verify:failure', 'build:skipped', 'deploy:skipped']);
    expect(stepsOf(jobs[0])).toEqual(['Set up job:completed:success', `${VERIFY_STEP}:completed:failure`]);
    expect((await rest(`/actions/runs/${runId}`)).body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(succeeded).toEqual([]);
    expect(lines).toContainEqual({ line: 'run driver: foxops refused the run, so its verify job fails', data: { runId, ...logged } });
    expect(timers.pending.size).toBe(0);
  });

  it('asks foxops before the protection rule is asked, and both must say yes', async () => {
    const order: string[] = [];
    const d = start('succeed', {
      jobs: VERIFY_JOBS,
      protection: { environments: ['production'], pollMs: 100 },
      verify: async () => {
        order.push('verify');
        return { ok: true, status: 200 } satisfies VerifyAnswer;
      },
      deliver: async (event, payload) => {
        if (event === 'deployment_protection_rule') order.push('protection rule');
        deliveries.push([event, payload as Record<string, any>]);
      },
    });
    const runId = await dispatch();
    while (!order.includes('protection rule')) if (!(await timers.fireNext(d))) throw new Error('never asked');
    await fetch(`${github.url}/repos/${REPO}/actions/runs/${runId}/deployment_protection_rule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ environment_name: 'production', state: 'approved' }),
    });
    await timers.runAll(d);
    expect(order).toEqual(['verify', 'protection rule']);
    expect(summary().at(-1)).toBe('run completed completed success');
  });

  it('plays a verify job as any other when no verify is given, and keeps the default plan without one', async () => {
    const d = start('succeed', { jobs: VERIFY_JOBS });
    const runId = await dispatch();
    await timers.runAll(d);
    const jobs = (await rest(`/actions/runs/${runId}/jobs`)).body.jobs as any[];
    expect(jobs.map((j) => `${j.name}:${j.conclusion}`)).toEqual(['verify:success', 'build:success', 'deploy:success']);
    expect(DEFAULT_JOBS.map((j) => j.name)).toEqual(['build', 'deploy']);
  });
});
