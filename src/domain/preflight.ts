/**
 * Pre-flight checks: what approvers see on the card before they click, computed by the prepare job for the exact
 * pinned SHA (never on an ack path). Each check is a code, a verdict and the data that explains it; the Slack adapter
 * words them (✓ pass, ⚠ warn, ✗ fail, ⏳ pending). A ✗ refuses the request unless it is a break-glass (audited); a
 * ⏳ makes Approve wait until the check settles.
 */

/** The checks foxops runs before approval. */
export type PreflightCheckKind =
  /** The SHA is reachable from the default branch or an `allowed_refs` branch. */
  | 'provenance'
  /** The required checks and commit statuses on the SHA are green. */
  | 'ci'
  /** The SHA is ahead of what runs in the environment (not a hidden rollback). */
  | 'ordering'
  /** The ref's workflow file is the default branch's. */
  | 'workflow'
  /** Never blocking: many commits, risky files, a Friday afternoon. */
  | 'risk';

/** ✓, ⚠, ✗ or ⏳. */
export type CheckVerdict = 'pass' | 'warn' | 'fail' | 'pending';

/** One check's outcome: its verdict and the names and numbers that explain it (never sentences). */
export interface PreflightCheck {
  check: PreflightCheckKind;
  verdict: CheckVerdict;
  /** A stable reason code within the check, e.g. `not_reachable`, `failing`, `behind`, `unreadable`. */
  code?: string;
  params?: Record<string, string | number | boolean>;
  /** Lists the explanation needs (failing check names, risky files…), bounded by the producer. */
  items?: string[];
}

/** Replaces the check of the same kind in `checks` (or adds it), keeping the order of kinds. */
export function withCheck(checks: readonly PreflightCheck[] | undefined, check: PreflightCheck): PreflightCheck[] {
  const others = (checks ?? []).filter((c) => c.check !== check.check);
  const kinds: PreflightCheckKind[] = ['provenance', 'ci', 'ordering', 'workflow', 'risk'];
  return [...others, check].sort((a, b) => kinds.indexOf(a.check) - kinds.indexOf(b.check));
}
