/**
 * GitHub webhook payloads built from the GitHub simulator's state: `workflow_run`, `workflow_job` and
 * `deployment_protection_rule`, in GitHub's own shape. The oracle is the real payloads in test/fixtures/github
 * (from @octokit/webhooks-examples): the unit test (test/unit/sandbox-github-webhooks.test.ts) checks that these have
 * the same keys as those, and that foxops' own parsers read them. Nothing here reads test/ at runtime.
 *
 * URLs point at `api.github.com` and `github.com` as in real deliveries (foxops reads runs by id through its own
 * base URL, never through a payload's URL), unless {@link WebhookOptions.apiUrl} says otherwise.
 */
import type { FakeCommit, FakeJob, FakeRun, RunConclusion, RunStatus } from './github.js';

/** What the simulator's run does not carry itself. All optional: defaults are stable made-up values. */
export interface WebhookOptions {
  /** API base of the payload's URLs; default `https://api.github.com`. */
  apiUrl?: string;
  /** Web base; default `https://github.com`. */
  htmlUrl?: string;
  /** The repository's id and default branch (the simulator's `repoInfo`); default id 1, branch `main`. */
  repository?: { id: number; defaultBranch: string };
  /** The run's head commit (the simulator's `commit(repo, sha)`); without it `head_commit` says only the SHA. */
  commit?: FakeCommit;
  /** The GitHub App installation the delivery is for; when given, the payload carries `installation` as app deliveries do. */
  installationId?: number;
  /** Login of the run's actor and of the delivery's sender; default `foxops[bot]`. */
  actor?: string;
}

const DEFAULT_API = 'https://api.github.com';
const DEFAULT_HTML = 'https://github.com';
/** Webhook step times carry milliseconds (`…:11.000Z`), unlike the API's run and job times. */
const stepTime = (time: string | null): string | null => (time ? new Date(time).toISOString() : null);
const nodeId = (prefix: string, id: number | string): string => Buffer.from(`${prefix}${id}`).toString('base64');
/** A stable number from a name, for ids GitHub would have (users, organisations). */
const idOf = (name: string): number => {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 90_000_000;
  return 10_000_000 + h;
};

function base(options: WebhookOptions) {
  return { api: (options.apiUrl ?? DEFAULT_API).replace(/\/$/, ''), html: (options.htmlUrl ?? DEFAULT_HTML).replace(/\/$/, '') };
}

/** A user or organisation as an account object (`sender`, `actor`, `owner`). */
function account(login: string, type: 'User' | 'Organization' | 'Bot', options: WebhookOptions) {
  const { api, html } = base(options);
  const id = idOf(login);
  const u = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId('04:User', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: `${html}/${login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type,
    site_admin: false,
  };
}

/** The repository as `workflow_run.repository` and `head_repository` carry it (no counts, no dates). */
function shortRepository(fullName: string, options: WebhookOptions) {
  const { api, html } = base(options);
  const [owner = 'owner', name = 'repo'] = fullName.split('/');
  const id = options.repository?.id ?? 1;
  const r = `${api}/repos/${fullName}`;
  return {
    id,
    node_id: nodeId('010:Repository', id),
    name,
    full_name: fullName,
    private: true,
    owner: account(owner, 'Organization', options),
    html_url: `${html}/${fullName}`,
    description: null,
    fork: false,
    url: r,
    forks_url: `${r}/forks`,
    keys_url: `${r}/keys{/key_id}`,
    collaborators_url: `${r}/collaborators{/collaborator}`,
    teams_url: `${r}/teams`,
    hooks_url: `${r}/hooks`,
    issue_events_url: `${r}/issues/events{/number}`,
    events_url: `${r}/events`,
    assignees_url: `${r}/assignees{/user}`,
    branches_url: `${r}/branches{/branch}`,
    tags_url: `${r}/tags`,
    blobs_url: `${r}/git/blobs{/sha}`,
    git_tags_url: `${r}/git/tags{/sha}`,
    git_refs_url: `${r}/git/refs{/sha}`,
    trees_url: `${r}/git/trees{/sha}`,
    statuses_url: `${r}/statuses/{sha}`,
    languages_url: `${r}/languages`,
    stargazers_url: `${r}/stargazers`,
    contributors_url: `${r}/contributors`,
    subscribers_url: `${r}/subscribers`,
    subscription_url: `${r}/subscription`,
    commits_url: `${r}/commits{/sha}`,
    git_commits_url: `${r}/git/commits{/sha}`,
    comments_url: `${r}/comments{/number}`,
    issue_comment_url: `${r}/issues/comments{/number}`,
    contents_url: `${r}/contents/{+path}`,
    compare_url: `${r}/compare/{base}...{head}`,
    merges_url: `${r}/merges`,
    archive_url: `${r}/{archive_format}{/ref}`,
    downloads_url: `${r}/downloads`,
    issues_url: `${r}/issues{/number}`,
    pulls_url: `${r}/pulls{/number}`,
    milestones_url: `${r}/milestones{/number}`,
    notifications_url: `${r}/notifications{?since,all,participating}`,
    labels_url: `${r}/labels{/name}`,
    releases_url: `${r}/releases{/id}`,
    deployments_url: `${r}/deployments`,
  };
}

/** The repository as the top-level `repository` of a delivery carries it. */
function repository(fullName: string, options: WebhookOptions) {
  const { html } = base(options);
  const host = new URL(html).host;
  return {
    ...shortRepository(fullName, options),
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-05-01T10:00:00Z',
    pushed_at: '2024-05-01T10:00:00Z',
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${html}/${fullName}.git`,
    svn_url: `${html}/${fullName}`,
    homepage: null,
    size: 1024,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'TypeScript',
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: 'private',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: options.repository?.defaultBranch ?? 'main',
    custom_properties: {},
  };
}

function organization(fullName: string, options: WebhookOptions) {
  const { api } = base(options);
  const login = fullName.split('/')[0] ?? 'owner';
  const id = idOf(login);
  const o = `${api}/orgs/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId('012:Organization', id),
    url: o,
    repos_url: `${o}/repos`,
    events_url: `${o}/events`,
    hooks_url: `${o}/hooks`,
    issues_url: `${o}/issues`,
    members_url: `${o}/members{/member}`,
    public_members_url: `${o}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    description: '',
  };
}

/** `organization`, `sender` and (for an app's delivery) `installation`: what every delivery carries around its object. */
function envelope(fullName: string, options: WebhookOptions) {
  return {
    repository: repository(fullName, options),
    organization: organization(fullName, options),
    sender: account(options.actor ?? 'foxops[bot]', 'Bot', options),
    ...(options.installationId !== undefined
      ? { installation: { id: options.installationId, node_id: nodeId('023:IntegrationInstallation', options.installationId) } }
      : {}),
  };
}

/** What a run or job says in a delivery of `action`: the action decides the status, the simulator the conclusion. */
function statusFor(action: string, conclusion: RunConclusion | null): { status: RunStatus; conclusion: RunConclusion | null } {
  if (action === 'completed') return { status: 'completed', conclusion: conclusion ?? 'success' };
  return { status: action === 'requested' ? 'queued' : (action as RunStatus), conclusion: null };
}

/** The `workflow_run` object of a delivery. */
function workflowRunObject(run: FakeRun, action: string, options: WebhookOptions) {
  const { api, html } = base(options);
  const r = `${api}/repos/${run.repo}`;
  const u = `${r}/actions/runs/${run.id}`;
  const actor = account(options.actor ?? 'foxops[bot]', 'Bot', options);
  const commit = options.commit;
  const person = commit
    ? { name: commit.authorLogin, email: `${commit.authorLogin}@users.noreply.github.com` }
    : { name: 'unknown', email: 'unknown@users.noreply.github.com' };
  const checkSuiteId = 5_000_000_000 + run.id;
  const attempt = run.attempt ?? 1;
  return {
    id: run.id,
    name: run.workflowName,
    node_id: nodeId('011:WorkflowRun', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: `.github/workflows/${run.workflowFile}`,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: 'workflow_dispatch',
    ...statusFor(action, run.conclusion),
    workflow_id: run.workflowId,
    check_suite_id: checkSuiteId,
    check_suite_node_id: nodeId('010:CheckSuite', checkSuiteId),
    url: u,
    html_url: `${html}/${run.repo}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    actor,
    triggering_actor: actor,
    run_attempt: attempt,
    run_started_at: run.createdAt,
    jobs_url: `${u}/jobs`,
    logs_url: `${u}/logs`,
    check_suite_url: `${r}/check-suites/${checkSuiteId}`,
    artifacts_url: `${u}/artifacts`,
    cancel_url: `${u}/cancel`,
    rerun_url: `${u}/rerun`,
    previous_attempt_url: attempt > 1 ? `${u}/attempts/${attempt - 1}` : null,
    workflow_url: `${r}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: run.headSha.split('').reverse().join(''),
      message: commit?.message ?? '',
      timestamp: commit?.date ?? run.createdAt,
      author: person,
      committer: { name: 'GitHub', email: 'noreply@github.com' },
    },
    repository: shortRepository(run.repo, options),
    head_repository: shortRepository(run.repo, options),
  };
}

/**
 * A `workflow_run` delivery for `run` as it is in the simulator: `requested` says `queued`, `in_progress` says
 * `in_progress`, `completed` carries the run's conclusion (default `success`).
 */
export function workflowRunPayload(run: FakeRun, action: 'requested' | 'in_progress' | 'completed', options: WebhookOptions = {}): Record<string, unknown> {
  const { api, html } = base(options);
  return {
    action,
    workflow_run: workflowRunObject(run, action, options),
    workflow: {
      id: run.workflowId,
      node_id: nodeId('08:Workflow', run.workflowId),
      name: run.workflowName,
      path: `.github/workflows/${run.workflowFile}`,
      state: 'active',
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: '2024-01-01T00:00:00.000Z',
      url: `${api}/repos/${run.repo}/actions/workflows/${run.workflowId}`,
      html_url: `${html}/${run.repo}/blob/${options.repository?.defaultBranch ?? 'main'}/.github/workflows/${run.workflowFile}`,
      badge_url: `${html}/${run.repo}/workflows/${encodeURIComponent(run.workflowName)}/badge.svg`,
    },
    ...envelope(run.repo, options),
  };
}

/**
 * A `workflow_job` delivery for `job` of `run`: the action decides the status (`waiting` for a job held by a
 * deployment protection rule), the job its conclusion and steps. Runner fields are filled once the job started.
 */
export function workflowJobPayload(
  run: FakeRun,
  job: FakeJob,
  action: 'queued' | 'waiting' | 'in_progress' | 'completed',
  options: WebhookOptions = {},
): Record<string, unknown> {
  const { api, html } = base(options);
  const started = action === 'in_progress' || (action === 'completed' && job.startedAt !== null && job.conclusion !== 'skipped');
  const { status, conclusion } = statusFor(action, job.conclusion);
  return {
    action,
    workflow_job: {
      id: job.id,
      run_id: run.id,
      workflow_name: run.workflowName,
      head_branch: run.headBranch,
      run_url: `${api}/repos/${run.repo}/actions/runs/${run.id}`,
      run_attempt: run.attempt ?? 1,
      node_id: nodeId('CR_', job.id),
      head_sha: run.headSha,
      url: `${api}/repos/${run.repo}/actions/jobs/${job.id}`,
      html_url: `${html}/${run.repo}/actions/runs/${run.id}/job/${job.id}`,
      status,
      conclusion,
      created_at: run.createdAt,
      started_at: job.startedAt ?? run.createdAt,
      completed_at: action === 'completed' ? (job.completedAt ?? run.updatedAt) : null,
      name: job.name,
      steps: job.steps.map((step) => ({
        name: step.name,
        status: step.status,
        conclusion: step.conclusion,
        number: step.number,
        started_at: stepTime(step.startedAt),
        completed_at: stepTime(step.completedAt),
      })),
      check_run_url: `${api}/repos/${run.repo}/check-runs/${job.id}`,
      labels: ['ubuntu-latest'],
      runner_id: started ? 1 + (job.id % 20) : null,
      runner_name: started ? `GitHub Actions ${1 + (job.id % 20)}` : null,
      runner_group_id: started ? 2 : null,
      runner_group_name: started ? 'GitHub Actions' : null,
    },
    ...envelope(run.repo, options),
  };
}

/**
 * A `deployment_protection_rule` `requested` delivery: `run` waits to deploy to `environment` until the app answers at
 * `deployment_callback_url` (`…/actions/runs/{id}/deployment_protection_rule`, which foxops calls on its own base URL).
 * The app's deliveries always name the installation (default id 1).
 */
export function deploymentProtectionRulePayload(
  run: FakeRun,
  environment: string,
  options: WebhookOptions & { deploymentId?: number } = {},
): Record<string, unknown> {
  const { api } = base(options);
  const r = `${api}/repos/${run.repo}`;
  const deploymentId = options.deploymentId ?? 100_000_000 + run.id;
  return {
    action: 'requested',
    environment,
    event: 'workflow_dispatch',
    deployment_callback_url: `${r}/actions/runs/${run.id}/deployment_protection_rule`,
    deployment: {
      url: `${r}/deployments/${deploymentId}`,
      id: deploymentId,
      node_id: nodeId('010:Deployment', deploymentId),
      task: 'deploy',
      original_environment: environment,
      environment,
      description: null,
      created_at: run.updatedAt,
      updated_at: run.updatedAt,
      statuses_url: `${r}/deployments/${deploymentId}/statuses`,
      repository_url: r,
      creator: account(options.actor ?? 'foxops[bot]', 'Bot', options),
      sha: run.headSha,
      ref: run.headBranch,
      payload: {},
      transient_environment: false,
      production_environment: environment === 'production',
      performed_via_github_app: null,
    },
    pull_requests: [],
    ...envelope(run.repo, { ...options, installationId: options.installationId ?? 1 }),
  };
}
