/**
 * The words of foxops' answers to a deployment protection rule: the comment GitHub shows on the run's review. GitHub
 * text (markdown), not Slack's, so they live on the GitHub side; every rejection says why and how to ask for the deploy
 * in Slack.
 */
import type { EnforcementRefusal } from '../domain/enforcement.js';
import type { ProtectionVerdict, UndecidedReason } from '../domain/ports.js';

/** GitHub keeps a review comment short; a longer one is cut here rather than refused there. */
export const MAX_COMMENT_CHARS = 1000;

const short = (sha: string) => sha.slice(0, 12);
/** Text from GitHub or the store shown in backticks: no backticks or line breaks of its own, bounded. */
const code = (text: string) => `\`${text.replace(/[`\r\n]/g, '').slice(0, 100)}\``;

/** Why the run was refused, from the refusal's code and data. */
export function refusalText(refusal: EnforcementRefusal): string {
  const deploy = refusal.deployId ? `deploy ${code(refusal.deployId)}` : '';
  switch (refusal.code) {
    case 'unknown_deploy':
      return refusal.deployId
        ? `${deploy} is not a foxops deploy request.`
        : 'this run names no foxops deploy: it was not started by foxops (its run name carries no `[d-…]` deploy id).';
    case 'not_approved':
      return `${deploy} is ${refusal.status.replace(/_/g, ' ')}, not approved.`;
    case 'wrong_repository':
      return `${deploy} is for ${code(refusal.expected)}, not ${code(refusal.got)}.`;
    case 'wrong_environment':
      return `${deploy} was approved for ${code(refusal.expected)}, not ${code(refusal.got)}.`;
    case 'wrong_sha':
      return `${deploy} was approved for commit ${code(short(refusal.expected))}; this run is at ${code(short(refusal.got))}.`;
    case 'wrong_workflow':
      return `${deploy} must run ${code(refusal.expected)}; this run is ${code(refusal.got)}.`;
    case 'spent':
      return `the approval of ${deploy} was used by run ${refusal.runId} already; one approval ships one run (re-runs of that run are fine).`;
  }
}

/** Why there is no decision. */
export function undecidedText(reason: UndecidedReason): string {
  switch (reason) {
    case 'run_not_found':
      return 'foxops could not decide in time: GitHub does not know this run.';
    case 'github_unavailable':
      return 'foxops could not decide in time: GitHub did not answer when foxops read this run.';
    case 'store_unavailable':
      return 'foxops could not decide in time: its store did not answer.';
    case 'timeout':
      return 'foxops could not decide in time.';
  }
}

/** How to ask for this deploy in Slack. */
function howToAsk(ask: Extract<ProtectionVerdict, { state: 'rejected' }>['ask']): string {
  const command = `/deploy ${ask.environment} ${ask.service ?? '<service>'} ${ask.sha ? short(ask.sha) : '<ref>'}`;
  const where = ask.channels?.length
    ? `in the environment's Slack channel (${ask.channels.map((c) => `https://slack.com/app_redirect?channel=${c}`).join(', ')})`
    : "in the environment's Slack channel";
  return `To deploy, request it in Slack: \`${command}\` ${where}; foxops starts the run once it is approved.`;
}

/** The comment of an answer: what was checked on approval; on rejection, why and how to ask for the deploy. */
export function protectionComment(verdict: ProtectionVerdict): string {
  if (verdict.state === 'approved') {
    const attempt = verdict.attempt > 1 ? ` (re-run, attempt ${verdict.attempt})` : '';
    return `Approved by foxops: run ${verdict.runId}${attempt} ships exactly what deploy \`${verdict.deployId}\` approved.`.slice(0, MAX_COMMENT_CHARS);
  }
  const why = verdict.refusal ? `Rejected by foxops: ${refusalText(verdict.refusal)}` : `Rejected: ${undecidedText(verdict.undecided ?? 'timeout')}`;
  const again = verdict.refusal ? '' : ' Re-run the run to ask again.';
  return `${why}${again} ${howToAsk(verdict.ask)}`.slice(0, MAX_COMMENT_CHARS);
}
