/** What a user reads when foxops itself fails: short, with a reference the operator finds in the logs. */
import { randomUUID } from 'node:crypto';
import { clip, type Logger } from '../log.js';

/** Logs `err` with a fresh reference id and returns the sentence for the user. Text fields (user input) are cut short. */
export function reportFailure(logger: Logger, where: string, err: unknown, fields: Record<string, unknown> = {}): string {
  const reference = randomUUID().slice(0, 8);
  const bounded = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? clip(value, 200) : value]));
  logger.error(`${where}.failed`, { reference, err, ...bounded });
  return (
    ":warning: Something went wrong on foxops' side and nothing was changed by this step. " +
    `Try again in a moment; if it keeps failing, give the operator the reference \`${reference}\`.`
  );
}
