/**
 * The words for a failure: what went wrong and what a person can do about it. The domain, the use cases and the
 * GitHub adapter store a code with its params and the outside system's own words (see {@link Failure}); this is
 * the one place that turns them into a sentence. Pure: failure in, mrkdwn out.
 */
import { formatDuration } from '../../domain/duration.js';
import type { Failure } from '../../domain/request.js';
import { promotionFailureText } from './promotion.js';
import { preflightFailureText } from './preflight.js';
import { stackFailureText } from './stack.js';
import { escapeText } from './text.js';

/** A failure as stored: requests written before failures were outcomes hold a sentence in `message` instead of params. */
type StoredFailure = Failure & { message?: unknown };

type Params = NonNullable<Failure['params']>;

/** A param as text, escaped; `fallback` when it is missing. */
function param(p: Params, name: string, fallback = '?'): string {
  const value = p[name];
  return value === undefined ? fallback : escapeText(String(value));
}

const short = (sha: string) => sha.slice(0, 7);

/** A failure about an AWS call: its `action` param is an IAM action such as `lambda:UpdateAlias`. */
const isAws = (p: Params) => typeof p.action === 'string' && /^[a-z0-9-]+:[A-Z]/.test(p.action);

/** ` (v5)` from the `version` param, when there is one. */
const versionOf = (p: Params) => (p.version !== undefined ? ` (v${param(p, 'version')})` : '');

/** How a deploy ended, from the `outcome` param of a ledger entry. */
function describeOutcome(p: Params): string {
  switch (p.outcome) {
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'was cancelled';
    case 'timed_out':
      return 'timed out';
    default:
      return 'did not succeed';
  }
}

/** Where the alias points instead of where the card said, and who put it there, from the `alias_moved` params. */
function aliasMoved(p: Params): string {
  const head = `\`${param(p, 'alias', 'live')}\` of \`${param(p, 'function')}\` no longer serves v${param(p, 'expected')} as the card said`;
  if (p.actual === undefined) return `${head}: someone moved it while foxops was moving it.`;
  const who =
    p.deployer !== undefined
      ? `, left there by deploy \`${param(p, 'deployId')}\` (\`${short(param(p, 'sha'))}\`) of <@${param(p, 'deployer')}>`
      : ', put there outside foxops (no deploy foxops recorded left it there)';
  return `${head}: it serves v${param(p, 'actual')} now${who}.`;
}

/** What foxops asked GitHub for, from the `action` param of a source-control failure. */
function attempted(p: Params): string {
  switch (p.action) {
    case 'resolve':
      return `resolve ${param(p, 'ref')}`;
    case 'compare':
      return `compare ${short(param(p, 'base'))}...${short(param(p, 'ref'))}`;
    case 'dispatch':
      return `dispatch ${param(p, 'workflow')}`;
    case 'read_run':
      return `read run ${param(p, 'runId')}`;
    case 'list_jobs':
      return `list the jobs of run ${param(p, 'runId')}`;
    case 'list_runs':
      return `list the runs of ${param(p, 'workflow')}`;
    default:
      return param(p, 'action', 'answer');
  }
}

/** The answer GitHub gave in a shape foxops does not understand, from the `shape` param. */
function answered(p: Params): string {
  switch (p.shape) {
    case 'run':
      return `run ${param(p, 'runId')}`;
    case 'job':
      return `a job of run ${param(p, 'runId')}`;
    default:
      return 'a workflow run';
  }
}

/** The job that made a run fail, from the `job`, `jobConclusion` and `step` params. */
function jobSentence(p: Params): string | undefined {
  if (p.job === undefined) return undefined;
  const ended = p.jobConclusion === 'cancelled' ? 'was cancelled' : p.jobConclusion === 'timed_out' ? 'timed out' : 'failed';
  return `Job “${param(p, 'job')}” ${ended}${p.step !== undefined ? ` at step “${param(p, 'step')}”` : ''}.`;
}

/** Explains `failure` in plain mrkdwn-safe text: every name and everything GitHub said is escaped. */
export function failureText(failure: Failure): string {
  const legacy = (failure as StoredFailure).message;
  // Requests stored by older versions carry their sentence in `message` and no params to word it from; they are
  // shown as they were written, until they age out of the table.
  if (typeof legacy === 'string' && failure.params === undefined) return escapeText(legacy);
  const p: Params = failure.params ?? {};
  // GitHub's own words, quoted as it said them.
  const said = failure.cause !== undefined ? escapeText(failure.cause) : 'no message';
  // The target's CloudFormation stack (src/domain/stack.ts), worded next to the card's stack lines.
  const stack = stackFailureText(failure);
  if (stack !== undefined) return stack;
  // Promotion gates and `require_promotion` (src/domain/promotion.ts), worded next to the gate lines.
  const promotion = promotionFailureText(failure.code, p);
  if (promotion !== undefined) return promotion;
  // Pre-flight checks (src/domain/preflight-rules.ts), worded next to the card's Pre-flight lines.
  const preflight = preflightFailureText(failure);
  if (preflight !== undefined) return preflight;
  switch (failure.code) {
    // How a run ended (src/domain/run-events.ts).
    case 'startup_failure':
      return 'The workflow could not start (startup_failure): check the workflow file on the dispatched ref.';
    case 'action_required':
      return 'GitHub wants someone to allow this run (action_required); open the run.';
    case 'job_failed':
      return jobSentence(p) ?? 'The run failed.';
    case 'run_failed':
      return 'The run failed.';
    case 'run_timed_out': {
      const job = jobSentence(p);
      return `GitHub stopped the run at a time limit.${job ? ` ${job}` : ''}`;
    }
    case 'run_skipped':
      return 'GitHub skipped every job: nothing was deployed.';
    case 'run_cancelled':
      return 'The run was cancelled on GitHub: the deploy may have stopped halfway.';

    // What the reconciler gave up on (src/deploys/reconcile.ts).
    case 'stack_template_too_large':
      return (
        `The backup of \`${param(p, 'stack')}\` taken before deploy \`${param(p, 'deployId')}\` has a template of ${param(p, 'bytes')} bytes; ` +
        `CloudFormation takes at most ${param(p, 'limit')} in a request, so foxops cannot restore it. ` +
        'Restore it by hand from a template in S3 (the backup is kept), or roll back the code with `/deploy rollback` without `--stack`.'
      );
    case 'step_back':
      return (
        `*${param(p, 'environment')}* now runs \`${short(param(p, 'deployedSha'))}\` (deploy \`${param(p, 'deployId')}\`), shipped after this card ` +
        `was prepared; \`${short(param(p, 'sha'))}\` is ${param(p, 'behindBy')} commit(s) behind it, so shipping it would take them out. ` +
        `Nothing was sent to GitHub. Give up and ask again (\`/deploy ${param(p, 'environment')} ${param(p, 'service')}\`), ` +
        `or go back on purpose with \`/deploy rollback ${param(p, 'environment')} ${param(p, 'service')}\`.`
      );
    case 'dispatch_lost':
      return (
        `The dispatch did not finish, and GitHub lists no run of ${param(p, 'workflow')} carrying ${param(p, 'deployId')} in its name. ` +
        `If the Actions tab of ${param(p, 'repo')} shows no run for this deploy, press Retry dispatch; ` +
        "if it does, the workflow's run-name lacks the deploy id."
      );
    case 'run_not_found':
      // With a run id GitHub answered 404 for the run; without one, no run carried the deploy id.
      return p.runId !== undefined
        ? `GitHub no longer knows run ${param(p, 'runId')} (404): it was deleted, or foxops lost access to ${param(p, 'repo')}.`
        : `GitHub lists no run of ${param(p, 'workflow')} carrying ${param(p, 'deployId')} in its name since the dispatch. ` +
            "The workflow's run-name must carry the deploy id for foxops to follow it.";
    case 'run_overdue': {
      const limit = typeof p.runTimeoutMs === 'number' ? formatDuration(p.runTimeoutMs) : 'its run_timeout';
      return (
        `The run went on for more than ${limit} (run_timeout of ${param(p, 'environment')}); foxops stopped following it.` +
        `${p.githubUnreachable === true ? ' GitHub did not answer either.' : ''} It may still be running: look at it on GitHub.`
      );
    }

    // What GitHub refused (src/github/source-control.ts).
    case 'unauthorized':
      return `GitHub rejected foxops' credentials (401: ${said}). Renew GITHUB_TOKEN, or the GitHub App key, where foxops reads its secrets.`;
    case 'forbidden':
      return (
        `GitHub refused to ${attempted(p)} on ${param(p, 'repo')} (403: ${said}). ` +
        `foxops needs Actions: read and write and Contents: read on ${param(p, 'repo')} (fine-grained token or GitHub App permissions).`
      );
    case 'workflow_not_found':
      return (
        `GitHub cannot find the workflow \`${param(p, 'workflow')}\` in ${param(p, 'repo')} (404). ` +
        `Check that .github/workflows/${param(p, 'workflow')} exists on the default branch, has an \`on: workflow_dispatch\` trigger, ` +
        "and that foxops' token can see the repository."
      );
    case 'repo_not_found':
      return `GitHub cannot find ${param(p, 'repo')} (404). Check the \`repo\` in foxops.yml and that foxops' token can see it.`;
    case 'ref_not_found':
      return `The ref \`${param(p, 'ref')}\` does not exist in ${param(p, 'repo')}. Give a branch, tag or commit SHA that exists.`;
    case 'invalid':
      return (
        `GitHub refused to ${attempted(p)} (422: ${said}). ` +
        'Check that the workflow declares the inputs environment, sha, deploy_id, requested_by and approved_by.'
      );
    case 'unavailable':
      if (isAws(p))
        return (
          `AWS did not answer \`${param(p, 'action')}\` on \`${param(p, 'resource')}\` properly (${said}). ` +
          'Nothing else was changed; try again in a minute.'
        );
      if (p.shape !== undefined) return `GitHub answered ${answered(p)} in a shape foxops does not understand: ${said}`;
      return `GitHub did not answer properly after retries (${param(p, 'status', 'no status')}: ${said}). Try again in a minute; see githubstatus.com.`;

    // Why a rollback could not be planned (src/domain/rollback.ts `noRollbackFailure`).
    case 'nothing_deployed':
      return `Nothing was deployed to ${param(p, 'environment')} through foxops yet, so there is no earlier deploy of ${param(p, 'service')} to go back to.`;
    case 'no_known_good':
      return (
        `There is no earlier good deploy of ${param(p, 'service')} in ${param(p, 'environment')} to go back to: ` +
        `\`${short(param(p, 'sha'))}\`${versionOf(p)} is the only success foxops recorded` +
        `${p.needVersion === true ? ' with a Lambda version' : ''} that no rollback took out. ` +
        `Name one with \`to <version|sha|deploy-id>\` (see \`/deploy history ${param(p, 'environment')} ${param(p, 'service')}\`).`
      );
    case 'target_unknown':
      return (
        `\`${param(p, 'target')}\` names no deploy of ${param(p, 'service')} in ${param(p, 'environment')} among the last 50. ` +
        'Give a Lambda version (`v12`), a commit SHA (7 or more characters) ' +
        `or a deploy id from \`/deploy history ${param(p, 'environment')} ${param(p, 'service')}\`.`
      );
    case 'target_is_current':
      return (
        `\`${short(param(p, 'sha'))}\`${versionOf(p)} (deploy \`${param(p, 'deployId')}\`) is what runs in ${param(p, 'environment')} now: ` +
        'there is nothing to roll back to.'
      );
    case 'target_unusable':
      if (p.why === 'taken_out')
        return (
          `Deploy \`${param(p, 'deployId')}\`, \`${short(param(p, 'sha'))}\`${versionOf(p)}, was taken out by a rollback, so it is no place to go back to. ` +
          `To ship it again, deploy it, with the usual approvals and checks: \`/deploy ${param(p, 'environment')} ${param(p, 'service')} ${short(param(p, 'sha'))}\`.`
        );
      return p.why === 'no_version'
        ? `Deploy \`${param(p, 'deployId')}\` (\`${short(param(p, 'sha'))}\`) has no recorded Lambda version, ` +
            'so the alias cannot be pointed back at it. ' +
            `Pick a deploy with a version from \`/deploy history ${param(p, 'environment')} ${param(p, 'service')}\`, ` +
            `or set \`rollback: redeploy\` for ${param(p, 'service')} to run its workflow for that SHA.`
        : `Deploy \`${param(p, 'deployId')}\` (\`${short(param(p, 'sha'))}\`) ${describeOutcome(p)}, so it is no place to go back to. ` +
            `Pick a deploy that succeeded from \`/deploy history ${param(p, 'environment')} ${param(p, 'service')}\`.`;

    // Why a rollback by alias did not move the alias (src/deploys/alias-rollback.ts, src/domain/errors.ts `failureFromAlias`).
    case 'version_pruned':
      return (
        `Version ${param(p, 'version')} of \`${param(p, 'function')}\` no longer exists (deleted since, e.g. by a cleanup of old versions): ` +
        `\`${param(p, 'alias', 'live')}\` was not moved. ` +
        'Roll back to a version that still exists (`to <version>`), or deploy that commit again.'
      );
    case 'alias_moved':
      return `${aliasMoved(p)} Nothing was moved. Check what runs now, then start a new rollback if one is still needed.`;
    case 'access_denied':
      return (
        `AWS refused \`${param(p, 'action')}\` on \`${param(p, 'resource')}\` (access denied: ${said}). ` +
        `foxops' role needs ${param(p, 'action')} on that function (infra/foxops/template.yml, parameter TargetFunctionNames); ` +
        'grant it, then press Retry rollback.'
      );
    case 'alias_not_found':
      return (
        `\`${param(p, 'resource')}\` does not exist (\`${param(p, 'action')}\` answered not found). ` +
        'Check `function` and `alias` of the target in foxops.yml.'
      );
    case 'rollback_interrupted':
      return (
        `The rollback stopped half-way (its job ended before it finished): \`${param(p, 'alias', 'live')}\` of \`${param(p, 'function')}\` ` +
        `serves ${p.actual !== undefined ? `v${param(p, 'actual')}` : 'a version foxops could not read'}, not v${param(p, 'version')}. ` +
        'Press Retry rollback to check and move it again.'
      );
    case 'rollback_unplanned':
      return 'This rollback was never planned (no version to go back to is stored on it). Start a new one with `/deploy rollback`.';

    // Anything else a job's call threw (src/domain/errors.ts `failureFrom`).
    case 'error':
      return p.step === 'dispatch' ? `Dispatch failed unexpectedly: ${said}` : 'GitHub could not be reached. Try again in a minute.';
  }
  // A run conclusion that says neither success nor failure (`run_neutral`, `run_stale`, or one GitHub adds later).
  if (p.conclusion !== undefined) {
    return (
      `GitHub ended the run as \`${param(p, 'conclusion')}\`, which says neither success nor failure. ` +
      `Check ${param(p, 'environment', 'the environment')} by hand before deploying again.`
    );
  }
  return `foxops stopped with \`${escapeText(failure.code)}\`${failure.cause !== undefined ? ` (${said})` : ''}.`;
}
