/**
 * Loopback fake of the AWS Lambda REST-JSON API: Invoke plus the version/alias calls rollback needs.
 *
 * Point the real client at it:
 * `new LambdaClient({ endpoint: fake.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })`.
 * Signatures are not checked (SigV4 with dummy credentials is still sent and simply ignored).
 */
import type { ServerResponse } from 'node:http';
import { parseJsonBody, pollUntil, sendEmpty, sendJson, startLoopbackServer, takeQueuedFailure } from './http.js';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** One recorded Invoke. */
export interface LambdaInvocation {
  /** Bare function name (ARNs and `name:qualifier` are normalised). */
  functionName: string;
  /** Alias or version from `Qualifier` / the name suffix, if any. */
  qualifier: string | undefined;
  /** Version the qualifier resolved to (`$LATEST` without one). */
  version: string;
  invocationType: InvocationType;
  /** Parsed JSON payload (raw text if not JSON, undefined if empty). */
  payload: unknown;
  at: Date;
}

/** What a handler registered with {@link FakeLambda.onInvoke} receives besides the payload. */
export type LambdaInvokeContext = Omit<LambdaInvocation, 'payload' | 'at'>;

/** Stand-in for the function code: returns the response payload (RequestResponse) or just runs (Event). */
export type LambdaHandler = (payload: unknown, context: LambdaInvokeContext) => unknown;

/** Initial versions/aliases of a function for {@link FakeLambda.addFunction}. */
export interface FakeFunctionSpec {
  /** Published versions: a count (`3` → 1,2,3) or explicit numbers. `$LATEST` always exists. */
  versions?: number | string[];
  /** Alias name → version, e.g. `{ live: '3' }`. */
  aliases?: Record<string, string>;
}

/** A published version (or `$LATEST`). */
export interface FakeVersion {
  version: string;
  description: string;
  codeSha256: string;
  lastModified: string;
}

/** An alias and its optimistic-locking revision. */
export interface FakeAlias {
  name: string;
  functionVersion: string;
  description: string;
  revisionId: string;
  routingConfig?: { AdditionalVersionWeights?: Record<string, number> };
}

/** A queued failure; see {@link FakeLambda.failNext}. */
export interface LambdaFailure {
  method?: string;
  pathIncludes?: string;
  /** HTTP status; default 500. */
  status?: number;
  /** `x-amzn-ErrorType`, e.g. `TooManyRequestsException`; default `ServiceException`. */
  errorType?: string;
  message?: string;
  times?: number;
}

/** Options of {@link startFakeLambda}. */
export interface FakeLambdaOptions {
  region?: string;
  accountId?: string;
  /** When true, Invoke of a function not added with {@link FakeLambda.addFunction} answers 404 instead of auto-creating it. */
  strictFunctions?: boolean;
}

/** Handle on a running fake Lambda; see {@link startFakeLambda}. */
export interface FakeLambda {
  /** Value for the client's `endpoint`. */
  readonly url: string;
  readonly invocations: LambdaInvocation[];
  /** Every HTTP request: `{ method, path, body }`. */
  readonly requests: Array<{ method: string; path: string; body: unknown }>;
  /** Errors thrown by handlers of Event invocations (they have no caller to report to). */
  readonly asyncErrors: unknown[];
  /** Registers the code for all functions; switch on `context.functionName` for several. */
  onInvoke(handler: LambdaHandler): void;
  /** Resolves when every Event delivery (including ones started by those deliveries) has finished. */
  idle(): Promise<void>;
  /** Resolves with the first invocation matching `predicate`, waiting up to `timeoutMs` (default 2000). */
  waitForInvocation(predicate?: (invocation: LambdaInvocation) => boolean, timeoutMs?: number): Promise<LambdaInvocation>;
  /** Creates (or replaces) a function with published versions and aliases. */
  addFunction(name: string, spec?: FakeFunctionSpec): void;
  /** Version an alias points to now, or undefined. */
  aliasVersion(functionName: string, alias: string): string | undefined;
  /** Published version numbers (without `$LATEST`), ascending. */
  versionsOf(functionName: string): string[];
  /** Deletes a published version, as a cleanup of old versions does. */
  deleteVersion(functionName: string, version: string): void;
  /** Points an alias elsewhere behind foxops' back, as a person with the console would. */
  moveAlias(functionName: string, alias: string, version: string): void;
  /** Makes the next matching request(s) fail with an AWS-style error. */
  failNext(failure?: LambdaFailure): void;
  /** Publishes a new version of a function (as a deploy workflow does), with `description` (e.g. the SHA); returns its number. */
  publishVersion(functionName: string, description?: string): string;
  /** Published versions with their descriptions (without `$LATEST`), ascending. */
  versionDetails(functionName: string): FakeVersion[];
  /** Function names, in the order they were added. */
  functionNames(): string[];
  /** Calls `listener` after each change of versions or aliases (through the API or the methods above). */
  onChange(listener: () => void): () => void;
  /** Functions, versions and aliases as JSON; see {@link restore}. */
  snapshot(): unknown;
  /** Puts back what {@link snapshot} returned, replacing every function; throws on something else. */
  restore(snapshot: unknown): void;
  /** Forgets invocations, requests, functions, handler and injections. */
  reset(): void;
  close(): Promise<void>;
}

/** What {@link FakeLambda.snapshot} returns. */
export interface LambdaSnapshot {
  version: 1;
  functions: Array<{ name: string; versions: FakeVersion[]; aliases: FakeAlias[] }>;
}

interface FunctionState {
  name: string;
  versions: Map<string, FakeVersion>;
  aliases: Map<string, FakeAlias>;
}

/** Thrown by route handlers to answer an AWS REST-JSON error. */
class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const LAST_MODIFIED = '2024-05-01T10:00:00.000+0000';
let revisionCounter = 0;
/** Lambda revision ids are UUIDs; a counter-based UUID keeps them unique and readable. */
const newRevisionId = (): string => `00000000-0000-4000-8000-${String(++revisionCounter).padStart(12, '0')}`;
const fakeSha = (name: string, version: string): string => Buffer.from(`${name}@${version}`).toString('base64');

/**
 * Starts a fake Lambda API on 127.0.0.1 (ephemeral port).
 *
 * Routes (under `/2015-03-31/functions/{FunctionName}`): `GET` (GetFunction, `?Qualifier=`), `POST /invocations`,
 * `GET /aliases/{alias}`, `PUT /aliases/{alias}` (UpdateAlias), `POST /versions` (PublishVersion), `GET /versions`
 * (ListVersionsByFunction).
 */
export async function startFakeLambda(options: FakeLambdaOptions = {}): Promise<FakeLambda> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const functions = new Map<string, FunctionState>();
  const invocations: LambdaInvocation[] = [];
  const requests: Array<{ method: string; path: string; body: unknown }> = [];
  const asyncErrors: unknown[] = [];
  const pending = new Set<Promise<void>>();
  const failures: Array<LambdaFailure & { times: number }> = [];
  let handler: LambdaHandler = () => null;
  let requestCount = 0;
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of listeners) listener();
  };

  const arn = (name: string, qualifier?: string): string => `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;

  const createFunction = (name: string, spec: FakeFunctionSpec = {}): FunctionState => {
    const fn: FunctionState = { name, versions: new Map(), aliases: new Map() };
    const versionList = typeof spec.versions === 'number' ? Array.from({ length: spec.versions }, (_, i) => String(i + 1)) : (spec.versions ?? []);
    for (const version of ['$LATEST', ...versionList]) {
      fn.versions.set(version, { version, description: '', codeSha256: fakeSha(name, version), lastModified: LAST_MODIFIED });
    }
    for (const [alias, version] of Object.entries(spec.aliases ?? {})) {
      if (!fn.versions.has(version)) throw new Error(`fake Lambda: alias ${alias} points to unknown version ${version} of ${name}`);
      fn.aliases.set(alias, { name: alias, functionVersion: version, description: '', revisionId: newRevisionId() });
    }
    functions.set(name, fn);
    return fn;
  };

  /** Accepts `name`, `name:qualifier`, `123456789012:function:name[:q]` and full ARNs, like Lambda. */
  const parseFunctionName = (raw: string): { name: string; qualifier: string | undefined } => {
    const arnMatch = /^(?:arn:aws[\w-]*:lambda:[\w-]+:)?\d{12}:function:([^:]+)(?::(.+))?$/.exec(raw);
    if (arnMatch) return { name: arnMatch[1] ?? raw, qualifier: arnMatch[2] };
    const [name, qualifier] = raw.split(':');
    return { name: name ?? raw, qualifier };
  };

  const functionOrThrow = (name: string): FunctionState => {
    const fn = functions.get(name);
    if (!fn) throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn(name)}`);
    return fn;
  };

  /** Resolves an alias or version to a version, 404 like Lambda when neither exists. */
  const resolveVersion = (fn: FunctionState, qualifier: string | undefined): string => {
    if (qualifier === undefined || qualifier === '') return '$LATEST';
    const version = fn.aliases.get(qualifier)?.functionVersion ?? (fn.versions.has(qualifier) ? qualifier : undefined);
    if (!version) throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn(fn.name, qualifier)}`);
    return version;
  };

  const functionConfiguration = (fn: FunctionState, v: FakeVersion) => ({
    FunctionName: fn.name,
    FunctionArn: arn(fn.name, v.version),
    Runtime: 'nodejs20.x',
    Role: `arn:aws:iam::${accountId}:role/${fn.name}-role`,
    Handler: 'index.handler',
    CodeSize: 1024,
    Description: v.description,
    Timeout: 30,
    MemorySize: 512,
    LastModified: v.lastModified,
    CodeSha256: v.codeSha256,
    Version: v.version,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['arm64'],
  });

  const aliasConfiguration = (fn: FunctionState, alias: FakeAlias) => ({
    AliasArn: arn(fn.name, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    RevisionId: alias.revisionId,
    ...(alias.routingConfig ? { RoutingConfig: alias.routingConfig } : {}),
  });

  /** Runs an Event delivery after the 202 went out, so the caller never waits on the handler. */
  const deliverAsync = (payload: unknown, context: LambdaInvokeContext): void => {
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => handler(payload, context))
      .then(
        () => undefined,
        (error: unknown) => void asyncErrors.push(error),
      )
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  };

  const invoke = async (
    res: ServerResponse,
    rawName: string,
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
    base: Record<string, string>,
  ) => {
    const { name, qualifier: nameQualifier } = parseFunctionName(rawName);
    const qualifier = query.get('Qualifier') ?? nameQualifier;
    let fn = functions.get(name);
    if (!fn) {
      // Auto-create so tests that only care about payloads need no setup; aliases still need addFunction.
      if (options.strictFunctions || (qualifier && qualifier !== '$LATEST')) functionOrThrow(name);
      fn = createFunction(name);
    }
    const version = resolveVersion(fn, qualifier);
    const invocationType = String(headers['x-amz-invocation-type'] ?? 'RequestResponse') as InvocationType;
    const payload = parseJsonBody(body);
    invocations.push({ functionName: name, qualifier, version, invocationType, payload, at: new Date() });
    const context: LambdaInvokeContext = { functionName: name, qualifier, version, invocationType };

    if (invocationType === 'DryRun') return sendEmpty(res, 204, base);
    if (invocationType === 'Event') {
      sendEmpty(res, 202, base);
      deliverAsync(payload, context);
      return;
    }
    try {
      const result = await handler(payload, context);
      // A handler returning undefined makes Lambda answer the literal `null`.
      sendJson(res, 200, result ?? null, { ...base, 'x-amz-executed-version': version });
    } catch (error) {
      // Unhandled function errors are still HTTP 200; the SDK exposes them as `FunctionError`.
      const err = error instanceof Error ? error : new Error(String(error));
      sendJson(
        res,
        200,
        { errorType: err.name, errorMessage: err.message, trace: [] },
        {
          ...base,
          'x-amz-executed-version': version,
          'x-amz-function-error': 'Unhandled',
        },
      );
    }
  };

  const route = async (
    res: ServerResponse,
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
    base: Record<string, string>,
  ) => {
    const getFunction = /^\/2015-03-31\/functions\/([^/]+)\/?$/.exec(url.pathname);
    if (getFunction && method === 'GET') {
      // GetFunction, with `Qualifier` a version or an alias.
      const fn = functionOrThrow(parseFunctionName(decodeURIComponent(getFunction[1] ?? '')).name);
      const qualifier = url.searchParams.get('Qualifier') ?? '$LATEST';
      const version = fn.versions.get(fn.aliases.get(qualifier)?.functionVersion ?? qualifier);
      if (!version) throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn(fn.name, qualifier)}`);
      return sendJson(res, 200, { Configuration: functionConfiguration(fn, version), Code: { RepositoryType: 'S3', Location: 'https://fake/code.zip' } }, base);
    }
    const match = /^\/2015-03-31\/functions\/([^/]+)\/(invocations|aliases|versions)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!match) throw new AwsError(404, 'UnknownOperationException', `Unknown operation ${method} ${url.pathname}`);
    const rawName = decodeURIComponent(match[1] ?? '');
    const [, , kind, sub] = match;
    if (kind === 'invocations' && method === 'POST' && sub === undefined) return invoke(res, rawName, url.searchParams, headers, body, base);

    const fn = functionOrThrow(parseFunctionName(rawName).name);
    if (kind === 'aliases' && sub !== undefined) {
      const aliasName = decodeURIComponent(sub);
      const alias = fn.aliases.get(aliasName);
      if (!alias) throw new AwsError(404, 'ResourceNotFoundException', `Alias not found: ${arn(fn.name, aliasName)}`);
      if (method === 'GET') return sendJson(res, 200, aliasConfiguration(fn, alias), base);
      if (method === 'PUT') {
        const update = (parseJsonBody(body) ?? {}) as {
          FunctionVersion?: string;
          Description?: string;
          RevisionId?: string;
          RoutingConfig?: FakeAlias['routingConfig'];
        };
        // Optimistic locking: rollback code passes the RevisionId it read, Lambda rejects stale ones with 412.
        if (update.RevisionId !== undefined && update.RevisionId !== alias.revisionId) {
          throw new AwsError(
            412,
            'PreconditionFailedException',
            'The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id',
          );
        }
        if (update.FunctionVersion !== undefined) {
          if (!fn.versions.has(update.FunctionVersion))
            throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${arn(fn.name, update.FunctionVersion)}`);
          alias.functionVersion = update.FunctionVersion;
        }
        if (update.Description !== undefined) alias.description = update.Description;
        if (update.RoutingConfig !== undefined) alias.routingConfig = update.RoutingConfig;
        alias.revisionId = newRevisionId();
        changed();
        return sendJson(res, 200, aliasConfiguration(fn, alias), base);
      }
    }
    if (kind === 'versions' && sub === undefined) {
      if (method === 'POST') {
        const publish = (parseJsonBody(body) ?? {}) as { Description?: string; CodeSha256?: string };
        const next = String(Math.max(0, ...[...fn.versions.keys()].filter((v) => v !== '$LATEST').map(Number)) + 1);
        const version: FakeVersion = {
          version: next,
          description: publish.Description ?? '',
          codeSha256: publish.CodeSha256 ?? fakeSha(fn.name, next),
          lastModified: new Date().toISOString().replace('Z', '+0000'),
        };
        fn.versions.set(next, version);
        changed();
        return sendJson(res, 201, functionConfiguration(fn, version), base);
      }
      if (method === 'GET') {
        const all = [...fn.versions.values()];
        const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
        const max = Number(url.searchParams.get('MaxItems') ?? 50) || 50;
        const page = all.slice(start, start + max);
        const nextMarker = start + max < all.length ? String(start + max) : undefined;
        return sendJson(res, 200, { Versions: page.map((v) => functionConfiguration(fn, v)), ...(nextMarker ? { NextMarker: nextMarker } : {}) }, base);
      }
    }
    throw new AwsError(404, 'UnknownOperationException', `Unknown operation ${method} ${url.pathname}`);
  };

  const takeFailure = (method: string, path: string): LambdaFailure | undefined => takeQueuedFailure(failures, method, path);

  const sendAwsError = (res: ServerResponse, base: Record<string, string>, status: number, errorType: string, message: string): void => {
    // Lambda's error shapes disagree on `Message` vs `message`; sending both lets every one deserialise.
    sendJson(res, status, { Type: status >= 500 ? 'Service' : 'User', Message: message, message }, { ...base, 'x-amzn-errortype': errorType });
  };

  const server = await startLoopbackServer('lambda', async (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    requests.push({ method, path: url.pathname + url.search, body: parseJsonBody(body) });
    requestCount += 1;
    const base = { 'x-amzn-requestid': `00000000-fake-4000-8000-${String(requestCount).padStart(12, '0')}` };
    const failure = takeFailure(method, url.pathname + url.search);
    if (failure) return sendAwsError(res, base, failure.status ?? 500, failure.errorType ?? 'ServiceException', failure.message ?? 'Injected failure');
    try {
      await route(res, method, url, req.headers, body, base);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      sendAwsError(res, base, error.status, error.errorType, error.message);
    }
  });

  return {
    url: server.url,
    invocations,
    requests,
    asyncErrors,
    onInvoke: (next) => void (handler = next),
    async idle() {
      // Deliveries may invoke again (worker → worker), so loop until nothing new was started.
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    waitForInvocation: (predicate = () => true, timeoutMs = 2000) => pollUntil(() => invocations.find(predicate), timeoutMs, 'a Lambda invocation'),
    addFunction(name, spec) {
      createFunction(name, spec);
      changed();
    },
    aliasVersion: (functionName, alias) => functions.get(functionName)?.aliases.get(alias)?.functionVersion,
    versionsOf: (functionName) =>
      [...(functions.get(functionName)?.versions.keys() ?? [])].filter((v) => v !== '$LATEST').sort((a, b) => Number(a) - Number(b)),
    deleteVersion: (functionName, version) => void functions.get(functionName)?.versions.delete(version),
    moveAlias(functionName, aliasName, version) {
      const alias = functions.get(functionName)?.aliases.get(aliasName);
      if (!alias) throw new Error(`no alias ${aliasName} of ${functionName}`);
      alias.functionVersion = version;
      alias.revisionId = newRevisionId();
      changed();
    },
    publishVersion(functionName, description = '') {
      const fn = functionOrThrow(functionName);
      const next = String(Math.max(0, ...[...fn.versions.keys()].filter((v) => v !== '$LATEST').map(Number)) + 1);
      fn.versions.set(next, {
        version: next,
        description,
        codeSha256: fakeSha(fn.name, next),
        lastModified: new Date().toISOString().replace('Z', '+0000'),
      });
      changed();
      return next;
    },
    versionDetails: (functionName) =>
      [...(functions.get(functionName)?.versions.values() ?? [])].filter((v) => v.version !== '$LATEST').sort((a, b) => Number(a.version) - Number(b.version)),
    functionNames: () => [...functions.keys()],
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    snapshot(): LambdaSnapshot {
      return {
        version: 1,
        functions: [...functions.values()].map((fn) => ({ name: fn.name, versions: [...fn.versions.values()], aliases: [...fn.aliases.values()] })),
      };
    },
    restore(snapshot) {
      const snap = snapshot as Partial<LambdaSnapshot> | null;
      if (snap?.version !== 1 || !Array.isArray(snap.functions)) throw new Error('fake Lambda: not a snapshot of version 1');
      functions.clear();
      for (const fn of snap.functions) {
        functions.set(fn.name, {
          name: fn.name,
          versions: new Map(fn.versions.map((v) => [v.version, { ...v }])),
          aliases: new Map(fn.aliases.map((a) => [a.name, { ...a }])),
        });
      }
      changed();
    },
    failNext: (failure = {}) => void failures.push({ ...failure, times: failure.times ?? 1 }),
    reset() {
      invocations.length = 0;
      requests.length = 0;
      asyncErrors.length = 0;
      failures.length = 0;
      functions.clear();
      handler = () => null;
    },
    close: () => server.close(),
  };
}
