/**
 * The card-edit coalescing protocol on in-memory stand-ins: which writes queue a job, which jobs edit,
 * and what happens when Slack fails an edit.
 */
import { productionRequest } from '../support/requests.js';
import type { CardPublisher, DeployContext } from '../../src/deploys/context.js';
import { postNotice, scheduleCardUpdate, syncCard } from '../../src/deploys/card-sync.js';
import type { CardJob, Job } from '../../src/domain/ports.js';
import { memoryLogger } from '../../src/log.js';

/** Slots long enough that a test's few in-memory steps stay within one, even on a busy machine. */
const SPACING = 100;

/** A context with one-time keys in a Set, jobs and edits recorded, and `refresh` doing what `edits` says. */
function stubContext(refresh: () => Promise<void> = async () => {}, reply: () => Promise<void> = async () => {}) {
  const keys = new Set<string>();
  const jobs: Job[] = [];
  const edits: number[] = [];
  const replies: string[] = [];
  const logger = memoryLogger();
  const request = { ...productionRequest({ requester: 'U0DAVE', requiredApprovals: 0, ttlMs: 60_000, now: new Date() }), status: 'running' as const, cardTs: '1.2' };
  const cards: Partial<CardPublisher> = {
    refresh: async () => {
      edits.push(Date.now());
      await refresh();
    },
    reply: async (_r, text) => {
      await reply();
      replies.push(text);
    },
  };
  const ctx = {
    idempotency: { claim: async (key: string) => (keys.has(key) ? false : (keys.add(key), true)), release: async (key: string) => void keys.delete(key) },
    jobs: { enqueue: async (job: Job) => void jobs.push(job) },
    requests: { get: async () => request },
    cards,
    logger,
    now: () => new Date(),
    cardUpdateSpacingMs: SPACING,
  } as unknown as DeployContext;
  return { ctx, keys, jobs, edits, replies, logger };
}

/** Waits until the start of a fresh slot, so a test's writes fall in one slot. */
async function slotStart(): Promise<number> {
  await new Promise((r) => setTimeout(r, SPACING - (Date.now() % SPACING) + 1));
  return Math.floor(Date.now() / SPACING);
}

describe('scheduleCardUpdate', () => {
  it('queues a lead job for the first write of a slot, one trail job for the rest, nothing more', async () => {
    // Prepare
    const { ctx, jobs } = stubContext();
    const slot = await slotStart();

    // Act
    for (let i = 0; i < 5; i++) await scheduleCardUpdate(ctx, 'd-0123456789');

    // Assess
    expect(jobs).toEqual([
      { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' },
      { type: 'card', requestId: 'd-0123456789', slot, phase: 'trail' },
    ]);
  });
});

describe('syncCard', () => {
  it('edits at once for a lead job whose slot is free', async () => {
    // Prepare
    const { ctx, edits } = stubContext();
    const slot = await slotStart();

    // Act
    await syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' });

    // Assess
    expect(edits).toHaveLength(1);
    expect(Math.floor(edits[0]! / SPACING)).toBe(slot);
  });

  it('turns a lead job that found its slot taken into the trail, which edits in the next slot', async () => {
    // Prepare
    const { ctx, edits, keys } = stubContext();
    const slot = await slotStart();
    keys.add(`card-slot:d-0123456789:${slot}`);

    // Act
    await syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' });

    // Assess
    expect(edits).toHaveLength(1);
    expect(Math.floor(edits[0]! / SPACING)).toBe(slot + 1);
  });

  it('leaves the edit to the trail job already on its way', async () => {
    // Prepare
    const { ctx, edits, keys } = stubContext();
    const slot = await slotStart();
    keys.add(`card-slot:d-0123456789:${slot}`);
    keys.add(`card-trail:d-0123456789:${slot}`);

    // Act
    await syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' });

    // Assess
    expect(edits).toEqual([]);
  });

  it('does nothing for a late lead job when someone edited in a later slot (they read after the write)', async () => {
    // Prepare
    const { ctx, edits, keys } = stubContext();
    const slot = await slotStart();
    keys.add(`card-slot:d-0123456789:${slot}`);

    // Act
    await syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot: slot - 3, phase: 'lead' });

    // Assess
    expect(edits).toEqual([]);
  });

  it('queues the edit again when Slack fails it for a reason that may pass, then gives up loudly', async () => {
    // Prepare
    const { ctx, jobs, logger } = stubContext(async () => {
      throw new Error('socket hang up');
    });
    const first: CardJob = { type: 'card', requestId: 'd-0123456789', slot: await slotStart(), phase: 'lead' };

    // Act
    await syncCard(ctx, first);
    const again = jobs.at(-1) as CardJob;
    await syncCard(ctx, again);
    const third = jobs.at(-1) as CardJob;
    await syncCard(ctx, third);

    // Assess
    expect(jobs.map((j) => (j as CardJob).tries)).toEqual([1, 2]);
    expect(again.phase).toBe('trail');
    expect(logger.lines.filter((l) => l.event === 'card.update_retried')).toHaveLength(2);
    expect(logger.lines.filter((l) => l.event === 'card.update_failed')).toEqual([expect.objectContaining({ tries: 3, requestId: 'd-0123456789' })]);
  });

  it('does not retry an edit Slack refuses', async () => {
    // Prepare
    const { ctx, jobs, logger } = stubContext(async () => {
      throw Object.assign(new Error('An API error occurred: message_not_found'), { code: 'slack_webapi_platform_error', data: { ok: false, error: 'message_not_found' } });
    });

    // Act
    await syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot: await slotStart(), phase: 'lead' });

    // Assess
    expect(jobs).toEqual([]);
    expect(logger.lines.find((l) => l.event === 'card.update_failed')).toMatchObject({ data: { ok: false, error: 'message_not_found' } });
  });
});

describe('postNotice', () => {
  it('posts each milestone of each attempt once', async () => {
    // Prepare
    const { ctx, replies } = stubContext();

    // Act
    for (const attempt of [1, 1, 2]) await postNotice(ctx, { type: 'notice', requestId: 'd-0123456789', notice: 'started', attempt });

    // Assess
    expect(replies).toHaveLength(2);
  });
});

describe('postNotice when Slack fails', () => {
  it('gives the claim back and queues itself again, so the reply is not lost', async () => {
    // Prepare: the first post fails on the network
    let fail = true;
    const { ctx, jobs, replies, keys } = stubContext(undefined, async () => {
      if (fail) throw Object.assign(new Error('socket hang up'), { code: 'slack_webapi_request_error' });
    });
    const job = { type: 'notice', requestId: 'd-0123456789', notice: 'failed', attempt: 1 } as const;
    // Act
    await postNotice(ctx, job);
    fail = false;
    await postNotice(ctx, jobs[0] as typeof job);
    // Assess
    expect(jobs).toEqual([{ ...job, tries: 1 }]);
    expect(replies).toHaveLength(1);
    expect(keys.has('notice:d-0123456789:failed:1')).toBe(true);
  });

  it('logs a reply Slack refuses and does not try again', async () => {
    const { ctx, jobs, logger } = stubContext(undefined, async () => {
      throw Object.assign(new Error('An API error occurred: channel_not_found'), { code: 'slack_webapi_platform_error' });
    });
    await postNotice(ctx, { type: 'notice', requestId: 'd-0123456789', notice: 'failed', attempt: 1 });
    expect(jobs).toEqual([]);
    expect(logger.lines.find((l) => l.event === 'card.notice_failed')).toMatchObject({ tries: 1, notice: 'failed' });
  });
});
