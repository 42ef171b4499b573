/**
 * The words for the target's CloudFormation stack: why a stack refused a change and what to do about it, and the
 * backup and drift lines of the deploy card. Pure: outcomes in, mrkdwn out.
 */
import type { DeployRequest, Failure } from '../../domain/request.js';
import { DRIFT_NAMED_LIMIT, type StackCheck, type StackRestore } from '../../domain/stack.js';
import { escapeText, slackDate } from './text.js';

type Params = NonNullable<Failure['params']>;

const p = (params: Params, name: string, fallback = '?') => (params[name] === undefined ? fallback : escapeText(String(params[name])));

/** What to do about a stack in `state` before asking again. */
function remedy(stack: string, state: string): string {
  if (state === 'UPDATE_ROLLBACK_FAILED')
    return (
      `Continue its rollback (\`aws cloudformation continue-update-rollback --stack-name ${stack}\`, ` +
      'skipping or fixing the resources that fail, as its events say), wait for UPDATE_ROLLBACK_COMPLETE, then ask again.'
    );
  if (state.startsWith('DELETE_')) return 'The stack is deleted or being deleted: check `stack` of the target in foxops.yml.';
  if (state === 'ROLLBACK_COMPLETE' || state === 'ROLLBACK_FAILED' || state === 'CREATE_FAILED')
    return 'Its creation failed, and such a stack can only be deleted: find the cause in its events, delete it and create it again.';
  if (state === 'REVIEW_IN_PROGRESS') return 'It was never created (a change set waits to be executed): execute or delete that change set first.';
  if (state.endsWith('_IN_PROGRESS')) return 'Wait for it to finish (its events in the CloudFormation console show how far it is), then ask again.';
  return 'Look at its events in the CloudFormation console, bring it back to a stable state (UPDATE_COMPLETE or UPDATE_ROLLBACK_COMPLETE), then ask again.';
}

/** A stack failure (`stack_unstable`, `stack_unreadable`) in plain mrkdwn-safe text, or undefined for other codes. */
export function stackFailureText(failure: Failure): string | undefined {
  const params: Params = failure.params ?? {};
  const stack = p(params, 'stack');
  const region = params.region !== undefined ? ` (${p(params, 'region')})` : '';
  switch (failure.code) {
    case 'stack_unstable':
      return `The stack \`${stack}\`${region} is in ${p(params, 'state')}, so foxops changes nothing now. ${remedy(stack, String(params.state ?? ''))}`;
    case 'stack_unreadable': {
      const said = failure.cause !== undefined ? escapeText(failure.cause) : 'no message';
      const action = p(params, 'action');
      if (params.why === 'not_found')
        return `The stack \`${stack}\`${region} does not exist (\`${action}\` answered: ${said}). Check \`stack\` of the target in foxops.yml.`;
      if (params.why === 'access_denied')
        return (
          `AWS refused \`${action}\` on the stack \`${stack}\`${region} (access denied: ${said}). foxops backs up a stack before changing what it runs: ` +
          'its role needs that action on the stack (infra/foxops/template.yml, parameter TargetStackNames).'
        );
      return `AWS did not answer \`${action}\` on the stack \`${stack}\`${region} properly (${said}). Nothing was changed; try again in a minute.`;
    }
    case 'stack_not_configured':
      return (
        `*${p(params, 'service')}* names no \`stack\` for ${p(params, 'environment')} in foxops.yml, so there is no stack backup to restore. ` +
        'Roll back without `--stack`, or name the stack under `targets` of the service.'
      );
    case 'no_stack_backup':
      return params.deployId !== undefined
        ? `There is no backup of the stack \`${stack}\` under \`${p(params, 'deployId')}\`. ` +
            `Name a deploy id whose card says \`stack backup\` (see \`/deploy history ${p(params, 'environment')} ${p(params, 'service')}\`).`
        : `foxops has no backup of the stack \`${stack}\` yet: backups are taken before each deploy through foxops to ${p(params, 'environment')}.`;
    case 'stack_no_changes':
      return (
        `The backup of \`${p(params, 'deployId')}\` is what the stack \`${stack}\` runs already: CloudFormation says its change set has no changes ` +
        `(${failure.cause !== undefined ? escapeText(failure.cause) : 'no changes'}). Nothing to restore.`
      );
    case 'stack_change_set_failed':
      return params.timedOut === true
        ? `CloudFormation had not finished the change set \`${p(params, 'changeSet')}\` of \`${stack}\` in time; nothing was changed. Ask again.`
        : `CloudFormation could not make the change set \`${p(params, 'changeSet')}\` of \`${stack}\` from the backup of \`${p(params, 'deployId')}\` ` +
            `(${failure.cause !== undefined ? escapeText(failure.cause) : 'no reason given'}). Nothing was changed.`;
    case 'stack_change_set_unusable':
      return (
        `The change set \`${p(params, 'changeSet')}\` of \`${stack}\` can no longer be executed (${p(params, 'executionStatus')}): the stack changed ` +
        'since the card. Nothing was executed; start a new `/deploy rollback --stack` to see the changes as they are now.'
      );
    case 'stack_restore_failed':
      return (
        `The stack \`${stack}\` did not take the backup of \`${p(params, 'deployId')}\`: it is ${p(params, 'state')}` +
        `${failure.cause !== undefined ? ` (${escapeText(failure.cause)})` : ''}. Look at its events in the CloudFormation console; ` +
        'once it is stable again, start a new `/deploy rollback --stack`.'
      );
  }
  return undefined;
}

/** The card's lines about the stack: where its backup is, and its drift (a warning, never a refusal). */
export function stackCheckLines(deployId: string, check: StackCheck): string[] {
  const stack = `\`${escapeText(check.stackName)}\``;
  const lines = [
    `:floppy_disk: Stack ${stack} (${escapeText(check.status)}): stack backup \`${deployId}\` of its template and parameters, ${slackDate(check.backup.at)}`,
  ];
  const drift = check.drift;
  if (drift.state === 'drifted') {
    const named = drift.resources.slice(0, DRIFT_NAMED_LIMIT).map((r) => `\`${escapeText(r.logicalId)}\` (${escapeText(r.type)}, ${r.status.toLowerCase()})`);
    const more = drift.resources.length > DRIFT_NAMED_LIMIT ? ` and ${drift.resources.length - DRIFT_NAMED_LIMIT} more` : '';
    lines.push(
      `:warning: *Drift*: ${stack} was changed outside CloudFormation: ${named.join(', ')}${more}. ` +
        'This change may undo those edits, or fail on them; check them before approving.',
    );
  } else if (drift.state === 'unknown') {
    const why = drift.why === 'timed_out' ? 'the detection did not finish in time' : drift.why === 'failed' ? 'the detection failed' : 'AWS did not answer';
    lines.push(`:grey_question: Drift of ${stack} not known (${why}).`);
  } else {
    lines.push(`:white_check_mark: No drift: ${stack} matches its template.`);
  }
  return lines;
}

/** How a stack rollback goes back: the backup, the change set, and its changes. */
export function stackRestoreHow(restore: StackRestore): string {
  const stack = `\`${escapeText(restore.stackName)}\``;
  const head =
    `Restores the stack ${stack} to stack backup \`${restore.backupOf}\` (taken ${slackDate(restore.backupAt)}) by executing change set ` +
    `\`${escapeText(restore.changeSetName)}\`, never a direct update. ${restore.totalChanges} change(s):`;
  const lines = restore.changes.map((c) => {
    const replacement = c.replacement && c.replacement !== 'False' ? `, replacement: ${escapeText(c.replacement)}` : '';
    return `• ${escapeText(c.action)} \`${escapeText(c.logicalId)}\` (${escapeText(c.type)}${replacement})`;
  });
  const more = restore.totalChanges > restore.changes.length ? [`…and ${restore.totalChanges - restore.changes.length} more`] : [];
  return [head, ...lines, ...more].join('\n');
}

/** The from → to fields of a stack rollback card. */
export function stackRestoreSides(r: DeployRequest, restore: StackRestore): [string, string] {
  const stack = `\`${escapeText(restore.stackName)}\``;
  return [
    `*From (the stack now)*\n${stack} as it is, backed up as \`stack backup ${r.id}\``,
    `*To (goes back to)*\nstack backup \`${restore.backupOf}\`, taken ${slackDate(restore.backupAt)}`,
  ];
}

/** The status line of a stack rollback where it differs from other rollbacks: approved, executing, done. */
export function stackRestoreStatus(r: DeployRequest, restore: StackRestore, took: string): string | undefined {
  const stack = `\`${escapeText(restore.stackName)}\``;
  const changeSet = `\`${escapeText(restore.changeSetName)}\``;
  switch (r.status) {
    case 'approved':
      return `:white_check_mark: Approved (${r.approvals.length} of ${r.requiredApprovals}), executing change set ${changeSet}…`;
    case 'rolling_back':
      return `:rewind: Executing change set ${changeSet} on ${stack}: following the stack until it is UPDATE_COMPLETE…`;
    case 'succeeded':
      return `:large_green_circle: *Rolled back*${took}: ${stack} is UPDATE_COMPLETE with the template and parameters of stack backup \`${restore.backupOf}\`.`;
    default:
      return undefined;
  }
}
