/** The private answers to `/deploy lock` and `/deploy unlock`: what holds now, and what happens next. */
import type { Lock } from '../../domain/lock.js';
import { lockTarget, unlockCommand } from './holds.js';
import { escapeText, mention, slackDate } from './text.js';

/** `until <time>` in the reader's zone, or `until you unlock it`. */
function lockEnd(lock: Pick<Lock, 'until'>): string {
  return lock.until ? `until ${slackDate(lock.until)}` : 'until you unlock it';
}

/** The answer after `/deploy lock` took (or changed) the lock. */
export function lockedText(lock: Lock, renewed: boolean): string {
  return (
    `:lock: ${renewed ? 'Your lock on' : 'Locked'} ${lockTarget(lock)} ${renewed ? 'now holds' : ''} ${lockEnd(lock)}: _${escapeText(lock.reason)}_. `.replace(
      / {2,}/g,
      ' ',
    ) +
    'New requests and promotions there are refused, and approved ones wait, except yours; rollbacks still go. ' +
    `I told the channel. Lift it with ${unlockCommand(lock)}.`
  );
}

/** The answer after `/deploy unlock`. */
export function unlockedText(lock: Lock, overruled: boolean): string {
  return (
    `:unlock: Unlocked ${lockTarget(lock)}${overruled ? `, which ${mention(lock.owner)} had locked: _${escapeText(lock.reason)}_` : ''}. ` +
    'Requests held by it go ahead by themselves. I told the channel.'
  );
}
