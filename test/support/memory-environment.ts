/** {@link EnvironmentState} in memory, with the same conditions as the table's conditional writes. */
import { isLockActive, type Lock, lockAgainst } from '../../src/domain/lock.js';
import type { EnvironmentState, LockTaken } from '../../src/domain/ports.js';

const lockKey = (environment: string, service?: string) => `${environment}#${service ?? '*'}`;

/** Locks and slots in two maps; tests read them directly. */
export class MemoryEnvironmentState implements EnvironmentState {
  readonly lockMap = new Map<string, Lock>();
  readonly slots = new Map<string, string>();

  /** {@inheritDoc EnvironmentState.locks} */
  async locks(environment: string): Promise<Lock[]> {
    return [...this.lockMap.values()].filter((l) => l.environment === environment);
  }

  /** {@inheritDoc EnvironmentState.anyLockAgainst} */
  async anyLockAgainst(environment: string, service: string, requester: string, now: Date): Promise<boolean> {
    return lockAgainst(await this.locks(environment), service, environment, requester, now) !== undefined;
  }

  /** {@inheritDoc EnvironmentState.takeLock} */
  async takeLock(lock: Lock, now: Date): Promise<LockTaken> {
    const key = lockKey(lock.environment, lock.service);
    const before = this.lockMap.get(key);
    if (before && before.owner !== lock.owner && isLockActive(before, now)) return { taken: false, holder: before };
    this.lockMap.set(key, lock);
    return { taken: true, lock, renewed: before !== undefined && before.owner === lock.owner && isLockActive(before, now) };
  }

  /** {@inheritDoc EnvironmentState.releaseLock} */
  async releaseLock(expected: Lock): Promise<boolean> {
    const key = lockKey(expected.environment, expected.service);
    const stored = this.lockMap.get(key);
    if (!stored || stored.owner !== expected.owner || stored.at !== expected.at) return false;
    this.lockMap.delete(key);
    return true;
  }

  /** {@inheritDoc EnvironmentState.slotHolder} */
  async slotHolder(service: string, environment: string): Promise<string | undefined> {
    return this.slots.get(`${environment}#${service}`);
  }

  /** {@inheritDoc EnvironmentState.claimSlot} */
  async claimSlot(service: string, environment: string, requestId: string, replacing?: string): Promise<boolean> {
    const key = `${environment}#${service}`;
    const holder = this.slots.get(key);
    if (holder !== undefined && holder !== requestId && holder !== replacing) return false;
    this.slots.set(key, requestId);
    return true;
  }
}
