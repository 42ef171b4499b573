/** AWS SDK client settings from an injectable env: endpoints for dynalite and fakes, region, test credentials. */
import type { Env } from '../config/load.js';

// On Node < 22 the AWS SDK v3 warns (process.emitWarning when a client is built, once per module graph, so once per
// jest test file) that its releases after January 2027 need Node 22. The deployed Lambda runs nodejs22.x and never
// warns; the local server and the tests run on developers' Node 20, where the warning is nothing foxops' users can act
// on. AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED is the SDK's documented switch
// (https://github.com/aws/aws-sdk-js-v3/issues/7983). The SDK reads it from process.env when a client is built, so
// it is set here, in the module every foxops SDK client's settings come from; test/support/setup.ts loads this module
// for every jest test file. A value the operator set is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Reads a response body to bytes without the SDK's default collector, which first asks whether the body is a web
 * `ReadableStream`: the first read of that global loads Node's web streams modules, a few ms of every cold start
 * that sends an AWS request (docs/benchmarks.md). The Node HTTP handler's bodies are Node streams, read here as
 * async iterables; a Blob is read whole, and a web stream is async-iterable too.
 */
export async function collectNodeStream(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof (body as Blob | undefined)?.arrayBuffer === 'function') return new Uint8Array(await (body as Blob).arrayBuffer());
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  // A plain view, as the SDK's collector returns: the SDK re-types it as its blob adapter.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Settings for an SDK v3 client of `service` (`DYNAMODB`, `LAMBDA`, `SSM`, …). */
export function awsClientConfig(
  env: Env,
  service: string,
): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  streamCollector: (body: unknown) => Promise<Uint8Array>;
} {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // On Lambda the role's credentials come from the default provider chain; explicit ones are for local runs and tests.
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return { region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}), streamCollector: collectNodeStream };
}

/** `make` once per region: every call for a region gets the same client (and so the same connections). */
export function perRegion<C>(make: (region: string | undefined) => C): (region: string | undefined) => C {
  const clients = new Map<string, C>();
  return (region) => {
    let client = clients.get(region ?? '');
    if (!client) clients.set(region ?? '', (client = make(region)));
    return client;
  };
}
