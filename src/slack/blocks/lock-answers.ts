/** The private answers to `/deploy lock` and `/deploy unlock`: what holds now, and what happens next. */
import type { Lock } from '../../domain/lock.js';

/** `production (all services)` or `foxy-backend in production`. */
export function lockScope(lock: Pick<Lock, 'environment' | 'service'>): string {
  return lock.service ? `*${lock.service}* in *${lock.environment}*` : `*${lock.environment}* (all services)`;
}

/** `until <time>` in the reader's zone, or `until someone unlocks it`. */
export function lockEnd(lock: Pick<Lock, 'until'>): string {
  if (!lock.until) return 'until you unlock it';
  const seconds = Math.floor(Date.parse(lock.until) / 1000);
  return `until <!date^${seconds}^{date_short_pretty} {time}|${lock.until}>`;
}

/** The answer after `/deploy lock` took (or changed) the lock. */
export function lockedText(lock: Lock, renewed: boolean): string {
  const unlock = `\`/deploy unlock ${lock.environment}${lock.service ? ` ${lock.service}` : ''}\``;
  return (
    `:lock: ${renewed ? 'Your lock on' : 'Locked'} ${lockScope(lock)} ${renewed ? 'now holds' : ''} ${lockEnd(lock)}: _${lock.reason}_. `.replace(
      / {2,}/g,
      ' ',
    ) +
    'New requests and promotions there are refused, and approved ones wait, except yours; rollbacks still go. ' +
    `I told the channel. Lift it with ${unlock}.`
  );
}

/** The answer after `/deploy unlock`. */
export function unlockedText(lock: Lock, overruled: boolean): string {
  return (
    `:unlock: Unlocked ${lockScope(lock)}${overruled ? `, which <@${lock.owner}> had locked: _${lock.reason}_` : ''}. ` +
    'Requests held by it go ahead by themselves. I told the channel.'
  );
}
