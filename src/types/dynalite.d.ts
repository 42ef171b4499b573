declare module 'dynalite' {
  import type { Server } from 'node:http';
  /** dynalite's factory: a node http.Server speaking the DynamoDB API. */
  function dynalite(options?: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; ssl?: boolean }): Server;
  export = dynalite;
}
