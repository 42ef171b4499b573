/**
 * The GitHub fake driven by the real Octokit with the retry and throttling plugins foxops uses.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { startFakeGitHub, type FakeGitHub } from '../fakes/index.js';

const REPO = 'foxy-org/foxy-backend';
const owner = 'foxy-org';
const repo = 'foxy-backend';
const TOKEN = 'ghp_fake_token';
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let clientCount = 0;

/** Status and message of a rejected Octokit call (a RequestError). */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string; requestId: string | undefined }> {
  try {
    await call;
  } catch (error) {
    const e = error as { status: number; response?: { data?: { message?: string }; headers?: Record<string, string> } };
    return { status: e.status, message: e.response?.data?.message ?? '', requestId: e.response?.headers?.['x-github-request-id'] };
  }
  throw new Error('expected the GitHub call to fail');
}

describe('fake GitHub with the real Octokit (+ retry, throttling)', () => {
  let fake: FakeGitHub;
  const secondaryLimits: number[] = [];

  /**
   * A fresh client per use: plugin-throttling spaces writes 1 s apart per throttle id, so a unique id keeps
   * dispatch tests fast; retryAfterBaseValue 10 turns "retry after 1 s" into 10 ms.
   */
  const octokit = (auth = TOKEN) =>
    new (Octokit.plugin(retry, throttling))({
      auth,
      baseUrl: fake.url,
      log: silent,
      retry: { retryAfterBaseValue: 10 },
      throttle: {
        id: `fakes-github-${++clientCount}`,
        retryAfterBaseValue: 10,
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
          secondaryLimits.push(retryAfter);
          return retryCount < 1;
        },
      },
    });

  beforeAll(async () => {
    fake = await startFakeGitHub();
  });
  beforeEach(() => {
    fake.reset();
    secondaryLimits.length = 0;
    fake.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  });
  afterAll(() => fake.close());

  describe('commits and compare', () => {
    it('resolves a branch, a full SHA and an abbreviated SHA to the same commit', async () => {
      // Prepare
      const [, head] = fake.pushCommits(REPO, 'main', ['feat: add approvals', { message: 'fix: card colour', author: 'dave' }]);
      const gh = octokit();

      // Act
      const byBranch = await gh.rest.repos.getCommit({ owner, repo, ref: 'main' });
      const bySha = await gh.rest.repos.getCommit({ owner, repo, ref: head as string });
      const byShort = await gh.rest.repos.getCommit({ owner, repo, ref: (head as string).slice(0, 7) });

      // Assess
      expect(head).toMatch(/^[0-9a-f]{40}$/);
      expect(fake.headOf(REPO, 'main')).toBe(head);
      for (const res of [byBranch, bySha, byShort]) {
        expect(res.status).toBe(200);
        expect(res.data).toMatchObject({
          sha: head,
          html_url: `https://github.com/${REPO}/commit/${head}`,
          commit: { message: 'fix: card colour', author: { name: 'Dave' } },
          author: { login: 'dave' },
        });
      }
      expect(byBranch.headers['x-github-request-id']).toMatch(/^FAKE:/);
    });

    it('answers 422 "No commit found for SHA" for an unknown ref', async () => {
      // Act
      const error = await failure(octokit().rest.repos.getCommit({ owner, repo, ref: 'no-such-branch' }));

      // Assess
      expect(error).toMatchObject({ status: 422, message: 'No commit found for SHA: no-such-branch' });
      expect(error.requestId).toMatch(/^FAKE:/);
    });

    it('compares base...head with commits oldest first, and 404s on unknown refs', async () => {
      // Prepare
      const base = fake.headOf(REPO, 'main');
      const pushed = fake.pushCommits(REPO, 'main', 3);
      const gh = octokit();

      // Act
      const ahead = await gh.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base.slice(0, 7)}...main` });
      const behind = await gh.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `main...${base}` });
      const unknown = await failure(gh.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: 'main...nope' }));

      // Assess
      expect(ahead.data).toMatchObject({ status: 'ahead', ahead_by: 3, behind_by: 0, total_commits: 3 });
      expect(ahead.data.commits.map((c) => c.sha)).toEqual(pushed);
      expect(ahead.data.html_url).toBe(`https://github.com/${REPO}/compare/${base.slice(0, 7)}...main`);
      expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 3 });
      expect(unknown.status).toBe(404);
    });

    it('reports diverged branches from their merge base', async () => {
      // Prepare
      fake.pushCommits(REPO, 'hotfix/1.2', ['fix: hot']);
      fake.pushCommits(REPO, 'main', ['feat: a', 'feat: b']);

      // Act
      const res = await octokit().rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: 'main...hotfix/1.2' });

      // Assess
      expect(res.data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2 });
      expect(res.data.commits.map((c) => c.commit.message)).toEqual(['fix: hot']);
    });
  });

  describe('workflows and dispatch', () => {
    it('gets a workflow by file name, and 404s an unknown one', async () => {
      // Prepare
      const gh = octokit();

      // Act
      const found = await gh.rest.actions.getWorkflow({ owner, repo, workflow_id: 'deploy.yml' });
      const missing = await failure(gh.rest.actions.getWorkflow({ owner, repo, workflow_id: 'nope.yml' }));

      // Assess
      expect(found.data).toMatchObject({ name: 'deploy', path: '.github/workflows/deploy.yml', state: 'active' });
      expect(missing).toMatchObject({ status: 404, message: 'Not Found' });
    });

    it('returns run details (200) when asked, and the run is queued on the branch head', async () => {
      // Prepare
      const [head] = fake.pushCommits(REPO, 'main', 1);
      const inputs = { environment: 'prod', deploy_id: 'dep-42' };

      // Act
      const res = await octokit().rest.actions.createWorkflowDispatch({
        owner,
        repo,
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs,
        return_run_details: true,
      });

      // Assess
      expect(res.status).toBe(200);
      const details = res.data as { workflow_run_id: number; run_url: string; html_url: string };
      expect(details).toEqual({
        workflow_run_id: 9000001,
        run_url: `${fake.url}/repos/${REPO}/actions/runs/9000001`,
        html_url: `https://github.com/${REPO}/actions/runs/9000001`,
      });
      expect(fake.dispatches).toEqual([{ repo: REPO, workflow: 'deploy.yml', ref: 'main', inputs, runId: 9000001 }]);
      const run = await octokit().rest.actions.getWorkflowRun({ owner, repo, run_id: details.workflow_run_id });
      expect(run.data).toMatchObject({
        id: 9000001,
        name: 'deploy',
        display_title: 'Deploy prod dep-42',
        head_sha: head,
        head_branch: 'main',
        status: 'queued',
        conclusion: null,
        run_attempt: 1,
        event: 'workflow_dispatch',
        html_url: `https://github.com/${REPO}/actions/runs/9000001`,
      });
    });

    it('answers 204 without return_run_details, and 422 for it when run details are off', async () => {
      // Prepare
      fake.runDetails = false;
      const params = { owner, repo, workflow_id: 'deploy.yml', ref: 'main', inputs: { environment: 'prod', deploy_id: 'dep-43' } };

      // Act
      const rejected = await failure(octokit().rest.actions.createWorkflowDispatch({ ...params, return_run_details: true }));
      const plain = await octokit().rest.actions.createWorkflowDispatch(params);

      // Assess
      expect(rejected).toMatchObject({ status: 422, message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' });
      expect(plain.status).toBe(204);
      expect(fake.dispatches.map((d) => d.runId)).toEqual([9000001]);
    });

    it('answers 422 "No ref found" for an unknown ref and 404 for an unknown workflow', async () => {
      // Act
      const badRef = await failure(octokit().rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: 'deploy.yml', ref: 'nope' }));
      const badWorkflow = await failure(octokit().rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: 'other.yml', ref: 'main' }));

      // Assess
      expect(badRef).toMatchObject({ status: 422, message: 'No ref found for: nope' });
      expect(badWorkflow).toMatchObject({ status: 404, message: 'Not Found' });
      expect(fake.dispatches).toHaveLength(0);
    });

    it('uses a workflow-specific run name', async () => {
      // Prepare
      fake.addWorkflow(REPO, { file: 'rollback.yml', name: 'Rollback', runName: (inputs) => `rollback ${String(inputs.deploy_id)}` });

      // Act
      await octokit().rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: 'rollback.yml', ref: 'main', inputs: { deploy_id: 'dep-7' } });

      // Assess
      expect(fake.runs.get(9000001)).toMatchObject({ displayTitle: 'rollback dep-7', workflowName: 'Rollback' });
    });
  });

  describe('runs and jobs', () => {
    it('follows setRunState through jobs, list filters and deletion', async () => {
      // Prepare
      await octokit().rest.actions.createWorkflowDispatch({
        owner,
        repo,
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs: { environment: 'prod', deploy_id: 'dep-1' },
      });
      const runId = 9000001;
      const gh = octokit();

      // Act
      fake.setRunState(runId, {
        status: 'in_progress',
        jobs: [{ name: 'deploy', steps: [{ name: 'Checkout', status: 'completed' }, { name: 'cdk deploy' }] }],
      });
      const running = await gh.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id: runId });
      fake.setRunState(runId, { status: 'completed', conclusion: 'failure' });
      const done = await gh.rest.actions.getWorkflowRun({ owner, repo, run_id: runId });
      const listed = await gh.rest.actions.listWorkflowRunsForRepo({
        owner,
        repo,
        event: 'workflow_dispatch',
        head_sha: fake.headOf(REPO, 'main'),
        created: `>=${new Date(Date.now() - 60_000).toISOString()}`,
      });
      const none = await gh.rest.actions.listWorkflowRunsForRepo({ owner, repo, event: 'push' });
      fake.deleteRun(runId);
      const deleted = await failure(gh.rest.actions.getWorkflowRun({ owner, repo, run_id: runId }));

      // Assess
      expect(running.data.total_count).toBe(1);
      expect(running.data.jobs[0]).toMatchObject({
        run_id: runId,
        name: 'deploy',
        status: 'in_progress',
        conclusion: null,
        steps: [
          { name: 'Checkout', number: 1, status: 'completed', conclusion: 'success' },
          { name: 'cdk deploy', number: 2, status: 'in_progress', conclusion: null },
        ],
      });
      expect(done.data).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(listed.data.total_count).toBe(1);
      expect(listed.data.workflow_runs[0]?.id).toBe(runId);
      expect(none.data.total_count).toBe(0);
      expect(deleted.status).toBe(404);
    });
  });

  describe('auth and failure injection', () => {
    it('answers 401 Bad credentials to a wrong token once a token is required', async () => {
      // Prepare
      fake.requireToken(TOKEN);

      // Act
      const bad = await failure(octokit('ghp_wrong').rest.actions.getWorkflow({ owner, repo, workflow_id: 'deploy.yml' }));
      const good = await octokit().rest.actions.getWorkflow({ owner, repo, workflow_id: 'deploy.yml' });

      // Assess
      expect(bad).toMatchObject({ status: 401, message: 'Bad credentials' });
      expect(good.status).toBe(200);
      expect(fake.requests.at(-1)?.authorization).toBe(`token ${TOKEN}`);
    });

    it('lets plugin-retry recover from an injected 500', async () => {
      // Prepare
      fake.failNext({ method: 'GET', pathIncludes: '/commits/', status: 500 });

      // Act
      const res = await octokit().rest.repos.getCommit({ owner, repo, ref: 'main' });

      // Assess
      expect(res.status).toBe(200);
      expect(fake.requests.filter((r) => r.path.includes('/commits/'))).toHaveLength(2);
    });

    it('does not retry a 403 "Resource not accessible by integration"', async () => {
      // Prepare
      fake.failNext({ pathIncludes: '/dispatches', status: 403, message: 'Resource not accessible by integration' });

      // Act
      const error = await failure(octokit().rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: 'deploy.yml', ref: 'main' }));

      // Assess
      expect(error).toMatchObject({ status: 403, message: 'Resource not accessible by integration' });
      expect(fake.requests).toHaveLength(1);
      expect(fake.dispatches).toHaveLength(0);
    });

    it('lets plugin-throttling wait out a secondary rate limit (403 + retry-after) and retry', async () => {
      // Prepare
      fake.failNext({ status: 403, message: 'You have exceeded a secondary rate limit', headers: { 'retry-after': '1' } });

      // Act
      const res = await octokit().rest.actions.getWorkflow({ owner, repo, workflow_id: 'deploy.yml' });

      // Assess
      expect(res.status).toBe(200);
      expect(secondaryLimits).toEqual([1]);
      expect(fake.requests).toHaveLength(2);
    });
  });
});

describe('fake GitHub snapshot (the sandbox keeps it across restarts)', () => {
  it('puts back commits, runs, CI and counters into a fresh fake that declared the same repository', async () => {
    // Prepare
    const before = await startFakeGitHub();
    const after = await startFakeGitHub();
    try {
      before.addRepo('foxy-org/foxy-backend', { workflows: ['deploy.yml'] });
      const [sha] = before.pushCommits('foxy-org/foxy-backend', 'main', ['Add health check']);
      before.setCheckRuns('foxy-org/foxy-backend', sha!, [{ name: 'test', status: 'completed', conclusion: 'failure' }]);
      const octokit = new Octokit({ baseUrl: before.url });
      await octokit.actions.createWorkflowDispatch({ owner: 'foxy-org', repo: 'foxy-backend', workflow_id: 'deploy.yml', ref: 'main', inputs: {} });

      // Act
      const saved = JSON.parse(JSON.stringify(before.snapshot()));
      after.addRepo('foxy-org/foxy-backend', { workflows: ['deploy.yml'] });
      after.restore(saved);

      // Assess
      const restored = new Octokit({ baseUrl: after.url });
      const head = await restored.repos.getCommit({ owner: 'foxy-org', repo: 'foxy-backend', ref: 'main' });
      expect(head.data.sha).toBe(sha);
      expect(head.data.commit.message).toBe('Add health check');
      const runs = await restored.actions.listWorkflowRunsForRepo({ owner: 'foxy-org', repo: 'foxy-backend' });
      expect(runs.data.workflow_runs.map((r) => r.id)).toEqual([...before.runs.keys()]);
      const checks = await restored.checks.listForRef({ owner: 'foxy-org', repo: 'foxy-backend', ref: sha! });
      expect(checks.data.check_runs.map((c) => c.conclusion)).toEqual(['failure']);
      const [next] = after.pushCommits('foxy-org/foxy-backend', 'main', ['Next']);
      const [nextBefore] = before.pushCommits('foxy-org/foxy-backend', 'main', ['Next']);
      expect(next).toBe(nextBefore);
      expect(() => after.restore({ version: 2 })).toThrow('not a snapshot');
    } finally {
      await Promise.all([before.close(), after.close()]);
    }
  });
});
