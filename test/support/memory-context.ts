/**
 * A complete, typed {@link DeployContext} on in-memory stand-ins, for unit tests of use cases and protocols that
 * need no real store or network (the integration tests run the real adapters on dynalite and loopback fakes).
 * Every port records what it was asked; each test overrides the ports it is about.
 */
import type { DeployContext } from '../../src/deploys/context.js';
import type { AlarmView } from '../../src/domain/alarm-episode.js';
import type { AuditEntry, AuditQuery, CardPublisher, ChannelNotice, DirectMessage, Job, SourceControl, UserPrefs } from '../../src/domain/ports.js';
import type { DeployRequest } from '../../src/domain/request.js';
import type { RunNotice } from '../../src/domain/run-events.js';
import { memoryLogger } from '../../src/log.js';
import { TEST_CATALOG } from './catalog.js';
import { MemoryAlarmEpisodes } from './memory-alarm-episodes.js';
import { MemoryEnvironmentState } from './memory-environment.js';

/** What the in-memory ports saw. */
export interface MemoryContext {
  ctx: DeployContext;
  /** Claimed one-time keys. */
  keys: Set<string>;
  jobs: Job[];
  /** Recorded audit entries, in the order recorded. */
  audit: AuditEntry[];
  /** `Date.now()` at each card refresh. */
  edits: number[];
  replies: Array<{ requestId: string; notice: RunNotice }>;
  /** Channel notices told (locks, break-glass), in order. */
  told: Array<{ channel: string; notice: ChannelNotice }>;
  /** Direct messages sent, in order. */
  dms: Array<{ userId: string; message: DirectMessage }>;
  requests: Map<string, DeployRequest>;
  /** Alarm messages and replies posted (`threadTs` for replies), in order; the ts each got is `2.<position>`. */
  alarmPosts: Array<{ channel: string; threadTs?: string; view: AlarmView }>;
  /** Alarm messages and replies edited, in order. */
  alarmEdits: Array<{ channel: string; ts: string; view: AlarmView }>;
  /** Alarm episodes, storm windows and digests. */
  alarmEpisodes: MemoryAlarmEpisodes;
  logger: ReturnType<typeof memoryLogger>;
}

/** Options of {@link memoryContext}. */
export interface MemoryContextOptions {
  /** Requests in the store at the start. */
  requests?: DeployRequest[];
  /** Runs at each card refresh (throw to fail it). */
  refresh?: () => Promise<void>;
  /** Runs at each thread reply (throw to fail it). */
  reply?: () => Promise<void>;
  cardUpdateSpacingMs?: number;
  now?: () => Date;
  /** Locks and slots (default: empty, in memory). */
  environments?: MemoryEnvironmentState;
}

const unused = (what: string) => () => {
  throw new Error(`${what} is not used by this test`);
};

/** Builds the context; `now` defaults to `new Date()`, which follows jest's fake timers when they are on. */
export function memoryContext(options: MemoryContextOptions = {}): MemoryContext {
  const keys = new Set<string>();
  const jobs: Job[] = [];
  const audit: AuditEntry[] = [];
  const edits: number[] = [];
  const replies: MemoryContext['replies'] = [];
  const told: MemoryContext['told'] = [];
  const dms: MemoryContext['dms'] = [];
  const prefs = new Map<string, UserPrefs>();
  const alarmPosts: MemoryContext['alarmPosts'] = [];
  const alarmEdits: MemoryContext['alarmEdits'] = [];
  const alarmEpisodes = new MemoryAlarmEpisodes();
  const requests = new Map((options.requests ?? []).map((r) => [r.id, r]));
  const logger = memoryLogger();
  const cards: CardPublisher = {
    post: async () => '1.2',
    refresh: async () => {
      edits.push(Date.now());
      await options.refresh?.();
    },
    whisper: async () => undefined,
    reply: async (request, notice) => {
      await options.reply?.();
      replies.push({ requestId: request.id, notice });
    },
    announce: async () => '1.3',
    postAlarm: async (channel, view) => (alarmPosts.push({ channel, view }), `2.${alarmPosts.length}`),
    alarmReply: async (channel, threadTs, view) => (alarmPosts.push({ channel, threadTs, view }), `2.${alarmPosts.length}`),
    reviseAlarm: async (channel, ts, view) => void alarmEdits.push({ channel, ts, view }),
    tell: async (channel, notice) => (told.push({ channel, notice }), '1.4'),
    dm: async (userId, message) => void dms.push({ userId, message }),
  };
  const ctx: DeployContext = {
    catalog: TEST_CATALOG,
    requests: {
      create: async (r) => (requests.has(r.id) ? false : (requests.set(r.id, r), true)),
      get: async (id) => requests.get(id),
      save: async (next, expected) => {
        const saved = { ...next, version: expected + 1 };
        requests.set(next.id, saved);
        return saved;
      },
      listActive: async () => [...requests.values()],
      linkRun: async () => undefined,
      findByRun: async () => undefined,
    },
    audit: {
      record: async (entry) => void audit.push(entry),
      list: async (id) => audit.filter((e) => e.requestId === id),
      read: (query) => readAudit(audit, query),
    },
    idempotency: {
      claim: async (key) => (keys.has(key) ? false : (keys.add(key), true)),
      release: async (key) => void keys.delete(key),
    },
    ledger: { record: async () => undefined, current: async () => undefined, history: async () => [], since: async () => [] },
    // As with `npm start`: the ack queues a new request's prepare job itself (no stream delivers the request).
    jobs: { enqueue: async (job) => (jobs.push(job), true), deliversNewRequests: false },
    outbox: {
      add: async () => true,
      lease: async () => ({ state: 'done' }),
      complete: async () => undefined,
      release: async () => undefined,
      stale: async () => [],
      bury: async () => undefined,
    },
    environments: options.environments ?? new MemoryEnvironmentState(),
    alarmEpisodes,
    cards,
    directory: { groupsOf: async () => [] },
    preferences: { get: async (userId) => ({ ...prefs.get(userId) }), set: async (userId, p) => void prefs.set(userId, { ...p }) },
    sourceControl: async () => {
      const scm: Partial<SourceControl> = {};
      return new Proxy(scm as SourceControl, { get: (_t, name) => unused(`GitHub (${String(name)})`) });
    },
    functionAliases: async () => {
      throw new Error('Lambda aliases are not used by this test');
    },
    alarmStates: async () => {
      throw new Error('CloudWatch alarms are not used by this test');
    },
    metricGraphs: async () => {
      throw new Error('CloudWatch metric graphs are not used by this test');
    },
    stacks: async () => {
      throw new Error('CloudFormation stacks are not used by this test');
    },
    stackBackups: async () => {
      throw new Error('Stack backups are not used by this test');
    },
    files: async () => {
      throw new Error('File delivery is not used by this test');
    },
    logger,
    now: options.now ?? (() => new Date()),
    ...(options.cardUpdateSpacingMs !== undefined ? { cardUpdateSpacingMs: options.cardUpdateSpacingMs } : {}),
  };
  return { ctx, keys, jobs, audit, edits, replies, told, dms, requests, alarmPosts, alarmEdits, alarmEpisodes, logger };
}

/** The entries of `query` among `entries`, oldest first (same instant: environment order, then as recorded), like the store's `read`. */
async function* readAudit(entries: readonly AuditEntry[], query: AuditQuery): AsyncGenerator<AuditEntry> {
  const since = query.since.toISOString();
  const until = query.until.toISOString();
  const rank = (e: AuditEntry) => query.environments.indexOf(e.environment ?? '');
  const selected = entries.filter((e) => rank(e) >= 0 && e.at >= since && e.at < until);
  yield* selected
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : rank(a.e) - rank(b.e) || a.i - b.i))
    .map(({ e }) => e);
}
