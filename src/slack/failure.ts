/** What a user reads when foxops itself fails: short, with a reference the operator finds in the logs. */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

/** Logs `err` with a fresh reference id and returns the sentence for the user. */
export function reportFailure(logger: Logger, where: string, err: unknown, fields: Record<string, unknown> = {}): string {
  const reference = randomUUID().slice(0, 8);
  logger.error(`${where}.failed`, { reference, err, ...fields });
  return `:warning: Something went wrong on foxops' side and nothing was changed by this step. Try again in a moment; if it keeps failing, give the operator the reference \`${reference}\`.`;
}
