/** What the stack check of the prepare job leaves on a request (src/domain/stack.ts decides it). Data only. */

/** A resource whose live configuration differs from the template (drift status `MODIFIED` or `DELETED`). */
export interface DriftedResource {
  logicalId: string;
  type: string;
  status: 'MODIFIED' | 'DELETED';
}

/**
 * What drift detection found: `in_sync`; `drifted` with the resources; `unknown` when the detection failed or did not
 * finish within its polls (it never blocks a deploy).
 */
export type DriftReport =
  | { state: 'in_sync' }
  | { state: 'drifted'; resources: DriftedResource[] }
  | { state: 'unknown'; why: 'timed_out' | 'failed' | 'unavailable' };

/** The stack check the prepare job stored on a request: where the backup is, and the drift it found. */
export interface StackCheck {
  stackName: string;
  region?: string;
  /** The stack's state when it was checked (a stable one, or the request would have been refused). */
  status: string;
  /** The backup of the template and parameters, stored under the request's deploy id at this time. */
  backup: { at: string };
  drift: DriftReport;
}

/** One change a change set makes to a resource, as CloudFormation lists it. */
export interface StackChange {
  /** `Add`, `Modify`, `Remove`, `Import`, `Dynamic`. */
  action: string;
  logicalId: string;
  type: string;
  /** For `Modify`: `True`, `False` or `Conditional`. */
  replacement?: string;
}

/**
 * A rollback of the target's stack (`/deploy rollback <env> --stack`): the backup it restores and the change set the
 * prepare job created from it, executed after the approvals.
 */
export interface StackRestore {
  stackName: string;
  region?: string;
  /** The deploy id whose backup is restored (the stack as it was before that change), and when it was taken. */
  backupOf: string;
  backupAt: string;
  changeSetName: string;
  changeSetId?: string;
  /** The changes the change set makes (at most {@link STACK_CHANGES_KEPT}); `totalChanges` counts them all. */
  changes: StackChange[];
  totalChanges: number;
  /** When the dispatch job claimed the rollback to execute the change set. */
  executedAt?: string;
  /** Follow rounds queued so far (src/deploys/stack-rollback.ts). */
  follows?: number;
}

/** Changes kept on a request (and listed on its card). */
export const STACK_CHANGES_KEPT = 20;
