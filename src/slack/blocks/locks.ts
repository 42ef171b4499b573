/** Block Kit for `/deploy locks`: the locks in force, per environment, with who holds them and how to lift them. Pure. */
import type { KnownBlock } from '@slack/types';
import { isLockActive, type Lock } from '../../domain/lock.js';
import { lockHolder, unlockCommand } from './holds.js';
import { escapeText } from './text.js';

/** Slack refuses a text object of 3000 characters or more, and a message of more than 50 blocks. */
const MAX_TEXT = 2900;
const MAX_BLOCKS = 50;

const HOW_TO_LOCK = 'To lock: `/deploy lock <env> [service] <reason> [for 2h]`.';

/** One lock in an environment's list: what it holds, who holds it, since and until when, why, and how to lift it. */
function lockLine(lock: Lock, now: Date): string {
  const what = lock.service ? `*${escapeText(lock.service)}*` : '*all services*';
  const rollback = lock.requestId ? ` (after rollback \`${lock.requestId}\`)` : '';
  return `:lock: ${what}${rollback}, locked by ${lockHolder(lock, now)}. To lift: ${unlockCommand(lock)}.`;
}

/** Whole lines while they fit in one text object, then how many more there are. */
function fitLines(head: string, lines: string[]): string {
  const shown: string[] = [];
  let used = head.length + `\n…and ${lines.length} more`.length;
  for (const line of lines) {
    if (used + 1 + line.length > MAX_TEXT) break;
    shown.push(line);
    used += 1 + line.length;
  }
  const hidden = lines.length - shown.length;
  return [head, ...shown, ...(hidden > 0 ? [`…and ${hidden} more`] : [])].join('\n');
}

/**
 * The answer to `/deploy locks [env]`: the locks among `locks` still in force at `now`, one section per environment
 * (in the order they come), each environment's own lock before its services'. With none: "Nothing is locked." (in
 * `environment`, when the question named one) and how to lock.
 */
export function locksMessage(locks: readonly Lock[], now: Date, environment?: string): [string, KnownBlock[]] {
  const active = locks.filter((l) => isLockActive(l, now));
  if (active.length === 0) {
    const nothing = environment ? `Nothing is locked in *${escapeText(environment)}*.` : 'Nothing is locked.';
    return [nothing.replace(/\*/g, ''), [{ type: 'section', text: { type: 'mrkdwn', text: `${nothing} ${HOW_TO_LOCK}` } }]];
  }
  const byEnvironment = new Map<string, Lock[]>();
  for (const lock of active) byEnvironment.set(lock.environment, [...(byEnvironment.get(lock.environment) ?? []), lock]);
  const sections: KnownBlock[] = [...byEnvironment].map(([env, mine]) => {
    const ordered = mine.slice().sort((a, b) => (a.service ?? '').localeCompare(b.service ?? ''));
    const text = fitLines(
      `*${escapeText(env)}*`,
      ordered.map((l) => lockLine(l, now)),
    );
    return { type: 'section', text: { type: 'mrkdwn', text } };
  });
  const blocks = sections.length > MAX_BLOCKS ? sections.slice(0, MAX_BLOCKS - 1) : sections;
  if (blocks.length < sections.length) {
    const left = sections.length - blocks.length;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${left} more environments not shown: \`/deploy locks <env>\` shows one.` }] });
  }
  const text = active.map((l) => `${l.service ? `${l.service} in ${l.environment}` : `${l.environment} (all services)`} by <@${l.owner}>`).join(', ');
  return [`Locked: ${text}`.slice(0, 3000), blocks];
}
