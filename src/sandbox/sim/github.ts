/**
 * Loopback fake of the GitHub REST API subset foxops uses: commits, compare, workflows,
 * workflow_dispatch and workflow runs/jobs. It is also the Actions OIDC issuer: it serves its key set at
 * `GET /.well-known/jwks` and mints a job's ID token ({@link FakeGitHub.mintIdToken}), as
 * `token.actions.githubusercontent.com` does for a job with `id-token: write`.
 *
 * Point the real client at it: `new Octokit({ auth: 'ghp_test', baseUrl: fake.url })`. Answers mimic
 * GitHub closely enough for plugin-retry / plugin-throttling to react as in production: JSON bodies,
 * real status codes, `x-github-request-id`, rate-limit headers and `{ message, documentation_url }` errors.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { parseJsonBody, pollUntil, sendEmpty, sendJson, startLoopbackServer, takeQueuedFailure } from './http.js';

/** Inputs of a `workflow_dispatch`, as sent by the client. */
export type DispatchInputs = Record<string, unknown>;

/** A workflow file in a fake repository. */
export interface FakeWorkflowSpec {
  /** File name under `.github/workflows/`, e.g. `deploy.yml`; also accepted as `workflow_id`. */
  file: string;
  /** Workflow `name:`; default is the file name without extension. */
  name?: string;
  /** The workflow's `run-name:` rendered from inputs; default `Deploy ${inputs.environment} ${inputs.deploy_id}`. */
  runName?: (inputs: DispatchInputs) => string;
  /** Declared `workflow_dispatch` inputs; when given, other inputs get GitHub's 422 "Unexpected inputs provided". */
  inputs?: string[];
  /** Job names of a new run; default `['deploy']`. */
  jobs?: string[];
}

/** Options of {@link FakeGitHub.addRepo}. */
export interface FakeRepoOptions {
  /** Default `main`; it gets one "Initial commit" so it always has a head. */
  defaultBranch?: string;
  workflows?: Array<string | FakeWorkflowSpec>;
  /** The default branch's first commit; default "Initial commit". */
  initialCommit?: FakeCommitSpec;
}

/**
 * A commit to push: a message, or a message with the author's login, the files it writes (path → content) and its date
 * (default: a fixed date a minute after the previous commit's, so that tests see the same dates on every run).
 */
export type FakeCommitSpec = string | { message: string; author?: string; files?: Record<string, string>; date?: Date };

/** Stored commit. */
export interface FakeCommit {
  sha: string;
  message: string;
  authorLogin: string;
  date: string;
  parent: string | undefined;
  /** Files this commit writes, path → content; a workflow file nobody wrote reads as `name: <workflow>`. */
  files?: Record<string, string>;
}

/** Step state inside a job. */
export interface FakeStepState {
  name: string;
  status?: RunStatus;
  conclusion?: RunConclusion | null;
}

/** Job state for {@link FakeGitHub.setRunState}; omitted fields follow the run. */
export interface FakeJobState {
  name: string;
  status?: RunStatus;
  conclusion?: RunConclusion | null;
  steps?: FakeStepState[];
}

export type RunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type RunConclusion = 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'neutral' | 'stale';

/** Stored job (ids and timestamps filled in by the fake). */
export interface FakeJob {
  id: number;
  name: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  startedAt: string | null;
  completedAt: string | null;
  steps: Array<{ name: string; number: number; status: RunStatus; conclusion: RunConclusion | null; startedAt: string | null; completedAt: string | null }>;
}

/** Stored workflow run; `inputs` is kept although GitHub never returns them, so tests can inspect them. */
export interface FakeRun {
  id: number;
  repo: string;
  workflowFile: string;
  workflowId: number;
  workflowName: string;
  headBranch: string;
  headSha: string;
  inputs: DispatchInputs;
  displayTitle: string;
  runNumber: number;
  status: RunStatus;
  conclusion: RunConclusion | null;
  createdAt: string;
  updatedAt: string;
  jobs: FakeJob[];
  /** `run_attempt`; default 1 (set 2 for a re-run). */
  attempt?: number;
}

/** One answer to a deployment protection rule (`POST …/actions/runs/{id}/deployment_protection_rule`). */
export interface FakeProtectionAnswer {
  repo: string;
  runId: number;
  body: { environment_name?: string; state?: string; comment?: string };
  authorization: string | undefined;
}

/** A check run on a commit, as {@link FakeGitHub.setCheckRuns} takes it; `completed` without conclusion means `success`. */
export interface FakeCheckRun {
  name: string;
  status: RunStatus;
  conclusion?: RunConclusion | null;
}

/** A commit status, as {@link FakeGitHub.setStatuses} takes it. */
export interface FakeCommitStatus {
  context: string;
  state: 'success' | 'failure' | 'error' | 'pending';
}

/** One recorded `workflow_dispatch`. */
export interface FakeDispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: DispatchInputs;
  runId: number;
}

/** One HTTP request as received (including rejected and failure-injected ones). */
export interface FakeGitHubRequest {
  method: string;
  /** Path with query string, as on the wire. */
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: Date;
}

/** A queued failure; see {@link FakeGitHub.failNext}. */
export interface GitHubFailure {
  /** Only requests with this HTTP method (case-insensitive). */
  method?: string;
  /** Only requests whose path (with query) contains this. */
  pathIncludes?: string;
  status: number;
  /** Error `message`; default is the status' reason phrase. */
  message?: string;
  /** Extra headers, e.g. `{ 'retry-after': '1' }` or `{ 'x-ratelimit-remaining': '0' }`. */
  headers?: Record<string, string>;
  /** How many matching requests fail; default 1. */
  times?: number;
  /**
   * Instead of failing: carry the request out as usual, but hold the answer back this long, as when GitHub
   * acted and the answer was lost (a client with a shorter timeout gives up first). `status` is then ignored.
   */
  hangMs?: number;
}

/** What {@link FakeGitHub.mintIdToken} may change from what the run gives. */
export interface FakeIdTokenOptions {
  /** `aud`; default `foxops`. */
  audience?: string;
  /** The job's GitHub environment; default the run's `environment` input (empty: a job without one, no claim). */
  environment?: string;
  /** Who started the run; default the simulator's actor. */
  actor?: string;
  /** Seconds the token lives; default 300. */
  ttlSeconds?: number;
}

/** One ID token minted by {@link FakeGitHub.mintIdToken}: its claims (the token itself is not kept). */
export interface FakeIdToken {
  runId: number;
  claims: Record<string, unknown>;
}

/** Options of {@link startFakeGitHub}. */
export interface FakeGitHubOptions {
  /** Whether dispatch supports `return_run_details` (GitHub added it in 2025; GHES may not have it). Default true. */
  runDetails?: boolean;
  /** Clock for run timestamps; default real time (list filters like `created>=` compare against it). */
  now?: () => Date;
  /** Login reported as `actor` of dispatched runs. Default `foxops[bot]`. */
  actor?: string;
}

/** Handle on a running fake GitHub; see {@link startFakeGitHub}. */
export interface FakeGitHub {
  /** Value for Octokit's `baseUrl`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly requests: FakeGitHubRequest[];
  readonly dispatches: FakeDispatch[];
  /** Runs by id. */
  readonly runs: Map<number, FakeRun>;
  /** Answers to deployment protection rules, in order. */
  readonly protectionAnswers: FakeProtectionAnswer[];
  /** Installation tokens issued by `POST /app/installations/{id}/access_tokens`, with the JWT each was asked with. */
  readonly installationTokens: Array<{ installationId: number; token: string; jwt: string | undefined }>;
  /** Toggle `return_run_details` support at runtime. */
  runDetails: boolean;
  /** The OIDC issuer (`iss` of the tokens it mints): the simulator's base URL, as GHES's is `https://<host>/_services/token`. */
  readonly oidcIssuer: string;
  /** Where the issuer's public keys are (`GET /.well-known/jwks`, no token needed, as on GitHub). */
  readonly oidcJwksUrl: string;
  /** The claims of every ID token minted, in order. */
  readonly idTokens: FakeIdToken[];
  /**
   * An Actions OIDC ID token for a job of run `runId` (RS256, signed with the issuer's key, `kid` in the header), with
   * the claims GitHub puts in one: `iss`, `aud`, `sub`, `repository`, `repository_owner`, `environment`, `sha`, `ref`,
   * `workflow_ref` / `job_workflow_ref` (the run's workflow file at its ref), `run_id`, `run_attempt`, `run_number`,
   * `event_name`, `actor`, `iat` / `nbf` / `exp`, and more. Throws for an unknown run.
   */
  mintIdToken(runId: number, options?: FakeIdTokenOptions): Promise<string>;
  /** Creates a repo (`owner/name`) whose default branch has one initial commit. */
  addRepo(repo: string, options?: FakeRepoOptions): void;
  /** Adds a workflow to an existing repo. */
  addWorkflow(repo: string, workflow: string | FakeWorkflowSpec): void;
  /**
   * Appends commits to `branch` (created from the default branch's head if new) and returns their SHAs, oldest first.
   * SHAs are sha1(repo, branch, n): deterministic across runs.
   */
  pushCommits(repo: string, branch: string, commits: number | FakeCommitSpec[]): string[];
  /** Points tag `name` at a ref (branch, tag or sha). */
  tag(repo: string, name: string, ref: string): string;
  /** Head SHA of a branch; throws for unknown repo/branch. */
  headOf(repo: string, branch: string): string;
  /** The SHA a ref names as GitHub resolves it (branch, tag, full SHA or a unique prefix of 7 or more); undefined when none. */
  resolve(repo: string, ref: string): string | undefined;
  /** Moves a run (and its jobs, unless given) to a new state. `completed` without conclusion means `success`. */
  setRunState(runId: number, state: { status: RunStatus; conclusion?: RunConclusion | null; jobs?: FakeJobState[] }): FakeRun;
  /** The check runs on `sha` (`GET …/commits/{sha}/check-runs`), replacing earlier ones of the same names. */
  setCheckRuns(repo: string, sha: string, checkRuns: FakeCheckRun[]): void;
  /** The check runs of a commit, as {@link FakeGitHub.setCheckRuns} left them (empty when none). */
  checkRunsOf(repo: string, sha: string): FakeCheckRun[];
  /** The commit statuses on `sha` (`GET …/commits/{sha}/status`), replacing earlier ones of the same contexts. */
  setStatuses(repo: string, sha: string, statuses: FakeCommitStatus[]): void;
  /** Protects `branch` requiring `contexts` as status checks (`GET …/branches/{branch}` shows them); `[]` lifts the protection. */
  protectBranch(repo: string, branch: string, contexts: string[]): void;
  /** Removes a run: later GETs answer 404, like a deleted run. */
  deleteRun(runId: number): void;
  /** Resolves with the first dispatch matching `predicate`, waiting up to `timeoutMs` (default 2000). */
  waitForDispatch(predicate?: (dispatch: FakeDispatch) => boolean, timeoutMs?: number): Promise<FakeDispatch>;
  /** From now on requests need `authorization: token <t>` or `Bearer <t>`; others get 401 Bad credentials. */
  requireToken(token: string): void;
  /** Makes the next matching request(s) fail; injections are checked in the order they were queued. */
  failNext(failure: GitHubFailure): void;
  /**
   * Calls `listener` after each dispatch created its queued run (before the dispatch is answered). Listeners stay
   * across {@link FakeGitHub.reset}: the sandbox's run driver subscribes once. Returns the unsubscribe function.
   */
  onDispatch(listener: (run: FakeRun, dispatch: FakeDispatch) => void): () => void;
  /**
   * Calls `listener` after every change of a run's state ({@link FakeGitHub.setRunState}, and so a REST cancel, which
   * sends no webhook: whoever drives runs learns of it here). Kept across reset; returns the unsubscribe function.
   */
  onRunChange(listener: (run: FakeRun) => void): () => void;
  /** A repository's id and default branch (as its webhooks carry them); undefined for an unknown repo. */
  repoInfo(repo: string): { id: number; fullName: string; defaultBranch: string } | undefined;
  /** A stored commit (for a webhook's `head_commit`); undefined when unknown. */
  commit(repo: string, sha: string): FakeCommit | undefined;
  /**
   * The data of every repository (commits, branches, tags), runs, CI and counters, as JSON; see {@link restore}.
   * Workflows are not in it: they hold functions (`runName`), so `addRepo` declares them again before a restore.
   */
  snapshot(): unknown;
  /** Puts back what {@link snapshot} returned, into repositories already added with `addRepo`; throws on anything else. */
  restore(snapshot: unknown): void;
  /** Forgets requests, dispatches, runs, repos, injections, issued tokens and the token requirement (the OIDC key stays). */
  reset(): void;
  close(): Promise<void>;
}

interface WorkflowState {
  id: number;
  file: string;
  name: string;
  runName: (inputs: DispatchInputs) => string;
  inputs: string[] | undefined;
  jobs: string[];
}

interface RepoState {
  id: number;
  fullName: string;
  defaultBranch: string;
  branches: Map<string, string>;
  tags: Map<string, string>;
  commits: Map<string, FakeCommit>;
  /** Commits made per branch, feeding the deterministic SHA. */
  counters: Map<string, number>;
  workflows: Map<string, WorkflowState>;
}

/** What {@link FakeGitHub.snapshot} returns: plain JSON. */
interface GitHubSnapshot {
  version: 1;
  repos: Array<{
    fullName: string;
    branches: Array<[string, string]>;
    tags: Array<[string, string]>;
    commits: FakeCommit[];
    counters: Array<[string, number]>;
  }>;
  runs: FakeRun[];
  dispatches: FakeDispatch[];
  checkRuns: Array<[string, FakeCheckRun[]]>;
  statuses: Array<[string, FakeCommitStatus[]]>;
  protections: Array<[string, string[]]>;
  nextRunId: number;
  nextJobId: number;
  commitCount: number;
}

/** Fake commits are dated from here on, one minute apart, so dates are deterministic too. */
const COMMIT_EPOCH_MS = Date.UTC(2024, 4, 1, 10, 0, 0);
const AUTHORS = ['alice', 'bob', 'carol'];
const FIRST_RUN_ID = 9_000_001;
const FIRST_JOB_ID = 7_000_001;
const DOCS = 'https://docs.github.com/rest';
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Bad credentials',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Thrown inside route handlers to answer a GitHub-style error. */
class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** GitHub timestamps have second precision and a `Z` suffix. */
const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const defaultRunName = (inputs: DispatchInputs): string =>
  ['Deploy', inputs.environment, inputs.deploy_id].filter((part) => part !== undefined && part !== '').join(' ');

/**
 * Starts a fake GitHub REST API on 127.0.0.1 (ephemeral port).
 *
 * Routes (all under `/repos/{owner}/{repo}`): `GET /`, `GET /commits/{ref}`, `GET /compare/{base}...{head}`, `GET /contents/{path}?ref=`,
 * `GET /actions/workflows/{id}`, `POST /actions/workflows/{id}/dispatches`, `GET /actions/workflows/{id}/runs`,
 * `GET /commits/{sha}/check-runs`, `GET /commits/{sha}/status`, `GET /branches/{branch}` (with its protection's required checks),
 * `GET /actions/runs`, `GET /actions/runs/{id}`, `GET /actions/runs/{id}/jobs`, `POST /actions/runs/{id}/deployment_protection_rule`,
 * `POST /actions/runs/{id}/cancel` and `…/force-cancel` (the run ends `cancelled` at once, no webhook; 409 once completed);
 * `POST /app/installations/{id}/access_tokens` (a GitHub App's installation token, accepted afterwards); and, without
 * a token, the OIDC issuer's `GET /.well-known/jwks` and `GET /.well-known/openid-configuration`.
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? (() => new Date());
  const actor = options.actor ?? 'foxops[bot]';
  const repos = new Map<string, RepoState>();
  const runs = new Map<number, FakeRun>();
  const requests: FakeGitHubRequest[] = [];
  const dispatches: FakeDispatch[] = [];
  const protectionAnswers: FakeProtectionAnswer[] = [];
  const installationTokens: Array<{ installationId: number; token: string; jwt: string | undefined }> = [];
  const failures: Array<GitHubFailure & { times: number }> = [];
  /** CI per `repo@sha` (lower-case repo), and required status checks per `repo#branch`. */
  const checkRuns = new Map<string, FakeCheckRun[]>();
  const statuses = new Map<string, FakeCommitStatus[]>();
  const protections = new Map<string, string[]>();
  const dispatchListeners = new Set<(run: FakeRun, dispatch: FakeDispatch) => void>();
  const runListeners = new Set<(run: FakeRun) => void>();
  /** A listener's throw must not break the fake's answer: it is reported, not raised. */
  const notify = <A extends unknown[]>(listeners: Set<(...args: A) => void>, ...args: A): void => {
    for (const listener of [...listeners]) {
      try {
        listener(...args);
      } catch (err) {
        console.warn('fake GitHub: a listener threw', err);
      }
    }
  };
  let requiredToken: string | undefined;
  const idTokens: FakeIdToken[] = [];
  /** The issuer's signing key, made on first use: most tests never need one, and a 2048-bit key takes a moment. */
  let oidcKey: { privateKey: KeyObject; jwk: Record<string, unknown> } | undefined;
  const issuerKey = () => {
    if (!oidcKey) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      const kid = createHash('sha256').update(String(jwk.n)).digest('hex').slice(0, 16);
      oidcKey = { privateKey, jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
    }
    return oidcKey;
  };
  let nextRunId = FIRST_RUN_ID;
  let nextJobId = FIRST_JOB_ID;
  let commitCount = 0;
  let requestCount = 0;
  let baseUrl = '';

  // ---- state ---------------------------------------------------------------------------------

  const repoOrThrow = (repo: string): RepoState => {
    const state = repos.get(repo.toLowerCase());
    if (!state) throw new Error(`fake GitHub: unknown repo ${repo}; call addRepo first`);
    return state;
  };

  const addWorkflow = (repo: string, workflow: string | FakeWorkflowSpec): void => {
    const state = repoOrThrow(repo);
    const spec = typeof workflow === 'string' ? { file: workflow } : workflow;
    state.workflows.set(spec.file, {
      id: 160_000 + state.id * 100 + state.workflows.size,
      file: spec.file,
      name: spec.name ?? spec.file.replace(/\.ya?ml$/, ''),
      runName: spec.runName ?? defaultRunName,
      inputs: spec.inputs,
      jobs: spec.jobs ?? ['deploy'],
    });
  };

  const commitOn = (state: RepoState, branch: string, spec: FakeCommitSpec): string => {
    const n = state.counters.get(branch) ?? 0;
    state.counters.set(branch, n + 1);
    const sha = createHash('sha1').update(`${state.fullName}\n${branch}\n${n}`).digest('hex');
    const message = typeof spec === 'string' ? spec : spec.message;
    const authorLogin = (typeof spec === 'string' ? undefined : spec.author) ?? AUTHORS[commitCount % AUTHORS.length] ?? 'alice';
    const date = isoSeconds((typeof spec === 'string' ? undefined : spec.date) ?? new Date(COMMIT_EPOCH_MS + commitCount * 60_000));
    commitCount += 1;
    const files = typeof spec === 'string' ? undefined : spec.files;
    state.commits.set(sha, { sha, message, authorLogin, date, parent: state.branches.get(branch), ...(files ? { files } : {}) });
    state.branches.set(branch, sha);
    return sha;
  };

  /** Branch, tag, `refs/heads|tags/...`, full SHA or unique prefix of ≥ 7 hex chars. */
  const resolveRef = (state: RepoState, ref: string): string | undefined => {
    const name = ref.replace(/^refs\/(heads|tags)\//, '');
    const named = state.branches.get(name) ?? state.tags.get(name);
    if (named) return named;
    if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
    const matches = [...state.commits.keys()].filter((sha) => sha.startsWith(ref.toLowerCase()));
    return matches.length === 1 ? matches[0] : undefined;
  };

  /** First-parent history of `sha`, newest first, including `sha`. */
  const history = (state: RepoState, sha: string): string[] => {
    const out: string[] = [];
    for (let cur: string | undefined = sha; cur; cur = state.commits.get(cur)?.parent) out.push(cur);
    return out;
  };

  /** Content of `path` at `sha`: the newest write in its first-parent history, else a workflow's default file. */
  const fileAt = (state: RepoState, sha: string, path: string): string | undefined => {
    for (const cur of history(state, sha)) {
      const written = state.commits.get(cur)?.files?.[path];
      if (written !== undefined) return written;
    }
    const wf = /^\.github\/workflows\/(.+)$/.exec(path)?.[1];
    return wf && state.workflows.has(wf) ? `name: ${wf}\n` : undefined;
  };

  /** Git's blob SHA of `content`. */
  const blobSha = (content: string): string =>
    createHash('sha1')
      .update(`blob ${Buffer.byteLength(content)}\0${content}`)
      .digest('hex');

  // ---- JSON shapes ---------------------------------------------------------------------------

  const commitJson = (state: RepoState, commit: FakeCommit) => {
    const user = { login: commit.authorLogin, id: 1000 + AUTHORS.indexOf(commit.authorLogin), type: 'User' };
    const person = { name: commit.authorLogin[0]?.toUpperCase() + commit.authorLogin.slice(1), email: `${commit.authorLogin}@foxy.example`, date: commit.date };
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 12)}`,
      url: `${baseUrl}/repos/${state.fullName}/commits/${commit.sha}`,
      html_url: `https://github.com/${state.fullName}/commit/${commit.sha}`,
      commit: { message: commit.message, author: person, committer: person },
      author: user,
      committer: user,
      parents: commit.parent ? [{ sha: commit.parent, html_url: `https://github.com/${state.fullName}/commit/${commit.parent}` }] : [],
    };
  };

  const workflowJson = (state: RepoState, wf: WorkflowState) => ({
    id: wf.id,
    node_id: `W_${wf.id}`,
    name: wf.name,
    path: `.github/workflows/${wf.file}`,
    state: 'active',
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    url: `${baseUrl}/repos/${state.fullName}/actions/workflows/${wf.id}`,
    html_url: `https://github.com/${state.fullName}/blob/${state.defaultBranch}/.github/workflows/${wf.file}`,
    badge_url: `https://github.com/${state.fullName}/workflows/${encodeURIComponent(wf.name)}/badge.svg`,
  });

  const runJson = (run: FakeRun) => {
    const state = repos.get(run.repo.toLowerCase());
    const commit = state?.commits.get(run.headSha);
    const api = `${baseUrl}/repos/${run.repo}/actions/runs/${run.id}`;
    return {
      id: run.id,
      // GitHub's `name` is the workflow name; the rendered `run-name:` is `display_title`.
      name: run.workflowName,
      display_title: run.displayTitle,
      node_id: `WFR_${run.id}`,
      head_branch: run.headBranch,
      head_sha: run.headSha,
      path: `.github/workflows/${run.workflowFile}`,
      run_number: run.runNumber,
      run_attempt: run.attempt ?? 1,
      event: 'workflow_dispatch',
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      url: api,
      html_url: `https://github.com/${run.repo}/actions/runs/${run.id}`,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      workflow_url: `${baseUrl}/repos/${run.repo}/actions/workflows/${run.workflowId}`,
      pull_requests: [],
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      run_started_at: run.createdAt,
      actor: { login: actor, type: 'Bot' },
      triggering_actor: { login: actor, type: 'Bot' },
      head_commit: commit
        ? { id: commit.sha, message: commit.message, timestamp: commit.date, author: { name: commit.authorLogin, email: `${commit.authorLogin}@foxy.example` } }
        : null,
      repository: { id: state?.id ?? 0, name: run.repo.split('/')[1], full_name: run.repo },
    };
  };

  const jobJson = (run: FakeRun, job: FakeJob) => ({
    id: job.id,
    run_id: run.id,
    run_attempt: 1,
    node_id: `CR_${job.id}`,
    head_sha: run.headSha,
    head_branch: run.headBranch,
    workflow_name: run.workflowName,
    name: job.name,
    status: job.status,
    conclusion: job.conclusion,
    created_at: run.createdAt,
    started_at: job.startedAt ?? run.createdAt,
    completed_at: job.completedAt,
    url: `${baseUrl}/repos/${run.repo}/actions/jobs/${job.id}`,
    html_url: `https://github.com/${run.repo}/actions/runs/${run.id}/job/${job.id}`,
    run_url: `${baseUrl}/repos/${run.repo}/actions/runs/${run.id}`,
    labels: ['ubuntu-latest'],
    steps: job.steps.map((step) => ({
      name: step.name,
      number: step.number,
      status: step.status,
      conclusion: step.conclusion,
      started_at: step.startedAt,
      completed_at: step.completedAt,
    })),
  });

  // ---- run state -----------------------------------------------------------------------------

  /** Applies a status to something with start/complete timestamps, the way Actions fills them in. */
  const stamp = <T extends { status: RunStatus; conclusion: RunConclusion | null; startedAt: string | null; completedAt: string | null }>(
    target: T,
    status: RunStatus,
    conclusion: RunConclusion | null | undefined,
    at: string,
  ): T => {
    target.status = status;
    target.conclusion = status === 'completed' ? (conclusion ?? 'success') : null;
    if (status !== 'queued' && status !== 'waiting' && status !== 'requested' && status !== 'pending') target.startedAt ??= at;
    target.completedAt = status === 'completed' ? (target.completedAt ?? at) : null;
    return target;
  };

  const setRunState: FakeGitHub['setRunState'] = (runId, next) => {
    const run = runs.get(runId);
    if (!run) throw new Error(`fake GitHub: unknown run ${runId}`);
    const at = isoSeconds(now());
    run.status = next.status;
    run.conclusion = next.status === 'completed' ? (next.conclusion ?? 'success') : null;
    run.updatedAt = at;
    if (next.jobs) {
      run.jobs = next.jobs.map((spec) => {
        const existing = run.jobs.find((job) => job.name === spec.name);
        const job: FakeJob = existing ?? {
          id: nextJobId++,
          name: spec.name,
          status: 'queued',
          conclusion: null,
          startedAt: null,
          completedAt: null,
          steps: [],
        };
        stamp(job, spec.status ?? run.status, spec.conclusion === undefined ? run.conclusion : spec.conclusion, at);
        if (spec.steps) {
          job.steps = spec.steps.map((stepSpec, index) => {
            const old = job.steps.find((step) => step.name === stepSpec.name);
            const step = old ?? { name: stepSpec.name, number: index + 1, status: 'queued' as RunStatus, conclusion: null, startedAt: null, completedAt: null };
            step.number = index + 1;
            return stamp(step, stepSpec.status ?? job.status, stepSpec.conclusion === undefined ? job.conclusion : stepSpec.conclusion, at);
          });
        }
        return job;
      });
    } else {
      for (const job of run.jobs) stamp(job, run.status, run.conclusion, at);
    }
    notify(runListeners, run);
    return run;
  };

  // ---- HTTP ----------------------------------------------------------------------------------

  /** Parses GitHub's `created` filter: `>=x`, `>x`, `<=x`, `<x`, `a..b` or a date prefix. */
  const matchesCreated = (createdAt: string, filter: string): boolean => {
    const t = Date.parse(createdAt);
    const op = /^(>=|<=|>|<)(.+)$/.exec(filter);
    if (op) {
      const bound = Date.parse(op[2] ?? '');
      return op[1] === '>=' ? t >= bound : op[1] === '>' ? t > bound : op[1] === '<=' ? t <= bound : t < bound;
    }
    const range = /^(.+)\.\.(.+)$/.exec(filter);
    if (range) return t >= Date.parse(range[1] ?? '') && t <= Date.parse(range[2] ?? '');
    return createdAt.startsWith(filter);
  };

  const listRuns = (state: RepoState, query: URLSearchParams, workflow?: WorkflowState) => {
    let list = [...runs.values()].filter((run) => run.repo.toLowerCase() === state.fullName.toLowerCase());
    if (workflow) list = list.filter((run) => run.workflowId === workflow.id);
    const event = query.get('event');
    if (event && event !== 'workflow_dispatch') list = [];
    const headSha = query.get('head_sha');
    if (headSha) list = list.filter((run) => run.headSha === headSha);
    const branch = query.get('branch');
    if (branch) list = list.filter((run) => run.headBranch === branch);
    const status = query.get('status');
    if (status) list = list.filter((run) => run.status === status || run.conclusion === status);
    const created = query.get('created');
    if (created) list = list.filter((run) => matchesCreated(run.createdAt, created));
    list.sort((a, b) => b.id - a.id); // newest first, like GitHub
    const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    return { total_count: list.length, workflow_runs: list.slice((page - 1) * perPage, page * perPage).map(runJson) };
  };

  const dispatch = (state: RepoState, wf: WorkflowState, body: unknown): { status: number; json?: unknown } => {
    const payload = (body && typeof body === 'object' ? body : {}) as { ref?: unknown; inputs?: unknown; return_run_details?: unknown };
    if (typeof payload.ref !== 'string' || payload.ref === '') throw new GitHubError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
    const wantsDetails = 'return_run_details' in payload;
    if (wantsDetails && !fake.runDetails) throw new GitHubError(422, 'Invalid request.\n\n"return_run_details" is not a permitted key.');
    // Dispatch takes a branch or tag, never a bare SHA: GitHub answers exactly this for a SHA.
    const refName = payload.ref.replace(/^refs\/(heads|tags)\//, '');
    const headSha = state.branches.get(refName) ?? state.tags.get(refName);
    if (!headSha) throw new GitHubError(422, `No ref found for: ${payload.ref}`);
    const inputs = (payload.inputs && typeof payload.inputs === 'object' ? payload.inputs : {}) as DispatchInputs;
    if (wf.inputs) {
      const unexpected = Object.keys(inputs).filter((name) => !wf.inputs?.includes(name));
      if (unexpected.length > 0) throw new GitHubError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    }
    const createdAt = isoSeconds(now());
    const run: FakeRun = {
      id: nextRunId++,
      repo: state.fullName,
      workflowFile: wf.file,
      workflowId: wf.id,
      workflowName: wf.name,
      headBranch: refName,
      headSha,
      inputs,
      displayTitle: wf.runName(inputs),
      runNumber: [...runs.values()].filter((r) => r.workflowId === wf.id).length + 1,
      status: 'queued',
      conclusion: null,
      createdAt,
      updatedAt: createdAt,
      jobs: wf.jobs.map((name) => ({ id: nextJobId++, name, status: 'queued', conclusion: null, startedAt: null, completedAt: null, steps: [] })),
    };
    runs.set(run.id, run);
    const recorded: FakeDispatch = { repo: state.fullName, workflow: wf.file, ref: payload.ref, inputs, runId: run.id };
    dispatches.push(recorded);
    notify(dispatchListeners, run, recorded);
    if (wantsDetails && payload.return_run_details === true) {
      return {
        status: 200,
        json: {
          workflow_run_id: run.id,
          run_url: `${baseUrl}/repos/${run.repo}/actions/runs/${run.id}`,
          html_url: `https://github.com/${run.repo}/actions/runs/${run.id}`,
        },
      };
    }
    return { status: 204 };
  };

  const route = (req: IncomingMessage, url: URL, body: unknown): { status: number; json?: unknown } => {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    // The OIDC issuer's discovery document and key set, public as on GitHub.
    if (method === 'GET' && url.pathname === '/.well-known/jwks') return { status: 200, json: { keys: [issuerKey().jwk] } };
    if (method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return {
        status: 200,
        json: {
          issuer: baseUrl,
          jwks_uri: `${baseUrl}/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid'],
        },
      };
    }
    // GitHub App: an installation token for the app's JWT (not checked here; tests read it from installationTokens).
    if (method === 'POST' && parts[0] === 'app' && parts[1] === 'installations' && parts[3] === 'access_tokens' && parts.length === 4) {
      const installationId = Number(parts[2]);
      const token = `ghs_fake_${installationId}_${installationTokens.length + 1}`;
      installationTokens.push({ installationId, token, jwt: /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] });
      const expires = isoSeconds(new Date(Date.now() + 3_600_000));
      return { status: 201, json: { token, expires_at: expires, permissions: { actions: 'read', deployments: 'write' }, repository_selection: 'all' } };
    }
    if (parts[0] !== 'repos' || parts.length < 3) throw new GitHubError(404, 'Not Found');
    const state = repos.get(`${parts[1]}/${parts[2]}`.toLowerCase());
    if (!state) throw new GitHubError(404, 'Not Found');
    const rest = parts.slice(3);
    const [a, b, c, d] = rest;

    if (method === 'GET' && rest.length === 0) {
      return {
        status: 200,
        json: {
          id: state.id,
          name: parts[2],
          full_name: state.fullName,
          default_branch: state.defaultBranch,
          private: true,
          html_url: `https://github.com/${state.fullName}`,
        },
      };
    }
    if (method === 'GET' && a === 'commits' && rest.length === 3 && (c === 'check-runs' || c === 'status')) {
      const sha = resolveRef(state, b ?? '');
      if (!sha) throw new GitHubError(422, `No commit found for SHA: ${b}`);
      const key = `${state.fullName.toLowerCase()}@${sha}`;
      if (c === 'check-runs') {
        const list = (checkRuns.get(key) ?? []).map((run, i) => {
          const conclusion = run.status === 'completed' ? (run.conclusion ?? 'success') : null;
          const id = 4_000_001 + i;
          return {
            id,
            node_id: `CR_${id}`,
            head_sha: sha,
            external_id: '',
            name: run.name,
            status: run.status,
            conclusion,
            started_at: '2024-05-01T10:00:00Z',
            completed_at: conclusion ? '2024-05-01T10:05:00Z' : null,
            url: `${baseUrl}/repos/${state.fullName}/check-runs/${id}`,
            html_url: `https://github.com/${state.fullName}/runs/${id}`,
            details_url: `https://github.com/${state.fullName}/runs/${id}`,
            output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: '' },
            check_suite: { id: 5_000_001 },
            app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
            pull_requests: [],
          };
        });
        return { status: 200, json: { total_count: list.length, check_runs: list } };
      }
      const list = statuses.get(key) ?? [];
      const combined = list.some((s) => s.state === 'failure' || s.state === 'error')
        ? 'failure'
        : list.length === 0 || list.some((s) => s.state === 'pending')
          ? 'pending'
          : 'success';
      return {
        status: 200,
        json: {
          state: combined,
          sha,
          total_count: list.length,
          statuses: list.map((s, i) => ({
            id: 6_000_001 + i,
            node_id: `SC_${6_000_001 + i}`,
            state: s.state,
            context: s.context,
            description: null,
            target_url: null,
            created_at: '2024-05-01T10:00:00Z',
            updated_at: '2024-05-01T10:05:00Z',
          })),
          repository: { id: state.id, full_name: state.fullName },
          commit_url: `${baseUrl}/repos/${state.fullName}/commits/${sha}`,
          url: `${baseUrl}/repos/${state.fullName}/commits/${sha}/status`,
        },
      };
    }
    if (method === 'GET' && a === 'branches' && rest.length >= 2) {
      const branch = rest.slice(1).join('/');
      const sha = state.branches.get(branch);
      if (!sha) throw new GitHubError(404, 'Branch not found');
      const contexts = protections.get(`${state.fullName.toLowerCase()}#${branch}`) ?? [];
      return {
        status: 200,
        json: {
          name: branch,
          commit: { sha, url: `${baseUrl}/repos/${state.fullName}/commits/${sha}` },
          protected: contexts.length > 0,
          protection:
            contexts.length > 0
              ? {
                  enabled: true,
                  required_status_checks: { enforcement_level: 'everyone', contexts, checks: contexts.map((context) => ({ context, app_id: null })) },
                }
              : { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
          protection_url: `${baseUrl}/repos/${state.fullName}/branches/${branch}/protection`,
        },
      };
    }
    if (method === 'GET' && a === 'commits' && rest.length >= 2) {
      // Branch names may contain slashes; Octokit percent-encodes them, but tolerate raw ones too.
      const ref = rest.slice(1).join('/');
      const sha = resolveRef(state, ref);
      const commit = sha ? state.commits.get(sha) : undefined;
      if (!commit) throw new GitHubError(422, `No commit found for SHA: ${ref}`);
      return { status: 200, json: commitJson(state, commit) };
    }
    if (method === 'GET' && a === 'compare' && rest.length >= 2) {
      const [baseRef, headRef] = rest.slice(1).join('/').split('...');
      const baseSha = baseRef ? resolveRef(state, baseRef) : undefined;
      const headSha = headRef ? resolveRef(state, headRef) : undefined;
      if (!baseSha || !headSha) throw new GitHubError(404, 'Not Found');
      const headHistory = history(state, headSha);
      const baseHistory = history(state, baseSha);
      const mergeBase = headHistory.find((sha) => baseHistory.includes(sha));
      const ahead = headHistory.slice(0, mergeBase ? headHistory.indexOf(mergeBase) : headHistory.length);
      const behind = baseHistory.slice(0, mergeBase ? baseHistory.indexOf(mergeBase) : baseHistory.length);
      const status = ahead.length === 0 && behind.length === 0 ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
      const base = state.commits.get(baseSha);
      const merge = mergeBase ? state.commits.get(mergeBase) : undefined;
      return {
        status: 200,
        json: {
          url: `${baseUrl}${url.pathname}`,
          html_url: `https://github.com/${state.fullName}/compare/${baseRef}...${headRef}`,
          status,
          ahead_by: ahead.length,
          behind_by: behind.length,
          total_commits: ahead.length,
          base_commit: base ? commitJson(state, base) : null,
          merge_base_commit: merge ? commitJson(state, merge) : null,
          commits: [...ahead].reverse().map((sha) => commitJson(state, state.commits.get(sha) as FakeCommit)),
          files: [...new Set(ahead.flatMap((sha) => Object.keys(state.commits.get(sha)?.files ?? {})))]
            .sort()
            .map((filename) => ({ filename, status: 'modified', additions: 1, deletions: 0, changes: 1 })),
        },
      };
    }
    if (method === 'GET' && a === 'contents' && rest.length >= 2) {
      const path = rest.slice(1).join('/');
      const ref = url.searchParams.get('ref') ?? state.defaultBranch;
      const sha = resolveRef(state, ref);
      if (!sha) throw new GitHubError(404, `No commit found for the ref ${ref}`);
      const content = fileAt(state, sha, path);
      if (content === undefined) throw new GitHubError(404, 'Not Found');
      return {
        status: 200,
        json: {
          type: 'file',
          encoding: 'base64',
          size: Buffer.byteLength(content),
          name: path.split('/').pop(),
          path,
          sha: blobSha(content),
          content: Buffer.from(content).toString('base64'),
          html_url: `https://github.com/${state.fullName}/blob/${ref}/${path}`,
        },
      };
    }
    if (a === 'actions' && b === 'workflows' && c !== undefined) {
      const wf = state.workflows.get(c) ?? [...state.workflows.values()].find((w) => String(w.id) === c);
      if (!wf) throw new GitHubError(404, 'Not Found');
      if (method === 'GET' && rest.length === 3) return { status: 200, json: workflowJson(state, wf) };
      if (method === 'POST' && d === 'dispatches' && rest.length === 4) return dispatch(state, wf, body);
      if (method === 'GET' && d === 'runs' && rest.length === 4) return { status: 200, json: listRuns(state, url.searchParams, wf) };
    }
    if (method === 'POST' && a === 'actions' && b === 'runs' && d === 'deployment_protection_rule' && rest.length === 4) {
      const run = runs.get(Number(c));
      if (!run || run.repo.toLowerCase() !== state.fullName.toLowerCase()) throw new GitHubError(404, 'Not Found');
      const answer = (body ?? {}) as FakeProtectionAnswer['body'];
      if (answer.state !== 'approved' && answer.state !== 'rejected') throw new GitHubError(422, 'state must be approved or rejected');
      if (!answer.environment_name) throw new GitHubError(422, 'environment_name is missing');
      protectionAnswers.push({ repo: state.fullName, runId: run.id, body: answer, authorization: req.headers.authorization });
      return { status: 204 };
    }
    // Cancel: the run ends `cancelled` at once (jobs too) and the fake sends no webhook; tests deliver it. A completed run: 409.
    if (method === 'POST' && a === 'actions' && b === 'runs' && (d === 'cancel' || d === 'force-cancel') && rest.length === 4) {
      const run = runs.get(Number(c));
      if (!run || run.repo.toLowerCase() !== state.fullName.toLowerCase()) throw new GitHubError(404, 'Not Found');
      if (run.status === 'completed') throw new GitHubError(409, 'Cannot cancel a workflow run that is completed.');
      setRunState(run.id, { status: 'completed', conclusion: 'cancelled' });
      return { status: 202, json: {} };
    }
    if (method === 'GET' && a === 'actions' && b === 'runs') {
      if (rest.length === 2) return { status: 200, json: listRuns(state, url.searchParams) };
      const run = runs.get(Number(c));
      if (!run || run.repo.toLowerCase() !== state.fullName.toLowerCase()) throw new GitHubError(404, 'Not Found');
      if (rest.length === 3) return { status: 200, json: runJson(run) };
      if (rest.length === 4 && d === 'jobs') return { status: 200, json: { total_count: run.jobs.length, jobs: run.jobs.map((job) => jobJson(run, job)) } };
    }
    throw new GitHubError(404, 'Not Found');
  };

  const takeFailure = (method: string, path: string): GitHubFailure | undefined => takeQueuedFailure(failures, method, path);

  const sendError = (res: ServerResponse, headers: Record<string, string>, status: number, message: string, extra: Record<string, string> = {}): void => {
    sendJson(res, status, { message, documentation_url: DOCS, status: String(status) }, { ...headers, ...extra });
  };

  const server = await startLoopbackServer('github', (req, res, raw) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname + url.search;
    const body = parseJsonBody(raw);
    const authorization = req.headers.authorization;
    requests.push({ method, path, body, authorization, at: new Date() });
    requestCount += 1;
    // Headers every GitHub answer carries; plugin-throttling reads the x-ratelimit-* ones on 403/429.
    const headers: Record<string, string> = {
      'x-github-request-id': `FAKE:${requestCount.toString(16).toUpperCase().padStart(6, '0')}`,
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(1, 5000 - requestCount)),
      'x-ratelimit-used': String(requestCount),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
    };

    const failure = takeFailure(method, path);
    if (failure && failure.hangMs === undefined)
      return sendError(res, headers, failure.status, failure.message ?? REASONS[failure.status] ?? 'Error', failure.headers);
    // The held answer's timer is unref'd: a test that is done with the fake must not wait for it to fire.
    const answer = failure?.hangMs
      ? (send: () => void) => void setTimeout(() => !res.destroyed && send(), failure.hangMs).unref()
      : (send: () => void) => send();
    if (requiredToken !== undefined) {
      const match = /^(?:token|bearer)\s+(.+)$/i.exec(authorization ?? '');
      const issued = installationTokens.some((t) => t.token === match?.[1]);
      const tokenRequest = /^\/app\/installations\/\d+\/access_tokens$/.test(url.pathname);
      const publicKeys = url.pathname.startsWith('/.well-known/');
      if (match?.[1] !== requiredToken && !issued && !tokenRequest && !publicKeys) return sendError(res, headers, 401, 'Bad credentials');
    }
    try {
      const result = route(req, url, body);
      answer(() => (result.json === undefined ? sendEmpty(res, result.status, headers) : sendJson(res, result.status, result.json, headers)));
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      answer(() => sendError(res, headers, error.status, error.message, error.headers));
    }
  });
  baseUrl = server.url;

  const fake: FakeGitHub = {
    url: server.url,
    requests,
    dispatches,
    runs,
    protectionAnswers,
    installationTokens,
    runDetails: options.runDetails ?? true,
    get oidcIssuer() {
      return baseUrl;
    },
    get oidcJwksUrl() {
      return `${baseUrl}/.well-known/jwks`;
    },
    idTokens,
    async mintIdToken(runId, tokenOptions = {}) {
      const run = runs.get(runId);
      if (!run) throw new Error(`fake GitHub: unknown run ${runId}`);
      const state = repoOrThrow(run.repo);
      const [owner] = run.repo.split('/');
      // A dispatch names a branch or a tag; the run's ref says which.
      const ref = state.tags.has(run.headBranch) && !state.branches.has(run.headBranch) ? `refs/tags/${run.headBranch}` : `refs/heads/${run.headBranch}`;
      const environment = tokenOptions.environment ?? (typeof run.inputs.environment === 'string' ? run.inputs.environment : '');
      const login = tokenOptions.actor ?? actor;
      const workflowRef = `${run.repo}/.github/workflows/${run.workflowFile}@${ref}`;
      const claims: Record<string, unknown> = {
        jti: randomUUID(),
        sub: environment ? `repo:${run.repo}:environment:${environment}` : `repo:${run.repo}:ref:${ref}`,
        ...(environment ? { environment } : {}),
        ref,
        sha: run.headSha,
        repository: run.repo,
        repository_owner: owner,
        repository_owner_id: String(90_000 + state.id),
        repository_id: String(state.id),
        repository_visibility: 'private',
        run_id: String(run.id),
        run_number: String(run.runNumber),
        run_attempt: String(run.attempt ?? 1),
        actor: login,
        actor_id: String(1000 + Math.max(0, AUTHORS.indexOf(login))),
        workflow: run.workflowName,
        head_ref: '',
        base_ref: '',
        event_name: 'workflow_dispatch',
        ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        workflow_ref: workflowRef,
        workflow_sha: run.headSha,
        job_workflow_ref: workflowRef,
        job_workflow_sha: run.headSha,
        runner_environment: 'github-hosted',
      };
      const iat = Math.floor(now().getTime() / 1000);
      const key = issuerKey();
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: String(key.jwk.kid) })
        .setIssuer(baseUrl)
        .setAudience(tokenOptions.audience ?? 'foxops')
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + (tokenOptions.ttlSeconds ?? 300))
        .sign(key.privateKey);
      idTokens.push({
        runId,
        claims: { ...claims, iss: baseUrl, aud: tokenOptions.audience ?? 'foxops', iat, nbf: iat, exp: iat + (tokenOptions.ttlSeconds ?? 300) },
      });
      return token;
    },
    addRepo(repo, repoOptions = {}) {
      if (!/^[^/]+\/[^/]+$/.test(repo)) throw new Error(`fake GitHub: repo must be owner/name, got ${repo}`);
      const defaultBranch = repoOptions.defaultBranch ?? 'main';
      const state: RepoState = {
        id: repos.size + 1,
        fullName: repo,
        defaultBranch,
        branches: new Map(),
        tags: new Map(),
        commits: new Map(),
        counters: new Map(),
        workflows: new Map(),
      };
      repos.set(repo.toLowerCase(), state);
      commitOn(state, defaultBranch, repoOptions.initialCommit ?? 'Initial commit');
      for (const workflow of repoOptions.workflows ?? []) addWorkflow(repo, workflow);
    },
    addWorkflow,
    pushCommits(repo, branch, commits) {
      const state = repoOrThrow(repo);
      if (!state.branches.has(branch)) {
        // A new branch starts at the default branch's head, like `git switch -c`.
        const head = state.branches.get(state.defaultBranch);
        if (head) state.branches.set(branch, head);
      }
      const specs: FakeCommitSpec[] =
        typeof commits === 'number' ? Array.from({ length: commits }, (_, i) => `Change ${(state.counters.get(branch) ?? 0) + i} on ${branch}`) : commits;
      return specs.map((spec) => commitOn(state, branch, spec));
    },
    tag(repo, name, ref) {
      const state = repoOrThrow(repo);
      const sha = resolveRef(state, ref);
      if (!sha) throw new Error(`fake GitHub: cannot tag unknown ref ${ref} in ${repo}`);
      state.tags.set(name, sha);
      return sha;
    },
    resolve: (repo, ref) => resolveRef(repoOrThrow(repo), ref),
    headOf(repo, branch) {
      const sha = repoOrThrow(repo).branches.get(branch);
      if (!sha) throw new Error(`fake GitHub: unknown branch ${branch} in ${repo}`);
      return sha;
    },
    setRunState,
    setCheckRuns(repo, sha, list) {
      const key = `${repoOrThrow(repo).fullName.toLowerCase()}@${sha}`;
      const names = new Set(list.map((r) => r.name));
      checkRuns.set(key, [...(checkRuns.get(key) ?? []).filter((r) => !names.has(r.name)), ...list]);
    },
    checkRunsOf: (repo, sha) => [...(checkRuns.get(`${repoOrThrow(repo).fullName.toLowerCase()}@${sha}`) ?? [])],
    setStatuses(repo, sha, list) {
      const key = `${repoOrThrow(repo).fullName.toLowerCase()}@${sha}`;
      const contexts = new Set(list.map((s) => s.context));
      statuses.set(key, [...(statuses.get(key) ?? []).filter((s) => !contexts.has(s.context)), ...list]);
    },
    protectBranch(repo, branch, contexts) {
      protections.set(`${repoOrThrow(repo).fullName.toLowerCase()}#${branch}`, [...contexts]);
    },
    deleteRun: (runId) => void runs.delete(runId),
    waitForDispatch: (predicate = () => true, timeoutMs = 2000) => pollUntil(() => dispatches.find(predicate), timeoutMs, 'a GitHub workflow dispatch'),
    requireToken: (token) => void (requiredToken = token),
    failNext: (failure) => void failures.push({ ...failure, times: failure.times ?? 1 }),
    onDispatch(listener) {
      dispatchListeners.add(listener);
      return () => void dispatchListeners.delete(listener);
    },
    onRunChange(listener) {
      runListeners.add(listener);
      return () => void runListeners.delete(listener);
    },
    repoInfo(repo) {
      const state = repos.get(repo.toLowerCase());
      return state ? { id: state.id, fullName: state.fullName, defaultBranch: state.defaultBranch } : undefined;
    },
    commit: (repo, sha) => repos.get(repo.toLowerCase())?.commits.get(sha),
    snapshot(): GitHubSnapshot {
      return {
        version: 1,
        repos: [...repos.values()].map((r) => ({
          fullName: r.fullName,
          branches: [...r.branches],
          tags: [...r.tags],
          commits: [...r.commits.values()],
          counters: [...r.counters],
        })),
        runs: [...runs.values()],
        dispatches: [...dispatches],
        checkRuns: [...checkRuns],
        statuses: [...statuses],
        protections: [...protections],
        nextRunId,
        nextJobId,
        commitCount,
      };
    },
    restore(snapshot) {
      const snap = snapshot as Partial<GitHubSnapshot> | null;
      if (snap?.version !== 1 || !Array.isArray(snap.repos) || !Array.isArray(snap.runs)) throw new Error('fake GitHub: not a snapshot of version 1');
      for (const saved of snap.repos) {
        const state = repoOrThrow(saved.fullName);
        state.branches = new Map(saved.branches);
        state.tags = new Map(saved.tags);
        state.commits = new Map(saved.commits.map((c) => [c.sha, c]));
        state.counters = new Map(saved.counters);
      }
      runs.clear();
      for (const run of snap.runs) runs.set(run.id, run);
      dispatches.splice(0, dispatches.length, ...(snap.dispatches ?? []));
      for (const [map, entries] of [
        [checkRuns, snap.checkRuns],
        [statuses, snap.statuses],
        [protections, snap.protections],
      ] as const) {
        (map as Map<string, unknown>).clear();
        for (const [key, value] of entries ?? []) (map as Map<string, unknown>).set(key, value);
      }
      nextRunId = snap.nextRunId ?? FIRST_RUN_ID;
      nextJobId = snap.nextJobId ?? FIRST_JOB_ID;
      commitCount = snap.commitCount ?? 0;
    },
    reset() {
      requests.length = 0;
      dispatches.length = 0;
      protectionAnswers.length = 0;
      installationTokens.length = 0;
      idTokens.length = 0;
      failures.length = 0;
      runs.clear();
      checkRuns.clear();
      statuses.clear();
      protections.clear();
      repos.clear();
      requiredToken = undefined;
      nextRunId = FIRST_RUN_ID;
      nextJobId = FIRST_JOB_ID;
      commitCount = 0;
      fake.runDetails = options.runDetails ?? true;
    },
    close: () => server.close(),
  };
  return fake;
}
