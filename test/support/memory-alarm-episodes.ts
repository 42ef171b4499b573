/** {@link AlarmEpisodes} in memory, with the same version conditions as the table's conditional writes. */
import type { AlarmDigest, AlarmEpisode, StormWindow } from '../../src/domain/alarm-episode.js';
import type { AlarmEpisodes } from '../../src/domain/ports.js';

/** A deep copy, as a read from the table would give: callers must not share objects with the store. */
const copy = <T>(value: T): T => structuredClone(value);

/** Episodes, windows and digests in three maps; tests read them directly. */
export class MemoryAlarmEpisodes implements AlarmEpisodes {
  readonly episodes = new Map<string, AlarmEpisode>();
  readonly windows = new Map<string, StormWindow>();
  readonly digests = new Map<string, AlarmDigest>();
  /** Writes refused because the version moved (lost races). */
  staleWrites = 0;

  private put<T extends { version: number }>(map: Map<string, T>, key: string, next: T, expected: number): boolean {
    if ((map.get(key)?.version ?? 0) !== expected) {
      this.staleWrites += 1;
      return false;
    }
    map.set(key, { ...copy(next), version: expected + 1 });
    return true;
  }

  /** {@inheritDoc AlarmEpisodes.get} */
  async get(name: string): Promise<AlarmEpisode | undefined> {
    const stored = this.episodes.get(name);
    return stored && copy(stored);
  }

  /** {@inheritDoc AlarmEpisodes.save} */
  async save(next: AlarmEpisode, expectedVersion: number): Promise<boolean> {
    return this.put(this.episodes, next.name, next, expectedVersion);
  }

  /** {@inheritDoc AlarmEpisodes.window} */
  async window(channel: string): Promise<StormWindow | undefined> {
    const stored = this.windows.get(channel);
    return stored && copy(stored);
  }

  /** {@inheritDoc AlarmEpisodes.saveWindow} */
  async saveWindow(next: StormWindow, expectedVersion: number): Promise<boolean> {
    return this.put(this.windows, next.channel, next, expectedVersion);
  }

  /** {@inheritDoc AlarmEpisodes.digest} */
  async digest(channel: string, id: string): Promise<AlarmDigest | undefined> {
    const stored = this.digests.get(`${channel}#${id}`);
    return stored && copy(stored);
  }

  /** {@inheritDoc AlarmEpisodes.saveDigest} */
  async saveDigest(next: AlarmDigest, expectedVersion: number): Promise<boolean> {
    return this.put(this.digests, `${next.channel}#${next.id}`, next, expectedVersion);
  }
}
