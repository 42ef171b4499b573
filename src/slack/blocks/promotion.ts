/**
 * The words of a promotion: its source deploy, its gates as ✓/✗ lines (each failed one saying what would make it
 * pass), and the failures `promotion_gates`, `promotion_required` and `promotion_unplanned`. Pure mrkdwn from the
 * outcomes in src/domain/promotion.ts; every name that came from outside is escaped.
 */
import { formatDuration } from '../../domain/duration.js';
import { type DeployRequest, type PromotionGate, shortSha } from '../../domain/request.js';
import { describeStatus, escapeText, slackDate } from './text.js';

type Params = NonNullable<PromotionGate['params']>;

function param(p: Params, name: string, fallback = '?'): string {
  const value = p[name];
  return value === undefined ? fallback : escapeText(String(value));
}

const ms = (p: Params, name: string): string => (typeof p[name] === 'number' ? formatDuration(p[name]) : '?');

/** One gate as a ✓ or ✗ line; a failed gate says what would make it pass. */
export function gateLine(g: PromotionGate): string {
  const p: Params = g.params ?? {};
  const from = `*${param(p, 'from')}*`;
  switch (g.gate) {
    case 'source_succeeded':
      return g.passed
        ? `✓ The last deploy in ${from} succeeded: \`${shortSha(String(p.sha ?? ''))}\` (deploy \`${param(p, 'deployId')}\`).`
        : `✗ Nothing of ${param(p, 'service')} has succeeded in ${from} yet: deploy it there first, then promote.`;
    case 'soaked':
      if (g.passed)
        return p.requiredMs === 0
          ? `✓ No soak time asked (\`promote_after\` is 0s); it has run in ${from} for ${ms(p, 'soakedMs')}.`
          : `✓ Soaked in ${from} for ${ms(p, 'soakedMs')} (\`promote_after\`: ${ms(p, 'requiredMs')}).`;
      if (p.nothing === true) return `✗ Nothing to soak: no successful deploy in ${from}.`;
      return (
        `✗ Soaked in ${from} for ${ms(p, 'soakedMs')} of the ${ms(p, 'requiredMs')} \`promote_after\` asks: ` +
        `promote again after ${typeof p.readyAt === 'string' ? slackDate(p.readyAt) : 'the soak time'}.`
      );
    case 'no_alarm':
      if (p.none === true)
        return `✓ No CloudWatch alarms to check for ${param(p, 'service')} in ${from} (give its target \`alarms\` or a \`function\` to check some).`;
      if (p.unreadable !== undefined) {
        const why = p.unreadable === 'access_denied' ? 'AWS refused' : 'AWS did not answer';
        const fix = p.unreadable === 'access_denied' ? "grant it to foxops' role (infra/foxops/template.yml)" : 'try again in a minute';
        return (
          `✗ Could not read the alarms in ${from} (${param(p, 'watched')}): ${why} \`${param(p, 'action')}\` on \`${param(p, 'resource')}\`` +
          `${p.said !== undefined ? ` (${param(p, 'said')})` : ''}; ${fix}.`
        );
      }
      return g.passed
        ? `✓ No alarm in ALARM in ${from} (${param(p, 'watched')}).`
        : `✗ In ALARM in ${from} now: ${param(p, 'firing')}. Promote once they are back to OK.`;
    case 'target_idle':
      return g.passed
        ? `✓ Nothing is being deployed to *${param(p, 'to')}*.`
        : `✗ Deploy \`${param(p, 'deployId')}\` is ${escapeText(describeStatus(String(p.status ?? '')))} in *${param(p, 'to')}*: ` +
            'promote again once it has finished.';
    case 'moves_forward': {
      const to = `*${param(p, 'to')}*`;
      const sha = `\`${shortSha(String(p.sha ?? ''))}\``;
      const deployed = `\`${shortSha(String(p.deployedSha ?? ''))}\``;
      if (p.unreadable === true) return `✓ ${sha} against what runs in ${to} (${deployed}): GitHub could not compare them, so not checked.`;
      if (p.status === undefined) return `✓ Moves ${to} forward: ${sha} is ${param(p, 'aheadBy')} commit(s) ahead of ${deployed}, which runs there.`;
      const takes = `${to} runs ${deployed}, which has ${param(p, 'behindBy')} commit(s) that ${sha} lacks: promoting would take them out`;
      if (p.warn === true) return `⚠ ${takes} (\`checks.ordering: warn\` lets it through).`;
      return `✗ ${takes}. A step back is \`/deploy rollback ${param(p, 'to')}\`; or promote once ${from} runs what ${to} runs, or newer.`;
    }
  }
}

/** The promotion section of a card or refusal: where the SHA comes from and the gates; undefined for other kinds. */
export function promotionText(r: DeployRequest): string | undefined {
  const pr = r.kind === 'promote' ? r.promotion : undefined;
  if (!pr) return undefined;
  const s = pr.source;
  const sha = s ? (s.shaUrl ? `<${s.shaUrl}|\`${shortSha(s.sha)}\`>` : `\`${shortSha(s.sha)}\``) : '';
  const head = s
    ? `*Promotes from ${escapeText(pr.from)}:* ${s.version !== undefined ? `v${escapeText(s.version)} ` : ''}${sha} (\`${escapeText(s.ref)}\`), ` +
      `deployed by <@${s.requester}> ${slackDate(s.finishedAt)}, deploy \`${s.requestId}\``
    : `*Promotes from ${escapeText(pr.from)}*`;
  const gates = pr.gates?.length ? pr.gates.map(gateLine) : ['_checking the gates_'];
  return [head, ...gates].join('\n');
}

/** The sentence of a promotion failure code, or undefined for any other code. */
export function promotionFailureText(code: string, p: Params): string | undefined {
  switch (code) {
    case 'promotion_gates':
      return (
        `The promotion of ${param(p, 'service')} from ${param(p, 'from')} to ${param(p, 'to')} did not pass its gates; ` +
        'each ✗ says what would make it pass.'
      );
    case 'promotion_required':
      return (
        `${param(p, 'environment')} only takes what succeeded in ${param(p, 'from')} first (\`require_promotion\`), ` +
        `and \`${shortSha(String(p.sha ?? ''))}\` has not succeeded there. ` +
        `Deploy it to ${param(p, 'from')}, then promote it: \`/deploy promote ${param(p, 'service')}\`.`
      );
    case 'promotion_unplanned':
      return (
        `${param(p, 'environment')} names no \`promote_from\`, so this promotion has no source. ` +
        `Name one: \`/deploy promote <from> to ${param(p, 'environment')}\`.`
      );
  }
  return undefined;
}
