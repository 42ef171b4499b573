/**
 * The deploy request state machine, its ids and expiry, and the durations people read and write.
 */
import { productionRequest } from '../support/requests.js';
import { createHash } from 'node:crypto';
import { formatDuration, parseDuration } from '../../src/domain/duration.js';
import {
  type DeployRequest,
  FINAL_STATUSES,
  IllegalTransitionError,
  REQUEST_STATUSES,
  type RequestStatus,
  RUN_STATUSES,
  canTransition,
  deployIdFromDigest,
  hasExpired,
  isFinal,
  shortSha,
  transition,
} from '../../src/domain/request.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const LATER = new Date('2030-01-01T12:05:00.000Z');
const TTL = 30 * 60_000;

function fresh(overrides: Partial<DeployRequest> = {}): DeployRequest {
  const r = productionRequest({ ttlMs: TTL, now: NOW });
  return { ...r, ...overrides };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Every status `from` may move to. */
const exits = (from: RequestStatus) => REQUEST_STATUSES.filter((to) => canTransition(from, to));

describe('newRequest', () => {
  it('starts in preparing with no approvals, commits, SHA or end', () => {
    // Act
    const r = fresh();

    // Assess
    expect(r).toEqual({
      id: 'd-0123456789',
      kind: 'deploy',
      service: 'foxy-backend',
      environment: 'production',
      repo: 'foxy-org/foxy-backend',
      workflow: 'deploy.yml',
      ref: 'main',
      commits: [],
      requester: 'U0CAROL',
      channel: 'C0PROD',
      status: 'preparing',
      requiredApprovals: 2,
      approvals: [],
      createdAt: '2030-01-01T12:00:00.000Z',
      updatedAt: '2030-01-01T12:00:00.000Z',
      expiresAt: '2030-01-01T12:30:00.000Z',
      version: 0,
    });
  });

  it('gives every request its own approvals and commits arrays', () => {
    // Prepare
    const a = fresh();
    const b = fresh();

    // Act
    a.approvals.push({ userId: 'U0ALICE', at: NOW.toISOString() });
    a.commits.push({ sha: 'x', message: 'm', author: 'a', url: 'u' });

    // Assess
    expect(b.approvals).toEqual([]);
    expect(b.commits).toEqual([]);
  });
});

describe('transition', () => {
  it('returns a copy in the new status with the changes applied and updatedAt moved', () => {
    // Prepare
    const r = fresh();

    // Act
    const next = transition(r, 'awaiting_approval', LATER, { sha: 'a'.repeat(40), cardTs: '123.456' });

    // Assess
    expect(next).toMatchObject({
      status: 'awaiting_approval',
      sha: 'a'.repeat(40),
      cardTs: '123.456',
      updatedAt: LATER.toISOString(),
      createdAt: NOW.toISOString(),
    });
    expect(r.status).toBe('preparing');
    expect(r.sha).toBeUndefined();
    expect(r.updatedAt).toBe(NOW.toISOString());
  });

  it('takes the status from its argument, not from the changes', () => {
    // Act
    const next = transition(fresh(), 'awaiting_approval', LATER, { status: 'succeeded' });

    // Assess
    expect(next.status).toBe('awaiting_approval');
  });

  it('throws IllegalTransitionError with from, to and request id for a forbidden move', () => {
    // Prepare
    const r = fresh({ status: 'awaiting_approval' });

    // Act
    const act = () => transition(r, 'dispatching', LATER);

    // Assess
    expect(act).toThrow(IllegalTransitionError);
    try {
      act();
    } catch (err) {
      const e = err as IllegalTransitionError;
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('IllegalTransitionError');
      expect(e.from).toBe('awaiting_approval');
      expect(e.to).toBe('dispatching');
      expect(e.requestId).toBe('d-0123456789');
      expect(e.message).toBe('request d-0123456789: awaiting_approval -> dispatching is not allowed');
    }
  });

  it.each<[RequestStatus, RequestStatus]>([
    ['preparing', 'dispatching'],
    ['awaiting_approval', 'dispatching'],
    ['approved', 'awaiting_approval'],
    ['approved', 'succeeded'],
    ['dispatched', 'approved'],
    ['running', 'dispatching'],
    ['succeeded', 'awaiting_approval'],
    ['succeeded', 'dispatching'],
    ['rejected', 'approved'],
    ['expired', 'awaiting_approval'],
    ['prepare_failed', 'preparing'],
  ])('refuses %p -> %p', (from, to) => {
    // Act
    const act = () => transition(fresh({ status: from }), to, LATER);

    // Assess
    expect(act).toThrow(IllegalTransitionError);
  });

  it.each<[RequestStatus, RequestStatus]>([
    ['preparing', 'awaiting_approval'],
    ['preparing', 'approved'],
    ['preparing', 'prepare_failed'],
    ['awaiting_approval', 'awaiting_approval'],
    ['awaiting_approval', 'approved'],
    ['awaiting_approval', 'rejected'],
    ['awaiting_approval', 'expired'],
    ['approved', 'dispatching'],
    ['dispatching', 'dispatched'],
    ['dispatching', 'dispatch_failed'],
    ['dispatch_failed', 'approved'],
    ['dispatched', 'queued'],
    ['queued', 'running'],
    ['running', 'succeeded'],
    ['succeeded', 'queued'],
    ['timed_out', 'succeeded'],
  ])('allows %p -> %p', (from, to) => {
    // Act
    const next = transition(fresh({ status: from }), to, LATER);

    // Assess
    expect(next.status).toBe(to);
  });

  it.each(FINAL_STATUSES.map((s) => [s]))('sets finishedAt on reaching %p', (to) => {
    // Prepare
    const from = REQUEST_STATUSES.find((s) => canTransition(s, to) && !isFinal(s))!;

    // Act
    const next = transition(fresh({ status: from }), to, LATER);

    // Assess
    expect(next.finishedAt).toBe(LATER.toISOString());
  });

  it('keeps a finishedAt given with the changes', () => {
    // Act
    const next = transition(fresh({ status: 'running' }), 'succeeded', LATER, { finishedAt: '2030-01-01T12:04:00.000Z' });

    // Assess
    expect(next.finishedAt).toBe('2030-01-01T12:04:00.000Z');
  });

  it('clears finishedAt when a re-run takes a finished request back to queued', () => {
    // Prepare
    const done = transition(fresh({ status: 'running' }), 'failed', NOW);

    // Act
    const rerun = transition(done, 'queued', LATER);

    // Assess
    expect(rerun.finishedAt).toBeUndefined();
    expect('finishedAt' in rerun).toBe(false);
  });

  it('does not set finishedAt on a non-final status', () => {
    // Act
    const next = transition(fresh({ status: 'dispatching' }), 'dispatched', LATER);

    // Assess
    expect(next.finishedAt).toBeUndefined();
  });

  it('walks a full approval flow from preparing to succeeded', () => {
    // Prepare
    const path: RequestStatus[] = ['awaiting_approval', 'awaiting_approval', 'approved', 'dispatching', 'dispatched', 'queued', 'running', 'succeeded'];

    // Act
    const end = path.reduce((r, to) => transition(r, to, LATER), fresh());

    // Assess
    expect(end.status).toBe('succeeded');
    expect(end.finishedAt).toBe(LATER.toISOString());
  });
});

describe('the state graph', () => {
  it('lists every status once', () => {
    // Act
    const unique = new Set(REQUEST_STATUSES);

    // Assess
    expect(unique.size).toBe(REQUEST_STATUSES.length);
  });

  it('agrees with transition for every pair of statuses', () => {
    // Prepare
    const disagreements: string[] = [];

    // Act
    for (const from of REQUEST_STATUSES) {
      for (const to of REQUEST_STATUSES) {
        let moved: boolean;
        try {
          transition(fresh({ status: from }), to, LATER);
          moved = true;
        } catch (err) {
          if (!(err instanceof IllegalTransitionError)) throw err;
          moved = false;
        }
        if (moved !== canTransition(from, to)) disagreements.push(`${from} -> ${to}`);
      }
    }

    // Assess
    expect(disagreements).toEqual([]);
  });

  it.each<RequestStatus>(['rejected', 'expired', 'prepare_failed'])('leads nowhere out of %p', (from) => {
    // Act
    const out = exits(from);

    // Assess
    expect(out).toEqual([]);
  });

  it('lets a final status move only along re-run paths (or, after a guess, to the real outcome)', () => {
    // Prepare
    const rerun: RequestStatus[] = ['queued', 'running'];
    const lateOutcome: RequestStatus[] = ['succeeded', 'failed', 'cancelled'];
    const guesses: RequestStatus[] = ['timed_out', 'unknown'];
    const offPath: string[] = [];

    // Act
    for (const from of FINAL_STATUSES) {
      const allowed = guesses.includes(from) ? [...rerun, ...lateOutcome] : rerun;
      for (const to of exits(from)) if (!allowed.includes(to)) offPath.push(`${from} -> ${to}`);
    }

    // Assess
    expect(offPath).toEqual([]);
  });

  it('never takes a final status back to approval or dispatch', () => {
    // Prepare
    const beforeRun: RequestStatus[] = ['preparing', 'awaiting_approval', 'approved', 'dispatching', 'dispatch_failed', 'dispatched'];

    // Act
    const back = FINAL_STATUSES.flatMap((from) =>
      exits(from)
        .filter((to) => beforeRun.includes(to))
        .map((to) => `${from} -> ${to}`),
    );

    // Assess
    expect(back).toEqual([]);
  });

  it('makes approval the only way from awaiting_approval to dispatch', () => {
    // Act
    const out = exits('awaiting_approval');

    // Assess
    expect(out.sort()).toEqual(['approved', 'awaiting_approval', 'expired', 'rejected']);
  });

  it('reaches every status from preparing', () => {
    // Prepare
    const seen = new Set<RequestStatus>(['preparing']);
    const todo: RequestStatus[] = ['preparing'];

    // Act
    while (todo.length) for (const to of exits(todo.pop()!)) if (!seen.has(to)) seen.add(to), todo.push(to);

    // Assess
    expect([...seen].sort()).toEqual([...REQUEST_STATUSES].sort());
  });

  it('lets every non-final status reach a final one', () => {
    // Prepare
    const canFinish = (start: RequestStatus) => {
      const seen = new Set<RequestStatus>([start]);
      const todo = [start];
      while (todo.length) {
        for (const to of exits(todo.pop()!)) {
          if (isFinal(to)) return true;
          if (!seen.has(to)) seen.add(to), todo.push(to);
        }
      }
      return false;
    };

    // Act
    const stuck = REQUEST_STATUSES.filter((s) => !isFinal(s) && !canFinish(s));

    // Assess
    expect(stuck).toEqual([]);
  });

  it('marks exactly the final statuses as final', () => {
    // Act
    const finals = REQUEST_STATUSES.filter(isFinal);

    // Assess
    expect(finals.sort()).toEqual(['cancelled', 'expired', 'failed', 'prepare_failed', 'rejected', 'succeeded', 'timed_out', 'unknown']);
  });

  it('has no run status that is final', () => {
    // Act
    const overlap = RUN_STATUSES.filter(isFinal);

    // Assess
    expect(overlap).toEqual([]);
  });
});

describe('hasExpired', () => {
  it('is false before expiresAt', () => {
    // Act
    const expired = hasExpired(fresh({ status: 'awaiting_approval' }), new Date(NOW.getTime() + TTL - 1));

    // Assess
    expect(expired).toBe(false);
  });

  it('is true at expiresAt and after', () => {
    // Prepare
    const r = fresh({ status: 'awaiting_approval' });

    // Act
    const at = hasExpired(r, new Date(NOW.getTime() + TTL));
    const after = hasExpired(r, new Date(NOW.getTime() + TTL + 60_000));

    // Assess
    expect([at, after]).toEqual([true, true]);
  });

  it('applies to a failed dispatch waiting for a retry', () => {
    // Act
    const expired = hasExpired(fresh({ status: 'dispatch_failed' }), new Date(NOW.getTime() + TTL));

    // Assess
    expect(expired).toBe(true);
  });

  it.each<RequestStatus>(['preparing', 'approved', 'dispatching', 'running', 'succeeded', 'rejected'])('never applies to a request in %p', (status) => {
    // Act
    const expired = hasExpired(fresh({ status }), new Date(NOW.getTime() + 10 * TTL));

    // Assess
    expect(expired).toBe(false);
  });
});

describe('deployIdFromDigest', () => {
  it('makes `d-` and 10 lowercase letters or digits', () => {
    // Prepare
    const digests = Array.from({ length: 200 }, (_, i) => sha256(`slack-trigger:${i}`));

    // Act
    const ids = digests.map(deployIdFromDigest);

    // Assess
    for (const id of ids) expect(id).toMatch(/^d-[0-9a-z]{10}$/);
  });

  it('avoids the letters people confuse with digits', () => {
    // Prepare
    const everyByte = Uint8Array.from({ length: 260 }, (_, i) => i % 256);
    const digests = Array.from({ length: 26 }, (_, k) => everyByte.subarray(k * 10, k * 10 + 10));

    // Act
    const chars = digests.map(deployIdFromDigest).join('').replace(/d-/g, '');

    // Assess
    expect(chars).toMatch(/^[0-9a-z]{260}$/);
    expect(chars).not.toMatch(/[ilou]/);
  });

  it('gives the same id for the same digest', () => {
    // Act
    const first = deployIdFromDigest(sha256('slack-trigger:123.456.abc'));
    const second = deployIdFromDigest(sha256('slack-trigger:123.456.abc'));

    // Assess
    expect(first).toBe(second);
  });

  it('gives different ids for different digests', () => {
    // Prepare
    const digests = Array.from({ length: 1000 }, (_, i) => sha256(`slack-trigger:${i}`));

    // Act
    const ids = new Set(digests.map(deployIdFromDigest));

    // Assess
    expect(ids.size).toBe(1000);
  });

  it('maps each byte to the alphabet modulo 32', () => {
    // Prepare
    const digest = Uint8Array.from([0, 1, 9, 10, 31, 32, 33, 255, 64, 100]);

    // Act
    const id = deployIdFromDigest(digest);

    // Assess
    expect(id).toBe('d-019az01z04');
  });
});

describe('shortSha', () => {
  it('keeps the first 7 characters', () => {
    // Act
    const short = shortSha('3f786850e387550fdab836ed7e6dc881de23001b');

    // Assess
    expect(short).toBe('3f78685');
  });

  it('shows an ellipsis when there is no SHA yet', () => {
    // Act
    const short = shortSha(undefined);

    // Assess
    expect(short).toBe('…');
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
    [' 30m ', 1_800_000],
  ])('reads %p as %p ms', (text, ms) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBe(ms);
  });

  it.each(['', '30', 'm', '30 m', '1.5h', '-5m', '30M', '1w', '0m', '0s0m', '30m later', 'soon'])('refuses %p', (text) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5_000, '0s'],
    [45_000, '45s'],
    [59_400, '59s'],
    [59_600, '1m'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [9 * 60_000 + 5_000, '9m 5s'],
    [12 * 60_000, '12m'],
    [12 * 60_000 + 30_000, '12m'],
    [3_600_000, '1h'],
    [65 * 60_000, '1h 5m'],
    [86_400_000, '1d'],
    [3 * 86_400_000 + 2 * 3_600_000, '3d 2h'],
  ])('writes %p ms as %p', (ms, text) => {
    // Act
    const formatted = formatDuration(ms);

    // Assess
    expect(formatted).toBe(text);
  });

  it('writes back what parseDuration read', () => {
    // Act
    const formatted = formatDuration(parseDuration('1h30m')!);

    // Assess
    expect(formatted).toBe('1h 30m');
  });
});
