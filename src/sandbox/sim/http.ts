/**
 * Shared plumbing for the loopback fakes: one `node:http` server bound to 127.0.0.1 on an
 * ephemeral port, a body reader and a JSON responder. Nothing here knows about any vendor API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Handles one request; `body` is the complete raw request body. */
export type LoopbackHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/** A running loopback server. */
export interface LoopbackServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops keep-alive sockets; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `handler` on 127.0.0.1, port 0 (the OS picks a free port, so parallel jest workers never clash).
 * A handler that throws answers 500 with the error text, so a bug in a fake shows up in the failing test
 * instead of hanging the client until its timeout.
 */
export async function startLoopbackServer(name: string, handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Promise.resolve()
        .then(() => handler(req, res, Buffer.concat(chunks)))
        .catch((error: unknown) => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake ${name} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        });
    });
  });
  // Clients keep sockets alive without an idle limit (Node's global agent, axios, the SDK). With the server's default
  // 5 s idle close, a request sent on a socket the server is closing at that moment fails with ECONNRESET: a rare,
  // load-dependent failure. A fake lives as long as its test, so its sockets may too.
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
    port,
    close() {
      // fetch/undici and the AWS SDK keep sockets alive; without closeAllConnections() close() waits for them.
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Writes a JSON response with `content-length`, which some clients rely on to finish reading. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes a response without a body (204, 202 ...). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': 0, ...headers });
  res.end();
}

/** Parses a JSON body, returning `undefined` for an empty body and the raw text when it is not JSON. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Resolves once `predicate` returns something other than `undefined`, polling every 10 ms.
 * Fakes use it for `waitFor...` helpers: the code under test often calls out asynchronously after
 * the test's trigger has already returned.
 */
export async function pollUntil<T>(predicate: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A failure queued with `failNext` that matches requests by method and part of the path, `times` more times. */
export interface QueuedFailure {
  method?: string;
  pathIncludes?: string;
  times: number;
}

/**
 * Takes the first queued failure that matches a request (method and path), counting it down and dropping it once
 * used up; undefined when none matches. The GitHub and Lambda simulators share it.
 */
export function takeQueuedFailure<F extends QueuedFailure>(failures: F[], method: string, path: string): F | undefined {
  const index = failures.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && (!f.pathIncludes || path.includes(f.pathIncludes)));
  const failure = failures[index];
  if (!failure) return undefined;
  failure.times -= 1;
  if (failure.times <= 0) failures.splice(index, 1);
  return failure;
}
