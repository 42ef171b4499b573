/**
 * What the deploy use cases need, wired once per process by the entry points (see src/wiring.ts).
 * Heavy adapters (GitHub) are behind functions so that paths which do not use them never load them.
 */
import type { Catalog } from '../domain/catalog.js';
import type {
  AlarmEpisodes,
  AlarmStates,
  AuditLog,
  CardPublisher,
  DeploymentLedger,
  Directory,
  EnvironmentState,
  FileDelivery,
  FunctionAliases,
  IdempotencyKeys,
  JobOutbox,
  JobQueue,
  MetricGraphs,
  ProtectionRules,
  RequestRepository,
  SourceControl,
  StackBackups,
  Stacks,
  UserPreferences,
} from '../domain/ports.js';
import type { Logger } from '../log.js';

/** Everything the deploy use cases need. */
export interface DeployContext {
  catalog: Catalog;
  requests: RequestRepository;
  audit: AuditLog;
  idempotency: IdempotencyKeys;
  ledger: DeploymentLedger;
  jobs: JobQueue;
  /** The items behind `jobs`: the stream runner leases them, the reconciler sweeps the ones left behind. */
  outbox: JobOutbox;
  /** Locks and the one-deploy-at-a-time slots of each environment. */
  environments: EnvironmentState;
  /** Alarm episodes, and each channel's storm window and digests (one message per episode, src/alarms/episodes.ts). */
  alarmEpisodes: AlarmEpisodes;
  cards: CardPublisher;
  directory: Directory;
  /** Each person's notification choices (the failure DM), toggled in App Home. */
  preferences: UserPreferences;
  /** Loaded on first use: only jobs talk to GitHub. */
  sourceControl: () => Promise<SourceControl>;
  /**
   * GitHub as app installation `installationId`, which answers custom deployment protection rules; loaded on first use,
   * by jobs only. Absent when foxops authenticates with a token: only a GitHub App can own such a rule.
   */
  protectionRules?: (installationId: number) => Promise<ProtectionRules>;
  /** The deployed services' Lambda aliases; loaded on first use, by jobs only (never on an ack path). */
  functionAliases: () => Promise<FunctionAliases>;
  /** The deployed services' CloudWatch alarms (promotion gates); loaded on first use, by jobs only. */
  alarmStates: () => Promise<AlarmStates>;
  /** Images of the deployed services' CloudWatch metrics (the graph under an alarm post); loaded on first use, by jobs only. */
  metricGraphs: () => Promise<MetricGraphs>;
  /** The deployed services' CloudFormation stacks; loaded on first use, by jobs only (never on an ack path). */
  stacks: () => Promise<Stacks>;
  /** Where stack backups are kept (the table); loaded on first use, by jobs only. */
  stackBackups: () => Promise<StackBackups>;
  /** Files for people (the audit export by direct message, the alarm graph in its thread); loaded on first use, by jobs only. */
  files: () => Promise<FileDelivery>;
  /** CloudFormation polls of the stack check and the stack rollback (default {@link DEFAULT_STACK_POLLS} every {@link DEFAULT_STACK_POLL_MS} ms). */
  stackPolls?: { polls?: number; intervalMs?: number };
  logger: Logger;
  /** The clock of every decision (expiry, timeouts, audit times); tests inject theirs and move it by hand. */
  now: () => Date;
  /**
   * Milliseconds for card-edit slots (see src/cards/sync.ts); default `Date.now`. Apart from {@link now} because
   * slots must pass with real time, even where a test holds the decision clock still; unit tests use fake timers.
   */
  slotClock?: () => number;
  /** Least time between coalesced edits of one card (default 1000 ms, see src/cards/sync.ts). */
  cardUpdateSpacingMs?: number;
  /** Least time between new alarm messages (replies included) in one channel (default 1000 ms, src/alarms/episodes.ts). */
  alarmPostSpacingMs?: number;
}

/** CloudFormation status reads (drift detection, change set, stack update) before a job stops waiting. */
export const DEFAULT_STACK_POLLS = 8;
/** Time between two of those reads. */
export const DEFAULT_STACK_POLL_MS = 2000;
