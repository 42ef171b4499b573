/**
 * The words for every failure code: the domain, the use cases and the GitHub adapter store codes and params, and
 * this is where they become the sentences people read on cards, in threads and in private notes.
 */
import { SourceControlError, failureFrom } from '../../src/domain/errors.js';
import type { Failure } from '../../src/domain/request.js';
import { failureText } from '../../src/slack/blocks/failures.js';

const REPO = 'foxy-org/foxy-backend';
const DEPLOY_ID = 'd-0123456789';

describe('failureText', () => {
  it.each<[string, Failure, string]>([
    // How a run ended.
    ['startup_failure', { code: 'startup_failure' }, 'The workflow could not start (startup_failure): check the workflow file on the dispatched ref.'],
    ['action_required', { code: 'action_required' }, 'GitHub wants someone to allow this run (action_required); open the run.'],
    ['job_failed', { code: 'job_failed', params: { job: 'smoke test', jobConclusion: 'failure', step: 'Run smoke tests' } }, 'Job “smoke test” failed at step “Run smoke tests”.'],
    ['job_failed (cancelled, no step)', { code: 'job_failed', params: { job: 'deploy', jobConclusion: 'cancelled' } }, 'Job “deploy” was cancelled.'],
    ['run_failed', { code: 'run_failed' }, 'The run failed.'],
    ['run_timed_out', { code: 'run_timed_out' }, 'GitHub stopped the run at a time limit.'],
    ['run_timed_out (with the job)', { code: 'run_timed_out', params: { job: 'deploy', jobConclusion: 'timed_out' } }, 'GitHub stopped the run at a time limit. Job “deploy” timed out.'],
    ['run_skipped', { code: 'run_skipped' }, 'GitHub skipped every job: nothing was deployed.'],
    ['run_cancelled', { code: 'run_cancelled' }, 'The run was cancelled on GitHub: the deploy may have stopped halfway.'],
    [
      'run_neutral',
      { code: 'run_neutral', params: { conclusion: 'neutral', environment: 'production' } },
      'GitHub ended the run as `neutral`, which says neither success nor failure. Check production by hand before deploying again.',
    ],
    [
      'run_stale',
      { code: 'run_stale', params: { conclusion: 'stale', environment: 'staging' } },
      'GitHub ended the run as `stale`, which says neither success nor failure. Check staging by hand before deploying again.',
    ],

    // What the reconciler gave up on.
    [
      'dispatch_lost',
      { code: 'dispatch_lost', params: { repo: REPO, workflow: 'deploy.yml', deployId: DEPLOY_ID } },
      `The dispatch did not finish, and GitHub lists no run of deploy.yml carrying ${DEPLOY_ID} in its name. If the Actions tab of ${REPO} shows no run for this deploy, press Retry dispatch; if it does, the workflow's run-name lacks the deploy id.`,
    ],
    ['run_not_found (404)', { code: 'run_not_found', params: { repo: REPO, runId: 42 } }, `GitHub no longer knows run 42 (404): it was deleted, or foxops lost access to ${REPO}.`],
    [
      'run_not_found (never found)',
      { code: 'run_not_found', params: { repo: REPO, workflow: 'deploy.yml', deployId: DEPLOY_ID } },
      `GitHub lists no run of deploy.yml carrying ${DEPLOY_ID} in its name since the dispatch. The workflow's run-name must carry the deploy id for foxops to follow it.`,
    ],
    [
      'run_overdue',
      { code: 'run_overdue', params: { runTimeoutMs: 90 * 60_000, environment: 'production', githubUnreachable: false } },
      'The run went on for more than 1h 30m (run_timeout of production); foxops stopped following it. It may still be running: look at it on GitHub.',
    ],
    [
      'run_overdue (GitHub silent)',
      { code: 'run_overdue', params: { runTimeoutMs: 60 * 60_000, environment: 'production', githubUnreachable: true } },
      'The run went on for more than 1h (run_timeout of production); foxops stopped following it. GitHub did not answer either. It may still be running: look at it on GitHub.',
    ],

    // What GitHub refused.
    [
      'unauthorized',
      { code: 'unauthorized', params: { action: 'resolve', repo: REPO, ref: 'main', status: 401 }, cause: 'Bad credentials' },
      "GitHub rejected foxops' credentials (401: Bad credentials). Renew GITHUB_TOKEN, or the GitHub App key, where foxops reads its secrets.",
    ],
    [
      'forbidden',
      { code: 'forbidden', params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 403 }, cause: 'Resource not accessible by integration' },
      `GitHub refused to dispatch deploy.yml on ${REPO} (403: Resource not accessible by integration). foxops needs Actions: read and write and Contents: read on ${REPO} (fine-grained token or GitHub App permissions).`,
    ],
    [
      'workflow_not_found',
      { code: 'workflow_not_found', params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 404 }, cause: 'Not Found' },
      `GitHub cannot find the workflow \`deploy.yml\` in ${REPO} (404). Check that .github/workflows/deploy.yml exists on the default branch, has an \`on: workflow_dispatch\` trigger, and that foxops' token can see the repository.`,
    ],
    [
      'repo_not_found',
      { code: 'repo_not_found', params: { action: 'resolve', repo: REPO, ref: 'main', status: 404 }, cause: 'Not Found' },
      `GitHub cannot find ${REPO} (404). Check the \`repo\` in foxops.yml and that foxops' token can see it.`,
    ],
    [
      'ref_not_found',
      { code: 'ref_not_found', params: { action: 'resolve', repo: REPO, ref: 'no-such-branch', status: 422 }, cause: 'No commit found for SHA: no-such-branch' },
      `The ref \`no-such-branch\` does not exist in ${REPO}. Give a branch, tag or commit SHA that exists.`,
    ],
    [
      'invalid',
      { code: 'invalid', params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 422 }, cause: 'Unexpected inputs provided: ["sha"]' },
      'GitHub refused to dispatch deploy.yml (422: Unexpected inputs provided: ["sha"]). Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.',
    ],
    [
      'invalid (compare)',
      { code: 'invalid', params: { action: 'compare', repo: REPO, base: 'a'.repeat(40), ref: 'b'.repeat(40), status: 422 }, cause: 'Validation Failed' },
      'GitHub refused to compare aaaaaaa...bbbbbbb (422: Validation Failed). Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.',
    ],
    [
      'unavailable',
      { code: 'unavailable', params: { action: 'read_run', repo: REPO, runId: 42, status: 502 }, cause: 'Bad Gateway' },
      'GitHub did not answer properly after retries (502: Bad Gateway). Try again in a minute; see githubstatus.com.',
    ],
    [
      'unavailable (no answer)',
      { code: 'unavailable', params: { action: 'list_runs', repo: REPO, workflow: 'deploy.yml' } },
      'GitHub did not answer properly after retries (no status: no message). Try again in a minute; see githubstatus.com.',
    ],
    [
      'unavailable (a shape foxops does not understand)',
      { code: 'unavailable', params: { shape: 'job', repo: REPO, runId: 42 }, cause: 'status: Invalid option' },
      'GitHub answered a job of run 42 in a shape foxops does not understand: status: Invalid option',
    ],

    // Anything else a job's call threw.
    ['error (prepare)', { code: 'error', params: { step: 'prepare' }, cause: 'socket hang up' }, 'GitHub could not be reached. Try again in a minute.'],
    ['error (dispatch)', { code: 'error', params: { step: 'dispatch' }, cause: 'socket hang up' }, 'Dispatch failed unexpectedly: socket hang up'],

    // A code without words of its own still says which.
    ['a code without words', { code: 'something_new', cause: 'it broke' }, 'foxops stopped with `something_new` (it broke).'],
  ])('words %s', (_name, failure, words) => {
    // Act
    const text = failureText(failure);

    // Assess
    expect(text).toBe(words);
  });

  it('shows the sentence a request stored by an older version carries, when it has no params', () => {
    // Prepare
    const legacy = { code: 'ref_not_found', message: 'The ref `nope` does not exist in foxy-org/foxy-backend. Give a branch, tag or commit SHA that exists.' };

    // Act
    const text = failureText(legacy as Failure);

    // Assess
    expect(text).toBe(legacy.message);
  });

  it('escapes every name and GitHub’s words, so none turns into a mention or a link', () => {
    // Prepare
    const evil = '<!channel> <https://evil.example|click> & co';

    // Act
    const texts = [
      failureText({ code: 'forbidden', params: { action: 'dispatch', repo: evil, workflow: evil }, cause: evil }),
      failureText({ code: 'job_failed', params: { job: evil, jobConclusion: 'failure', step: evil } }),
      failureText({ code: 'ref_not_found', params: { repo: evil, ref: evil } }),
      failureText({ code: evil, cause: evil }),
      failureText({ code: 'x', message: evil } as Failure),
    ];

    // Assess
    for (const text of texts) {
      expect(text).not.toContain('<');
      expect(text).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co');
    }
  });
});

describe('failureFrom', () => {
  it('keeps the code, the params and GitHub’s words of a SourceControlError', () => {
    // Prepare
    const err = new SourceControlError('ref_not_found', { params: { action: 'resolve', repo: REPO, ref: 'nope', workflow: undefined }, cause: 'No commit found for SHA: nope', status: 422 });

    // Act
    const failure = failureFrom(err, 'prepare');

    // Assess
    expect(failure).toEqual({ code: 'ref_not_found', params: { action: 'resolve', repo: REPO, ref: 'nope', status: 422 }, cause: 'No commit found for SHA: nope' });
    expect(err.message).toBe(`source control: ref_not_found (action=resolve repo=${REPO} ref=nope status=422): No commit found for SHA: nope`);
    expect(err.status).toBe(422);
  });

  it.each<['prepare' | 'dispatch', string]>([
    ['prepare', 'GitHub could not be reached. Try again in a minute.'],
    ['dispatch', 'Dispatch failed unexpectedly: socket hang up'],
  ])('records any other error of the %s step with its message as the cause', (step, words) => {
    // Act
    const failure = failureFrom(new Error('socket hang up'), step);

    // Assess
    expect(failure).toEqual({ code: 'error', params: { step }, cause: 'socket hang up' });
    expect(failureText(failure)).toBe(words);
  });
});
