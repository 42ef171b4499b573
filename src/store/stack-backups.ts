/**
 * Stack backups in the one table: `PK = BACKUP#<deploy id>`, `SK = #BACKUP`, the metadata and parameters as JSON in
 * `data`, the template gzipped in `template` (binary). CloudFormation templates are at most 1 MB and compress well
 * (typically 5–10×), so the item stays far below DynamoDB's 400 KB; a template that still compresses to more than
 * {@link PART_BYTES} is split into `SK = PART#0001…` items of the same partition, written before the head item that
 * counts them, so a head that can be read always has its parts. Kept a year (`ttl`), like the requests they belong to.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { StackBackup, StackBackups } from '../domain/ports.js';
import { type Item, N, S } from './items.js';

/** Largest compressed template stored inline or in one part: well below DynamoDB's 400 KB item limit. */
export const PART_BYTES = 350_000;

const RETENTION_SECONDS = 365 * 86_400;

const pk = (deployId: string) => `BACKUP#${deployId}`;
const partKey = (n: number) => `PART#${String(n).padStart(4, '0')}`;

/** {@link StackBackups} over DynamoDB. */
export class DynamoStackBackups implements StackBackups {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc StackBackups.put} */
  async put(backup: StackBackup): Promise<void> {
    const { templateBody, ...meta } = backup;
    const zipped = gzipSync(Buffer.from(templateBody, 'utf8'));
    const ttl = N(Math.floor(Date.parse(backup.at) / 1000) + RETENTION_SECONDS);
    const head: Item = { PK: S(pk(backup.deployId)), SK: S('#BACKUP'), data: S(JSON.stringify(meta)), ttl };
    if (zipped.length <= PART_BYTES) {
      head.template = { B: zipped };
    } else {
      const parts = Math.ceil(zipped.length / PART_BYTES);
      for (let i = 0; i < parts; i++) {
        const chunk = zipped.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
        await this.client.send(
          new PutItemCommand({ TableName: this.tableName, Item: { PK: S(pk(backup.deployId)), SK: S(partKey(i + 1)), template: { B: chunk }, ttl } }),
        );
      }
      head.parts = N(parts);
    }
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: head }));
  }

  /** {@inheritDoc StackBackups.get} */
  async get(deployId: string): Promise<StackBackup | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { PK: S(pk(deployId)), SK: S('#BACKUP') }, ConsistentRead: true }));
    const item = out.Item;
    if (!item?.data?.S) return undefined;
    const meta = JSON.parse(item.data.S) as Omit<StackBackup, 'templateBody'>;
    let zipped: Uint8Array | undefined = item.template?.B;
    if (!zipped && item.parts?.N) {
      const chunks: Uint8Array[] = [];
      let ExclusiveStartKey: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :part)',
            ExpressionAttributeValues: { ':pk': S(pk(deployId)), ':part': S('PART#') },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        for (const part of page.Items ?? []) if (part.template?.B) chunks.push(part.template.B);
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      if (chunks.length !== Number(item.parts.N)) throw new Error(`stack backup ${deployId}: ${chunks.length} of ${item.parts.N} parts found`);
      zipped = Buffer.concat(chunks);
    }
    if (!zipped) throw new Error(`stack backup ${deployId} has no template`);
    return { ...meta, templateBody: gunzipSync(zipped).toString('utf8') };
  }
}
