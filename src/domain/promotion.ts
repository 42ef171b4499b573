/**
 * Promotion: the SHA (and Lambda version) that last succeeded in one environment, shipped to the next one, behind
 * gates. Pure: which alarms to look at, the gates as codes and data, and the
 * `require_promotion` check. No I/O and no sentences: src/slack/blocks/promotion.ts words the gates.
 */
import type { EnvironmentDefinition, ServiceDefinition } from './catalog.js';
import type { AlarmQuery, DeploymentRecord } from './ports.js';
import { type CheckMode, type CompareStatus, stepsBack } from './preflight-rules.js';
import type { DeployRequest, Failure, PromotionGate, RollbackSide } from './request.js';
import { isInFlight } from './request.js';

/** Thrown by the CloudWatch adapter when the alarms cannot be read: the action, the resource and what AWS said. */
export class AlarmReadError extends Error {
  constructor(
    readonly code: 'access_denied' | 'unavailable',
    readonly action: string,
    readonly resource: string,
    readonly said?: string,
  ) {
    super(`${action} on ${resource}: ${code}${said ? ` (${said})` : ''}`);
    this.name = 'AlarmReadError';
  }
}

/**
 * The alarms of `service` in `environment` a promotion from there looks at: the target's `alarms` (names, and
 * prefixes ending in `*`), else the prefix `<function>-` when the target names a function; undefined when there is
 * nothing to look at.
 */
export function alarmQueryOf(service: Pick<ServiceDefinition, 'targets'>, environment: string): AlarmQuery | undefined {
  const target = Object.hasOwn(service.targets, environment) ? service.targets[environment] : undefined;
  if (!target) return undefined;
  const patterns = target.alarms ?? (target.functionName ? [`${target.functionName}-*`] : []);
  if (patterns.length === 0) return undefined;
  const names = patterns.filter((p) => !p.endsWith('*'));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return { names, prefixes, ...(target.region ? { region: target.region } : {}) };
}

/** What a look at the source environment's alarms found: names in ALARM, or why it could not look. */
export type AlarmLook =
  | { kind: 'none' }
  | { kind: 'read'; query: AlarmQuery; firing: string[] }
  | { kind: 'unreadable'; query: AlarmQuery; code: string; action: string; resource: string; said?: string };

/** Everything the gates are decided on, read by the prepare job. */
export interface GateInput {
  service: string;
  from: string;
  to: string;
  /** The deploy that last succeeded in `from` (the ledger's current entry), if any. */
  source: DeploymentRecord | undefined;
  /** `promote_after` of the target environment. */
  promoteAfterMs: number;
  now: Date;
  alarms: AlarmLook;
  /** The other requests of the service for `to` that are not final. */
  active: Array<Pick<DeployRequest, 'id' | 'status'>>;
  /**
   * The source's SHA against what runs in `to`, when another SHA runs there: `compare(deployed...source)` (no
   * `status` when GitHub could not compare), and the target's `checks.ordering`.
   */
  ordering?: { mode: CheckMode; deployedSha: string; status?: CompareStatus; aheadBy?: number; behindBy?: number };
}

/** `names` and `prefix*` of a query, for the gate's data. */
function watched(query: AlarmQuery): string {
  return [...query.names, ...query.prefixes.map((p) => `${p}*`)].join(', ');
}

/**
 * The gates of a promotion, in the order the card shows them: the source deploy succeeded; it soaked for
 * `promote_after`; none of the service's alarms in the source is in ALARM; nothing is being deployed to the target;
 * and, when another SHA runs in the target, the source's SHA moves it forward ({@link orderingGate}).
 */
export function promotionGates(input: GateInput): PromotionGate[] {
  const { source, from, to, service } = input;
  const succeeded = source?.outcome === 'succeeded' ? source : undefined;
  const gates: PromotionGate[] = [];
  gates.push(
    succeeded
      ? { gate: 'source_succeeded', passed: true, params: { from, deployId: succeeded.requestId, sha: succeeded.sha } }
      : { gate: 'source_succeeded', passed: false, params: { from, service } },
  );
  if (succeeded) {
    const soakedMs = Math.max(0, input.now.getTime() - Date.parse(succeeded.finishedAt));
    const passed = soakedMs >= input.promoteAfterMs;
    gates.push({
      gate: 'soaked',
      passed,
      params: {
        from,
        soakedMs,
        requiredMs: input.promoteAfterMs,
        ...(passed ? {} : { readyAt: new Date(Date.parse(succeeded.finishedAt) + input.promoteAfterMs).toISOString() }),
      },
    });
  } else {
    gates.push({ gate: 'soaked', passed: false, params: { from, requiredMs: input.promoteAfterMs, nothing: true } });
  }
  const alarms = input.alarms;
  if (alarms.kind === 'none') gates.push({ gate: 'no_alarm', passed: true, params: { from, service, none: true } });
  else if (alarms.kind === 'unreadable')
    gates.push({
      gate: 'no_alarm',
      passed: false,
      params: {
        from,
        watched: watched(alarms.query),
        unreadable: alarms.code,
        action: alarms.action,
        resource: alarms.resource,
        ...(alarms.said ? { said: alarms.said } : {}),
      },
    });
  else
    gates.push({
      gate: 'no_alarm',
      passed: alarms.firing.length === 0,
      params: { from, watched: watched(alarms.query), ...(alarms.firing.length ? { firing: alarms.firing.join(', '), count: alarms.firing.length } : {}) },
    });
  const busy = input.active.find((r) => isInFlight(r.status));
  gates.push(
    busy
      ? { gate: 'target_idle', passed: false, params: { to, deployId: busy.id, status: busy.status } }
      : { gate: 'target_idle', passed: true, params: { to } },
  );
  const ordering = orderingGate(input);
  if (ordering) gates.push(ordering);
  return gates;
}

/**
 * Does the promotion move the target forward? The same rule as a deploy's ordering check: a source SHA behind what
 * runs in the target (or diverged from it) would take commits out, which is a rollback's job; it fails where the
 * target's `checks.ordering` is `refuse` (the default where deploys need approvals), passes with `warn` set where it
 * is `warn`. Passes, marked `unreadable`, when GitHub could not compare. None when the mode is `off` or no other SHA
 * runs in the target.
 */
function orderingGate(input: GateInput): PromotionGate | undefined {
  const o = input.ordering;
  if (!o || o.mode === 'off' || !input.source) return undefined;
  const params = { from: input.from, to: input.to, sha: input.source.sha, deployedSha: o.deployedSha };
  if (!o.status) return { gate: 'moves_forward', passed: true, params: { ...params, unreadable: true } };
  if (!stepsBack(o.status)) return { gate: 'moves_forward', passed: true, params: { ...params, aheadBy: o.aheadBy ?? 0 } };
  return {
    gate: 'moves_forward',
    passed: o.mode === 'warn',
    params: { ...params, status: o.status, behindBy: o.behindBy ?? 0, aheadBy: o.aheadBy ?? 0, ...(o.mode === 'warn' ? { warn: true } : {}) },
  };
}

/** True when every gate passed. */
export function gatesPassed(gates: PromotionGate[]): boolean {
  return gates.every((g) => g.passed);
}

/** The failure of a promotion that did not pass its gates (the gates themselves are on the request). */
export function gatesFailure(gates: PromotionGate[], where: { service: string; from: string; to: string }): Failure {
  return {
    code: 'promotion_gates',
    params: {
      ...where,
      failed: gates
        .filter((g) => !g.passed)
        .map((g) => g.gate)
        .join(','),
    },
  };
}

/** The deploy a promotion takes, as the card shows it. */
export function promotionSource(source: DeploymentRecord): RollbackSide {
  return {
    requestId: source.requestId,
    sha: source.sha,
    ...(source.shaUrl ? { shaUrl: source.shaUrl } : {}),
    ref: source.ref,
    ...(source.version !== undefined ? { version: source.version } : {}),
    requester: source.requester,
    finishedAt: source.finishedAt,
    kind: source.kind,
  };
}

/** True when a deploy of `sha` succeeded among `history` (a source environment's ledger entries). */
export function hasSucceeded(history: Array<Pick<DeploymentRecord, 'sha' | 'outcome'>>, sha: string): boolean {
  return history.some((e) => e.sha === sha && e.outcome === 'succeeded');
}

/**
 * Whether a plain deploy of `sha` to `env` may go ahead under `require_promotion`: undefined when it may, else the
 * failure `promotion_required` naming the source environment and the SHA (the requester should promote instead).
 */
export function requirePromotionFailure(
  env: Pick<EnvironmentDefinition, 'name' | 'requirePromotion' | 'promoteFrom'>,
  service: string,
  sha: string,
  sourceHistory: Array<Pick<DeploymentRecord, 'sha' | 'outcome'>>,
): Failure | undefined {
  if (!env.requirePromotion || !env.promoteFrom) return undefined;
  if (hasSucceeded(sourceHistory, sha)) return undefined;
  return { code: 'promotion_required', params: { service, environment: env.name, from: env.promoteFrom, sha } };
}
