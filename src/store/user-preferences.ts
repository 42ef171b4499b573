/** {@link UserPreferences} in the table: one item per person, `USER#<id>` / `#PREFS`, holding their choices as JSON. */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { UserPreferences, UserPrefs } from '../domain/ports.js';
import { S } from './items.js';

const key = (userId: string) => ({ PK: S(`USER#${userId}`), SK: S('#PREFS') });

/** Each person's notification choices, read consistently (a toggle is seen by the next failure at once). */
export class DynamoUserPreferences implements UserPreferences {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc UserPreferences.get} */
  async get(userId: string): Promise<UserPrefs> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(userId), ConsistentRead: true }));
    const data = Item?.data?.S;
    if (!data) return {};
    const parsed = JSON.parse(data) as UserPrefs;
    return typeof parsed.failureDm === 'boolean' ? { failureDm: parsed.failureDm } : {};
  }

  /** {@inheritDoc UserPreferences.set} */
  async set(userId: string, prefs: UserPrefs): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { ...key(userId), data: S(JSON.stringify(prefs)) } }));
  }
}
