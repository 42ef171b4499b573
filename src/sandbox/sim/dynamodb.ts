/**
 * In-memory DynamoDB for tests and the sandbox: dynalite (a real DynamoDB API on LevelDB/memdown), started the one way
 * foxops starts it (src/store/embedded-dynamo.ts). Tables are created by the app's own code, not here.
 */
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../store/embedded-dynamo.js';

/** A running dynalite; see {@link startDynalite}. */
export type Dynalite = EmbeddedDynamo;

/**
 * Starts dynalite in memory on 127.0.0.1, port 0. Point the client at it with
 * `new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })`.
 */
export function startDynalite(): Promise<Dynalite> {
  return startEmbeddedDynamo();
}
