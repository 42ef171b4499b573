/**
 * The environment side of a dispatch: read what holds the environment (locks, the freeze in force, the deploy in
 * the service's slot), then either claim the slot for the request or hold the request back in `queued_behind`.
 * The decision is `deployable` (src/domain/environment.ts); this reads, claims and writes.
 */
import { auditRequest } from './audit.js';
import { environmentNamed } from '../domain/catalog.js';
import { deployable, type EnvironmentView, type Hold, holdsSlot, isHold } from '../domain/environment.js';
import { type DeployRequest, transition } from '../domain/request.js';
import { scheduleCardUpdate } from '../cards/sync.js';
import type { DeployContext } from './context.js';
import { freezeNow } from './freeze-now.js';
import { mutateRequest } from './mutate.js';

/** The environment as `service` sees it: with the slot's holder when `slot` is asked for. */
export interface EnvironmentReading {
  view: EnvironmentView;
  /** The id stored in the slot, even when that request has ended (then the claim replaces it). */
  slotHolder?: string;
}

/** Reads locks, the freeze and (with `slot`) the deploy holding the service's slot, side by side. */
export async function readEnvironment(ctx: DeployContext, service: string, environment: string, options: { slot: boolean }): Promise<EnvironmentReading> {
  const env = environmentNamed(ctx.catalog, environment);
  const [locks, freeze, slotHolder] = await Promise.all([
    ctx.environments.locks(environment),
    freezeNow(env, ctx.now()),
    options.slot ? ctx.environments.slotHolder(service, environment) : undefined,
  ]);
  const holder = slotHolder ? await ctx.requests.get(slotHolder) : undefined;
  const view: EnvironmentView = {
    service,
    environment,
    locks,
    ...(freeze ? { freeze } : {}),
    ...(env.rollbacksInFreeze ? { rollbacksInFreeze: env.rollbacksInFreeze } : {}),
    ...(holder && holdsSlot(holder.status) ? { busyWith: { requestId: holder.id, status: holder.status } } : {}),
  };
  return { view, ...(slotHolder ? { slotHolder } : {}) };
}

/** The outcome of {@link claimEnvironment}. */
export type Claim =
  /** The slot is the request's; `request` is `approved` and may be carried out. */
  | { kind: 'clear'; request: DeployRequest }
  /** The environment holds it: it waits in `queued_behind`. */
  | { kind: 'held'; hold: Hold }
  /** Not the request's turn for a reason of its own (not approved any more, or not fit to ship). */
  | { kind: 'skipped' };

/** How often a request looks again when what held it ended while it was being held back. */
const CLAIM_ROUNDS = 3;

/**
 * Claims the environment for an `approved` or `queued_behind` request: one conditional write on the service's slot,
 * so of two requests approved at the same moment one ships and the other waits. A request held back is written
 * `queued_behind` with the reason; if the deploy ahead of it ended meanwhile, it looks again at once, since the
 * job that advances the queue may have looked before the hold was written.
 */
export async function claimEnvironment(ctx: DeployContext, request: DeployRequest): Promise<Claim> {
  let current = request;
  for (let round = 1; ; round++) {
    const { view, slotHolder } = await readEnvironment(ctx, current.service, current.environment, { slot: true });
    const verdict = deployable(view, current, ctx.now());
    if (!verdict.deployable) {
      if (!isHold(verdict.why)) {
        ctx.logger.error('dispatch.not_deployable', { requestId: current.id, why: verdict.why, sha: current.sha });
        return { kind: 'skipped' };
      }
      const held = await holdRequest(ctx, current, verdict.why);
      if (!held) return { kind: 'skipped' };
      if (verdict.why.code !== 'busy' || round >= CLAIM_ROUNDS) return { kind: 'held', hold: verdict.why };
      const ahead = await ctx.requests.get(verdict.why.requestId);
      if (ahead && holdsSlot(ahead.status)) return { kind: 'held', hold: verdict.why };
      current = held;
      continue;
    }
    const stale = slotHolder && slotHolder !== current.id ? slotHolder : undefined;
    if (!(await ctx.environments.claimSlot(current.service, current.environment, current.id, stale))) {
      // Someone took the slot between the read and the claim: read again, and be held behind them.
      if (round >= CLAIM_ROUNDS) return { kind: 'skipped' };
      current = (await ctx.requests.get(current.id)) ?? current;
      continue;
    }
    if (current.status === 'approved') return { kind: 'clear', request: current };
    const { written, request: armed } = await mutateRequest(
      ctx.requests,
      current.id,
      (r) => (r.status === 'queued_behind' ? { write: transition(r, 'approved', ctx.now(), { hold: undefined }), result: undefined } : { skip: undefined }),
      { current },
    );
    if (!written && armed.status !== 'approved') return { kind: 'skipped' };
    ctx.logger.info('dispatch.released', { requestId: armed.id, after: current.hold?.code });
    return { kind: 'clear', request: armed };
  }
}

const sameHold = (a: Hold | undefined, b: Hold) =>
  a !== undefined &&
  a.code === b.code &&
  (a.code !== 'busy' || b.code !== 'busy' || a.requestId === b.requestId) &&
  (a.code !== 'locked' || b.code !== 'locked' || (a.lock.owner === b.lock.owner && a.lock.at === b.lock.at)) &&
  (a.code !== 'frozen' || b.code !== 'frozen' || a.freeze.end === b.freeze.end);

/** Writes `queued_behind` with `hold` (unless it says that already); undefined when the request moved on meanwhile. */
async function holdRequest(ctx: DeployContext, request: DeployRequest, hold: Hold): Promise<DeployRequest | undefined> {
  const { written, request: after } = await mutateRequest<boolean>(
    ctx.requests,
    request.id,
    (r) => {
      if (r.status !== 'approved' && r.status !== 'queued_behind') return { skip: false };
      if (r.status === 'queued_behind' && sameHold(r.hold, hold)) return { skip: true };
      return { write: transition(r, 'queued_behind', ctx.now(), { hold: { ...hold, since: r.hold?.since ?? ctx.now().toISOString() } }), result: true };
    },
    { current: request },
  );
  if (after.status !== 'queued_behind') return undefined;
  if (written) {
    ctx.logger.info('dispatch.held', { requestId: request.id, hold: hold.code, ...(hold.code === 'busy' ? { behind: hold.requestId } : {}) });
    await auditRequest(ctx, request, {
      actor: 'foxops',
      action: 'hold',
      outcome: 'ok',
      detail: JSON.stringify(hold),
    });
    await scheduleCardUpdate(ctx, request.id);
  }
  return after;
}

/**
 * Something that held an environment ended (a deploy finished, a lock went): queue the job that lets the next
 * request of `service` (or of every service, when absent) go. Keyed by what ended, so a repeat queues it once.
 */
export async function environmentFreed(
  ctx: DeployContext,
  environment: string,
  service: string | undefined,
  because: string,
  /** The active requests, when the caller read them already (saves a read on the `/deploy unlock` ack). */
  active?: Promise<DeployRequest[]>,
): Promise<void> {
  // Without a service (an environment lock went), only the services with requests held there need a look.
  const held = async () => (await (active ?? ctx.requests.listActive(200))).filter((r) => r.status === 'queued_behind' && r.environment === environment);
  const services = service ? [service] : [...new Set((await held()).map((r) => r.service))];
  await Promise.all(services.map((s) => ctx.jobs.enqueue({ type: 'advance', service: s, environment }, { key: `advance:${s}:${environment}:${because}` })));
}

/** The result of {@link advanceQueue}: the request that went, if one did. */
export type Advance = { released?: string; waiting: number };

/**
 * The advance job: the requests of `service` held in `environment`, oldest first, each try to claim the environment
 * until one gets it (the others stay held, with their reason brought up to date).
 */
export async function advanceQueue(ctx: DeployContext, service: string, environment: string, dispatch: (id: string) => Promise<string>): Promise<Advance> {
  const queued = (await ctx.requests.listActive(200))
    .filter((r) => r.status === 'queued_behind' && r.service === service && r.environment === environment)
    .sort((a, b) => (a.hold?.since ?? a.updatedAt).localeCompare(b.hold?.since ?? b.updatedAt));
  for (const [i, r] of queued.entries()) {
    if ((await dispatch(r.id)) === 'claimed') return { released: r.id, waiting: queued.length - i - 1 };
  }
  return { waiting: queued.length };
}
