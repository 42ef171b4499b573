/**
 * The HTTP shapes every inbound route shares: a Function URL / HTTP API payload v2 request and its response.
 * The Lambda entry receives them from AWS, the local server builds them from Node's requests, and the routes
 * (Slack, GitHub webhooks, health) take and return them, so one code path serves both.
 */

/** A Function URL / HTTP API payload v2 request (the parts foxops reads). */
export interface HttpEvent {
  rawPath: string;
  headers: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string; path?: string } };
}

/** The response shape Function URLs expect. */
export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** A JSON response. */
export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A request header by its lower-case name (Function URLs lower-case header names; other front ends may not). */
export function header(event: Pick<HttpEvent, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
