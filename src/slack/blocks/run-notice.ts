/** The threaded replies under a deploy card at run milestones. Pure: request in, mrkdwn out. */
import { formatDuration } from '../../domain/duration.js';
import type { Whisper } from '../../domain/ports.js';
import { type DeployRequest, shortSha } from '../../domain/request.js';
import { type RunNotice, deployDuration, failingJob, failingStepUrl } from '../../domain/run-events.js';
import { escapeText } from './text.js';
import { failureText } from './failures.js';
import { promotionText } from './promotion.js';

/** The people who must hear about a deploy that did not go through: the requester and every approver. */
function people(r: DeployRequest): string {
  return [...new Set([r.requester, ...r.approvals.map((a) => a.userId)])].map((id) => `<@${id}>`).join(' ');
}

function runLink(r: DeployRequest): string {
  const label = r.run?.id ? `run ${r.run.id}` : 'the workflow runs';
  return r.run?.url ? `<${r.run.url}|${label}>` : label;
}

/** Where it broke, with links to the job and the failing step's log. */
function failureDetail(r: DeployRequest): string {
  const job = failingJob(r.run);
  if (!job) return r.failure ? ` ${failureText(r.failure)}` : '';
  const name = job.url ? `<${job.url}|${escapeText(job.name)}>` : `“${escapeText(job.name)}”`;
  const stepUrl = failingStepUrl(job);
  const step = job.failedStep ? ` at step ${stepUrl ? `<${stepUrl}|${escapeText(job.failedStep)}>` : `“${escapeText(job.failedStep)}”`}` : '';
  return ` Job ${name} ${job.conclusion === 'cancelled' ? 'was cancelled' : job.conclusion === 'timed_out' ? 'timed out' : 'failed'}${step}.`;
}

/** The reply for `notice`, from the request as stored now. */
export function runNoticeText(r: DeployRequest, notice: RunNotice): string {
  const what = `*${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}*`;
  const attempt = r.run && r.run.attempt > 1 ? ` (re-run, attempt ${r.run.attempt})` : '';
  const duration = deployDuration(r);
  const took = duration ? ` after ${formatDuration(duration.ms)}` : '';
  // A rollback by redeploy runs the same workflow: its replies say what it is.
  const noun = r.kind === 'rollback' ? 'rollback' : 'deploy';
  switch (notice) {
    case 'started':
      return `:arrows_counterclockwise: ${noun === 'rollback' ? 'Rollback' : 'Deploy'} of ${what} started${attempt}: ${runLink(r)}.`;
    case 'succeeded':
      return `:large_green_circle: ${what} succeeded${attempt}${took}: ${runLink(r)}.`;
    case 'failed':
      return `:red_circle: ${people(r)} the ${noun} of ${what} failed${attempt}${took}:${failureDetail(r)} See ${runLink(r)}.`;
    case 'cancelled':
      return (
        `:white_circle: <@${r.requester}> the ${noun} of ${what} was cancelled${attempt}${took}.` +
        `${r.failure ? ` ${failureText(r.failure)}` : ''} See ${runLink(r)}.`
      );
    case 'timed_out':
      return (
        `:alarm_clock: ${people(r)} the ${noun} of ${what} timed out${attempt}${took}.` +
        `${r.failure ? ` ${failureText(r.failure)}` : ''} Check ${runLink(r)} and *${r.environment}* by hand.`
      );
    case 'unknown':
      return (
        `:grey_question: ${people(r)} foxops lost track of the ${noun} of ${what}${attempt}.` +
        `${r.failure ? ` ${failureText(r.failure)}` : ''} Check *${r.environment}* by hand.`
      );
  }
}

/** A private note to the person concerned. */
export function whisperText(message: Whisper): string {
  const r = message.request;
  switch (message.kind) {
    case 'prepare_failed':
      if (r.kind === 'promote') {
        const gates = promotionText(r);
        return (
          `:x: I could not promote *${r.service}* from *${r.promotion?.from ?? '?'}* to *${r.environment}*: ` +
          `${r.failure ? failureText(r.failure) : 'unknown error'}${gates ? `\n${gates}` : ''}`
        );
      }
      if (r.kind === 'rollback')
        return `:x: I could not plan the rollback of *${r.service}* in *${r.environment}*: ${r.failure ? failureText(r.failure) : 'unknown error'}`;
      return `:x: I could not prepare the deploy of *${r.service}* \`${r.ref}\` to *${r.environment}*: ${r.failure ? failureText(r.failure) : 'unknown error'}`;
  }
}
