/**
 * The target's CloudFormation stack, as the prepare job checks it before a change: which requests are guarded, which
 * stack states are stable enough to change, and what the check leaves on the request (backup, drift). Pure: codes and
 * data only; src/deploys/stack-guard.ts reads the stack, src/slack/blocks/stack.ts words the outcome.
 */
import type { Catalog, DeployTarget } from './catalog.js';
import type { Failure } from './request.js';
import type { DriftedResource, DriftReport } from './stack-check.js';

export type { DriftedResource, DriftReport, StackChange, StackCheck, StackRestore } from './stack-check.js';
export { STACK_CHANGES_KEPT } from './stack-check.js';

/** A target's stack, by name, in its region. */
export interface StackTarget {
  stackName: string;
  region?: string;
}

/** Drifted resources a card names at most; the rest are counted. */
export const DRIFT_NAMED_LIMIT = 10;

/**
 * The stack a request's prepare job must check, or undefined. The rule: every environment whose service target names a
 * `stack` is guarded (the stack is named in foxops.yml exactly where its state matters, usually production only).
 */
export function guardedStackOf(catalog: Catalog, service: string, environment: string): StackTarget | undefined {
  const target: DeployTarget | undefined = catalog.services.find((s) => s.name === service)?.targets[environment];
  if (!target?.stack) return undefined;
  return { stackName: target.stack, ...(target.region ? { region: target.region } : {}) };
}

/**
 * True when a stack in `status` can take a change: `CREATE_COMPLETE`, `UPDATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`,
 * `IMPORT_COMPLETE`, `IMPORT_ROLLBACK_COMPLETE`. Anything in progress, failed, or `ROLLBACK_COMPLETE` (a stack whose
 * creation failed; it can only be deleted) and `DELETE_COMPLETE` is not.
 */
export function isStableStackStatus(status: string): boolean {
  if (status.endsWith('_IN_PROGRESS') || status.endsWith('_FAILED')) return false;
  return ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'].includes(status);
}

/** The failure `stack_unstable`: the stack cannot take a change in `status`. */
export function unstableStackFailure(target: StackTarget, status: string): Failure {
  return { code: 'stack_unstable', params: { stack: target.stackName, state: status, ...(target.region ? { region: target.region } : {}) } };
}

/** The failure `stack_unreadable`: foxops could not read (or back up) the stack, so it changes nothing. */
export function unreadableStackFailure(target: StackTarget, action: string, why: 'not_found' | 'access_denied' | 'unavailable', cause?: string): Failure {
  return {
    code: 'stack_unreadable',
    params: { stack: target.stackName, action, why, ...(target.region ? { region: target.region } : {}) },
    ...(cause ? { cause } : {}),
  };
}

/** The drift report from the resources drift detection listed (only `MODIFIED` and `DELETED` ones count). */
export function driftReportOf(resources: DriftedResource[]): DriftReport {
  const drifted = resources.filter((r) => r.status === 'MODIFIED' || r.status === 'DELETED');
  return drifted.length ? { state: 'drifted', resources: drifted } : { state: 'in_sync' };
}

/** A CloudFormation call that failed, as the `Stacks` adapter reports it: which action, and what AWS said. */
export class StackError extends Error {
  constructor(
    readonly code: 'not_found' | 'access_denied' | 'unavailable',
    readonly action: string,
    readonly stackName: string,
    /** What AWS said, verbatim. */
    readonly said?: string,
  ) {
    super(`cloudformation ${action} on ${stackName}: ${code}${said ? ` (${said})` : ''}`);
    this.name = 'StackError';
  }
}

/** The failure for anything a stack call threw: `stack_unreadable` with the action and, for a {@link StackError}, its code. */
export function failureFromStack(err: unknown, target: StackTarget, action: string): Failure {
  if (err instanceof StackError) return unreadableStackFailure(target, err.action, err.code, err.said);
  return unreadableStackFailure(target, action, 'unavailable', err instanceof Error ? err.message.slice(0, 300) : undefined);
}
