/**
 * Deploy-card edits for run progress, coalesced so that a burst of GitHub events makes at most one
 * `chat.update` per card per slot (1 s by default) across every process, and the newest state always lands.
 *
 * Time is cut into slots of `cardUpdateSpacingMs`, by the context's slot clock: real time, since this is about Slack's
 * rate, not the deploy's clock; tests inject it or fake the timers. The claims are one-time keys in the store
 * (`ctx.idempotency`), so they hold across Lambda invocations:
 *  - `card-slot:<id>:<n>`, the one edit allowed in slot n. Whoever claims it reads the request after claiming,
 *    so that edit shows every write made before the claim.
 *  - `card-lead:<id>:<n>`: the first write in slot n queues a `lead` job, which edits at once if the slot is free.
 *  - `card-trail:<id>:<n>`: a later write in slot n, or a lead job that found slot n taken, queues (or becomes) the
 *    one `trail` job of slot n. It waits for slot n+1 and edits then, unless someone else claimed that slot; that
 *    someone read the request after slot n ended, so after every write of slot n.
 * Every write, the final one included, is thus shown by an edit that read it: at once when the card was quiet
 * for a slot, else within one slot. A quiet deploy edits once per event with no delay.
 *
 * Slack applies edits in the order they arrive, and an edit held up (a 429 with Retry-After) can arrive after a
 * newer one. So every edit re-reads the request once it landed and, if a final state was stored meanwhile,
 * edits again: the card can lag behind progress for a moment, never behind the end.
 */
import type { DeployContext } from '../deploys/context.js';
import type { CardJob, NoticeJob } from '../domain/ports.js';

/** Default spacing of edits of one card: Slack allows about one `chat.update` per second per message. */
export const CARD_UPDATE_SPACING_MS = 1000;
/** Slot claims are only compared within seconds of each other; the TTL just keeps the table small. */
const CLAIM_TTL_SECONDS = 120;

const spacingOf = (ctx: DeployContext) => Math.max(1, ctx.cardUpdateSpacingMs ?? CARD_UPDATE_SPACING_MS);
const slotAt = (ctx: DeployContext, ms: number) => Math.floor(ms / spacingOf(ctx));
/** The slots are cut by the context's slot clock (real time unless a test injects one or fakes the timers). */
const nowMs = (ctx: DeployContext) => (ctx.slotClock ?? Date.now)();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Arranges for the card of `requestId` to show its stored state soon. Call it after every write that changes
 * what the card shows. Costs one or two conditional writes and at most one job; makes no Slack call itself.
 */
export async function scheduleCardUpdate(ctx: DeployContext, requestId: string): Promise<void> {
  const slot = slotAt(ctx, nowMs(ctx));
  if (await ctx.idempotency.claim(`card-lead:${requestId}:${slot}`, CLAIM_TTL_SECONDS)) {
    await ctx.jobs.enqueue({ type: 'card', requestId, slot, phase: 'lead' });
    return;
  }
  if (await ctx.idempotency.claim(`card-trail:${requestId}:${slot}`, CLAIM_TTL_SECONDS)) {
    await ctx.jobs.enqueue({ type: 'card', requestId, slot, phase: 'trail' });
    return;
  }
  ctx.logger.debug('card.coalesced', { requestId, slot });
}

/** Edits that failed for a reason that may pass (network, Slack 5xx) are tried again this many times, a slot apart. */
const MAX_EDIT_TRIES = 3;

/** True for Slack's own refusals (`ok: false`): retrying the same edit will not help. */
function isSlackRefusal(err: unknown): boolean {
  return (err as { code?: string })?.code === 'slack_webapi_platform_error';
}

async function edit(ctx: DeployContext, job: CardJob): Promise<void> {
  try {
    await ctx.cards.refresh(job.requestId, { insist: 'final' });
  } catch (err) {
    const tries = (job.tries ?? 0) + 1;
    if (isSlackRefusal(err) || tries >= MAX_EDIT_TRIES) {
      ctx.logger.error('card.update_failed', { requestId: job.requestId, phase: job.phase, tries, err, data: (err as { data?: unknown }).data });
      return;
    }
    // Lambda does not retry foxops' async jobs (a blind retry could dispatch twice), so the edit queues itself
    // again: a trail of the current slot, which edits in the next one with whatever is newest by then.
    ctx.logger.warn('card.update_retried', { requestId: job.requestId, phase: job.phase, tries, err });
    await ctx.jobs.enqueue({ type: 'card', requestId: job.requestId, slot: slotAt(ctx, nowMs(ctx)), phase: 'trail', tries });
  }
}

/** The `card` job: one coalesced edit (see the module comment for why each step is safe). */
export async function syncCard(ctx: DeployContext, job: CardJob): Promise<void> {
  const claimSlot = (slot: number) => ctx.idempotency.claim(`card-slot:${job.requestId}:${slot}`, CLAIM_TTL_SECONDS);
  if (job.phase === 'lead') {
    const current = slotAt(ctx, nowMs(ctx));
    if (await claimSlot(current)) return edit(ctx, job);
    // Someone claimed a later slot than the write's, so they read after it: nothing left to do.
    if (current > job.slot) return;
    // Slot taken by an edit that may have read before the write that queued this job: make sure one follows.
    if (!(await ctx.idempotency.claim(`card-trail:${job.requestId}:${job.slot}`, CLAIM_TTL_SECONDS))) return;
  }
  const wait = (job.slot + 1) * spacingOf(ctx) - nowMs(ctx);
  if (wait > 0) await sleep(Math.min(wait, spacingOf(ctx)));
  if (await claimSlot(Math.max(job.slot + 1, slotAt(ctx, nowMs(ctx))))) return edit(ctx, job);
  ctx.logger.debug('card.trail_covered', { requestId: job.requestId, slot: job.slot });
}

/**
 * The `notice` job: the threaded reply for a run milestone. It is queued once per request, milestone and attempt
 * (the job's key, see src/jobs/keys.ts), and the outbox runs a key to its end once, so a repeated webhook never
 * posts twice; a delivery that died before the post is delivered again and posts it. A post that fails for a
 * reason that may pass queues itself again (up to {@link MAX_EDIT_TRIES}); one Slack refuses is logged.
 */
export async function postNotice(ctx: DeployContext, job: NoticeJob): Promise<void> {
  const request = await ctx.requests.get(job.requestId);
  if (!request) return;
  try {
    await ctx.cards.reply(request, job.notice);
  } catch (err) {
    const tries = (job.tries ?? 0) + 1;
    if (isSlackRefusal(err) || tries >= MAX_EDIT_TRIES) {
      ctx.logger.error('card.notice_failed', { requestId: job.requestId, notice: job.notice, attempt: job.attempt, tries, channel: request.channel, err });
      return;
    }
    ctx.logger.warn('card.notice_retried', { requestId: job.requestId, notice: job.notice, tries, err });
    await sleep(spacingOf(ctx));
    await ctx.jobs.enqueue({ ...job, tries });
  }
}
