/** The note a rollback leaves on its environment, worded once for the deploy card and for status. Pure. */
import type { RollbackNote } from '../../domain/request.js';
import { escapeText, slackDate } from './text.js';

/** "rolled back from `<sha>` (v6) by <@who> <when>: <reason>", for the environment `environment`. */
export function rollbackNoteText(environment: string, note: RollbackNote): string {
  const version = note.version !== undefined ? ` (v${escapeText(note.version)})` : '';
  const reason = note.reason ? `: ${escapeText(note.reason)}` : ' (no reason given)';
  return `:rewind: *${escapeText(environment)}* was rolled back from \`${note.sha.slice(0, 7)}\`${version} by <@${note.by}> ${slackDate(note.at)}${reason}`;
}
