/**
 * The words for every failure code: the domain, the use cases and the GitHub adapter store codes and params, and
 * this is where they become the sentences people read on cards, in threads and in private notes.
 */
import { AliasError, SourceControlError, failureFrom, failureFromAlias } from '../../src/domain/errors.js';
import type { Failure } from '../../src/domain/request.js';
import { failureText } from '../../src/slack/blocks/failures.js';

const REPO = 'foxy-org/foxy-backend';
const DEPLOY_ID = 'd-0123456789';
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

describe('failureText', () => {
  it.each<[string, Failure, string]>([
    // How a run ended.
    ['startup_failure', { code: 'startup_failure' }, 'The workflow could not start (startup_failure): check the workflow file on the dispatched ref.'],
    ['action_required', { code: 'action_required' }, 'GitHub wants someone to allow this run (action_required); open the run.'],
    [
      'job_failed',
      { code: 'job_failed', params: { job: 'smoke test', jobConclusion: 'failure', step: 'Run smoke tests' } },
      'Job “smoke test” failed at step “Run smoke tests”.',
    ],
    ['job_failed (cancelled, no step)', { code: 'job_failed', params: { job: 'deploy', jobConclusion: 'cancelled' } }, 'Job “deploy” was cancelled.'],
    ['run_failed', { code: 'run_failed' }, 'The run failed.'],
    ['run_timed_out', { code: 'run_timed_out' }, 'GitHub stopped the run at a time limit.'],
    [
      'run_timed_out (with the job)',
      { code: 'run_timed_out', params: { job: 'deploy', jobConclusion: 'timed_out' } },
      'GitHub stopped the run at a time limit. Job “deploy” timed out.',
    ],
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
      `The dispatch did not finish, and GitHub lists no run of deploy.yml carrying ${DEPLOY_ID} in its name. ` +
        `If the Actions tab of ${REPO} shows no run for this deploy, press Retry dispatch; ` +
        "if it does, the workflow's run-name lacks the deploy id.",
    ],
    [
      'run_not_found (404)',
      { code: 'run_not_found', params: { repo: REPO, runId: 42 } },
      `GitHub no longer knows run 42 (404): it was deleted, or foxops lost access to ${REPO}.`,
    ],
    [
      'run_not_found (never found)',
      { code: 'run_not_found', params: { repo: REPO, workflow: 'deploy.yml', deployId: DEPLOY_ID } },
      `GitHub lists no run of deploy.yml carrying ${DEPLOY_ID} in its name since the dispatch. ` +
        "The workflow's run-name must carry the deploy id for foxops to follow it.",
    ],
    [
      'run_overdue',
      { code: 'run_overdue', params: { runTimeoutMs: 90 * 60_000, environment: 'production', githubUnreachable: false } },
      'The run went on for more than 1h 30m (run_timeout of production); foxops stopped following it. It may still be running: look at it on GitHub.',
    ],
    [
      'run_overdue (GitHub silent)',
      { code: 'run_overdue', params: { runTimeoutMs: 60 * 60_000, environment: 'production', githubUnreachable: true } },
      'The run went on for more than 1h (run_timeout of production); foxops stopped following it. ' +
        'GitHub did not answer either. It may still be running: look at it on GitHub.',
    ],

    // What GitHub refused.
    [
      'unauthorized',
      { code: 'unauthorized', params: { action: 'resolve', repo: REPO, ref: 'main', status: 401 }, cause: 'Bad credentials' },
      "GitHub rejected foxops' credentials (401: Bad credentials). Renew GITHUB_TOKEN, or the GitHub App key, where foxops reads its secrets.",
    ],
    [
      'forbidden',
      {
        code: 'forbidden',
        params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 403 },
        cause: 'Resource not accessible by integration',
      },
      `GitHub refused to dispatch deploy.yml on ${REPO} (403: Resource not accessible by integration). ` +
        `foxops needs Actions: read and write and Contents: read on ${REPO} (fine-grained token or GitHub App permissions).`,
    ],
    [
      'workflow_not_found',
      { code: 'workflow_not_found', params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 404 }, cause: 'Not Found' },
      `GitHub cannot find the workflow \`deploy.yml\` in ${REPO} (404). ` +
        'Check that .github/workflows/deploy.yml exists on the default branch, has an `on: workflow_dispatch` trigger, ' +
        "and that foxops' token can see the repository.",
    ],
    [
      'repo_not_found',
      { code: 'repo_not_found', params: { action: 'resolve', repo: REPO, ref: 'main', status: 404 }, cause: 'Not Found' },
      `GitHub cannot find ${REPO} (404). Check the \`repo\` in foxops.yml and that foxops' token can see it.`,
    ],
    [
      'ref_not_found',
      {
        code: 'ref_not_found',
        params: { action: 'resolve', repo: REPO, ref: 'no-such-branch', status: 422 },
        cause: 'No commit found for SHA: no-such-branch',
      },
      `The ref \`no-such-branch\` does not exist in ${REPO}. Give a branch, tag or commit SHA that exists.`,
    ],
    [
      'invalid',
      {
        code: 'invalid',
        params: { action: 'dispatch', repo: REPO, workflow: 'deploy.yml', ref: 'main', status: 422 },
        cause: 'Unexpected inputs provided: ["sha"]',
      },
      'GitHub refused to dispatch deploy.yml (422: Unexpected inputs provided: ["sha"]). ' +
        'Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.',
    ],
    [
      'invalid (compare)',
      { code: 'invalid', params: { action: 'compare', repo: REPO, base: 'a'.repeat(40), ref: 'b'.repeat(40), status: 422 }, cause: 'Validation Failed' },
      'GitHub refused to compare aaaaaaa...bbbbbbb (422: Validation Failed). ' +
        'Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.',
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

    // Why a rollback could not be planned.
    [
      'nothing_deployed',
      { code: 'nothing_deployed', params: { service: 'foxy-backend', environment: 'production' } },
      'Nothing was deployed to production through foxops yet, so there is no earlier deploy of foxy-backend to go back to.',
    ],
    [
      'no_known_good',
      { code: 'no_known_good', params: { service: 'foxy-backend', environment: 'production', needVersion: true, sha: SHA, version: '6' } },
      'There is no earlier good deploy of foxy-backend in production to go back to: ' +
        '`3f78685` (v6) is the only success foxops recorded with a Lambda version that no rollback took out. ' +
        'Name one with `to <version|sha|deploy-id>` (see `/deploy history production foxy-backend`).',
    ],
    [
      'target_unknown',
      { code: 'target_unknown', params: { service: 'foxy-backend', environment: 'production', target: 'v99' } },
      '`v99` names no deploy of foxy-backend in production among the last 50. ' +
        'Give a Lambda version (`v12`), a commit SHA (7 or more characters) or a deploy id from `/deploy history production foxy-backend`.',
    ],
    [
      'target_is_current',
      { code: 'target_is_current', params: { service: 'foxy-backend', environment: 'production', sha: SHA, deployId: DEPLOY_ID, version: '6' } },
      `\`3f78685\` (v6) (deploy \`${DEPLOY_ID}\`) is what runs in production now: there is nothing to roll back to.`,
    ],
    [
      'target_unusable (failed)',
      {
        code: 'target_unusable',
        params: { service: 'foxy-backend', environment: 'production', why: 'not_succeeded', outcome: 'failed', sha: SHA, deployId: DEPLOY_ID },
      },
      `Deploy \`${DEPLOY_ID}\` (\`3f78685\`) failed, so it is no place to go back to. ` +
        'Pick a deploy that succeeded from `/deploy history production foxy-backend`.',
    ],
    [
      'target_unusable (taken out by a rollback)',
      {
        code: 'target_unusable',
        params: { service: 'foxy-backend', environment: 'production', why: 'taken_out', outcome: 'succeeded', sha: SHA, deployId: DEPLOY_ID, version: '7' },
      },
      `Deploy \`${DEPLOY_ID}\`, \`3f78685\` (v7), was taken out by a rollback, so it is no place to go back to. ` +
        'To ship it again, deploy it, with the usual approvals and checks: `/deploy production foxy-backend 3f78685`.',
    ],
    [
      'target_unusable (no version)',
      {
        code: 'target_unusable',
        params: { service: 'foxy-backend', environment: 'production', why: 'no_version', outcome: 'succeeded', sha: SHA, deployId: DEPLOY_ID },
      },
      `Deploy \`${DEPLOY_ID}\` (\`3f78685\`) has no recorded Lambda version, so the alias cannot be pointed back at it. ` +
        'Pick a deploy with a version from `/deploy history production foxy-backend`, ' +
        'or set `rollback: redeploy` for foxy-backend to run its workflow for that SHA.',
    ],

    // Why a rollback by alias did not move the alias.
    [
      'version_pruned',
      { code: 'version_pruned', params: { function: 'fb-prod', alias: 'live', version: '5' } },
      'Version 5 of `fb-prod` no longer exists (deleted since, e.g. by a cleanup of old versions): `live` was not moved. ' +
        'Roll back to a version that still exists (`to <version>`), or deploy that commit again.',
    ],
    [
      'alias_moved (by a deploy foxops knows)',
      {
        code: 'alias_moved',
        params: { function: 'fb-prod', alias: 'live', version: '5', expected: '6', actual: '7', deployId: DEPLOY_ID, deployer: 'U0ERIN', sha: SHA },
      },
      `\`live\` of \`fb-prod\` no longer serves v6 as the card said: it serves v7 now, left there by deploy \`${DEPLOY_ID}\` (\`3f78685\`) of <@U0ERIN>. ` +
        'Nothing was moved. Check what runs now, then start a new rollback if one is still needed.',
    ],
    [
      'alias_moved (by hand)',
      { code: 'alias_moved', params: { function: 'fb-prod', alias: 'live', expected: '6', actual: '2' } },
      '`live` of `fb-prod` no longer serves v6 as the card said: ' +
        'it serves v2 now, put there outside foxops (no deploy foxops recorded left it there). ' +
        'Nothing was moved. Check what runs now, then start a new rollback if one is still needed.',
    ],
    [
      'alias_moved (during the move)',
      { code: 'alias_moved', params: { function: 'fb-prod', alias: 'live', expected: '6' } },
      '`live` of `fb-prod` no longer serves v6 as the card said: someone moved it while foxops was moving it. ' +
        'Nothing was moved. Check what runs now, then start a new rollback if one is still needed.',
    ],
    [
      'access_denied',
      { code: 'access_denied', params: { action: 'lambda:UpdateAlias', resource: 'fb-prod:live' }, cause: 'User is not authorized' },
      'AWS refused `lambda:UpdateAlias` on `fb-prod:live` (access denied: User is not authorized). ' +
        "foxops' role needs lambda:UpdateAlias on that function (infra/foxops/template.yml, parameter TargetFunctionNames); " +
        'grant it, then press Retry rollback.',
    ],
    [
      'unavailable (AWS)',
      { code: 'unavailable', params: { action: 'lambda:GetAlias', resource: 'fb-prod:live' }, cause: 'Rate exceeded' },
      'AWS did not answer `lambda:GetAlias` on `fb-prod:live` properly (Rate exceeded). Nothing else was changed; try again in a minute.',
    ],
    [
      'alias_not_found',
      { code: 'alias_not_found', params: { action: 'lambda:GetAlias', resource: 'fb-prod:live' } },
      '`fb-prod:live` does not exist (`lambda:GetAlias` answered not found). Check `function` and `alias` of the target in foxops.yml.',
    ],
    [
      'rollback_interrupted',
      { code: 'rollback_interrupted', params: { function: 'fb-prod', alias: 'live', version: '5', actual: '6' } },
      'The rollback stopped half-way (its job ended before it finished): `live` of `fb-prod` serves v6, not v5. ' +
        'Press Retry rollback to check and move it again.',
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
    const err = new SourceControlError('ref_not_found', {
      params: { action: 'resolve', repo: REPO, ref: 'nope', workflow: undefined },
      cause: 'No commit found for SHA: nope',
      status: 422,
    });

    // Act
    const failure = failureFrom(err, 'prepare');

    // Assess
    expect(failure).toEqual({
      code: 'ref_not_found',
      params: { action: 'resolve', repo: REPO, ref: 'nope', status: 422 },
      cause: 'No commit found for SHA: nope',
    });
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

describe('failureFromAlias', () => {
  it.each<[AliasError['code'], string]>([
    ['not_found', 'alias_not_found'],
    ['version_not_found', 'version_pruned'],
    ['moved_meanwhile', 'alias_moved'],
    ['access_denied', 'access_denied'],
    ['unavailable', 'unavailable'],
  ])('maps %s to the failure %s, keeping which call on which resource and what AWS said', (code, failureCode) => {
    // Act
    const failure = failureFromAlias(new AliasError(code, 'lambda:UpdateAlias', 'fb-prod:live', 'AWS said so'), { action: 'x', resource: 'y' });

    // Assess
    expect(failure).toEqual({ code: failureCode, params: { action: 'lambda:UpdateAlias', resource: 'fb-prod:live' }, cause: 'AWS said so' });
  });

  it('records any other error as unavailable, on the call it was making', () => {
    // Act
    const failure = failureFromAlias(new Error('socket hang up'), { action: 'lambda:GetAlias', resource: 'fb-prod:live' });

    // Assess
    expect(failure).toEqual({ code: 'unavailable', params: { action: 'lambda:GetAlias', resource: 'fb-prod:live' }, cause: 'socket hang up' });
    expect(failureText(failure)).toContain('AWS did not answer `lambda:GetAlias` on `fb-prod:live` properly (socket hang up)');
  });
});
