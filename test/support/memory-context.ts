/**
 * A complete, typed {@link DeployContext} on in-memory stand-ins, for unit tests of use cases and protocols that
 * need no real store or network (the integration tests run the real adapters on dynalite and loopback fakes).
 * Every port records what it was asked; each test overrides the ports it is about.
 */
import type { DeployContext } from '../../src/deploys/context.js';
import type { CardPublisher, Job, SourceControl } from '../../src/domain/ports.js';
import type { DeployRequest } from '../../src/domain/request.js';
import type { RunNotice } from '../../src/domain/run-events.js';
import { memoryLogger } from '../../src/log.js';
import { TEST_CATALOG } from './catalog.js';

/** What the in-memory ports saw. */
export interface MemoryContext {
  ctx: DeployContext;
  /** Claimed one-time keys. */
  keys: Set<string>;
  jobs: Job[];
  /** `Date.now()` at each card refresh. */
  edits: number[];
  replies: Array<{ requestId: string; notice: RunNotice }>;
  requests: Map<string, DeployRequest>;
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
}

const unused = (what: string) => () => {
  throw new Error(`${what} is not used by this test`);
};

/** Builds the context; `now` defaults to `new Date()`, which follows jest's fake timers when they are on. */
export function memoryContext(options: MemoryContextOptions = {}): MemoryContext {
  const keys = new Set<string>();
  const jobs: Job[] = [];
  const edits: number[] = [];
  const replies: MemoryContext['replies'] = [];
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
    audit: { record: async () => undefined, list: async () => [] },
    idempotency: {
      claim: async (key) => (keys.has(key) ? false : (keys.add(key), true)),
      release: async (key) => void keys.delete(key),
    },
    ledger: { record: async () => undefined, current: async () => undefined, history: async () => [] },
    jobs: { enqueue: async (job) => (jobs.push(job), true) },
    outbox: {
      add: async () => true,
      lease: async () => ({ state: 'done' }),
      complete: async () => undefined,
      release: async () => undefined,
      stale: async () => [],
      bury: async () => undefined,
    },
    cards,
    directory: { groupsOf: async () => [] },
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
    stacks: async () => {
      throw new Error('CloudFormation stacks are not used by this test');
    },
    stackBackups: async () => {
      throw new Error('Stack backups are not used by this test');
    },
    logger,
    now: options.now ?? (() => new Date()),
    ...(options.cardUpdateSpacingMs !== undefined ? { cardUpdateSpacingMs: options.cardUpdateSpacingMs } : {}),
  };
  return { ctx, keys, jobs, edits, replies, requests, logger };
}
