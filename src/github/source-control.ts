/**
 * GitHub as the {@link SourceControl} of deploys: resolve refs, compare commits, dispatch workflows, follow runs.
 * GitHub's refusals become {@link SourceControlError}s: a code a person can act on, what was attempted and GitHub's
 * own words. The wording is the Slack adapter's (src/slack/blocks/failures.ts).
 */
import type { CheckRunState, CommitChecks, CommitStatusState } from '../domain/ci-check.js';
import { SourceControlError } from '../domain/errors.js';
import type { CommitRange, DispatchInputs, ResolvedRef, RunSnapshot, SourceControl } from '../domain/ports.js';
import { type CommitSummary, type RunJob, findDeployIds } from '../domain/request.js';
import type { Logger } from '../log.js';
import type { FoxopsOctokitClient } from './octokit.js';
import { jobSchema, runSchema, runUpdateFromRun, toRunJob } from './run-payloads.js';

interface GitHubCommit {
  sha: string;
  html_url: string;
  commit: { message: string; author?: { name?: string } | null };
  author?: { login?: string } | null;
}

interface HttpError {
  status?: number;
  message?: string;
  response?: { data?: { message?: string } };
}

function split(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/');
  return { owner: owner!, repo: name! };
}

function summary(c: GitHubCommit): CommitSummary {
  return {
    sha: c.sha,
    message: c.commit.message.split('\n')[0]!.slice(0, 120),
    author: c.author?.login ?? c.commit.author?.name ?? 'unknown',
    url: c.html_url,
  };
}

function githubMessage(err: HttpError): string {
  return err.response?.data?.message ?? err.message ?? 'no message';
}

/** What foxops was doing when GitHub refused, as the params of the failure: the action and what it was done to. */
type Attempted = {
  action:
    | 'cancel_run'
    | 'resolve'
    | 'compare'
    | 'dispatch'
    | 'read_run'
    | 'list_jobs'
    | 'list_runs'
    | 'read_file'
    | 'read_checks'
    | 'read_statuses'
    | 'read_protection';
  repo: string;
  workflow?: string;
  /** The ref asked for; for `compare`, the head. */
  ref?: string;
  /** The base of a `compare`. */
  base?: string;
  runId?: number;
};

/** The outcome of an error GitHub gave: a code a person can act on, what was attempted, and GitHub's own words. */
function explain(err: unknown, what: Attempted): SourceControlError {
  const e = err as HttpError;
  const status = e.status;
  const said = (e.response?.data?.message ?? e.message)?.split('\n')[0];
  const details = { params: what, cause: said, status };
  if (status === 401) return new SourceControlError('unauthorized', details);
  if (status === 403) return new SourceControlError('forbidden', details);
  if (status === 404 && what.workflow) return new SourceControlError('workflow_not_found', details);
  if (status === 404) return new SourceControlError('repo_not_found', details);
  if (status === 422 && /no (ref|commit) found/i.test(said ?? '')) return new SourceControlError('ref_not_found', details);
  if (status === 422) return new SourceControlError('invalid', details);
  return new SourceControlError('unavailable', details);
}

/** Runs listed per page when looking for a deploy's run; a deploy's run is among the newest of its workflow. */
const RUN_SEARCH_PAGE = 50;

/**
 * Validates a run or job from a REST answer; a shape GitHub changed becomes an `unavailable` error (with
 * `shape: 'run' | 'job' | 'workflow_run'` and the validator's complaint as the cause), never a crash.
 */
function parseOr<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  value: unknown,
  what: { shape: 'run' | 'job' | 'workflow_run'; repo: string; runId?: number; workflow?: string },
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SourceControlError('unavailable', { params: what, cause: parsed.error.message.slice(0, 200) });
  return parsed.data;
}

/** Tries of one dispatch when GitHub's answer leaves open whether the run started. */
const DISPATCH_ATTEMPTS = 3;
/** Runs are looked for from a little before the dispatch: GitHub's clock and ours differ by seconds. */
const DISPATCH_CLOCK_SKEW_MS = 2 * 60_000;

/** True when GitHub may or may not have acted: a 5xx, or no answer at all (timeout, connection reset). */
function isAmbiguous(err: unknown): boolean {
  const status = (err as HttpError).status;
  return status === undefined || status >= 500;
}

/** {@link SourceControl} over the GitHub REST API. */
export class GitHubSourceControl implements SourceControl {
  /** Servers that refused `return_run_details` (GitHub Enterprise Server before it existed). */
  private readonly noRunDetails = new Set<string>();

  constructor(
    private readonly octokit: FoxopsOctokitClient,
    private readonly logger: Logger,
    /** Base of the wait before looking for a run after an uncertain dispatch (ms x attempt²). */
    private readonly retryBaseMs = 1000,
  ) {}

  /** {@inheritDoc SourceControl.resolveRef} */
  async resolveRef(repo: string, ref: string): Promise<ResolvedRef> {
    try {
      const { data } = await this.octokit.rest.repos.getCommit({ ...split(repo), ref, per_page: 1 });
      return { sha: data.sha, url: data.html_url, commit: summary(data as GitHubCommit) };
    } catch (err) {
      throw explain(err, { action: 'resolve', repo, ref });
    }
  }

  /** {@inheritDoc SourceControl.compare} */
  async compare(repo: string, base: string, head: string, limit: number): Promise<CommitRange> {
    try {
      const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...split(repo), basehead: `${base}...${head}`, per_page: 100 });
      const commits = (data.commits as GitHubCommit[]).map(summary);
      return {
        commits: commits.slice(-limit),
        total: data.total_commits ?? commits.length,
        url: data.html_url,
        status: data.status,
        aheadBy: data.ahead_by,
        behindBy: data.behind_by,
        files: (data.files ?? []).map((f) => f.filename),
      };
    } catch (err) {
      throw explain(err, { action: 'compare', repo, base, ref: head });
    }
  }

  /** {@inheritDoc SourceControl.fileBlob} */
  async fileBlob(repo: string, path: string, ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...split(repo), path, ref });
      return Array.isArray(data) ? undefined : (data as { sha?: string }).sha;
    } catch (err) {
      if ((err as HttpError).status === 404) return undefined;
      throw explain(err, { action: 'read_file', repo, ref });
    }
  }

  /**
   * {@inheritDoc SourceControl.dispatchWorkflow}
   *
   * A dispatch is not idempotent: after a 5xx or a timeout GitHub may have started the run anyway. So the
   * POST is never retried blindly (the retry plugin is off for it): foxops first looks for a run that carries
   * the deploy id, and sends again only when there is none. Rate limits (403/429 with `retry-after`) were
   * refused before anything ran, and the throttling plugin still waits those out and retries.
   */
  async dispatchWorkflow(repo: string, workflow: string, ref: string, inputs: DispatchInputs): Promise<{ runId?: number; runUrl?: string }> {
    const since = new Date(Date.now() - DISPATCH_CLOCK_SKEW_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dispatchOnce(repo, workflow, ref, inputs);
      } catch (err) {
        if (!isAmbiguous(err) || attempt >= DISPATCH_ATTEMPTS) throw explain(err, { action: 'dispatch', repo, workflow, ref });
        this.logger.warn('github.dispatch_uncertain', { repo, workflow, deployId: inputs.deploy_id, attempt, status: (err as HttpError).status, err });
        await new Promise((r) => setTimeout(r, this.retryBaseMs * attempt * attempt));
        const started = await this.findRunByDeployId(repo, workflow, inputs.deploy_id, since).catch(() => undefined);
        if (started) {
          this.logger.info('github.dispatch_found_run', { repo, workflow, deployId: inputs.deploy_id, runId: started.runId });
          return { runId: started.runId, runUrl: started.htmlUrl };
        }
      }
    }
  }

  /** One POST of the dispatch, asking for the run's id where the server knows `return_run_details`. */
  private async dispatchOnce(repo: string, workflow: string, ref: string, inputs: DispatchInputs): Promise<{ runId?: number; runUrl?: string }> {
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches' as const;
    const params = { ...split(repo), workflow_id: workflow, ref, inputs, request: { retries: 0 } };
    const server = this.octokit.request.endpoint.DEFAULTS.baseUrl;
    if (!this.noRunDetails.has(server)) {
      try {
        const response = await this.octokit.request(route, { ...params, return_run_details: true } as typeof params);
        const data = (response.data ?? {}) as { workflow_run_id?: number; html_url?: string };
        return { runId: data.workflow_run_id, runUrl: data.html_url };
      } catch (err) {
        const e = err as HttpError;
        if (!(e.status === 422 && /return_run_details/.test(githubMessage(e)))) throw err;
        this.noRunDetails.add(server);
        this.logger.info('github.run_details_unsupported', { server });
      }
    }
    await this.octokit.request(route, params);
    return {};
  }

  /** {@inheritDoc SourceControl.getRun} */
  async getRun(repo: string, runId: number): Promise<RunSnapshot | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...split(repo), run_id: runId });
      return runUpdateFromRun(parseOr(runSchema, data, { shape: 'run', repo, runId }));
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      if ((err as HttpError).status === 404) return undefined;
      throw explain(err, { action: 'read_run', repo, runId });
    }
  }

  /** {@inheritDoc SourceControl.listRunJobs} */
  async listRunJobs(repo: string, runId: number): Promise<RunJob[]> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', {
        ...split(repo),
        run_id: runId,
        filter: 'latest',
        per_page: 100,
      });
      return (data.jobs as unknown[]).map((job) => toRunJob(parseOr(jobSchema, job, { shape: 'job', repo, runId })));
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      throw explain(err, { action: 'list_jobs', repo, runId });
    }
  }

  /** {@inheritDoc SourceControl.findRunByDeployId} */
  async findRunByDeployId(repo: string, workflow: string, deployId: string, createdAfter: Date): Promise<RunSnapshot | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
        ...split(repo),
        workflow_id: workflow,
        event: 'workflow_dispatch',
        created: `>=${createdAfter.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        per_page: RUN_SEARCH_PAGE,
      });
      for (const raw of data.workflow_runs as unknown[]) {
        const run = runUpdateFromRun(parseOr(runSchema, raw, { shape: 'workflow_run', repo, workflow }));
        if (findDeployIds(run.title).includes(deployId)) return run;
      }
      return undefined;
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      throw explain(err, { action: 'list_runs', repo, workflow });
    }
  }

  /** {@inheritDoc SourceControl.cancelRun} */
  async cancelRun(repo: string, runId: number, force = false): Promise<'requested' | 'completed' | 'not_found'> {
    const route = force
      ? ('POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel' as const)
      : ('POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel' as const);
    try {
      // No retries: a 409 is GitHub's answer, not a glitch; a 5xx fails the job, whose delivery is tried again.
      await this.octokit.request(route, { ...split(repo), run_id: runId, request: { retries: 0 } });
      return 'requested';
    } catch (err) {
      // 409: "Cannot cancel a workflow run that is completed." The run won the race; its own news decides the outcome.
      if ((err as HttpError).status === 409) return 'completed';
      if ((err as HttpError).status === 404) return 'not_found';
      throw explain(err, { action: 'cancel_run', repo, runId });
    }
  }

  /**
   * {@inheritDoc SourceControl.commitChecks}
   *
   * `GET …/commits/{sha}/check-runs` (latest run per name; Checks: read) and `GET …/commits/{sha}/status` (latest
   * status per context; Commit statuses: read), the first 100 of each: checks past 100 on one commit are not read.
   */
  async commitChecks(repo: string, sha: string): Promise<CommitChecks> {
    let checkRuns: CheckRunState[];
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
        ...split(repo),
        ref: sha,
        filter: 'latest',
        per_page: 100,
      });
      checkRuns = data.check_runs.map((r) => ({ name: r.name, status: r.status, conclusion: r.conclusion ?? null }));
    } catch (err) {
      throw explain(err, { action: 'read_checks', repo, ref: sha });
    }
    let statuses: CommitStatusState[];
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', { ...split(repo), ref: sha, per_page: 100 });
      statuses = data.statuses.map((s) => ({ context: s.context, state: s.state }));
    } catch (err) {
      throw explain(err, { action: 'read_statuses', repo, ref: sha });
    }
    return { checkRuns, statuses };
  }

  /**
   * {@inheritDoc SourceControl.requiredChecks}
   *
   * The default branch as `GET /repos/{owner}/{repo}/branches/{branch}` shows it (`protection.required_status_checks`):
   * Contents: read suffices, unlike the protection endpoint, which needs Administration: read. Rulesets are not read.
   */
  async requiredChecks(repo: string): Promise<string[]> {
    try {
      const { data: info } = await this.octokit.request('GET /repos/{owner}/{repo}', split(repo));
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/branches/{branch}', { ...split(repo), branch: info.default_branch });
      const required = data.protection?.required_status_checks;
      return [...new Set([...(required?.contexts ?? []), ...(required?.checks ?? []).map((c) => c.context)])];
    } catch (err) {
      throw explain(err, { action: 'read_protection', repo });
    }
  }
}
