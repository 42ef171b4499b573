/**
 * dynalite in this process: DynamoDB's API on loopback, in memory or persisted in a folder. The one way foxops starts
 * it: `npm start` (src/local), the sandbox and the tests (src/sandbox/sim/dynamodb.ts). Tables are created by the
 * app's own code (`ensureTable`), not here.
 */
import type { AddressInfo } from 'node:net';

/** A running dynalite. */
export interface EmbeddedDynamo {
  /** Value for `DynamoDBClient`'s `endpoint`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1, a free port; its data stays in `dataDir` (LevelDB) when given, else in memory. Table
 * state changes are instant (`*TableMs: 0`), so code that waits for ACTIVE does not wait.
 */
export async function startEmbeddedDynamo(dataDir?: string): Promise<EmbeddedDynamo> {
  // Types: src/types/dynalite.d.ts. Loaded on first use: nothing on Lambda starts it.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
  // No idle close under a client that reuses its sockets (ECONNRESET races), as in src/sandbox/sim/http.ts.
  server.keepAliveTimeout = 10 * 60_000;
  server.headersTimeout = 10 * 60_000 + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      // dynalite's close() also shuts its store down, but waits for the SDK's keep-alive sockets first.
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
