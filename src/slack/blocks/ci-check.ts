/**
 * The words of the `ci` pre-flight check (src/domain/ci-check.ts): its line on the card (without the icon, which
 * src/slack/blocks/preflight.ts puts in front) and its sentence in the failure `preflight_failed`. Pure; every name
 * that came from GitHub is escaped.
 */
import type { PreflightCheck } from '../../domain/preflight.js';
import { escapeText } from './text.js';

type Params = NonNullable<PreflightCheck['params']>;

const names = (items: readonly string[] | undefined) => (items ?? []).map((i) => `\`${escapeText(i)}\``).join(', ');
const more = (shown: number, total: unknown) => (typeof total === 'number' && total > shown ? ` and ${total - shown} more` : '');
const from = (p: Params) => (p.source === 'config' ? '`required_checks`' : 'the default branch protection');

/** What could not be read, from the `unreadable` params: the API, the HTTP status and GitHub's words. */
function unreadableWords(p: Params): string {
  const what = p.read === 'protection' ? 'the default branch protection' : p.read === 'statuses' ? 'the commit statuses' : 'the check runs';
  const status = p.status !== undefined ? ` (HTTP ${escapeText(String(p.status))})` : '';
  const said = p.cause !== undefined ? `: “${escapeText(String(p.cause))}”` : '';
  const fix =
    p.error === 'forbidden' || p.error === 'unauthorized' || p.error === 'repo_not_found'
      ? ' Give the GitHub token Checks: read and Commit statuses: read (and Contents: read) on the repository.'
      : '';
  return `GitHub did not let foxops read ${what}${status}${said}, so CI counts as failed.${fix}`;
}

/** The card line of a `ci` check, after its icon. */
export function ciCheckWords(c: PreflightCheck): string {
  const p: Params = c.params ?? {};
  switch (c.code) {
    case 'none_required':
      return 'CI: no checks required (none in `required_checks`, none in the default branch protection).';
    case 'green':
      return `CI: all ${escapeText(String(p.required ?? ''))} required checks green (from ${from(p)}).`;
    case 'running':
      return `CI: still running ${names(c.items)}${more(c.items?.length ?? 0, p.pending)}; Approve waits, and this card updates when it finishes.`;
    case 'failing':
      return `CI: failing ${names(c.items)}${more(c.items?.length ?? 0, p.failing)} (required by ${from(p)}).`;
    case 'unreadable':
      return `CI: ${unreadableWords(p)}`;
    default:
      return `CI: ${escapeText(c.verdict)}${c.code ? ` (${escapeText(c.code)})` : ''}.`;
  }
}

/** The sentence of a `preflight_failed` failure refused by its `ci` check, from the `ci*` params the failure carries. */
export function ciFailureSentence(p: Params): string {
  if (p.ci === 'unreadable') {
    const read: Params = { read: p.ciRead ?? 'check_runs', error: p.ciError ?? 'error' };
    if (p.ciStatus !== undefined) read.status = p.ciStatus;
    if (p.ciCause !== undefined) read.cause = p.ciCause;
    return unreadableWords(read);
  }
  const failing = p.ciFailing !== undefined ? ` (${names(String(p.ciFailing).split(', '))})` : '';
  return `Required CI checks failed or are missing on this SHA${failing}: fix them, or wait for them to run, then request the deploy again.`;
}
