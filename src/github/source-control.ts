/**
 * GitHub as the {@link SourceControl} of deploys: resolve refs, compare commits, dispatch workflows, follow runs.
 * GitHub's refusals become {@link SourceControlError}s whose message says what a person must fix.
 */
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

/** The explanation a person needs for an error GitHub gave. */
function explain(err: unknown, what: { repo: string; workflow?: string; ref?: string; action: string }): SourceControlError {
  const e = err as HttpError;
  const status = e.status;
  const said = githubMessage(e).split('\n')[0];
  if (status === 401) {
    return new SourceControlError('unauthorized', `GitHub rejected foxops' credentials (401: ${said}). Renew GITHUB_TOKEN, or the GitHub App key, where foxops reads its secrets.`, status);
  }
  if (status === 403) {
    return new SourceControlError(
      'forbidden',
      `GitHub refused to ${what.action} on ${what.repo} (403: ${said}). foxops needs Actions: read and write and Contents: read on ${what.repo} (fine-grained token or GitHub App permissions).`,
      status,
    );
  }
  if (status === 404 && what.workflow) {
    return new SourceControlError(
      'workflow_not_found',
      `GitHub cannot find the workflow \`${what.workflow}\` in ${what.repo} (404). Check that .github/workflows/${what.workflow} exists on the default branch, has an \`on: workflow_dispatch\` trigger, and that foxops' token can see the repository.`,
      status,
    );
  }
  if (status === 404) return new SourceControlError('repo_not_found', `GitHub cannot find ${what.repo} (404). Check the \`repo\` in foxops.yml and that foxops' token can see it.`, status);
  if (status === 422 && /no (ref|commit) found/i.test(said ?? '')) {
    return new SourceControlError('ref_not_found', `The ref \`${what.ref}\` does not exist in ${what.repo}. Give a branch, tag or commit SHA that exists.`, status);
  }
  if (status === 422) {
    return new SourceControlError('invalid', `GitHub refused to ${what.action} (422: ${said}). Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.`, status);
  }
  return new SourceControlError('unavailable', `GitHub did not answer properly after retries (${status ?? 'no status'}: ${said}). Try again in a minute; see githubstatus.com.`, status);
}

/** Runs listed per page when looking for a deploy's run; a deploy's run is among the newest of its workflow. */
const RUN_SEARCH_PAGE = 50;

/** Validates a run or job from a REST answer; a shape GitHub changed becomes an `unavailable` error, never a crash. */
function parseOr<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SourceControlError('unavailable', `GitHub answered ${what} in a shape foxops does not understand: ${parsed.error.message.slice(0, 200)}`);
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
      throw explain(err, { repo, ref, action: `resolve ${ref}` });
    }
  }

  /** {@inheritDoc SourceControl.compare} */
  async compare(repo: string, base: string, head: string, limit: number): Promise<CommitRange> {
    try {
      const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...split(repo), basehead: `${base}...${head}`, per_page: 100 });
      const commits = (data.commits as GitHubCommit[]).map(summary);
      return { commits: commits.slice(-limit), total: data.total_commits ?? commits.length, url: data.html_url };
    } catch (err) {
      throw explain(err, { repo, ref: head, action: `compare ${base.slice(0, 7)}...${head.slice(0, 7)}` });
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
        if (!isAmbiguous(err) || attempt >= DISPATCH_ATTEMPTS) throw explain(err, { repo, workflow, ref, action: `dispatch ${workflow}` });
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
      return runUpdateFromRun(parseOr(runSchema, data, `run ${runId}`));
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      if ((err as HttpError).status === 404) return undefined;
      throw explain(err, { repo, action: `read run ${runId}` });
    }
  }

  /** {@inheritDoc SourceControl.listRunJobs} */
  async listRunJobs(repo: string, runId: number): Promise<RunJob[]> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { ...split(repo), run_id: runId, filter: 'latest', per_page: 100 });
      return (data.jobs as unknown[]).map((job) => toRunJob(parseOr(jobSchema, job, `a job of run ${runId}`)));
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      throw explain(err, { repo, action: `list the jobs of run ${runId}` });
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
        const run = runUpdateFromRun(parseOr(runSchema, raw, 'a workflow run'));
        if (findDeployIds(run.title).includes(deployId)) return run;
      }
      return undefined;
    } catch (err) {
      if (err instanceof SourceControlError) throw err;
      throw explain(err, { repo, workflow, action: `list the runs of ${workflow}` });
    }
  }
}
