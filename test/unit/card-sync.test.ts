/**
 * The card-edit coalescing protocol on in-memory stand-ins: which writes queue a job, which jobs edit,
 * and what happens when Slack fails an edit.
 */
import { postNotice, scheduleCardUpdate, syncCard } from '../../src/cards/sync.js';
import type { CardJob } from '../../src/domain/ports.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';

/** Slot length; the clock is jest's fake one, so slots pass only when a test (or a job's own wait) moves it. */
const SPACING = 100;

/** A context on in-memory ports, with one running request whose card was posted. */
function stubContext(refresh?: () => Promise<void>, reply?: () => Promise<void>) {
  const request = {
    ...productionRequest({ requester: 'U0DAVE', requiredApprovals: 0, ttlMs: 60_000, now: new Date() }),
    status: 'running' as const,
    cardTs: '1.2',
  };
  return memoryContext({ requests: [request], cardUpdateSpacingMs: SPACING, ...(refresh ? { refresh } : {}), ...(reply ? { reply } : {}) });
}

/** Moves the fake clock to the start of a fresh slot, so a test's writes fall in one slot; returns that slot. */
async function slotStart(): Promise<number> {
  jest.setSystemTime(Math.floor(Date.now() / SPACING + 1) * SPACING);
  return Math.floor(Date.now() / SPACING);
}

/** Runs `work` while advancing the fake timers, so the jobs' waits for the next slot pass at once. */
async function settle<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) await jest.advanceTimersByTimeAsync(10);
  return result;
}

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2030-01-01T12:00:00.000Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

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
    await settle(syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' }));

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
    await settle(syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' }));

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
    await settle(syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot, phase: 'lead' }));

    // Assess
    expect(edits).toEqual([]);
  });

  it('does nothing for a late lead job when someone edited in a later slot (they read after the write)', async () => {
    // Prepare
    const { ctx, edits, keys } = stubContext();
    const slot = await slotStart();
    keys.add(`card-slot:d-0123456789:${slot}`);

    // Act
    await settle(syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot: slot - 3, phase: 'lead' }));

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
    await settle(syncCard(ctx, first));
    const again = jobs.at(-1) as CardJob;
    await settle(syncCard(ctx, again));
    const third = jobs.at(-1) as CardJob;
    await settle(syncCard(ctx, third));

    // Assess
    expect(jobs.map((j) => (j as CardJob).tries)).toEqual([1, 2]);
    expect(again.phase).toBe('trail');
    expect(logger.lines.filter((l) => l.event === 'card.update_retried')).toHaveLength(2);
    expect(logger.lines.filter((l) => l.event === 'card.update_failed')).toEqual([expect.objectContaining({ tries: 3, requestId: 'd-0123456789' })]);
  });

  it('does not retry an edit Slack refuses', async () => {
    // Prepare
    const { ctx, jobs, logger } = stubContext(async () => {
      throw Object.assign(new Error('An API error occurred: message_not_found'), {
        code: 'slack_webapi_platform_error',
        data: { ok: false, error: 'message_not_found' },
      });
    });

    // Act
    await settle(syncCard(ctx, { type: 'card', requestId: 'd-0123456789', slot: await slotStart(), phase: 'lead' }));

    // Assess
    expect(jobs).toEqual([]);
    expect(logger.lines.find((l) => l.event === 'card.update_failed')).toMatchObject({ data: { ok: false, error: 'message_not_found' } });
  });
});

describe('postNotice', () => {
  it('posts the milestone as the request stands now (once per job: the outbox key keeps repeats out)', async () => {
    // Prepare
    const { ctx, replies } = stubContext();

    // Act
    await settle(postNotice(ctx, { type: 'notice', requestId: 'd-0123456789', notice: 'started', attempt: 1 }));

    // Assess
    expect(replies).toEqual([{ requestId: 'd-0123456789', notice: 'started' }]);
  });
});

describe('postNotice when Slack fails', () => {
  it('queues itself again with one more try, so the reply is not lost', async () => {
    // Prepare: the first post fails on the network
    let fail = true;
    const { ctx, jobs, replies } = stubContext(undefined, async () => {
      if (fail) throw Object.assign(new Error('socket hang up'), { code: 'slack_webapi_request_error' });
    });
    const job = { type: 'notice', requestId: 'd-0123456789', notice: 'failed', attempt: 1 } as const;
    // Act
    await settle(postNotice(ctx, job));
    fail = false;
    await settle(postNotice(ctx, jobs[0] as typeof job));
    // Assess
    expect(jobs).toEqual([{ ...job, tries: 1 }]);
    expect(replies).toHaveLength(1);
  });

  it('logs a reply Slack refuses and does not try again', async () => {
    const { ctx, jobs, logger } = stubContext(undefined, async () => {
      throw Object.assign(new Error('An API error occurred: channel_not_found'), { code: 'slack_webapi_platform_error' });
    });
    await settle(postNotice(ctx, { type: 'notice', requestId: 'd-0123456789', notice: 'failed', attempt: 1 }));
    expect(jobs).toEqual([]);
    expect(logger.lines.find((l) => l.event === 'card.notice_failed')).toMatchObject({ tries: 1, notice: 'failed' });
  });
});
