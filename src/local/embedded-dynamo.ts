/** dynalite in-process: DynamoDB's API on loopback, in memory or persisted in a folder. */
import type { AddressInfo } from 'node:net';

/** Starts dynalite on a free loopback port. */
export async function startEmbeddedDynamo(dataDir?: string): Promise<{ url: string; close(): Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
