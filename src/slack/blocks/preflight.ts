/**
 * The words of the pre-flight checks (src/domain/preflight.ts): a "Pre-flight" section of the deploy card with one
 * ✓/⚠/✗/⏳ line per check, and the failure `preflight_failed` with the way out. Pure mrkdwn from the stored checks;
 * every name that came from outside is escaped.
 */
import type { PreflightCheck } from '../../domain/preflight.js';
import type { DeployRequest, Failure } from '../../domain/request.js';
import { ciCheckWords, ciFailureSentence } from './ci-check.js';
import { escapeText } from './text.js';

type Params = NonNullable<PreflightCheck['params']>;

function param(p: Params, name: string, fallback = '?'): string {
  const value = p[name];
  return value === undefined ? fallback : escapeText(String(value));
}

const short = (sha: string) => sha.slice(0, 7);
const ICON: Record<PreflightCheck['verdict'], string> = { pass: '✓', warn: '⚠', fail: '✗', pending: '⏳' };
const link = (url: unknown, label: string) => (typeof url === 'string' ? `<${url}|${label}>` : label);
const names = (items: string[] | undefined) => (items ?? []).map((i) => `\`${escapeText(i)}\``).join(', ');

/** Provenance: where the SHA comes from. */
function provenanceWords(c: PreflightCheck, p: Params): string {
  switch (c.code) {
    case 'reachable':
      return `Provenance: on \`${param(p, 'branch')}\`.`;
    case 'unreadable':
      return `Provenance: GitHub could not compare the SHA with \`${param(p, 'defaultBranch')}\`; not checked.`;
    default:
      return `Provenance: not on \`${param(p, 'defaultBranch')}\`${p.allowedRefs !== undefined ? ` nor on ${param(p, 'allowedRefs')}` : ''}: merge it first.`;
  }
}

/** Ordering: the SHA against what runs. */
function orderingWords(c: PreflightCheck, p: Params): string {
  const deployed = `\`${short(param(p, 'deployedSha'))}\``;
  switch (c.code) {
    case 'first_deploy':
      return 'Ordering: nothing deployed here through foxops yet.';
    case 'same':
      return `Ordering: the same SHA as what runs (${deployed}).`;
    case 'ahead':
      return `Ordering: ${param(p, 'aheadBy')} commit(s) ahead of what runs (${deployed}).`;
    case 'unreadable':
      return `Ordering: GitHub could not compare with what runs (${deployed}); not checked.`;
    default: {
      const who = c.items?.length ? ` by ${names(c.items)}` : '';
      const how = c.code === 'diverged' ? `diverged from what runs (${deployed})` : `behind what runs (${deployed})`;
      return `Ordering: ${link(p.compareUrl, how)}: would take out ${param(p, 'behindBy')} commit(s)${who}. A step back is \`/deploy rollback\`.`;
    }
  }
}

/** The workflow file on a ref that is not the default branch. */
function workflowWords(c: PreflightCheck, p: Params): string {
  const file = `\`${param(p, 'path')}\``;
  switch (c.code) {
    case 'same':
      return `Workflow: ${file} is the same as on \`${param(p, 'defaultBranch')}\`.`;
    case 'unreadable':
      return `Workflow: GitHub could not read ${file}; not compared with \`${param(p, 'defaultBranch')}\`.`;
    default:
      return `Workflow: ${file} differs from \`${param(p, 'defaultBranch')}\`'s: ${link(p.diffUrl, 'see the diff')} before approving.`;
  }
}

/** Risk hints, never blocking. */
function riskWords(c: PreflightCheck, p: Params): string {
  if (c.verdict === 'pass') return 'Risk: nothing unusual.';
  const parts: string[] = [];
  const code = c.code ?? '';
  if (code.includes('many_commits')) parts.push(`${param(p, 'commits')} commits (more than \`max_commits\` ${param(p, 'maxCommits')})`);
  if (code.includes('risky_files')) parts.push(`risky files ${names(c.items)}${Number(p.riskyFiles) > (c.items?.length ?? 0) ? ' and more' : ''}`);
  if (code.includes('friday_afternoon')) parts.push(`a Friday afternoon in ${param(p, 'timeZone')}`);
  return `Risk: ${parts.join('; ')}.`;
}

/** One check as a line. The `ci` kind is the CI check's own; until it words itself, it shows its verdict and code. */
export function preflightLine(c: PreflightCheck): string {
  const p: Params = c.params ?? {};
  const icon = ICON[c.verdict];
  switch (c.check) {
    case 'provenance':
      return `${icon} ${provenanceWords(c, p)}`;
    case 'ordering':
      return `${icon} ${orderingWords(c, p)}`;
    case 'workflow':
      return `${icon} ${workflowWords(c, p)}`;
    case 'risk':
      return `${icon} ${riskWords(c, p)}`;
    // The CI check (required checks and statuses) words itself here.
    case 'ci':
      return `${icon} ${ciCheckWords(c)}`;
  }
}

/** The card's "Pre-flight" section text; undefined when the request has no checks. */
export function preflightText(r: Pick<DeployRequest, 'preflight' | 'breakGlass'>): string | undefined {
  if (!r.preflight?.length) return undefined;
  const overridden = r.breakGlass && r.preflight.some((c) => c.verdict === 'fail') ? ' (✗ overridden by break-glass, audited)' : '';
  return [`*Pre-flight*${overridden}`, ...r.preflight.map(preflightLine)].join('\n');
}

/** The failure `preflight_failed`: what refused the request and the way out; undefined for other codes. */
export function preflightFailureText(failure: Failure): string | undefined {
  if (failure.code !== 'preflight_failed') return undefined;
  const p: Params = failure.params ?? {};
  const failed = String(p.failed ?? '').split('+');
  const env = param(p, 'environment');
  const sentences: string[] = [];
  if (failed.includes('provenance')) {
    sentences.push(
      `\`${short(param(p, 'sha'))}\` (\`${param(p, 'ref')}\`) is not on \`${param(p, 'defaultBranch')}\`` +
        `${p.allowedRefs !== undefined ? ` nor on ${param(p, 'allowedRefs')}` : ''}: merge it first, then deploy \`${param(p, 'defaultBranch')}\`. ` +
        `To ship such branches to ${env}, list them in \`checks: { allowed_refs: [...] }\` of ${env}, or set \`checks: { provenance: warn }\`.`,
    );
  }
  if (failed.includes('ordering')) {
    const who = p.takenOutBy !== undefined ? ` by ${param(p, 'takenOutBy')}` : '';
    sentences.push(
      `\`${short(param(p, 'sha'))}\` is ${p.ordering === 'diverged' ? 'diverged from' : 'behind'} what runs in ${env} (\`${short(param(p, 'deployedSha'))}\`): ` +
        `it would take out ${param(p, 'behindBy')} commit(s)${who}. A step back is a rollback: use \`/deploy rollback ${env} ${param(p, 'service')}\`` +
        `${p.ordering === 'diverged' ? ', or merge what runs into your branch first' : ''}.`,
    );
  }
  if (failed.includes('ci')) sentences.push(ciFailureSentence(p));
  sentences.push('Only a break-glass deploy may override this, and it is audited.');
  return `Pre-flight refused: ${sentences.join(' ')}`;
}
