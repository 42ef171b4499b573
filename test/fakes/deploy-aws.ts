/**
 * Loopback fakes of the AWS calls `npm run deploy` makes besides CloudFormation (see ./cloudformation.ts):
 * - S3 (REST-XML, path-style): HeadBucket, PutObject, GetObject.
 *   `new S3Client({ endpoint: fake.url, forcePathStyle: true, region, credentials })`
 * - Lambda (REST-JSON): GetAlias, UpdateAlias, PublishVersion with Lambda's CodeSha256 check, UpdateFunctionCode.
 *   `new LambdaClient({ endpoint: fake.url, region, credentials })`
 * - SSM (JSON 1.1): GetParametersByPath with paging, values hidden unless WithDecryption.
 *   `new SSMClient({ endpoint: fake.url, region, credentials })`
 * Signatures are not checked. Every request is recorded in `calls` as `{ action, input }`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonBody, sendEmpty, sendJson, startLoopbackServer } from '../../src/sandbox/sim/http.js';

/** One recorded request. */
export interface AwsCall {
  action: string;
  input: Record<string, unknown>;
}

const sha256Base64 = (data: Buffer) => createHash('sha256').update(data).digest('base64');

/**
 * Undoes `aws-chunked` content encoding (`<hex size>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>`),
 * which the SDK uses when it streams a body with a trailing checksum.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.toString('latin1', at, lineEnd).split(';')[0]!, 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------------------------------------ S3

/** A stored object. */
export interface FakeS3Object {
  body: Buffer;
  contentType?: string;
}

/** Handle on a running fake S3; see {@link startFakeS3}. */
export interface FakeS3 {
  url: string;
  calls: AwsCall[];
  buckets: Set<string>;
  /** Keyed `bucket/key`. */
  objects: Map<string, FakeS3Object>;
  /** Keys stored in `bucket`, sorted. */
  keys(bucket: string): string[];
  close(): Promise<void>;
}

function sendS3Error(res: ServerResponse, status: number, code: string, message: string, head: boolean): void {
  if (head) {
    sendEmpty(res, status);
    return;
  }
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function s3Body(req: IncomingMessage, body: Buffer): Buffer {
  const chunked =
    String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  return chunked ? decodeAwsChunked(body) : body;
}

/** Starts a path-style S3 fake with `buckets` already created. */
export async function startFakeS3(options: { buckets?: string[] } = {}): Promise<FakeS3> {
  const calls: AwsCall[] = [];
  const buckets = new Set(options.buckets ?? []);
  const objects = new Map<string, FakeS3Object>();
  const server = await startLoopbackServer('s3', (req, res, raw) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/').map(decodeURIComponent);
    const key = rest.join('/');
    const head = req.method === 'HEAD';
    if (!key && head) {
      calls.push({ action: 'HeadBucket', input: { Bucket: bucket } });
      return buckets.has(bucket) ? sendEmpty(res, 200, { 'x-amz-bucket-region': 'eu-west-1' }) : sendS3Error(res, 404, 'NotFound', 'Not Found', true);
    }
    if (key && req.method === 'PUT') {
      const body = s3Body(req, raw);
      calls.push({ action: 'PutObject', input: { Bucket: bucket, Key: key, size: body.length } });
      if (!buckets.has(bucket)) return sendS3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', false);
      objects.set(`${bucket}/${key}`, { body, contentType: req.headers['content-type'] });
      return sendEmpty(res, 200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
    }
    if (key && req.method === 'GET') {
      calls.push({ action: 'GetObject', input: { Bucket: bucket, Key: key } });
      const object = objects.get(`${bucket}/${key}`);
      if (!object) return sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', false);
      res.writeHead(200, { 'content-type': object.contentType ?? 'application/octet-stream', 'content-length': object.body.length });
      res.end(object.body);
      return;
    }
    calls.push({ action: `${req.method} ${url.pathname}`, input: {} });
    return sendS3Error(res, 501, 'NotImplemented', `the fake does not implement ${req.method} ${url.pathname}`, head);
  });
  return {
    url: server.url,
    calls,
    buckets,
    objects,
    keys: (bucket) =>
      [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/`))
        .map((k) => k.slice(bucket.length + 1))
        .sort(),
    close: () => server.close(),
  };
}

// ------------------------------------------------------------------------------------------------ Lambda

/** A function as the deploy fake keeps it. */
export interface FakeDeployFunction {
  name: string;
  /** CodeSha256 of $LATEST (base64 SHA-256 of the zip, as Lambda reports it). */
  codeSha256: string;
  versions: Array<{ version: string; codeSha256: string; description: string }>;
  aliases: Map<string, string>;
}

/** Handle on a running fake; see {@link startFakeLambdaDeploy}. */
export interface FakeLambdaDeploy {
  url: string;
  calls: AwsCall[];
  functions: Map<string, FakeDeployFunction>;
  /** Adds a function whose $LATEST has `code` and whose versions 1..n all have it too. */
  addFunction(name: string, spec: { code: Buffer | string; versions?: number; aliases?: Record<string, string> }): FakeDeployFunction;
  /** Replaces the code of $LATEST, as a CloudFormation update of the Code property does. */
  setCode(name: string, code: Buffer): void;
  /** The next `times` calls of `action` answer ResourceConflictException (an update still in progress). */
  conflictNext(action: string, times?: number): void;
  close(): Promise<void>;
}

class LambdaError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts a fake of the Lambda calls a deploy makes. */
export async function startFakeLambdaDeploy(options: { region?: string; accountId?: string } = {}): Promise<FakeLambdaDeploy> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? '123456789012';
  const calls: AwsCall[] = [];
  const functions = new Map<string, FakeDeployFunction>();
  const conflicts = new Map<string, number>();
  const arn = (name: string, qualifier?: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
  const find = (raw: string) => {
    const name = raw.startsWith('arn:') ? raw.split(':')[6]! : raw.split(':')[0]!;
    const fn = functions.get(name);
    if (!fn) throw new LambdaError(404, 'ResourceNotFoundException', `Function not found: ${arn(name)}`);
    return fn;
  };
  const aliasOut = (fn: FakeDeployFunction, alias: string) => ({
    AliasArn: arn(fn.name, alias),
    Name: alias,
    FunctionVersion: fn.aliases.get(alias),
    RevisionId: `${fn.name}-${alias}-${fn.aliases.get(alias)}`,
  });

  const server = await startLoopbackServer('lambda-deploy', (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/2015-03-31\/functions\/([^/]+)\/(aliases|versions|code)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    const input = (parseJsonBody(body) ?? {}) as Record<string, unknown>;
    const action = !match
      ? `${req.method} ${url.pathname}`
      : match[2] === 'aliases'
        ? req.method === 'PUT'
          ? 'UpdateAlias'
          : 'GetAlias'
        : match[2] === 'versions'
          ? 'PublishVersion'
          : 'UpdateFunctionCode';
    calls.push({ action, input: { FunctionName: match ? decodeURIComponent(match[1]!) : undefined, Qualifier: match?.[3], ...input } });
    try {
      if (!match) throw new LambdaError(404, 'UnknownOperationException', `the fake does not implement ${req.method} ${url.pathname}`);
      const left = conflicts.get(action) ?? 0;
      if (left > 0) {
        conflicts.set(action, left - 1);
        throw new LambdaError(409, 'ResourceConflictException', 'The operation cannot be performed at this time. An update is in progress for resource');
      }
      const fn = find(decodeURIComponent(match[1]!));
      switch (action) {
        case 'GetAlias': {
          if (!fn.aliases.has(match[3]!)) throw new LambdaError(404, 'ResourceNotFoundException', `Alias not found: ${arn(fn.name, match[3])}`);
          return sendJson(res, 200, aliasOut(fn, match[3]!));
        }
        case 'UpdateAlias': {
          const version = String(input.FunctionVersion ?? '');
          if (!fn.aliases.has(match[3]!)) throw new LambdaError(404, 'ResourceNotFoundException', `Alias not found: ${arn(fn.name, match[3])}`);
          if (!fn.versions.some((v) => v.version === version))
            throw new LambdaError(404, 'ResourceNotFoundException', `Function not found: ${arn(fn.name, version)}`);
          fn.aliases.set(match[3]!, version);
          return sendJson(res, 200, aliasOut(fn, match[3]!));
        }
        case 'PublishVersion': {
          const expected = input.CodeSha256 as string | undefined;
          if (expected && expected !== fn.codeSha256) {
            throw new LambdaError(
              400,
              'InvalidParameterValueException',
              `CodeSha256 (${expected}) is different from current CodeSha256 in $LATEST (${fn.codeSha256}). Please try again with the CodeSha256 in $LATEST.`,
            );
          }
          // Like Lambda: nothing changed since the last version, so that version comes back.
          const last = fn.versions.at(-1);
          if (last && last.codeSha256 === fn.codeSha256)
            return sendJson(res, 201, {
              FunctionName: fn.name,
              FunctionArn: arn(fn.name, last.version),
              Version: last.version,
              CodeSha256: last.codeSha256,
              Description: last.description,
            });
          const version = { version: String(fn.versions.length + 1), codeSha256: fn.codeSha256, description: String(input.Description ?? '') };
          fn.versions.push(version);
          return sendJson(res, 201, {
            FunctionName: fn.name,
            FunctionArn: arn(fn.name, version.version),
            Version: version.version,
            CodeSha256: version.codeSha256,
            Description: version.description,
          });
        }
        default: {
          if (typeof input.ZipFile !== 'string') throw new LambdaError(400, 'InvalidParameterValueException', 'the fake takes ZipFile only');
          fn.codeSha256 = sha256Base64(Buffer.from(input.ZipFile, 'base64'));
          return sendJson(res, 200, {
            FunctionName: fn.name,
            FunctionArn: arn(fn.name),
            CodeSha256: fn.codeSha256,
            Version: '$LATEST',
            LastUpdateStatus: 'InProgress',
          });
        }
      }
    } catch (err) {
      if (!(err instanceof LambdaError)) throw err;
      return sendJson(res, err.status, { Type: 'User', message: err.message }, { 'x-amzn-errortype': err.errorType });
    }
  });

  return {
    url: server.url,
    calls,
    functions,
    addFunction(name, spec) {
      const code = sha256Base64(Buffer.from(spec.code));
      const fn: FakeDeployFunction = {
        name,
        codeSha256: code,
        versions: Array.from({ length: spec.versions ?? 1 }, (_, i) => ({ version: String(i + 1), codeSha256: code, description: '' })),
        aliases: new Map(Object.entries(spec.aliases ?? { live: String(spec.versions ?? 1) })),
      };
      functions.set(name, fn);
      return fn;
    },
    setCode(name, code) {
      find(name).codeSha256 = sha256Base64(code);
    },
    conflictNext(action, times = 1) {
      conflicts.set(action, times);
    },
    close: () => server.close(),
  };
}

// ------------------------------------------------------------------------------------------------ SSM

/** Handle on a running fake SSM; see {@link startFakeSsm}. */
export interface FakeSsm {
  url: string;
  calls: AwsCall[];
  /** Parameter name -> value (all SecureString). */
  parameters: Map<string, string>;
  close(): Promise<void>;
}

/** Starts a fake SSM with `parameters`; pages hold `pageSize` parameters (SSM's default is 10). */
export async function startFakeSsm(options: { parameters?: Record<string, string>; pageSize?: number } = {}): Promise<FakeSsm> {
  const calls: AwsCall[] = [];
  const parameters = new Map(Object.entries(options.parameters ?? {}));
  const server = await startLoopbackServer('ssm', (req, res, body) => {
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
    const input = (parseJsonBody(body) ?? {}) as { Path?: string; Recursive?: boolean; WithDecryption?: boolean; MaxResults?: number; NextToken?: string };
    calls.push({ action, input: input as Record<string, unknown> });
    if (action !== 'GetParametersByPath') return sendJson(res, 400, { __type: 'InvalidAction', message: `the fake does not implement ${action}` });
    if (!input.Path?.startsWith('/')) return sendJson(res, 400, { __type: 'ValidationException', message: 'Path must start with /' });
    const path = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
    const matching = [...parameters.keys()].filter((name) => name.startsWith(path) && (input.Recursive || !name.slice(path.length).includes('/'))).sort();
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(input.MaxResults ?? options.pageSize ?? 10, options.pageSize ?? 10);
    const page = matching.slice(start, start + size);
    return sendJson(
      res,
      200,
      {
        Parameters: page.map((Name) => ({ Name, Type: 'SecureString', Value: input.WithDecryption ? parameters.get(Name) : 'AQICAHencrypted', Version: 1 })),
        ...(start + size < matching.length ? { NextToken: String(start + size) } : {}),
      },
      { 'content-type': 'application/x-amz-json-1.1' },
    );
  });
  return { url: server.url, calls, parameters, close: () => server.close() };
}
