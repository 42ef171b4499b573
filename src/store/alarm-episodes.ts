/**
 * Alarm episodes, storm windows and digests in the table (see table.ts): `ALARM#<name>` / `#EPISODE` (the alarm's
 * newest episode), `STORM#<channel>` / `#WINDOW` (the channel's storm window) and `STORM#<channel>` / `DIGEST#<id>`
 * (one digest). Each is one item with a JSON `data` and a `version`; every write is one conditional put on that version.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AlarmDigest, AlarmEpisode, StormWindow } from '../domain/alarm-episode.js';
import type { AlarmEpisodes } from '../domain/ports.js';
import { type Item, isConditionFailure, N, S } from './items.js';

const DAY_SECONDS = 86_400;
/**
 * How long an item outlives its last write: an episode long enough that a late change still finds it (and its repeats
 * their ids), a digest as long as people read back, a window a day (it only looks back `storm.within`).
 */
const KEPT_SECONDS = { episode: 90 * DAY_SECONDS, digest: 30 * DAY_SECONDS, window: DAY_SECONDS };

type Key = Pick<Item, 'PK' | 'SK'>;
const episodeKey = (name: string): Key => ({ PK: S(`ALARM#${name}`), SK: S('#EPISODE') });
const windowKey = (channel: string): Key => ({ PK: S(`STORM#${channel}`), SK: S('#WINDOW') });
const digestKey = (channel: string, id: string): Key => ({ PK: S(`STORM#${channel}`), SK: S(`DIGEST#${id}`) });

/** {@link AlarmEpisodes} on the foxops table. */
export class DynamoAlarmEpisodes implements AlarmEpisodes {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async read<T extends { version: number }>(key: Key): Promise<T | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (!Item?.data?.S) return undefined;
    return { ...(JSON.parse(Item.data.S) as T), version: Number(Item.version?.N ?? 0) };
  }

  /** Puts `value` as version `expected + 1` if the stored version is `expected` (0: nothing stored); false when it is not. */
  private async write(key: Key, value: { version: number }, expected: number, keptSeconds: number): Promise<boolean> {
    const item: Item = {
      ...key,
      version: N(expected + 1),
      data: S(JSON.stringify({ ...value, version: expected + 1 })),
      ttl: N(Math.floor(this.now().getTime() / 1000) + keptSeconds),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ...(expected === 0
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : {
                ConditionExpression: '#v = :expected',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':expected': N(expected) },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc AlarmEpisodes.get} */
  get(name: string): Promise<AlarmEpisode | undefined> {
    return this.read(episodeKey(name));
  }

  /** {@inheritDoc AlarmEpisodes.save} */
  save(next: AlarmEpisode, expectedVersion: number): Promise<boolean> {
    return this.write(episodeKey(next.name), next, expectedVersion, KEPT_SECONDS.episode);
  }

  /** {@inheritDoc AlarmEpisodes.window} */
  window(channel: string): Promise<StormWindow | undefined> {
    return this.read(windowKey(channel));
  }

  /** {@inheritDoc AlarmEpisodes.saveWindow} */
  saveWindow(next: StormWindow, expectedVersion: number): Promise<boolean> {
    return this.write(windowKey(next.channel), next, expectedVersion, KEPT_SECONDS.window);
  }

  /** {@inheritDoc AlarmEpisodes.digest} */
  digest(channel: string, id: string): Promise<AlarmDigest | undefined> {
    return this.read(digestKey(channel, id));
  }

  /** {@inheritDoc AlarmEpisodes.saveDigest} */
  saveDigest(next: AlarmDigest, expectedVersion: number): Promise<boolean> {
    return this.write(digestKey(next.channel, next.id), next, expectedVersion, KEPT_SECONDS.digest);
  }
}
