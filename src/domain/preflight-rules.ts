/**
 * The pre-flight checks other than CI (src/domain/preflight.ts), decided from what the prepare job read on GitHub for
 * the pinned SHA and from the environment's and service's settings. Pure: compare results and settings in, checks out.
 */
import type { PreflightCheck } from './preflight.js';

/** What a check does with a ✗: refuse the request, show it as ⚠ only, or not run at all. */
export type CheckMode = 'refuse' | 'warn' | 'off';

/** An environment's `checks:` as the catalog holds them, every key filled in (see {@link preflightSettingsOf}). */
export interface PreflightSettings {
  provenance: CheckMode;
  ordering: CheckMode;
  workflow: 'warn' | 'off';
  /** Branches besides the default branch a SHA may come from: names, or globs such as `release/*`. */
  allowedRefs: string[];
}

/** Commits above which the risk check warns, when the service names no `max_commits`. */
export const DEFAULT_MAX_COMMITS = 20;

/** Risky files listed on the card at most. */
export const RISKY_FILES_SHOWN = 10;

/** Commits taken out by a step back, listed at most. */
export const TAKEN_OUT_SHOWN = 10;

/**
 * The settings of an environment: what it wrote, and for the rest `refuse` where deploys need approvals (the guarded,
 * production-like environments) and `warn` where they need none; `workflow` warns by default.
 */
export function preflightSettingsOf(env: { approvals: number; checks?: Partial<PreflightSettings> }): PreflightSettings {
  const strict: CheckMode = env.approvals > 0 ? 'refuse' : 'warn';
  return {
    provenance: env.checks?.provenance ?? strict,
    ordering: env.checks?.ordering ?? strict,
    workflow: env.checks?.workflow ?? 'warn',
    allowedRefs: env.checks?.allowedRefs ?? [],
  };
}

/** GitHub's compare status of `head` against `base`. */
export type CompareStatus = 'ahead' | 'behind' | 'identical' | 'diverged';

/**
 * The ordering rule on its own: shipping a SHA whose compare against what runs is `status` would take commits out
 * (`behind`, `diverged`), which is a rollback's job. Shared by the pre-flight check, the promotion gate
 * (src/domain/promotion.ts) and the check again before dispatch (src/deploys/dispatch.ts).
 */
export function stepsBack(status: CompareStatus | undefined): boolean {
  return status === 'behind' || status === 'diverged';
}

/**
 * A glob (`*` within a path segment, `**` across segments, `?` one character) as an anchored RegExp. A pattern
 * ending in `/` or naming a directory (`migrations/**`) matches everything under it.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` everything below.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}${glob.endsWith('/') ? '.*' : ''}$`);
}

/** True when `name` matches one of `globs`. */
export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}

/** One branch the SHA was compared with for provenance: `status` of the SHA against the branch head. */
export interface BranchReach {
  branch: string;
  /** Absent when GitHub could not compare (an unknown branch, an error). */
  status?: CompareStatus;
}

/**
 * Provenance: the SHA is reachable from the default branch or an allowed branch (`identical` or `behind` its head).
 * Not reachable: ✗ where the mode is `refuse`, else ⚠; nothing readable: ⚠ `unreadable`. Undefined when `off`.
 */
export function provenanceCheck(mode: CheckMode, input: { defaultBranch: string; reaches: BranchReach[]; allowedRefs: string[] }): PreflightCheck | undefined {
  if (mode === 'off') return undefined;
  const reached = input.reaches.find((r) => r.status === 'identical' || r.status === 'behind');
  const params = { defaultBranch: input.defaultBranch, ...(input.allowedRefs.length ? { allowedRefs: input.allowedRefs.join(', ') } : {}) };
  if (reached) return { check: 'provenance', verdict: 'pass', code: 'reachable', params: { ...params, branch: reached.branch } };
  if (input.reaches.every((r) => r.status === undefined)) return { check: 'provenance', verdict: 'warn', code: 'unreadable', params };
  return { check: 'provenance', verdict: mode === 'refuse' ? 'fail' : 'warn', code: 'not_reachable', params };
}

/** What the ordering check read: the SHA against what runs in the environment. */
export interface OrderingInput {
  /** The SHA that runs there; absent when nothing was deployed through foxops yet. */
  deployedSha?: string;
  /** `compare(deployed...sha)`; absent when GitHub could not compare. */
  status?: CompareStatus;
  aheadBy?: number;
  behindBy?: number;
  /** Authors of the commits that run there and the SHA lacks (for `behind`/`diverged`), most frequent first. */
  takenOutAuthors?: string[];
  compareUrl?: string;
}

/**
 * Not older than what runs: `ahead` (or `identical`, or nothing deployed) passes; `behind` or `diverged` takes
 * commits out, ✗ where the mode is `refuse` (a step back is `/deploy rollback`'s job), else ⚠. Undefined when `off`.
 */
export function orderingCheck(mode: CheckMode, input: OrderingInput): PreflightCheck | undefined {
  if (mode === 'off') return undefined;
  if (!input.deployedSha) return { check: 'ordering', verdict: 'pass', code: 'first_deploy' };
  const deployed = input.deployedSha;
  if (!input.status) return { check: 'ordering', verdict: 'warn', code: 'unreadable', params: { deployedSha: deployed } };
  if (input.status === 'identical') return { check: 'ordering', verdict: 'pass', code: 'same', params: { deployedSha: deployed } };
  if (!stepsBack(input.status)) return { check: 'ordering', verdict: 'pass', code: 'ahead', params: { deployedSha: deployed, aheadBy: input.aheadBy ?? 0 } };
  const authors = input.takenOutAuthors ?? [];
  return {
    check: 'ordering',
    verdict: mode === 'refuse' ? 'fail' : 'warn',
    code: input.status,
    params: {
      deployedSha: deployed,
      behindBy: input.behindBy ?? 0,
      aheadBy: input.aheadBy ?? 0,
      ...(input.compareUrl ? { compareUrl: input.compareUrl } : {}),
    },
    ...(authors.length ? { items: authors.slice(0, TAKEN_OUT_SHOWN) } : {}),
  };
}

/** Authors of `commits`, most commits first (ties in first-seen order). */
export function authorsByCount(commits: ReadonlyArray<{ author: string }>): string[] {
  const counts = new Map<string, number>();
  for (const c of commits) counts.set(c.author, (counts.get(c.author) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([author]) => author);
}

/** What the workflow check read: the workflow file's blob SHA on the default branch and at the pinned SHA. */
export interface WorkflowInput {
  /** The ref requested; the check runs only when it is not the default branch. */
  ref: string;
  defaultBranch: string;
  /** `.github/workflows/<file>`; absent when the service names its workflow by id (nothing to compare). */
  path?: string;
  defaultBlob?: string;
  refBlob?: string;
  /** Whether both blobs were read (a missing file reads as undefined). */
  read: boolean;
  /** The diff of the default branch against the SHA. */
  diffUrl?: string;
}

/** The workflow file: ⚠ `changed` when the ref's differs from the default branch's. Undefined when `off` or not applicable. */
export function workflowCheck(mode: 'warn' | 'off', input: WorkflowInput): PreflightCheck | undefined {
  if (mode === 'off' || input.ref === input.defaultBranch || !input.path) return undefined;
  const params = { path: input.path, defaultBranch: input.defaultBranch, ...(input.diffUrl ? { diffUrl: input.diffUrl } : {}) };
  if (!input.read) return { check: 'workflow', verdict: 'warn', code: 'unreadable', params };
  if (input.defaultBlob === input.refBlob) return { check: 'workflow', verdict: 'pass', code: 'same', params };
  return { check: 'workflow', verdict: 'warn', code: 'changed', params };
}

/** A time of the week in the environment's zone: ISO weekday (1 Monday … 7 Sunday) and hour. */
export interface LocalWeekTime {
  weekday: number;
  hour: number;
}

/** Friday from 12:00 to midnight. */
export function isFridayAfternoon(at: LocalWeekTime): boolean {
  return at.weekday === 5 && at.hour >= 12;
}

/** What the risk hints look at. */
export interface RiskInput {
  /** Commits between what runs and the SHA; absent when unknown (first deploy, compare failed). */
  commits?: number;
  maxCommits: number;
  /** Files changed between what runs and the SHA. */
  files: string[];
  riskyPaths: string[];
  /** Now, in the environment's zone. */
  local: LocalWeekTime;
  timeZone: string;
}

/** Risk hints: ⚠ with the reasons (`many_commits`, `risky_files`, `friday_afternoon`), never ✗; ✓ when none applies. */
export function riskCheck(input: RiskInput): PreflightCheck {
  const risky = input.riskyPaths.length ? input.files.filter((f) => matchesAny(f, input.riskyPaths)) : [];
  const many = input.commits !== undefined && input.commits > input.maxCommits;
  const friday = isFridayAfternoon(input.local);
  if (!many && risky.length === 0 && !friday) return { check: 'risk', verdict: 'pass' };
  const reasons = [...(many ? ['many_commits'] : []), ...(risky.length ? ['risky_files'] : []), ...(friday ? ['friday_afternoon'] : [])];
  return {
    check: 'risk',
    verdict: 'warn',
    code: reasons.join('+'),
    params: {
      ...(many ? { commits: input.commits!, maxCommits: input.maxCommits } : {}),
      ...(risky.length ? { riskyFiles: risky.length } : {}),
      ...(friday ? { timeZone: input.timeZone } : {}),
    },
    ...(risky.length ? { items: risky.slice(0, RISKY_FILES_SHOWN) } : {}),
  };
}

/** The checks that refuse: every ✗. */
export function failedChecks(checks: readonly PreflightCheck[]): PreflightCheck[] {
  return checks.filter((c) => c.verdict === 'fail');
}

/**
 * The failure `preflight_failed` of a request refused by its ✗ checks: which checks (`failed`, joined by `+`) and the
 * names and numbers the way out needs (the default branch, the ordering status, commits taken out and their authors).
 */
export function preflightFailure(
  failed: readonly PreflightCheck[],
  at: { environment: string; service: string; ref: string; sha: string },
): { code: 'preflight_failed'; params: Record<string, string | number | boolean> } {
  const params: Record<string, string | number | boolean> = { failed: failed.map((c) => c.check).join('+'), ...at };
  const provenance = failed.find((c) => c.check === 'provenance');
  if (provenance?.params?.defaultBranch !== undefined) params.defaultBranch = provenance.params.defaultBranch;
  if (provenance?.params?.allowedRefs !== undefined) params.allowedRefs = provenance.params.allowedRefs;
  const ordering = failed.find((c) => c.check === 'ordering');
  if (ordering) {
    params.ordering = ordering.code ?? 'behind';
    for (const key of ['deployedSha', 'behindBy', 'aheadBy'] as const) if (ordering.params?.[key] !== undefined) params[key] = ordering.params[key]!;
    if (ordering.items?.length) params.takenOutBy = ordering.items.join(', ');
  }
  const ci = failed.find((c) => c.check === 'ci');
  if (ci) {
    // The `ci` check (src/domain/ci-check.ts): what failed, or what could not be read and why.
    params.ci = ci.code ?? 'failing';
    if (ci.items?.length) params.ciFailing = ci.items.join(', ');
    const read = { ciRead: ci.params?.read, ciError: ci.params?.error, ciStatus: ci.params?.status, ciCause: ci.params?.cause };
    for (const [key, value] of Object.entries(read)) if (value !== undefined) params[key] = value;
  }
  return { code: 'preflight_failed', params };
}
