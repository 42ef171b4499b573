/** The freeze window in force in an environment; apart from the gate so that the ack path loads only this. */
import type { EnvironmentDefinition } from '../domain/catalog.js';
import type { FreezePeriod } from '../domain/freeze.js';

/** The freeze window in force in `env` at `now`, if any; the time-zone library loads only where freezes are set. */
export async function freezeNow(env: EnvironmentDefinition, now: Date): Promise<FreezePeriod | undefined> {
  if (!env.freezes?.length) return undefined;
  const { activeFreeze } = await import('../domain/freeze.js');
  return activeFreeze(env.freezes, now);
}
