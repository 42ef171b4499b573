/**
 * Every port: the small interfaces the use cases need from the outside world. Adapters in src/store,
 * src/github, src/slack, src/jobs and src/aws implement them; tests run the real adapters against fakes.
 * Ports carry domain types only: no Slack, GitHub or AWS types, and no sentences.
 */
import type { Lock } from './lock.js';
import type { EnforcedRun, EnforcementRefusal } from './enforcement.js';
import type { AlarmNotice, AlarmReport } from './alarm.js';
import type { AlarmDigest, AlarmEpisode, AlarmThreadRef, AlarmView, StormWindow } from './alarm-episode.js';
import type { CommitChecks } from './ci-check.js';
import type { CommitSummary, DeployRequest, RunJob } from './request.js';
import type { RunNotice, RunUpdate } from './run-events.js';
import type { DriftedResource, StackChange, StackTarget } from './stack.js';

/** Stored requests. Every write is conditional on the version read. */
export interface RequestRepository {
  /** Stores a new request; false when one with that id exists already (a retried command). */
  create(request: DeployRequest): Promise<boolean>;
  get(id: string): Promise<DeployRequest | undefined>;
  /** Writes `next` if the stored version is still `expectedVersion`; returns it with the new version. Throws `StaleWriteError` otherwise. */
  save(next: DeployRequest, expectedVersion: number): Promise<DeployRequest>;
  /** Requests that are not final, oldest news first. */
  listActive(limit?: number): Promise<DeployRequest[]>;
  /** Remembers which request a GitHub run belongs to. */
  linkRun(repo: string, runId: number, requestId: string): Promise<void>;
  findByRun(repo: string, runId: number): Promise<string | undefined>;
}

/** Something that happened, for the audit trail: who (`actor`), what (`action`, `outcome`), when, on which request and why (`detail`). */
export interface AuditEntry {
  /** The request it is about; absent for decisions that made none (a refused `/deploy`, a lock, an export). */
  requestId?: string;
  /** The environment it is about; entries without one are kept but in no environment's export. */
  environment?: string;
  service?: string;
  at: string;
  actor: string;
  action: string;
  outcome: 'ok' | 'refused' | 'error';
  detail?: string;
}

/** Which audit entries to read: those of `environments` recorded at or after `since` and before `until`. */
export interface AuditQuery {
  environments: string[];
  since: Date;
  until: Date;
}

/** The append-only audit trail. */
export interface AuditLog {
  /**
   * Appends an entry. With `once`, a name for it unique within its request (or environment) and time, recording the
   * same entry again is a no-op: a retried ack writes its entry without a duplicate, and without a gap when the first
   * attempt died before writing it.
   */
  record(entry: AuditEntry, options?: { once?: string }): Promise<void>;
  /** The entries of one request, oldest first. */
  list(requestId: string): Promise<AuditEntry[]>;
  /**
   * The entries of `query`, oldest first (several environments merged by time), read page by page as the caller
   * iterates: however long the period, no more than a page per environment is held.
   */
  read(query: AuditQuery): AsyncIterable<AuditEntry>;
}

/** One-time keys: a Slack retry, a GitHub redelivery or a repeated job is recognised and skipped. */
export interface IdempotencyKeys {
  /** True the first time a key is claimed, false ever after (until `ttlSeconds`). */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Gives a claimed key back, when the work it guarded failed and must be tried again. */
  release(key: string): Promise<void>;
}

/** What a successful deploy left running in one environment. */
export interface DeploymentRecord {
  service: string;
  environment: string;
  sha: string;
  /** Link to the commit on GitHub. */
  shaUrl?: string;
  ref: string;
  requestId: string;
  kind: DeployRequest['kind'];
  runId?: number;
  runUrl?: string;
  /** The run attempt that ended like this (a re-run records its own outcome). */
  attempt?: number;
  requester: string;
  approvers: string[];
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'unknown';
  /**
   * When the request was made (its `createdAt`): where lead time starts (docs/delivery-numbers.md). Absent in
   * entries recorded before foxops kept it; those are left out of lead time only.
   */
  requestedAt?: string;
  startedAt?: string;
  finishedAt: string;
  /**
   * The Lambda version the target's alias pointed to once this deploy succeeded (read with GetAlias by a job after
   * the run ended). Absent for failures, for environments without a Lambda target, and until the job has run.
   */
  version?: string;
  /** For a rollback: the earlier deploy it put back (deploys that finished between the two are taken out). */
  restores?: { requestId: string; finishedAt: string; sha: string; version?: string };
  /** For a rollback: what it took out, and why, for the note on status and the next card. */
  rolledBackFrom?: { requestId: string; sha: string; version?: string; reason?: string };
  /** The backup of the target's stack (template and parameters) taken before this change, stored under `requestId`. */
  backup?: { stack: string; at: string };
}

/** What runs where, and what ran before. */
export interface DeploymentLedger {
  /** Records a finished deploy; a success also becomes the environment's current deployment. */
  record(entry: DeploymentRecord): Promise<void>;
  current(service: string, environment: string): Promise<DeploymentRecord | undefined>;
  history(service: string, environment: string, count: number): Promise<DeploymentRecord[]>;
  /** Every entry of `service` in `environment` that finished at or after `since`, oldest first, however many pages that takes. */
  since(service: string, environment: string, since: Date): Promise<DeploymentRecord[]>;
}

/** The answer of {@link EnvironmentState.takeLock}. */
export type LockTaken = { taken: true; lock: Lock; renewed: boolean } | { taken: false; holder: Lock };

/**
 * Environment-wide state: locks and the one-deploy-at-a-time slot of each service (on AWS, items under
 * `ENV#<environment>` in the table). Every change is one conditional write, so of two people (or jobs) racing for
 * the same lock or slot, exactly one wins and the other learns who did.
 */
export interface EnvironmentState {
  /** The stored locks of `environment`, ended ones included until they are replaced or removed. */
  locks(environment: string): Promise<Lock[]>;
  /**
   * True when an active lock that someone other than `requester` holds may cover `service` in `environment` at
   * `now`: a count, without reading the locks, for the path that answers Slack (the answer then reads them with
   * {@link locks} to say which). A `false` is final; a `true` is confirmed by the domain on the full read.
   */
  anyLockAgainst(environment: string, service: string, requester: string, now: Date): Promise<boolean>;
  /**
   * Takes `lock` (the environment's, or one service's) unless someone else holds an active one there; the owner of
   * the active lock takes it again to change its reason or end (`renewed`). `now` decides what has ended.
   */
  takeLock(lock: Lock, now: Date): Promise<LockTaken>;
  /** Removes the lock `expected` if it is still the one stored (same owner and start); false when it changed or went. */
  releaseLock(expected: Lock): Promise<boolean>;
  /** The request id holding the slot of `service` in `environment`, if any (it may have ended since: the caller checks). */
  slotHolder(service: string, environment: string): Promise<string | undefined>;
  /**
   * Makes `requestId` the slot's holder if the slot is free, held by `requestId` already, or still held by
   * `replacing` (a holder the caller found has ended). False when someone else holds it now.
   */
  claimSlot(service: string, environment: string, requestId: string, replacing?: string): Promise<boolean>;
}

/** A Lambda function's alias in one region: where a service runs (from `targets.<env>` in foxops.yml). */
export interface AliasTarget {
  functionName: string;
  alias: string;
  region?: string;
}

/** Where an alias points now; `revisionId` guards a move against someone else's move in between. */
export interface AliasState {
  version: string;
  revisionId: string;
}

/** Lambda aliases of the deployed services: what runs, to the version, and the rollback's one move. */
export interface FunctionAliases {
  /** Where the alias points now; throws `AliasError` (src/domain/errors.ts) `not_found` when the function or alias does not exist. */
  get(target: AliasTarget): Promise<AliasState>;
  /** True when `version` of the function still exists (versions can be deleted). */
  versionExists(target: AliasTarget, version: string): Promise<boolean>;
  /** Points the alias at `version` if it still is at `expected.revisionId`; throws `moved_meanwhile` otherwise. */
  move(target: AliasTarget, version: string, expected: AliasState): Promise<AliasState>;
}

/** A stack as foxops reads it before a change: its state and its parameters. */
export interface StackState {
  status: string;
  /** CloudFormation's `StackStatusReason`, verbatim, when it gives one. */
  reason?: string;
  parameters: Array<{ key: string; value: string }>;
}

/** A change set as CloudFormation describes it: `pending` while it is being created. */
export interface ChangeSetState {
  status: 'pending' | 'ready' | 'failed';
  /** CloudFormation's `StatusReason`, verbatim (why it failed, e.g. it contains no changes). */
  reason?: string;
  /** `AVAILABLE` until executed, then `EXECUTE_IN_PROGRESS`, `EXECUTE_COMPLETE`, `EXECUTE_FAILED`… */
  executionStatus?: string;
  changes: StackChange[];
}

/** Where one drift detection is. */
export type DriftDetection = 'in_progress' | 'complete' | 'failed';

/**
 * The deployed services' CloudFormation stacks (`targets.<env>.stack`). Every call throws `StackError`
 * (src/domain/stack.ts) with the action and what AWS said when it fails.
 */
export interface Stacks {
  /** The stack's state and parameters (`DescribeStacks`). */
  describe(target: StackTarget): Promise<StackState>;
  /** The template as it was submitted (`GetTemplate`, stage `Original`). */
  template(target: StackTarget): Promise<string>;
  /** Starts a drift detection (`DetectStackDrift`); returns its id. */
  detectDrift(target: StackTarget): Promise<string>;
  /** Where the detection `detectionId` is (`DescribeStackDriftDetectionStatus`). */
  driftDetection(target: StackTarget, detectionId: string): Promise<DriftDetection>;
  /** The resources found `MODIFIED` or `DELETED` by the last detection (`DescribeStackResourceDrifts`). */
  driftedResources(target: StackTarget): Promise<DriftedResource[]>;
  /** Creates an UPDATE change set `name` of the template and parameters (`CreateChangeSet`); returns its id. */
  createChangeSet(
    target: StackTarget,
    name: string,
    change: { templateBody: string; parameters: StackState['parameters']; description: string },
  ): Promise<string>;
  /** The change set `name` now (`DescribeChangeSet`). */
  describeChangeSet(target: StackTarget, name: string): Promise<ChangeSetState>;
  /** Executes the change set `name` (`ExecuteChangeSet`); the stack then updates on its own. */
  executeChangeSet(target: StackTarget, name: string): Promise<void>;
}

/** A stack's template and parameters as they were before the change `deployId`. */
export interface StackBackup {
  deployId: string;
  stackName: string;
  region?: string;
  /** The stack's state when it was backed up. */
  status: string;
  at: string;
  templateBody: string;
  parameters: Array<{ key: string; value: string }>;
}

/** Where stack backups are kept (the table, under `BACKUP#<deploy id>`). */
export interface StackBackups {
  /** Stores `backup`; a second backup under the same deploy id replaces the first (a repeated prepare job). */
  put(backup: StackBackup): Promise<void>;
  get(deployId: string): Promise<StackBackup | undefined>;
}

/**
 * Alarm episodes, the storm window of each channel and its digests (src/domain/alarm-episode.ts). Every write is
 * conditional on the version read (0: nothing stored yet): of two alarm jobs racing, one writes, the other reads again.
 */
export interface AlarmEpisodes {
  /** The newest episode of the alarm `name`. */
  get(name: string): Promise<AlarmEpisode | undefined>;
  /** Stores `next` as version `expectedVersion + 1` if the stored version is still `expectedVersion`; false when it is not. */
  save(next: AlarmEpisode, expectedVersion: number): Promise<boolean>;
  window(channel: string): Promise<StormWindow | undefined>;
  /** As {@link save}, for the storm window of `next.channel`. */
  saveWindow(next: StormWindow, expectedVersion: number): Promise<boolean>;
  digest(channel: string, id: string): Promise<AlarmDigest | undefined>;
  /** As {@link save}, for the digest `next.id` of `next.channel`. */
  saveDigest(next: AlarmDigest, expectedVersion: number): Promise<boolean>;
}

/** Which CloudWatch alarms of a service to look at in one environment: exact names and name prefixes, in a region. */
export interface AlarmQuery {
  names: string[];
  prefixes: string[];
  region?: string;
}

/** The deployed services' CloudWatch alarms, as a promotion gate reads them. */
export interface AlarmStates {
  /**
   * The names of the alarms matching `query` that are in ALARM now (`DescribeAlarms`). Throws `AlarmReadError`
   * (src/domain/promotion.ts) with the action, the resource and what AWS said when CloudWatch does not answer.
   */
  firing(query: AlarmQuery): Promise<string[]>;
}

/** Images of CloudWatch metrics, for the graph under an alarm post (the widget comes from src/domain/alarm-graph.ts). */
export interface MetricGraphs {
  /**
   * The PNG of the metric widget `widget` (CloudWatch's MetricWidget JSON) rendered in `region` (default: the
   * client's). Throws `MetricGraphError` (src/domain/alarm-graph.ts): `refused` when CloudWatch will not draw it
   * (a bad widget, no permission; trying again does not help), `unavailable` when it did not answer.
   */
  render(widget: string, region?: string): Promise<Uint8Array>;
}

/** A resolved commit. */
export interface ResolvedRef {
  sha: string;
  url: string;
  commit: CommitSummary;
}

/** Commits between what runs and what will run. */
export interface CommitRange {
  commits: CommitSummary[];
  total: number;
  url: string;
  /** GitHub's compare status of head against base (`ahead`: head has commits base lacks, and none the other way). */
  status?: 'ahead' | 'behind' | 'identical' | 'diverged';
  /** Commits head has and base lacks. */
  aheadBy?: number;
  /** Commits base has and head lacks. */
  behindBy?: number;
  /** Names of the files the range changes (GitHub lists at most 300). */
  files?: string[];
}

/**
 * The `workflow_dispatch` inputs foxops sends to a service's deploy workflow, in the order it sends them.
 * The example workflow declares exactly these (test/unit/workflow.test.ts compares it with what is sent):
 * GitHub rejects a dispatch that carries an input the workflow does not declare.
 * - `environment`: the foxops environment, also the GitHub environment that guards the deploy job;
 * - `sha`: the exact commit to build and deploy (the dispatch `ref` is the requested branch or tag);
 * - `deploy_id`: foxops' id for the deploy; the workflow's `run-name` carries it so foxops can find the run;
 * - `requested_by`, `approved_by`: who asked and who approved, for the run's summary and audit trail.
 */
export const DISPATCH_INPUT_NAMES = ['environment', 'sha', 'deploy_id', 'requested_by', 'approved_by'] as const;

/** Inputs of the deploy workflow: one string per name in {@link DISPATCH_INPUT_NAMES}. */
export type DispatchInputs = Record<(typeof DISPATCH_INPUT_NAMES)[number], string>;

/** A workflow run as the API shows it now, with its rendered `run-name`. */
export interface RunSnapshot extends RunUpdate {
  title?: string;
  createdAt?: string;
}

/** The GitHub side of a deploy. */
export interface SourceControl {
  resolveRef(repo: string, ref: string): Promise<ResolvedRef>;
  /** Up to `limit` commits after `base` up to `head`, oldest first. */
  compare(repo: string, base: string, head: string, limit: number): Promise<CommitRange>;
  /** The blob SHA of the file at `path` on `ref` (contents API); undefined when there is no such file there. */
  fileBlob(repo: string, path: string, ref: string): Promise<string | undefined>;
  dispatchWorkflow(repo: string, workflow: string, ref: string, inputs: DispatchInputs): Promise<{ runId?: number; runUrl?: string }>;
  /** The run now; undefined when GitHub does not know it (404: deleted, or never existed). */
  getRun(repo: string, runId: number): Promise<RunSnapshot | undefined>;
  /** The jobs of the run's latest attempt. */
  listRunJobs(repo: string, runId: number): Promise<RunJob[]>;
  /** The `workflow_dispatch` run of `workflow` created after `createdAfter` whose `run-name` carries `deployId`. */
  findRunByDeployId(repo: string, workflow: string, deployId: string, createdAfter: Date): Promise<RunSnapshot | undefined>;
  /**
   * Asks GitHub to cancel run `runId` (`force`: force-cancel, for a run that does not respond to the normal cancel).
   * `requested`: GitHub took the request (the run ends `cancelled` soon, told by its webhook); `completed`: the run had
   * finished already (409), nothing changed; `not_found`: GitHub does not know the run.
   */
  cancelRun(repo: string, runId: number, force?: boolean): Promise<'requested' | 'completed' | 'not_found'>;
  /** The latest check run per name and the latest commit status per context on `sha` (the `ci` pre-flight check). */
  commitChecks(repo: string, sha: string): Promise<CommitChecks>;
  /** The check names the protection of the default branch requires (none when it is not protected or requires none). */
  requiredChecks(repo: string): Promise<string[]>;
}

/**
 * An edit of a deploy card, coalesced per time slot (see src/cards/sync.ts): `lead` edits now if the
 * slot is free, `trail` edits once the slot after `slot` begins.
 */
export type CardJob = {
  type: 'card';
  requestId: string;
  slot: number;
  phase: 'lead' | 'trail';
  /** Earlier edits of this job that Slack did not take (network, 5xx after the client's retries). */
  tries?: number;
};

/** A threaded reply under the card for a run milestone of one attempt. */
export type NoticeJob = {
  type: 'notice';
  requestId: string;
  notice: RunNotice;
  attempt: number;
  /** Earlier posts of this notice that failed for a reason that may pass. */
  tries?: number;
};

/**
 * `/deploy audit`: the audit trail of `environments` from `since` to `until` (ISO times, fixed when asked, so a
 * redelivery exports the same period) as a CSV and a JSON Lines file in a direct message to `userId`. `key`: the
 * identity of the ask (derived from Slack's trigger id), so a retried command exports once.
 */
export type AuditExportJob = { type: 'audit_export'; userId: string; environments: string[]; since: string; until: string; key?: string };

/**
 * The graph under an ALARM post: `alarm`'s metric over the 3 hours before it, uploaded as a reply in the thread of
 * the message `threadTs` in `channel`, with the likely-cause deploy (`deployAt`, its finish, and `deploySha`) drawn
 * as a vertical line. Queued by the alarm job once its message is posted, never on the path that answers SNS.
 */
export type AlarmGraphJob = { type: 'alarm_graph'; alarm: AlarmNotice; channel: string; threadTs: string; deployAt?: string; deploySha?: string };

/**
 * Bring Slack up to date with an alarm episode's or digest's message and thread (src/alarms/episodes.ts): queued by an
 * alarm job that ran out of time while Slack's pace of one message a second per channel held it, with the `version` of
 * the item then (so that each hand-over is a job of its own).
 */
export type AlarmSyncJob = { type: 'alarm_sync'; ref: AlarmThreadRef; version: number };

/** Work that must not hold up Slack's 3-second ack or GitHub's 10-second webhook timeout. */
export type Job =
  | { type: 'prepare'; requestId: string }
  /** `version`: the request version that queued it (approval or Retry), so each arming dispatches at most once. */
  | { type: 'dispatch'; requestId: string; version?: number }
  /** `at`: the minute of the pass, so one pass is queued once per minute. */
  | { type: 'reconcile'; at?: string }
  | CardJob
  | NoticeJob
  /** A CloudWatch alarm state change to post; queued by the SNS and EventBridge routes, one job per alarm, state and time. */
  | { type: 'alarm'; alarm: AlarmNotice }
  | AlarmSyncJob
  | AlarmGraphJob
  /**
   * After run attempt `attempt` of a request succeeded in an environment whose target names a Lambda function: read
   * which version the alias serves (GetAlias) and record it in the ledger entry. Queued by the run news, never run on it.
   */
  | { type: 'record_version'; requestId: string; attempt: number }
  | AuditExportJob
  /** Something that held `environment` ended: let the oldest request of `service` held there go, if it may now. */
  | { type: 'advance'; service: string; environment: string }
  /** A message about the environment for a channel (a lock, an unlock, a break-glass request); see {@link ChannelNotice}. */
  | { type: 'channel_notice'; channel: string; notice: ChannelNotice }
  /**
   * Cancel was pressed on the card: ask GitHub to cancel the request's run (`force`: force-cancel, queued by the
   * reconciler when the normal cancel did not take effect in time). The run news then ends the request.
   */
  | { type: 'cancel_run'; requestId: string; force?: boolean }
  /** Run attempt `attempt` of a request failed or timed out: a direct message to its requester and approvers (see {@link UserPreferences}). */
  | { type: 'failure_dm'; requestId: string; attempt: number }
  /**
   * Compute the `ci` pre-flight check again for a request that waits for approval while CI runs (⏳); queued by the
   * `check_suite` and `status` webhooks and by the reconciler (src/deploys/ci-check.ts).
   */
  | { type: 'ci_check'; requestId: string }
  | ProtectionRuleJob;

/**
 * A workflow run waits on foxops' custom deployment protection rule for `environment` (GitHub's `deployment_protection_rule`
 * event): decide whether it may use a deploy's approval, and answer GitHub as app installation `installationId`. Queued
 * by the webhook, one per wait: GitHub's `deploymentId` of it (a re-run attempt gets a new one), else the delivery.
 */
export type ProtectionRuleJob = {
  type: 'protection_rule';
  repo: string;
  runId: number;
  environment: string;
  installationId: number;
  deploymentId?: number;
  delivery: string;
};

/** What GitHub says of a run that waits on a protection rule: its name (with the deploy id), attempt and commit. */
export interface WaitingRun {
  runId: number;
  attempt: number;
  /** The rendered `run-name` (`display_title`). */
  title?: string;
  headSha: string;
  headBranch?: string;
  /** The workflow file, `.github/workflows/deploy.yml`. */
  workflowPath?: string;
}

/** Why foxops could not decide about a waiting run (it then rejects it: GitHub is never left waiting). */
export type UndecidedReason = 'run_not_found' | 'github_unavailable' | 'store_unavailable' | 'timeout';

/**
 * foxops' answer to a waiting run, with what the words need: the deploy it used, or the refusal (or why no decision
 * was possible) and how to ask for the deploy in Slack (`environment`, `service` and `sha` where known).
 */
export type ProtectionVerdict =
  | { state: 'approved'; deployId: string; runId: number; attempt: number }
  | {
      state: 'rejected';
      refusal?: EnforcementRefusal;
      undecided?: UndecidedReason;
      ask: { environment: string; service?: string; sha?: string; channels?: string[] };
    };

/** GitHub as the app installation that owns the custom deployment protection rule. */
export interface ProtectionRules {
  /** The run `runId` of `repo`; undefined when GitHub does not know it. Throws when GitHub cannot be read. */
  readRun(repo: string, runId: number): Promise<WaitingRun | undefined>;
  /** Answers the run's wait on `environment` (approved or rejected, with a comment). Throws with GitHub's `status`. */
  answer(repo: string, runId: number, environment: string, verdict: ProtectionVerdict): Promise<void>;
}

/** Something people in a channel should know that is no card: worded by the Slack adapter. */
export type ChannelNotice =
  /** `lock` was taken (or its reason or end changed: `renewed`). */
  | { kind: 'lock_taken'; lock: Lock; renewed: boolean }
  /** `lock` was lifted by `by` (its owner, or an approver). */
  | { kind: 'lock_released'; lock: Lock; by: string }
  /** A break-glass request was made (`requested`) or got its approvals (`approved`); the words come from the stored request. */
  | { kind: 'break_glass'; requestId: string; stage: 'requested' | 'approved' }
  /** Alarm `alarm` went off during the bake of deploy `deployId`, and foxops started rollback `requestId` without approval (`auto_rollback`). */
  | { kind: 'auto_rollback'; requestId: string; alarm: string; deployId: string }
  /**
   * A workflow run of `repository` asked to use an approval it may not (`code`, src/domain/enforcement.ts), or named
   * none (`unknown_deploy`): someone tried to deploy `environment` without approval. Checked `via` its OIDC token or
   * the protection rule; `deployId` is the deploy it named, when it looked like one.
   */
  | {
      kind: 'unapproved_run';
      environment: string;
      repository: string;
      runId: number;
      runAttempt?: number;
      deployId?: string;
      code: EnforcementRefusal['code'];
      via: EnforcedRun['via'];
    };

/** Options of {@link JobQueue.enqueue}. */
export interface EnqueueOptions {
  /**
   * The job's identity: a job whose key was queued before is not queued again, even after it ran (for a week), so
   * a repeated webhook, command or job cannot run the same work twice. Default: derived from the job (`jobKey`).
   */
  key?: string;
}

/**
 * Queues jobs durably: on AWS a job item in the table (the outbox), delivered by the table's stream with retries
 * and a dead-letter queue, and swept by the reconciler if a delivery was lost; locally the same item, run in-process.
 */
export interface JobQueue {
  /** Stores `job` to run soon; resolves once it is stored (not run). False when its key was queued before. */
  enqueue(job: Job, options?: EnqueueOptions): Promise<boolean>;
  /**
   * True when a newly stored request reaches the jobs by itself, as its own prepare job: on AWS the table's stream
   * delivers the request's item too (src/jobs/stream.ts), so the ack of a command stores the request and nothing
   * else. False where jobs run in this process (npm start): the ack queues the prepare job.
   */
  readonly deliversNewRequests: boolean;
}

/** A stored job and how often it was started. */
export interface StoredJob {
  key: string;
  job: Job;
  attempts: number;
  createdAt: string;
  /** Until when a runner holds it, if one does (a job stored leased to its writer carries it from the start). */
  leaseUntil?: string;
}

/** The answer of {@link JobOutbox.lease}. */
export type Lease =
  /** This caller may run the job now, until `until`; `attempts` counts this start. */
  | { state: 'leased'; job: Job; attempts: number; until: string }
  /** Nothing to do: the job ran to the end, was buried, or never existed. */
  | { state: 'done' }
  /** Another delivery holds it until `until`; try again later. */
  | { state: 'busy'; until: string };

/** The job items behind {@link JobQueue}: stored once per key, leased to one runner at a time, then closed. */
export interface JobOutbox {
  /**
   * Stores a pending job; false when `key` exists already (pending, done or buried). With `leaseMs`, the job is
   * stored already leased to the caller, who runs it at once (see `queueAndRun` in src/jobs/run.ts).
   */
  add(key: string, job: Job, now: Date, leaseMs?: number): Promise<boolean>;
  /** Takes the pending job `key` for `leaseMs`, unless someone holds it or it is closed. */
  lease(key: string, now: Date, leaseMs: number): Promise<Lease>;
  /** Closes the job after it ran to the end: later deliveries find it done. */
  complete(key: string, now: Date): Promise<void>;
  /** Gives the lease back after a failure, so the next delivery may start at once. */
  release(key: string): Promise<void>;
  /** Pending jobs created before `before`, oldest first: deliveries the stream lost or gave up on. */
  stale(before: Date, limit: number): Promise<StoredJob[]>;
  /** Takes a job that kept failing out of the queue, keeping it for the operator with `reason`. */
  bury(key: string, now: Date, reason: string): Promise<void>;
}

/** How hard {@link CardPublisher.refresh} insists on showing the newest version. */
export interface RefreshOptions {
  /**
   * `newest` (default): re-render while writers keep storing newer versions, so the last refresh to finish
   * leaves the newest state. `final`: render once, and again only if a final state was stored meanwhile;
   * for coalesced edits, where every newer write has an edit of its own on the way.
   */
  insist?: 'newest' | 'final';
}

/** A direct message to one person: a deploy they requested or approved failed (or timed out). */
export type DirectMessage = { kind: 'run_failed'; request: DeployRequest };

/** What one person chose about notifications; absent choices keep the defaults. */
export interface UserPrefs {
  /** A direct message when a deploy they requested or approved fails; default on. */
  failureDm?: boolean;
}

/** Each person's notification choices (App Home), in the table: item `USER#<id>` / `#PREFS`. */
export interface UserPreferences {
  /** The stored choices of `userId`; `{}` when none. */
  get(userId: string): Promise<UserPrefs>;
  /** Stores `prefs` for `userId` (the whole set: last writer wins, a person toggles their own). */
  set(userId: string, prefs: UserPrefs): Promise<void>;
}

/** Something only the requester needs to know, told privately in the request's channel. */
export type Whisper = { kind: 'prepare_failed'; request: DeployRequest };

/**
 * The conversation around deploys: cards, private notes, thread replies, alarm posts. It takes outcomes
 * (requests, notices, reports); the Slack adapter decides the words and the Block Kit.
 */
export interface CardPublisher {
  /** Posts the card for `request` in its channel; returns the message ts. */
  post(request: DeployRequest): Promise<string>;
  /** Re-renders the card from the stored request until Slack shows the newest version (see {@link RefreshOptions}). */
  refresh(requestId: string, options?: RefreshOptions): Promise<void>;
  /** Tells the person concerned privately; a failure to deliver is logged, never thrown. */
  whisper(message: Whisper): Promise<void>;
  /** The threaded reply under the card for a run milestone, rendered from `request` as stored now. */
  reply(request: DeployRequest, notice: RunNotice): Promise<void>;
  /** Posts an alarm report in `channel`; returns its ts. */
  announce(channel: string, report: AlarmReport): Promise<string>;
  /** Posts the message of an alarm episode or of a storm digest in `channel`; returns its ts. */
  postAlarm(channel: string, view: AlarmView): Promise<string>;
  /** Posts alarm changes as a reply in the thread of `threadTs` in `channel`; returns the reply's ts. */
  alarmReply(channel: string, threadTs: string, view: AlarmView): Promise<string>;
  /** Replaces the alarm message or reply `ts` in `channel` with `view`. */
  reviseAlarm(channel: string, ts: string, view: AlarmView): Promise<void>;
  /** Posts `notice` in `channel` (locks, break-glass); returns its ts. */
  tell(channel: string, notice: ChannelNotice): Promise<string>;
  /** Sends `message` to `userId` in a direct message with foxops. */
  dm(userId: string, message: DirectMessage): Promise<void>;
}

/** User-group membership, for policies that name groups. */
export interface Directory {
  /** The groups among `groupIds` that `userId` belongs to. */
  groupsOf(userId: string, groupIds: string[]): Promise<string[]>;
}

/** A file written to local disk, ready to hand over: its path, the name people see, its size and format. */
export interface ExportFile {
  path: string;
  name: string;
  bytes: number;
  format: 'csv' | 'jsonl';
}

/** What an audit export holds, for the words that go with its files. */
export interface AuditExportSummary {
  environments: string[];
  since: string;
  until: string;
  /** Entries in each file. */
  count: number;
}

/** The graph of an alarm's metric as a PNG, and what it shows, for the words that go with it. */
export interface AlarmGraphImage {
  alarm: AlarmNotice;
  png: Uint8Array;
  /** The likely-cause deploy's commit, when the graph marks it. */
  deploySha?: string;
  /** True when the graph draws the alarm's threshold. */
  threshold: boolean;
}

/** Files for people: the audit export in a direct message, and the alarm graph in the thread of the alarm's message. */
export interface FileDelivery {
  /** Sends the files of an audit export to `userId` in a direct message, with a comment saying what they hold. */
  sendAuditExport(userId: string, summary: AuditExportSummary, files: ExportFile[]): Promise<void>;
  /**
   * Uploads `graph` as a reply in the thread of the message `threadTs` in `channel`; returns Slack's file id. Throws
   * `FileRefusedError` (src/domain/errors.ts) when Slack refuses for a reason that trying again does not change.
   */
  shareAlarmGraph(channel: string, threadTs: string, graph: AlarmGraphImage): Promise<string>;
}
