/**
 * The deploy card: one message per request, re-rendered from the stored request on every change.
 * Pure: request in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../domain/duration.js';
import { type DeployRequest, type RollbackSide, type RunJob, shortSha } from '../../domain/request.js';
import { deployDuration, failingJob, failingStepUrl } from '../../domain/run-events.js';
import { ACTION_IDS } from './action-ids.js';
import { failureText } from './failures.js';
import { askToUnlock, freezeWindowText, lockHolder, lockTarget } from './holds.js';
import { promotionText } from './promotion.js';
import { preflightText } from './preflight.js';
import { rollbackNoteText } from './rollback-note.js';
import { stackCheckLines, stackRestoreHow, stackRestoreSides, stackRestoreStatus } from './stack.js';
import { describeStatus, escapeText, slackDate } from './text.js';

/** A Slack message body: fallback text for notifications plus blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

const KIND_VERB: Record<DeployRequest['kind'], string> = { deploy: 'Deploy', promote: 'Promote', rollback: 'Roll back' };

/** Slack refuses a text object of 3000 characters or more; stay clear of it. */
const MAX_TEXT = 2900;

/** `text` cut to `max` characters, marked with an ellipsis when cut. */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Why a queued run does not start yet, from GitHub's status of the run. */
function queuedReason(r: DeployRequest): string {
  if (r.run?.status === 'waiting') return ' (waiting for a reviewer of the GitHub environment)';
  if (r.run?.status === 'pending') return ' (waiting for an earlier run of the workflow to finish)';
  return '';
}

/** A job and, if it failed, its failing step, linked to their logs. */
function failingJobText(r: DeployRequest): string | undefined {
  const job = failingJob(r.run);
  if (!job) return undefined;
  const name = job.url ? `<${job.url}|${escapeText(job.name)}>` : escapeText(job.name);
  const stepUrl = failingStepUrl(job);
  const step = job.failedStep ? ` at step ${stepUrl ? `<${stepUrl}|${escapeText(job.failedStep)}>` : escapeText(job.failedStep)}` : '';
  return `Job ${name} ${job.conclusion === 'cancelled' ? 'was cancelled' : job.conclusion === 'timed_out' ? 'timed out' : 'failed'}${step}.`;
}

/** Why the environment holds an approved request back, and what comes next: it ships by itself once that passes. */
function heldLine(r: DeployRequest): string {
  const hold = r.hold;
  if (!hold) return ':double_vertical_bar: *Queued*: waiting for the environment to be free; ships by itself then.';
  const since = ` Waiting since ${slackDate(hold.since)}.`;
  switch (hold.code) {
    case 'busy':
      // Not its status: that was a snapshot when the hold was taken, and its own card shows it live.
      return `:double_vertical_bar: *Queued behind* deploy \`${hold.requestId}\`: ships by itself when it ends.${since}`;
    case 'locked':
      return (
        `:lock: *Held by a lock*: ${lockTarget(hold.lock)} is locked by ${lockHolder(hold.lock)}. ` +
        `Ships by itself once the lock ends or is lifted; to ship sooner, ${askToUnlock(hold.lock)}.${since}`
      );
    case 'frozen':
      return `:snowflake: *Held by a freeze*: ${freezeWindowText(hold.freeze)}. Ships by itself when it ends.${since}`;
  }
}

function statusLine(r: DeployRequest): string {
  const approvals = `${r.approvals.length} of ${r.requiredApprovals}`;
  const run = r.run?.url ? `<${r.run.url}|${r.run.id ? `run ${r.run.id}` : 'workflow runs'}>` : 'the workflow';
  const attempt = r.run && r.run.attempt > 1 ? ` (re-run, attempt ${r.run.attempt})` : '';
  // Total duration: from the dispatch, or from the start of a re-run attempt.
  const duration = deployDuration(r);
  const took = duration ? ` in ${formatDuration(duration.ms)}` : '';
  const why = r.failure ? ` ${failureText(r.failure)}` : '';
  const alias = r.kind === 'rollback' ? r.rollback?.alias : undefined;
  const toVersion = r.rollback?.to?.version !== undefined ? `v${escapeText(r.rollback.to.version)}` : 'the old version';
  // A stack rollback (`--stack`) executes a change set instead of moving an alias or running the workflow.
  const restore = r.kind === 'rollback' ? r.rollback?.stack : undefined;
  const restoring = restore ? stackRestoreStatus(r, restore, took) : undefined;
  if (restoring) return restoring;
  switch (r.status) {
    case 'preparing':
      return r.kind === 'rollback' ? ':hourglass_flowing_sand: Planning the rollback…' : `:hourglass_flowing_sand: Resolving \`${escapeText(r.ref)}\`…`;
    case 'prepare_failed':
      return `:x: ${r.kind === 'rollback' ? 'Could not plan the rollback' : 'Could not prepare'}: ${r.failure ? failureText(r.failure) : 'unknown error'}`;
    case 'awaiting_approval':
      return `:hourglass: Waiting for approvals: ${approvals}`;
    case 'approved':
      return alias
        ? `:white_check_mark: Approved (${approvals}), moving \`${escapeText(alias.alias)}\` to ${toVersion}…`
        : `:white_check_mark: Approved (${approvals}), dispatching…`;
    case 'queued_behind':
      return heldLine(r);
    case 'rolling_back':
      return (
        `:rewind: Moving \`${escapeText(alias?.alias ?? 'live')}\` of \`${escapeText(alias?.functionName ?? r.service)}\` ` +
        `from v${escapeText(alias?.live ?? '?')} to ${toVersion}…`
      );
    case 'rollback_failed':
      return `:x: *Rollback failed.* ${r.failure ? failureText(r.failure) : ''}`;
    case 'dispatching':
      return ':rocket: Dispatching the workflow…';
    case 'dispatch_failed':
      return `:x: *Dispatch failed.* ${r.failure ? failureText(r.failure) : ''}`;
    case 'dispatched':
      return `:rocket: Dispatched: ${run}`;
    case 'queued':
      return `:double_vertical_bar: Queued${queuedReason(r)}: ${run}${attempt}`;
    case 'running':
      return `:arrows_counterclockwise: Running: ${run}${attempt}`;
    case 'succeeded':
      if (alias && !r.run) {
        return (
          `:large_green_circle: *Rolled back*${took}: \`${escapeText(alias.alias)}\` of \`${escapeText(alias.functionName)}\` ` +
          `serves ${toVersion} again (confirmed), no GitHub run.`
        );
      }
      return `:large_green_circle: *Succeeded*${took}: ${run}${attempt}`;
    case 'failed':
      return `:red_circle: *Failed*${took}: ${run}${attempt}${failingJobText(r) ? ` ${failingJobText(r)}` : why}`;
    case 'cancelled':
      return `:white_circle: Cancelled${cancelledBy(r)}${took}: ${run}${attempt}${why}`;
    case 'timed_out':
      // GitHub's own time limit names the job; foxops' limit (no conclusion) says why it gave up.
      return r.run?.conclusion
        ? `:alarm_clock: *Timed out*${took}: ${run}${attempt}${failingJobText(r) ? ` ${failingJobText(r)}` : why}`
        : `:alarm_clock: *Timed out*: no result from ${run}${attempt} in time.${why}`;
    case 'unknown':
      return r.failure
        ? `:grey_question: *Unknown*: ${run}${attempt}.${why} Check the workflow and the environment by hand.`
        : `:grey_question: *Unknown*: GitHub no longer knows ${run}. Check the workflow and the environment by hand.`;
    case 'rejected': {
      // As the dialog said it: the requester withdraws; after a failed dispatch or alias move, Give up.
      const verb = r.failure ? 'Given up' : r.rejectedBy === r.requester ? 'Withdrawn' : 'Rejected';
      return `:no_entry: ${verb} by <@${r.rejectedBy}>${r.rejectionReason ? `: ${escapeText(r.rejectionReason)}` : ''}`;
    }
    case 'expired':
      return `:alarm_clock: *Expired* at ${slackDate(r.expiresAt, '{time}')} with ${approvals} approvals.`;
  }
}

const JOB_ICON: Record<string, string> = { success: ':white_check_mark:', skipped: ':fast_forward:', cancelled: ':white_circle:', timed_out: ':alarm_clock:' };

/** One line per job: state, link, duration once done, the running or the failing step. */
function jobLine(j: RunJob): string {
  const icon =
    j.status === 'completed' ? (JOB_ICON[j.conclusion ?? ''] ?? ':x:') : j.status === 'in_progress' ? ':arrows_counterclockwise:' : ':double_vertical_bar:';
  const took = j.startedAt && j.completedAt ? ` ${formatDuration(Date.parse(j.completedAt) - Date.parse(j.startedAt))}` : '';
  const name = j.url ? `<${j.url}|${escapeText(j.name)}>` : escapeText(j.name);
  const stepUrl = failingStepUrl(j);
  const failed = j.failedStep
    ? `: step ${stepUrl && j.failedStepNumber ? `<${stepUrl}|${escapeText(j.failedStep)}>` : `_${escapeText(j.failedStep)}_`} failed`
    : '';
  const current = j.status === 'in_progress' && j.currentStep ? `: _${escapeText(j.currentStep)}_` : '';
  return `${icon} ${name}${took}${failed}${current}`;
}

/** The jobs section: whole lines only (a cut line breaks its link), failing jobs first when they do not all fit. */
function jobLines(jobs: RunJob[]): string {
  const lines = jobs.map(jobLine);
  if (lines.join('\n').length <= MAX_TEXT) return lines.join('\n');
  const order = jobs
    .map((_job, i) => i)
    .sort(
      (a, b) =>
        Number(jobs[b]!.conclusion !== 'success' && jobs[b]!.conclusion !== 'skipped') -
          Number(jobs[a]!.conclusion !== 'success' && jobs[a]!.conclusion !== 'skipped') || a - b,
    );
  const kept = new Set<number>();
  let used = `\n…and ${jobs.length} more jobs`.length;
  for (const i of order) {
    if (used + 1 + lines[i]!.length > MAX_TEXT) break;
    kept.add(i);
    used += 1 + lines[i]!.length;
  }
  const shown = lines.filter((_, i) => kept.has(i));
  return [...shown, `…and ${jobs.length - shown.length} more jobs`].join('\n');
}

function commitLines(r: DeployRequest): string | undefined {
  if (!r.sha) return undefined;
  if (r.baseSha === r.sha)
    return r.kind === 'rollback' ? '_The same commit as what runs: only the Lambda version changes._' : `_This SHA is already what runs in ${r.environment}._`;
  if (r.commits.length === 0) return undefined;
  const lines = r.commits
    .slice()
    .reverse()
    .map((c) => `• <${c.url}|\`${shortSha(c.sha)}\`> ${escapeText(c.message)} (${escapeText(c.author)})`);
  const total = r.totalCommits ?? r.commits.length;
  const compare = r.compareUrl ? ` (<${r.compareUrl}|compare>)` : '';
  const head =
    r.kind === 'rollback'
      ? `*${total} commit(s) being taken out, after \`${shortSha(r.sha)}\` up to \`${shortSha(r.baseSha)}\`${compare}:*`
      : r.baseSha
        ? `*${total} commit(s) since \`${shortSha(r.baseSha)}\`${compare}:*`
        : `*First deploy through foxops to ${r.environment}; the commit:*`;
  // Whole lines only, newest first, while they fit beside the "…and N more" note: a cut line breaks its link,
  // and a cut note hides that there is more than the card shows.
  const shown: string[] = [];
  let used = head.length + `\n…and ${total} more`.length;
  for (const line of lines) {
    if (used + 1 + line.length > MAX_TEXT) break;
    shown.push(line);
    used += 1 + line.length;
  }
  const hidden = total - shown.length;
  return [head, ...shown, ...(hidden > 0 ? [`…and ${hidden} more`] : [])].join('\n');
}

/** One end of a rollback: version, SHA and ref, who deployed it and when. */
function sideText(label: string, side: RollbackSide | undefined): string {
  if (!side) return `*${label}*\n_planning_`;
  const sha = side.shaUrl ? `<${side.shaUrl}|\`${shortSha(side.sha)}\`>` : `\`${shortSha(side.sha)}\``;
  const version = side.version !== undefined ? `v${escapeText(side.version)} ` : '';
  const verb = side.kind === 'rollback' ? 'rolled back to' : 'deployed';
  return clip(
    `*${label}*\n${version}${sha} (\`${escapeText(side.ref)}\`)\n${verb} by <@${side.requester}> ${slackDate(side.finishedAt)}, deploy \`${side.requestId}\``,
    1900,
  );
}

/** How the rollback goes back, and a warning when the alias no longer serves what the ledger says runs. */
function rollbackHow(r: DeployRequest): string | undefined {
  const rb = r.rollback;
  if (!rb) return undefined;
  if (rb.mode === 'stack') return rb.stack ? stackRestoreHow(rb.stack) : 'Restores a backup of the stack through a change set.';
  if (rb.mode === 'redeploy')
    return `Redeploys \`${shortSha(r.sha)}\` through \`${escapeText(r.workflow)}\`, like a deploy: the workflow's run shows on this card.`;
  if (!rb.alias) return 'Moves the Lambda alias back: no GitHub run.';
  const { alias, functionName, live } = rb.alias;
  const to = rb.to?.version !== undefined ? `v${escapeText(rb.to.version)}` : 'the old version';
  const how = `Moves alias \`${escapeText(alias)}\` of \`${escapeText(functionName)}\` from v${escapeText(live)} to ${to}: no GitHub run, seconds.`;
  const drift =
    rb.from?.version !== undefined && rb.from.version !== live
      ? ` :warning: \`${escapeText(alias)}\` serves v${escapeText(live)} now, not v${escapeText(rb.from.version)} as foxops recorded; ` +
        `the move only goes ahead while it still serves v${escapeText(live)}.`
      : '';
  return `${how}${drift}`;
}

/** The fields of a rollback card: from → to, who asked and why, the approvals. */
function rollbackFields(r: DeployRequest, approvedBy: string): Array<{ type: 'mrkdwn'; text: string }> {
  const sides: [string, string] = r.rollback?.stack
    ? stackRestoreSides(r, r.rollback.stack)
    : [sideText('From (runs now)', r.rollback?.from), sideText('To (goes back to)', r.rollback?.to)];
  return [
    { type: 'mrkdwn', text: sides[0] },
    { type: 'mrkdwn', text: sides[1] },
    { type: 'mrkdwn', text: `*Requested by*\n<@${r.requester}>` },
    { type: 'mrkdwn', text: `*Approvals*\n${r.approvals.length} of ${r.requiredApprovals}: ${approvedBy}` },
    { type: 'mrkdwn', text: clip(`*Reason*\n${r.rollback?.reason ? escapeText(r.rollback.reason) : '_none given_'}`, 1900) },
    { type: 'mrkdwn', text: r.status === 'awaiting_approval' ? `*Expires*\n${slackDate(r.expiresAt)}` : `*Deploy id*\n\`${r.id}\`` },
  ];
}

/** Renders the deploy card for `request` (a rollback card for a rollback). */
export function deployCard(r: DeployRequest): SlackMessage {
  const rollback = r.kind === 'rollback';
  const title = rollback ? `${KIND_VERB[r.kind]} *${r.service}* in *${r.environment}*` : `${KIND_VERB[r.kind]} *${r.service}* to *${r.environment}*`;
  const shaText = r.sha ? (r.shaUrl ? `<${r.shaUrl}|\`${shortSha(r.sha)}\`>` : `\`${shortSha(r.sha)}\``) : '_resolving_';
  const approvedBy = r.approvals.length ? r.approvals.map((a) => `<@${a.userId}>`).join(', ') : '_none yet_';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${r.breakGlass ? ':rotating_light: *BREAK-GLASS* ' : ''}:fox_face: ${title}` } },
    // A break-glass overrules a freeze: its reason and who must agree come right under the title, before the details.
    ...(r.breakGlass ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: clip(breakGlassText(r), MAX_TEXT) } }] : []),
    // A lock taken while it waits: approving is fine, but it ships only once the lock is lifted or ends.
    ...(r.lockedBy && r.status === 'awaiting_approval'
      ? [
          {
            type: 'context' as const,
            elements: [
              {
                type: 'mrkdwn' as const,
                text: clip(
                  `:lock: ${lockTarget(r.lockedBy)} is locked by ${lockHolder(r.lockedBy)}. Once approved, this waits until the lock ends; ${askToUnlock(r.lockedBy)}.`,
                  MAX_TEXT,
                ),
              },
            ],
          },
        ]
      : []),
    {
      type: 'section',
      fields: rollback
        ? rollbackFields(r, approvedBy)
        : [
            { type: 'mrkdwn', text: `*Ref*\n\`${escapeText(r.ref)}\` @ ${shaText}` },
            { type: 'mrkdwn', text: `*Requested by*\n<@${r.requester}>` },
            { type: 'mrkdwn', text: `*Approvals*\n${r.approvals.length} of ${r.requiredApprovals}: ${approvedBy}` },
            { type: 'mrkdwn', text: r.status === 'awaiting_approval' ? `*Expires*\n${slackDate(r.expiresAt)}` : `*Deploy id*\n\`${r.id}\`` },
          ],
    },
  ];
  const how = rollback ? rollbackHow(r) : undefined;
  if (how) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(how, MAX_TEXT) }] });
  // After a rollback, the next deploy card says what it took out, so nobody ships it again without seeing it.
  // A promotion: where its SHA comes from, and its gates as ✓/✗ lines.
  const promotion = promotionText(r);
  if (promotion) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(promotion, MAX_TEXT) } });
  // Pre-flight checks of the pinned SHA: ✓/⚠/✗/⏳ lines (src/slack/blocks/preflight.ts).
  const preflight = preflightText(r);
  if (preflight) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(preflight, MAX_TEXT) } });
  if (r.rolledBack) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(rollbackNoteText(r.environment, r.rolledBack), MAX_TEXT) }] });
  // The target's stack: where its backup is, and drift as a warning.
  for (const line of r.stack ? stackCheckLines(r.id, r.stack) : [])
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(line, MAX_TEXT) }] });
  const commits = commitLines(r);
  if (commits) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: commits.slice(0, MAX_TEXT) } });
  if (r.run?.jobs.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: jobLines(r.run.jobs) } });
  if (r.run?.deployment) {
    const d = r.run.deployment;
    const where = d.url ? `<${d.url}|${escapeText(d.environment)}>` : escapeText(d.environment);
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: clip(`GitHub environment ${where}: ${escapeText(describeStatus(d.state))}`, MAX_TEXT) }],
    });
  }
  // GitHub asked foxops before the run could deploy (protection rule or OIDC verify): the approval is enforced, not advisory.
  if (r.enforcedRun)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `:lock: enforced by GitHub: run ${r.enforcedRun.runId} was checked against this approval` }],
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(r).slice(0, MAX_TEXT) }] });
  const cancelNote = cancelText(r);
  if (cancelNote) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cancelNote }] });
  // An alarm while the deploy baked puts it under suspicion: said on its own card, where people look first.
  const baked = (r.bakeAlarms ?? []).map((a) => `:rotating_light: alarm during bake: \`${escapeText(a.name)}\` ${slackDate(a.at)}`);
  if (baked.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(baked.join('\n'), MAX_TEXT) }] });
  if (r.status === 'awaiting_approval') {
    blocks.push({
      type: 'actions',
      block_id: `deploy_actions:${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.approve,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: r.id,
          confirm: {
            title: { type: 'plain_text', text: 'Approve this deploy?' },
            text: {
              type: 'mrkdwn',
              text: rollback
                ? approveRollbackText(r)
                : `You approve ${r.breakGlass ? `a *break-glass* deploy, ${r.breakGlass.duringFreeze ? 'during a freeze' : 'past its pre-flight checks'}, of` : 'deploying'} *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}*. ` +
                  `That exact commit ships, even if \`${escapeText(clip(r.ref, 80))}\` moves.`,
            },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        { type: 'button', action_id: ACTION_IDS.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: r.id },
      ],
    });
  } else if (r.status === 'queued_behind') {
    // Held by the environment, it ships by itself: nothing to approve or retry, but it may still be withdrawn or rejected.
    blocks.push({
      type: 'actions',
      block_id: `deploy_actions:${r.id}`,
      elements: [{ type: 'button', action_id: ACTION_IDS.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: r.id }],
    });
  } else if ((r.status === 'dispatched' || r.status === 'queued' || r.status === 'running') && !r.cancelRequestedBy) {
    // Stops the GitHub run; it does not roll back what the run already changed.
    blocks.push({
      type: 'actions',
      block_id: `deploy_actions:${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.cancel,
          text: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
          value: r.id,
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this deploy?' },
            text: {
              type: 'mrkdwn',
              text:
                `You stop the GitHub run of *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}*. ` +
                'Cancelling does not roll back: whatever the run already changed stays.',
            },
            confirm: { type: 'plain_text', text: 'Cancel the run' },
            deny: { type: 'plain_text', text: 'Keep it running' },
          },
        },
      ],
    });
  } else if (r.status === 'dispatch_failed' || r.status === 'rollback_failed') {
    blocks.push({
      type: 'actions',
      block_id: `deploy_actions:${r.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.retry,
          text: { type: 'plain_text', text: r.status === 'rollback_failed' ? 'Retry rollback' : 'Retry dispatch' },
          style: 'primary',
          value: r.id,
        },
        { type: 'button', action_id: ACTION_IDS.reject, text: { type: 'plain_text', text: 'Give up' }, value: r.id },
      ],
    });
  }
  const toVersion = r.rollback?.to?.version !== undefined ? ` v${r.rollback.to.version}` : '';
  const text = rollback
    ? `${KIND_VERB[r.kind]} ${r.service} in ${r.environment} to${toVersion} ${shortSha(r.sha)}: ${describeStatus(r.status)}`
    : `${KIND_VERB[r.kind]} ${r.service} ${shortSha(r.sha)} to ${r.environment}: ${describeStatus(r.status)}`;
  return { text: r.breakGlass ? `BREAK-GLASS: ${text}` : text, blocks };
}

/** ` by @who at <time>` on a cancelled card, when someone pressed Cancel (a run cancelled in GitHub itself says nothing). */
function cancelledBy(r: DeployRequest): string {
  return r.cancelRequestedBy ? ` by <@${r.cancelRequestedBy}>${r.cancelRequestedAt ? ` ${slackDate(r.cancelRequestedAt)}` : ''}` : '';
}

/**
 * Under the status: while the run still goes, that Cancel was pressed; once cancelled, that nothing was rolled back,
 * and how to roll back if the run got as far as deploying.
 */
function cancelText(r: DeployRequest): string | undefined {
  if (!r.cancelRequestedBy) return undefined;
  if (r.status === 'dispatched' || r.status === 'queued' || r.status === 'running')
    return `:octagonal_sign: Cancel requested by <@${r.cancelRequestedBy}>${r.cancelRequestedAt ? ` ${slackDate(r.cancelRequestedAt)}` : ''}: stopping the run…`;
  if (r.status !== 'cancelled') return undefined;
  return (
    ':information_source: Cancelling does not roll back. If the run got as far as deploying, ' +
    `roll back with \`/deploy rollback ${r.environment} ${r.service}\`.`
  );
}

/** The break-glass mark: its reason, and (while it waits for them) the approvals it needs and from whom. */
function breakGlassText(r: DeployRequest): string {
  const when = r.breakGlass?.duringFreeze ? 'during a freeze' : 'past the pre-flight checks, no freeze in force';
  const reason = `:rotating_light: *Break-glass ${when}*: ${escapeText(r.breakGlass?.reason ?? '')}`;
  if (r.status !== 'preparing' && r.status !== 'awaiting_approval') return reason;
  return `${reason}\nNeeds ${r.requiredApprovals} approvals from the break-glass approvers of *${r.environment}*, not the usual approvers.`;
}

/** The Approve button's confirmation on a rollback card: exactly what goes back. */
function approveRollbackText(r: DeployRequest): string {
  const to = r.rollback?.to;
  const version = to?.version !== undefined ? `v${escapeText(to.version)} ` : '';
  if (r.rollback?.stack) {
    const { stackName, backupOf, changeSetName } = r.rollback.stack;
    return (
      `You approve restoring the stack \`${escapeText(stackName)}\` of *${r.service}* in *${r.environment}* to stack backup \`${backupOf}\`: ` +
      `change set \`${escapeText(changeSetName)}\` is executed at once.`
    );
  }
  const how =
    r.rollback?.mode === 'alias' ? `\`${escapeText(r.rollback.alias?.alias ?? 'live')}\` is moved back at once` : 'the workflow redeploys that commit';
  return `You approve rolling back *${r.service}* in *${r.environment}* to ${version}\`${shortSha(r.sha)}\`: ${how}.`;
}
