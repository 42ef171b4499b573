/**
 * In-memory DynamoDB for tests and the offline sandbox, backed by `dynalite` (a real DynamoDB API
 * implementation on LevelDB/memdown). Tables are created by the app's own code, not here.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running dynalite; see {@link startDynalite}. */
export interface Dynalite {
  /** Value for `DynamoDBClient`'s `endpoint`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The untyped factory exported by the `dynalite` package. */
type DynaliteFactory = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

/**
 * Starts dynalite on 127.0.0.1, port 0. Table state transitions are instant (`*TableMs: 0`) so code that
 * waits for ACTIVE does not slow tests down. Point the client at it with
 * `new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })`.
 */
export async function startDynalite(): Promise<Dynalite> {
  // dynalite ships no types; a non-literal specifier keeps TypeScript from demanding a declaration
  // file, and works both under jest (compiled to require) and native ESM (CommonJS default export).
  const specifier: string = 'dynalite';
  const mod = (await import(specifier)) as { default: DynaliteFactory };
  const server = mod.default({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // As in ./http.ts: no idle close under a client that reuses its sockets (ECONNRESET races).
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
