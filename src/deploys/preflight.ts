/**
 * The pre-flight checks other than CI, computed by the prepare job for the exact pinned SHA (never on an ack path):
 * provenance, ordering, the workflow file and risk hints. This reads GitHub; src/domain/preflight-rules.ts decides.
 * A GitHub that does not answer makes a check ⚠ `unreadable`, never fails the job.
 */
import { environmentNamed, serviceNamed } from '../domain/catalog.js';
import type { CommitRange } from '../domain/ports.js';
import { type PreflightCheck, withCheck } from '../domain/preflight.js';
import {
  authorsByCount,
  type BranchReach,
  DEFAULT_MAX_COMMITS,
  globToRegExp,
  orderingCheck,
  preflightSettingsOf,
  provenanceCheck,
  riskCheck,
  workflowCheck,
} from '../domain/preflight-rules.js';
import type { DeployRequest } from '../domain/request.js';
import type { DeployContext } from './context.js';

/** What the prepare job already knows about the pinned SHA. */
export interface PreflightInput {
  sha: string;
  /** The ref requested (the dispatch ref). */
  ref: string;
  /** The SHA that runs in the environment, if any. */
  deployedSha?: string;
  /** `compare(deployed...sha)`, when it was read. */
  range?: CommitRange;
}

/**
 * The checks for `request` pinned to `input.sha`, merged into what the request holds already (the CI check's
 * engineer adds `ci` there). Reads the compare API and the contents API; every read that fails is logged.
 */
export async function computePreflight(ctx: DeployContext, request: DeployRequest, input: PreflightInput): Promise<PreflightCheck[]> {
  const env = environmentNamed(ctx.catalog, request.environment);
  const service = serviceNamed(ctx.catalog, request.service);
  const settings = preflightSettingsOf(env);
  const scm = await ctx.sourceControl();
  const defaultBranch = service.defaultRef;
  const warn = (what: string) => (err: unknown) => {
    ctx.logger.warn('preflight.read_failed', { requestId: request.id, what, err });
    return undefined;
  };

  // Provenance: the SHA against the default branch, each named allowed branch, and the requested ref when it matches a glob.
  const branches = [
    defaultBranch,
    ...settings.allowedRefs.filter((r) => !/[*?]/.test(r)),
    ...(settings.allowedRefs.some((g) => /[*?]/.test(g) && globToRegExp(g).test(input.ref)) ? [input.ref] : []),
  ].filter((b, i, all) => all.indexOf(b) === i);
  const reachesP: Promise<Array<BranchReach & { url?: string }>> =
    settings.provenance === 'off' && settings.workflow === 'off'
      ? Promise.resolve([])
      : Promise.all(
          branches.map(async (branch) => {
            const found = await scm.compare(request.repo, branch, input.sha, 1).catch(warn(`compare ${branch}`));
            return { branch, ...(found?.status ? { status: found.status } : {}), ...(found ? { url: found.url } : {}) };
          }),
        );

  // Ordering: a step back lists who wrote what it takes out (compare the other way round).
  const range = input.range;
  const back = range?.status === 'behind' || range?.status === 'diverged';
  const takenOutP = back && input.deployedSha ? scm.compare(request.repo, input.sha, input.deployedSha, 100).catch(warn('compare back')) : undefined;

  // The workflow file, on a ref that is not the default branch.
  const wfPath = /\.ya?ml$/.test(service.workflow) ? `.github/workflows/${service.workflow}` : undefined;
  const wfRead = settings.workflow !== 'off' && input.ref !== defaultBranch && wfPath;
  const blobsP = wfRead
    ? Promise.all([scm.fileBlob(request.repo, wfPath, defaultBranch), scm.fileBlob(request.repo, wfPath, input.sha)]).catch(warn('workflow file'))
    : undefined;

  const { localWeekTime } = await import('../domain/week-time.js');
  const [reaches, takenOut, blobs] = await Promise.all([reachesP, takenOutP, blobsP]);
  const checks: Array<PreflightCheck | undefined> = [
    provenanceCheck(settings.provenance, { defaultBranch, reaches, allowedRefs: settings.allowedRefs }),
    orderingCheck(settings.ordering, {
      ...(input.deployedSha ? { deployedSha: input.deployedSha } : {}),
      ...(range?.status ? { status: range.status, aheadBy: range.aheadBy ?? 0, behindBy: range.behindBy ?? 0, compareUrl: range.url } : {}),
      // The SHA that runs already: nothing to compare (prepare asks GitHub nothing), and nothing is taken out.
      ...(input.deployedSha === input.sha ? { status: 'identical' as const } : {}),
      ...(takenOut ? { takenOutAuthors: authorsByCount(takenOut.commits) } : {}),
    }),
    workflowCheck(settings.workflow, {
      ref: input.ref,
      defaultBranch,
      ...(wfPath ? { path: wfPath } : {}),
      read: blobs !== undefined,
      ...(blobs?.[0] ? { defaultBlob: blobs[0] } : {}),
      ...(blobs?.[1] ? { refBlob: blobs[1] } : {}),
      ...(reaches[0]?.url ? { diffUrl: reaches[0].url } : {}),
    }),
    riskCheck({
      ...(range ? { commits: range.aheadBy ?? range.total } : {}),
      maxCommits: service.maxCommits ?? DEFAULT_MAX_COMMITS,
      files: range?.files ?? [],
      riskyPaths: service.riskyPaths ?? [],
      local: localWeekTime(ctx.now(), env.timeZone ?? 'UTC'),
      timeZone: env.timeZone ?? 'UTC',
    }),
  ];
  return checks.reduce<PreflightCheck[]>((all, c) => (c ? withCheck(all, c) : all), request.preflight ?? []);
}
