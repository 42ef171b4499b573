/**
 * Messages about an environment that are no deploy card: a lock taken or lifted, a break-glass request made or
 * approved. Pure: the notice (and, for a break-glass, the stored request) in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import type { Lock } from '../../domain/lock.js';
import type { ChannelNotice } from '../../domain/ports.js';
import { type DeployRequest, shortSha } from '../../domain/request.js';
import type { SlackMessage } from './deploy-card.js';
import { lockTarget, lockUntil, mentions, unlockCommand } from './holds.js';
import { channelLink, escapeText, mention, slackDate } from './text.js';

/** Slack refuses a text object of 3000 characters or more. */
const MAX_TEXT = 2900;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, MAX_TEXT) } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: text.slice(0, MAX_TEXT) }] });

/** Who a lock holds back, and how it ends: the owner still deploys through it. */
function lockEffect(lock: Lock): string {
  const what = lock.service ? `Deploys of ${escapeText(lock.service)} to ${escapeText(lock.environment)}` : `Deploys to ${escapeText(lock.environment)}`;
  return `${what} by anyone else wait until it ends (${mention(lock.owner)} may still deploy). To lift it: ${unlockCommand(lock)}.`;
}

function lockTaken(lock: Lock, renewed: boolean): SlackMessage {
  const verb = renewed ? `changed their lock on ${lockTarget(lock)}: now` : `locked ${lockTarget(lock)}`;
  // A rollback's lock says which rollback took it, so that nobody ships again what it took out without asking.
  const after = lock.requestId ? ` after rollback \`${lock.requestId}\`` : '';
  const line = `:lock: ${mention(lock.owner)} ${verb}${after} ${lockUntil(lock)}: ${escapeText(lock.reason)}`;
  return { text: line.slice(0, MAX_TEXT), blocks: [section(line), context(lockEffect(lock))] };
}

function lockReleased(lock: Lock, by: string): SlackMessage {
  // An approver lifting someone else's lock overrules them: say whose lock it was and why they held it.
  const whose = by === lock.owner ? '' : ` (locked by ${mention(lock.owner)} since ${slackDate(lock.at)}: ${escapeText(lock.reason)})`;
  const line = `:unlock: ${mention(by)} unlocked ${lockTarget(lock)}${whose}.`;
  return { text: line.slice(0, MAX_TEXT), blocks: [section(line), context('Deploys it held back go ahead by themselves.')] };
}

const BREAK_GLASS_VERB: Record<DeployRequest['kind'], string> = { deploy: 'deploy', promote: 'promote', rollback: 'roll back to' };

/**
 * `` `3f78685` of *foxy-backend* to *production* ``, or before the SHA is pinned the ref (a promotion: what last
 * succeeded in its source).
 */
function whatShips(r: DeployRequest): string {
  const what = r.sha
    ? `\`${shortSha(r.sha)}\``
    : r.kind === 'promote' && r.promotion
      ? `what last succeeded in *${escapeText(r.promotion.from)}*`
      : `\`${escapeText(r.ref)}\``;
  return `${what} of *${escapeText(r.service)}* ${r.kind === 'rollback' ? 'in' : 'to'} *${escapeText(r.environment)}*`;
}

/** Where the card is: its channel and the deploy id (a link to the message would need the workspace's domain). */
const whereCard = (r: DeployRequest) => `The card is in ${channelLink(r.channel)}, deploy \`${r.id}\`.`;

/** Why a break-glass was needed: a freeze in force when it was asked, or else pre-flight checks it may override. */
const breakGlassWhen = (r: DeployRequest) => (r.breakGlass?.duringFreeze ? 'during a freeze' : 'past the pre-flight checks (no freeze in force)');

function breakGlass(stage: 'requested' | 'approved', requestId: string, r: DeployRequest | undefined): SlackMessage {
  if (!r) {
    // The request is gone (expired past its retention): the id is all there is to say.
    const line = `:rotating_light: *BREAK-GLASS* ${stage === 'approved' ? 'approved' : 'requested'}: deploy \`${requestId}\`.`;
    return { text: line, blocks: [section(line)] };
  }
  const reason = escapeText(r.breakGlass?.reason ?? 'no reason given');
  if (stage === 'approved') {
    const by = mentions(r.approvals.map((a) => a.userId));
    const line = `:rotating_light: *BREAK-GLASS* approved by ${by || 'nobody yet'}: ${mention(r.requester)}'s ${BREAK_GLASS_VERB[r.kind]} ${whatShips(r)} goes ahead${r.breakGlass?.duringFreeze ? ' during the freeze' : ''}: ${reason}`;
    return { text: line.slice(0, MAX_TEXT), blocks: [section(line), context(`${whereCard(r)} It ships next; its card follows the run.`)] };
  }
  const line = `:rotating_light: *BREAK-GLASS*: ${mention(r.requester)} asks to ${BREAK_GLASS_VERB[r.kind]} ${whatShips(r)} ${breakGlassWhen(r)}: ${reason}`;
  const next = `${whereCard(r)} It needs ${r.requiredApprovals} approvals from the break-glass approvers, never the requester's own.`;
  return { text: line.slice(0, MAX_TEXT), blocks: [section(line), context(next)] };
}

/** The rollback foxops started by itself after an alarm during a deploy's bake: why, and where its card is. */
function autoRollback(notice: Extract<ChannelNotice, { kind: 'auto_rollback' }>, r: DeployRequest | undefined): SlackMessage {
  const what = r ? ` of *${escapeText(r.service)}* in *${escapeText(r.environment)}*` : '';
  const line =
    `:rewind: *Auto-rollback*${what}: alarm \`${escapeText(notice.alarm)}\` went off during the bake of deploy \`${notice.deployId}\`, ` +
    'so foxops rolls it back now, without waiting for approval.';
  const where = r ? whereCard(r) : `Rollback \`${notice.requestId}\`.`;
  return { text: line.slice(0, MAX_TEXT), blocks: [section(line), context(`${where} Its card follows the rollback (\`auto_rollback: true\` in foxops.yml).`)] };
}

/** Why the run was refused, in words: the refusal's code, with the deploy it named. */
function unapprovedWhy(notice: Extract<ChannelNotice, { kind: 'unapproved_run' }>): string {
  const deploy = notice.deployId ? `deploy \`${notice.deployId}\`` : 'the deploy it named';
  switch (notice.code) {
    case 'unknown_deploy':
      return notice.deployId ? `${deploy} does not exist` : 'it named no foxops deploy (a run started by hand?)';
    case 'not_approved':
      return `${deploy} is not approved`;
    case 'wrong_repository':
      return `${deploy} is for another repository`;
    case 'wrong_environment':
      return `${deploy} was approved for another environment`;
    case 'wrong_sha':
      return `it ships another commit than the one approved in ${deploy}`;
    case 'wrong_workflow':
      return `its workflow is not the service's own on the default branch (${deploy})`;
    case 'spent':
      return `the approval of ${deploy} was used by another run already`;
  }
}

/** A workflow run that asked to use an approval it may not have: who, which run, and why it was refused. */
function unapprovedRun(notice: Extract<ChannelNotice, { kind: 'unapproved_run' }>): SlackMessage {
  const attempt = notice.runAttempt && notice.runAttempt > 1 ? ` (attempt ${notice.runAttempt})` : '';
  const line =
    `:no_entry: someone tried to deploy ${escapeText(notice.environment)} without approval: run ${notice.runId}${attempt} of ` +
    `*${escapeText(notice.repository)}*, refused because ${unapprovedWhy(notice)}.`;
  const how = notice.via === 'oidc' ? "the workflow's verify job (OIDC token)" : "the environment's deployment protection rule";
  return {
    text: line.slice(0, MAX_TEXT),
    blocks: [section(line), context(`Checked through ${how}: the run gets no deploy credentials. The attempt is in the audit trail.`)],
  };
}

/**
 * Renders `notice` for its channel. A `break_glass` or `auto_rollback` notice is worded from `request`, the stored
 * request it names (undefined when it is no longer stored); the lock notices carry all they need.
 */
export function channelNoticeMessage(notice: ChannelNotice, request?: DeployRequest): SlackMessage {
  switch (notice.kind) {
    case 'lock_taken':
      return lockTaken(notice.lock, notice.renewed);
    case 'lock_released':
      return lockReleased(notice.lock, notice.by);
    case 'break_glass':
      return breakGlass(notice.stage, notice.requestId, request);
    case 'auto_rollback':
      return autoRollback(notice, request);
    case 'unapproved_run':
      return unapprovedRun(notice);
  }
}
