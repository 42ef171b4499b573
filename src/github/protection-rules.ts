/**
 * GitHub as the app installation that owns foxops' custom deployment protection rule: reads the waiting run and
 * answers its wait (`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`). GitHub accepts the
 * answer only from the installation of the app that the event was sent to, so the Octokit here authenticates as the
 * event's installation (src/wiring.ts).
 */
import * as z from 'zod/mini';
import type { ProtectionRules, ProtectionVerdict, WaitingRun } from '../domain/ports.js';
import type { FoxopsOctokitClient } from './octokit.js';
import { protectionComment } from './protection-comments.js';

const text = z.nullish(z.string().check(z.maxLength(1024)));
/** The fields of `GET …/actions/runs/{id}` a decision needs; the rest of the run is not read. */
const waitingRunSchema = z.object({
  id: z.int().check(z.minimum(1)),
  run_attempt: z.nullish(z.int().check(z.minimum(1))),
  display_title: text,
  name: text,
  head_sha: z.string().check(z.regex(/^[0-9a-fA-F]{40}$/)),
  head_branch: text,
  path: text,
});

/** GitHub answered with a run that is not one: an error with the validator's complaint, never a crash. */
export class UnreadableRunError extends Error {
  constructor(problem: string) {
    super(`GitHub's run does not look like one: ${problem.slice(0, 200)}`);
    this.name = 'UnreadableRunError';
  }
}

const split = (repo: string) => {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, repo: name };
};

/** {@link ProtectionRules} over the REST API, as one app installation. */
export class GitHubProtectionRules implements ProtectionRules {
  constructor(private readonly octokit: FoxopsOctokitClient) {}

  /** {@inheritDoc ProtectionRules.readRun} */
  async readRun(repo: string, runId: number): Promise<WaitingRun | undefined> {
    let data: unknown;
    try {
      ({ data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...split(repo), run_id: runId }));
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
    const parsed = waitingRunSchema.safeParse(data);
    if (!parsed.success) throw new UnreadableRunError(parsed.error.message);
    const run = parsed.data;
    const title = run.display_title || run.name;
    return {
      runId: run.id,
      attempt: run.run_attempt ?? 1,
      headSha: run.head_sha.toLowerCase(),
      ...(title ? { title } : {}),
      ...(run.head_branch ? { headBranch: run.head_branch } : {}),
      ...(run.path ? { workflowPath: run.path } : {}),
    };
  }

  /** {@inheritDoc ProtectionRules.answer} */
  async answer(repo: string, runId: number, environment: string, verdict: ProtectionVerdict): Promise<void> {
    await this.octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
      ...split(repo),
      run_id: runId,
      environment_name: environment,
      state: verdict.state,
      comment: protectionComment(verdict),
    });
  }
}
