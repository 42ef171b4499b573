/**
 * A deploy request: one production change, from `/deploy` to the end of its workflow run.
 * Every change goes through {@link transition}, which refuses moves the state machine does not allow;
 * the store then writes it conditionally on the version read, so concurrent writers cannot both win.
 */
import type { EnforcedRun } from './enforcement.js';
import type { Hold } from './environment.js';
import type { PreflightCheck } from './preflight.js';
import type { Lock } from './lock.js';
import type { StackCheck, StackRestore } from './stack-check.js';

/** What the request changes. Promotion and rollback reuse the same approval and dispatch flow. */
export type RequestKind = 'deploy' | 'promote' | 'rollback';

/** Every state a request can be in. */
export const REQUEST_STATUSES = [
  'preparing', // created by the command; the job resolves the ref and posts the card
  'prepare_failed', // the ref could not be resolved, or the card could not be posted
  'awaiting_approval',
  'approved', // enough approvals; a dispatch job is on its way
  'queued_behind', // approved, held by the environment: another deploy in flight, a lock or a freeze (see `hold`)
  'dispatching', // one dispatch job has claimed it
  'dispatch_failed', // GitHub refused; approvers may retry
  'rolling_back', // a rollback by alias: one job has claimed it and moves the alias
  'rollback_failed', // the alias could not be moved (pruned version, moved meanwhile, denied); approvers may retry
  'dispatched',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'unknown', // GitHub no longer knows the run
  'rejected',
  'expired',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const ALLOWED: Record<RequestStatus, readonly RequestStatus[]> = {
  preparing: ['awaiting_approval', 'approved', 'prepare_failed'],
  prepare_failed: [],
  awaiting_approval: ['awaiting_approval', 'approved', 'rejected', 'expired'],
  approved: ['dispatching', 'rolling_back', 'queued_behind'],
  // Held until the environment lets it go: a job re-arms it (`approved`) when the deploy ahead ends or the lock or
  // freeze passes. The requester may withdraw it, an approver reject it.
  queued_behind: ['queued_behind', 'approved', 'rejected'],
  rolling_back: ['succeeded', 'rollback_failed'],
  rollback_failed: ['approved', 'expired', 'rejected'],
  dispatching: ['dispatched', 'dispatch_failed', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  // Retry re-arms the request for one more dispatch job. A dispatch that GitHub carried out although
  // the call failed (a timeout after GitHub accepted it) shows up as a run: then the request follows it.
  dispatch_failed: ['approved', 'expired', 'rejected', 'dispatched', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  dispatched: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'unknown'],
  queued: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'unknown'],
  running: ['running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'unknown'],
  // A finished run only moves again when GitHub re-runs it (a higher run_attempt); see `applyRunUpdate`.
  succeeded: ['queued', 'running'],
  failed: ['queued', 'running'],
  cancelled: ['queued', 'running'],
  timed_out: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  unknown: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  rejected: [],
  expired: [],
};

/** Statuses after which nothing more happens unless a run is re-run. */
export const FINAL_STATUSES: readonly RequestStatus[] = ['prepare_failed', 'succeeded', 'failed', 'cancelled', 'timed_out', 'unknown', 'rejected', 'expired'];
/** Statuses in which a GitHub run exists or is about to. */
export const RUN_STATUSES: readonly RequestStatus[] = ['dispatched', 'queued', 'running'];
/**
 * Statuses of a deploy that is on its way or running: approved (a dispatch is queued), being dispatched, or with a
 * run. The one meaning of "in flight" for status, alarms and (later) one deploy at a time.
 */
export const IN_FLIGHT_STATUSES: readonly RequestStatus[] = ['approved', 'dispatching', 'rolling_back', ...RUN_STATUSES];
/** Statuses of a request that waits for people: being prepared, for approvals, or for a retry after a refused dispatch. */
export const WAITING_STATUSES: readonly RequestStatus[] = ['preparing', 'awaiting_approval', 'queued_behind', 'dispatch_failed', 'rollback_failed'];
/**
 * Statuses that hold the one-deploy-at-a-time slot of their service and environment: claimed, being carried out or
 * running. `approved` does not: an approved request claims the slot in its dispatch job, right before it moves on.
 */
export const SLOT_STATUSES: readonly RequestStatus[] = ['dispatching', 'rolling_back', ...RUN_STATUSES];

/** True while the deploy is on its way or running (see {@link IN_FLIGHT_STATUSES}). */
export function isInFlight(status: RequestStatus): boolean {
  return IN_FLIGHT_STATUSES.includes(status);
}

/** True when the request needs no more attention. */
export function isFinal(status: RequestStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** True when the state machine allows going from `from` to `to`. */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** One approver's yes, for the exact SHA of the request. */
export interface Approval {
  userId: string;
  at: string;
  /** The user group through which the user may approve, when not listed by name. */
  viaGroup?: string;
}

/** A commit that the deploy will ship, newest last. */
export interface CommitSummary {
  sha: string;
  message: string;
  author: string;
  url: string;
}

/** What GitHub says a run or a job is doing (`pending`: waiting for a concurrency group; `waiting`: for an environment's reviewers). */
export type GitHubRunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'pending' | 'requested';

/** One job of the workflow run, as last reported. */
export interface RunJob {
  id: number;
  name: string;
  status: GitHubRunStatus;
  conclusion?: string | null;
  startedAt?: string | null;
  completedAt?: string | null;
  url?: string;
  /** The run attempt the job belongs to; a re-run replaces the job of an earlier attempt. */
  attempt?: number;
  /** The step that failed, if any. */
  failedStep?: string;
  /** Its number, for the link to the step's log (`<job url>#step:<n>:1`). */
  failedStepNumber?: number;
  /** The step running now, while the job runs. */
  currentStep?: string;
}

/** The GitHub deployment that the run's deploy job created (from `deployment_status` events). */
export interface RunDeployment {
  environment: string;
  /** GitHub's deployment state: queued, in_progress, success, failure, error, inactive… */
  state: string;
  /** The environment URL, or else the log of the job that deploys. */
  url?: string;
}

/** The GitHub Actions run that carries out the deploy. */
export interface RunInfo {
  id?: number;
  url?: string;
  attempt: number;
  /** GitHub's last status of this attempt, e.g. `waiting` while an environment reviewer must approve. */
  status?: GitHubRunStatus;
  /** When this attempt started, by GitHub's clock (`run_started_at`). */
  startedAt?: string;
  completedAt?: string;
  jobs: RunJob[];
  /** GitHub's conclusion once this attempt completed; absent while it runs, and when foxops gave up on it. */
  conclusion?: string;
  deployment?: RunDeployment;
}

/**
 * Why a request failed, as an outcome: a stable code and the data that explains it. The domain, the use cases and
 * the adapters never word it; the Slack adapter does (src/slack/blocks/failures.ts), so there is one wording.
 */
export interface Failure {
  /** Stable name of what went wrong, e.g. `ref_not_found`, `job_failed`, `run_overdue`; tests and logs branch on it. */
  code: string;
  /**
   * The names and numbers the explanation needs: repo, workflow, ref, run id, job and step names, a limit in ms,
   * an HTTP status… Never sentences: the wording belongs to whoever shows the failure.
   */
  params?: Record<string, string | number | boolean>;
  /**
   * What an outside system said, verbatim: e.g. GitHub's own error message. Shown quoted as that system's words,
   * never reworded, never interpreted.
   */
  cause?: string;
}

/** A production change and everything that happened to it. */
export interface DeployRequest {
  id: string;
  kind: RequestKind;
  service: string;
  environment: string;
  repo: string;
  workflow: string;
  ref: string;
  /** The immutable commit that approvers approve; set once the ref is resolved. */
  sha?: string;
  shaUrl?: string;
  /** SHA last deployed to this environment, the base of `commits`. */
  baseSha?: string;
  commits: CommitSummary[];
  /** Total commits between base and sha; `commits` holds at most 10. */
  totalCommits?: number;
  compareUrl?: string;
  requester: string;
  channel: string;
  /** Slack ts of the deploy card, once posted. */
  cardTs?: string;
  status: RequestStatus;
  requiredApprovals: number;
  approvals: Approval[];
  rejectedBy?: string;
  rejectionReason?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  dispatchedAt?: string;
  /** When the first dispatch was claimed: runs of this request are looked for from then on (Retry, recovery). */
  firstDispatchAt?: string;
  /** Dispatches claimed so far; from the second on, foxops looks for the earlier one's run before sending. */
  dispatchAttempts?: number;
  finishedAt?: string;
  /** Last time GitHub told us anything about the run; the reconciler looks at requests without news. */
  lastRunEventAt?: string;
  run?: RunInfo;
  /** Why the last step failed (prepare, dispatch or run), shown on the card in the Slack adapter's words. */
  failure?: Failure;
  /** What a rollback goes from and to, and how (kind `rollback` only). */
  rollback?: RollbackDetails;
  /**
   * The last rollback in this environment, while what it restored still runs: shown on the next card so that
   * nobody ships the change it took out again without seeing it. Copied from the ledger when the card is made.
   */
  rolledBack?: RollbackNote;
  /** What a promotion takes from where, and its gates (kind `promote` only; src/domain/promotion.ts). */
  promotion?: PromotionDetails;
  /** The target's stack as the prepare job found it: its backup under this deploy id, and drift (targets naming a `stack`). */
  stack?: StackCheck;
  /** Pre-flight checks of the pinned SHA, as the prepare job (and later CI news) found them (src/domain/preflight.ts). */
  preflight?: PreflightCheck[];
  /** The run that used this request's approval, as GitHub asked foxops (src/domain/enforcement.ts): "enforced by GitHub". */
  enforcedRun?: EnforcedRun;
  /**
   * `--break-glass`: an emergency change, approved by two of `break_glass_approvers`: during a freeze
   * (`duringFreeze`: a freeze was in force when it was asked), or past pre-flight checks that failed.
   */
  breakGlass?: { reason: string; duringFreeze?: true };
  /** Who pressed Cancel on the running deploy, and when (set once, conditionally; the run news then ends it `cancelled`). */
  cancelRequestedBy?: string;
  cancelRequestedAt?: string;
  /** When foxops asked GitHub to force-cancel, because the normal cancel did not take effect in time. */
  cancelForcedAt?: string;
  /** Why the environment holds it back (status `queued_behind`), and since when. */
  hold?: Hold & { since: string };
  /**
   * A lock someone else took on its environment or service while it waited for approvals: shown on the card, so
   * approvers know it will wait once approved. Set and cleared by `/deploy lock` and `/deploy unlock`.
   */
  lockedBy?: Lock;
  /**
   * CloudWatch alarms that went off during the bake window after this deploy succeeded (`bake` of its environment):
   * the alarm's name and when its state changed, one entry per state change, shown on the card (src/alarms/act.ts).
   */
  bakeAlarms?: BakeAlarm[];
  /** Bumped by every conditional write. */
  version: number;
}

/** An alarm that went off while a deploy baked: its name and when it went into ALARM (ISO). */
export interface BakeAlarm {
  name: string;
  at: string;
}

/** One end of a rollback: a deploy from the ledger, as the card shows it. */
export interface RollbackSide {
  requestId: string;
  sha: string;
  shaUrl?: string;
  ref: string;
  /** The Lambda version it left running, when recorded. */
  version?: string;
  /** Who requested that deploy, and when it finished. */
  requester: string;
  finishedAt: string;
  kind: RequestKind;
}

/** A rollback: asked for on the ack path (mode, target, reason), planned by the prepare job (from, to, live). */
export interface RollbackDetails {
  /** `stack`: `/deploy rollback --stack`, restores a backup of the target's stack through a change set. */
  mode: 'alias' | 'redeploy' | 'stack';
  /** What `to` named (a Lambda version, a SHA or a deploy id); absent: the last known good deploy. */
  target?: string;
  /** The words after `because`; for a rollback foxops started, why it did. */
  reason?: string;
  /** foxops started it itself: `auto_rollback` after an alarm during the bake window (src/alarms/act.ts). */
  auto?: boolean;
  /** What runs now (the newest success in the ledger). */
  from?: RollbackSide;
  /** The earlier success it goes back to. */
  to?: RollbackSide;
  /** Alias mode: the function and alias it moves, and the version the alias served when the card was made. */
  alias?: { functionName: string; alias: string; region?: string; live: string };
  /** Stack mode: the backup it restores and the change set made from it. */
  stack?: StackRestore;
}

/** A check a promotion must pass, as the prepare job found it: a code, whether it passed, and the data to explain it. */
export interface PromotionGate {
  gate: 'source_succeeded' | 'soaked' | 'no_alarm' | 'target_idle' | 'moves_forward';
  passed: boolean;
  params?: Record<string, string | number | boolean>;
}

/** A promotion: the source environment (on the ack path), then the deploy it takes and the gates (the prepare job). */
export interface PromotionDetails {
  /** The environment the SHA comes from. */
  from: string;
  /** The deploy that last succeeded there, whose SHA (and version) is promoted. */
  source?: RollbackSide;
  gates?: PromotionGate[];
}

/** The note a rollback leaves on its environment: what it took out, who did it and why. */
export interface RollbackNote {
  requestId: string;
  sha: string;
  version?: string;
  by: string;
  reason?: string;
  at: string;
}

/** Thrown when code asks for a move the state machine forbids: a bug or a stale caller. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: RequestStatus,
    readonly to: RequestStatus,
    readonly requestId: string,
  ) {
    super(`request ${requestId}: ${from} -> ${to} is not allowed`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * Returns a copy of `request` in status `to` with `changes` applied.
 * Throws {@link IllegalTransitionError} when the move is not allowed.
 */
export function transition(request: DeployRequest, to: RequestStatus, now: Date, changes: Partial<DeployRequest> = {}): DeployRequest {
  if (!canTransition(request.status, to)) throw new IllegalTransitionError(request.status, to, request.id);
  const next: DeployRequest = { ...request, ...changes, status: to, updatedAt: now.toISOString() };
  if (isFinal(to) && !next.finishedAt) next.finishedAt = now.toISOString();
  if (!isFinal(to)) delete next.finishedAt;
  return next;
}

/** Input for {@link newRequest}. */
export interface NewRequestInput {
  id: string;
  kind: RequestKind;
  service: string;
  environment: string;
  repo: string;
  workflow: string;
  ref: string;
  requester: string;
  channel: string;
  requiredApprovals: number;
  ttlMs: number;
  now: Date;
}

/** A fresh request in `preparing`, before its ref is resolved. */
export function newRequest(input: NewRequestInput): DeployRequest {
  const at = input.now.toISOString();
  return {
    id: input.id,
    kind: input.kind,
    service: input.service,
    environment: input.environment,
    repo: input.repo,
    workflow: input.workflow,
    ref: input.ref,
    commits: [],
    requester: input.requester,
    channel: input.channel,
    status: 'preparing',
    requiredApprovals: input.requiredApprovals,
    approvals: [],
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(input.now.getTime() + input.ttlMs).toISOString(),
    version: 0,
  };
}

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A short, readable deploy id (`d-` and 10 characters) from a digest.
 * Deriving it from Slack's trigger id makes a retried command map to the same request.
 */
export function deployIdFromDigest(digest: Uint8Array): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[digest[i]! % 32];
  return `d-${id}`;
}

/** A deploy id anywhere in a text, e.g. a run's `run-name` `Deploy production 3f2a… [d-7k2m9x4p1q]`. */
const DEPLOY_ID_IN_TEXT = /(?<![0-9a-z-])d-[0-9a-hjkmnp-tv-z]{10}(?![0-9a-z])/g;

/** The deploy ids that `text` mentions, first first, without repeats. */
export function findDeployIds(text: string | null | undefined): string[] {
  return text ? [...new Set(text.match(DEPLOY_ID_IN_TEXT) ?? [])] : [];
}

/**
 * True for a well-formed deploy id (`d-` and 10 characters of {@link deployIdFromDigest}'s alphabet). Ids that come
 * back from outside (button values, dialog metadata, job payloads) are checked with it before any store read.
 */
export function isDeployId(value: unknown): value is string {
  return typeof value === 'string' && /^d-[0-9a-hjkmnp-tv-z]{10}$/.test(value);
}

/** True once the request has been waiting past its expiry without reaching its approvals. */
export function hasExpired(request: DeployRequest, now: Date): boolean {
  const waiting = request.status === 'awaiting_approval' || request.status === 'dispatch_failed' || request.status === 'rollback_failed';
  return waiting && now.getTime() >= Date.parse(request.expiresAt);
}

/** The short form of a SHA that people read. */
export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : '…';
}
