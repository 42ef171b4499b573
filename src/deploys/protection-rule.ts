/**
 * The custom deployment protection rule: a workflow run waits on a protected environment until foxops answers. The
 * job reads the run from GitHub (its name carries the deploy id), asks {@link approveRun} whether the run may use
 * that deploy's approval, and answers GitHub `approved` or `rejected`. Anything foxops cannot find out in time (GitHub
 * or the store failing, the deadline passing) is a rejection that says so: GitHub is never left waiting.
 *
 * A re-run of the run that used the approval (`run_attempt` > 1) is approved again; any other run is refused.
 */
import { findEnvironment, sameRepo } from '../domain/catalog.js';
import type { EnforcementRefusal, RunClaims } from '../domain/enforcement.js';
import type { ProtectionRuleJob, ProtectionRules, ProtectionVerdict, UndecidedReason, WaitingRun } from '../domain/ports.js';
import { type DeployRequest, findDeployIds, isDeployId } from '../domain/request.js';
import type { DeployContext } from './context.js';
import { approveRun } from './run-approval.js';

/**
 * How long the decision may take before foxops rejects: under the job's 30-second function timeout, so the rejection
 * is still sent by this delivery. GitHub reads and the store normally answer in well under a second.
 */
export const PROTECTION_DECISION_MS = 15_000;

/** What the job did: answered GitHub (how), or could not (no App credentials, or GitHub refused the answer). */
export type ProtectionRuleOutcome =
  | { answered: ProtectionVerdict }
  | { unanswered: 'no_app_credentials' }
  | { unanswered: 'answer_refused'; status: number; verdict: ProtectionVerdict };

/** The decision ran out of time. */
class DecisionTimeout extends Error {}

/** An error from GitHub or the store: GitHub's HTTP status where there is one. */
const statusOf = (err: unknown): number | undefined => {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
};

/**
 * Decides the wait of `job` and answers GitHub. Throws only when the answer could not be delivered for a reason that
 * may pass (GitHub 5xx, 429 or no answer), so that the job is delivered again; a 4xx for the answer is final.
 */
export async function answerProtectionRule(ctx: DeployContext, job: ProtectionRuleJob, deadlineMs = PROTECTION_DECISION_MS): Promise<ProtectionRuleOutcome> {
  const fields = { repo: job.repo, runId: job.runId, environment: job.environment, installationId: job.installationId };
  if (!ctx.protectionRules) {
    // Only a GitHub App gets these events; a token-authenticated foxops receiving one is set up by half.
    ctx.logger.warn('protection_rule.no_app', {
      ...fields,
      fix: 'set GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID (instead of GITHUB_TOKEN) so that foxops can answer protection rules',
    });
    return { unanswered: 'no_app_credentials' };
  }
  const github = await ctx.protectionRules(job.installationId);
  const verdict = await decideWithin(ctx, github, job, deadlineMs);
  try {
    await github.answer(job.repo, job.runId, job.environment, verdict);
  } catch (err) {
    const status = statusOf(err);
    // A 4xx will not change by asking again (the wait is over, or the app lacks Deployments: write); the rest may pass.
    if (status === undefined || status >= 500 || status === 429) throw err;
    ctx.logger.warn('protection_rule.answer_refused', { ...fields, status, state: verdict.state, err });
    return { unanswered: 'answer_refused', status, verdict };
  }
  ctx.logger.info('protection_rule.answered', {
    ...fields,
    state: verdict.state,
    ...(verdict.state === 'approved'
      ? { deployId: verdict.deployId, attempt: verdict.attempt }
      : { code: verdict.refusal?.code, undecided: verdict.undecided }),
  });
  return { answered: verdict };
}

/** The verdict, or a rejection saying why there is none when reading GitHub or the store fails or takes too long. */
async function decideWithin(ctx: DeployContext, github: ProtectionRules, job: ProtectionRuleJob, deadlineMs: number): Promise<ProtectionVerdict> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DecisionTimeout()), deadlineMs);
  });
  let stage: 'github' | 'store' = 'github';
  try {
    return await Promise.race([
      (async () => {
        const run = await github.readRun(job.repo, job.runId);
        stage = 'store';
        return run ? await decide(ctx, job, run) : undecided(ctx, job, 'run_not_found');
      })(),
      deadline,
    ]);
  } catch (err) {
    const reason: UndecidedReason = err instanceof DecisionTimeout ? 'timeout' : stage === 'github' ? 'github_unavailable' : 'store_unavailable';
    ctx.logger.warn('protection_rule.undecided', { repo: job.repo, runId: job.runId, environment: job.environment, reason, err });
    return undecided(ctx, job, reason);
  } finally {
    clearTimeout(timer);
  }
}

/** The one full commit SHA a run's name carries, if exactly one. */
function shaInName(title: string | undefined): string | undefined {
  const found = (title ?? '').match(/\b[0-9a-f]{40}\b/gi) ?? [];
  return found.length === 1 ? found[0]!.toLowerCase() : undefined;
}

/** The run's claims from GitHub's own record of it, checked against the approval of the deploy its name carries. */
async function decide(ctx: DeployContext, job: ProtectionRuleJob, run: WaitingRun): Promise<ProtectionVerdict> {
  const claims: RunClaims = {
    repository: job.repo,
    environment: job.environment,
    sha: run.headSha,
    runId: job.runId,
    runAttempt: run.attempt,
    // No workflowRef: `head_branch` names a branch or a tag without saying which, and foxops dispatches the request's
    // own ref, so `…@refs/heads/<head_branch>` would be wrong for tags and refuse every branch deploy but the default.
    // The commit it deploys: the run's name carries its `sha` input (`run-name: "Deploy <env> <sha> [<deploy id>]"`),
    // which GitHub's record of the run does not otherwise show; a name without a full SHA cannot be checked this way.
    ...(shaInName(run.title) ? { deploysSha: shaInName(run.title) } : {}),
  };
  // A run name carries one deploy id; the first is taken, as the run-progress matcher does.
  const deployId = findDeployIds(run.title)[0];
  const result = await approveRun(ctx, deployId, claims, 'protection_rule');
  if (result.ok) return { state: 'approved', deployId: result.request.id, runId: job.runId, attempt: run.attempt };
  const request = result.request;
  await tellChannel(ctx, job, claims, result.refusal, request);
  return { state: 'rejected', refusal: result.refusal, ask: ask(ctx, job, request?.service ?? serviceOf(ctx, job.repo), run.headSha) };
}

/**
 * "Someone tried to deploy <environment> without approval", in the environment's channel: the run is real (GitHub
 * asked about it for an installation of the app), so unlike a stray token it is worth people's attention.
 */
async function tellChannel(ctx: DeployContext, job: ProtectionRuleJob, claims: RunClaims, refusal: EnforcementRefusal, request?: DeployRequest): Promise<void> {
  const environment = findEnvironment(ctx.catalog, request?.environment ?? job.environment);
  const channel = environment?.channels[0];
  if (!environment || !channel) return;
  await ctx.jobs.enqueue({
    type: 'channel_notice',
    channel,
    notice: {
      kind: 'unapproved_run',
      environment: environment.name,
      repository: claims.repository,
      runId: claims.runId,
      ...(claims.runAttempt !== undefined ? { runAttempt: claims.runAttempt } : {}),
      ...(refusal.deployId && isDeployId(refusal.deployId) ? { deployId: refusal.deployId } : {}),
      code: refusal.code,
      via: 'protection_rule',
    },
  });
}

function undecided(ctx: DeployContext, job: ProtectionRuleJob, reason: UndecidedReason): ProtectionVerdict {
  return { state: 'rejected', undecided: reason, ask: ask(ctx, job, serviceOf(ctx, job.repo)) };
}

/** The one service deployed from `repo`, when exactly one is. */
function serviceOf(ctx: DeployContext, repo: string): string | undefined {
  const services = ctx.catalog.services.filter((s) => sameRepo(s.repo, repo));
  return services.length === 1 ? services[0]!.name : undefined;
}

/** How to ask for the deploy in Slack: the foxops environment (GitHub's name if foxops has none), service, SHA, channels. */
function ask(ctx: DeployContext, job: ProtectionRuleJob, service?: string, sha?: string): Extract<ProtectionVerdict, { state: 'rejected' }>['ask'] {
  const environment = findEnvironment(ctx.catalog, job.environment);
  return {
    environment: environment?.name ?? job.environment,
    ...(service ? { service } : {}),
    ...(sha ? { sha } : {}),
    ...(environment ? { channels: environment.channels } : {}),
  };
}
