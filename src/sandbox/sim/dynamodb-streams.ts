/**
 * A loopback fake of DynamoDB Streams with a Lambda event source mapping, for tests and the offline sandbox.
 * dynalite has no streams, so this sits in front of it as a proxy: the application's DynamoDB client talks to
 * `url`, every request is passed on to dynalite unchanged, and each PutItem that created an item (an INSERT)
 * becomes a stream record in the shape Lambda delivers (`{ Records: [{ eventName, eventSource: 'aws:dynamodb',
 * dynamodb: { Keys, NewImage, SequenceNumber, StreamViewType } }] }`).
 *
 * Like the event source mapping in infra/foxops/template.yml it applies the mapping's filter patterns (`filters`,
 * the subset of Lambda's event filtering that foxops uses: exact values and `prefix`), sends batches to the
 * subscriber, honours `batchItemFailures` (the partial-batch response) by delivering the failed records again up
 * to `maxRetries` times, and then parks them in `failed` (the mapping's on-failure destination). Only PutItem
 * creates records: that is how foxops writes its job outbox and new requests.
 */
import { request as httpRequest } from 'node:http';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { startLoopbackServer } from './http.js';

type Item = Record<string, AttributeValue>;

/** One stream record, as Lambda passes it to the function. */
export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventSource: 'aws:dynamodb';
  eventSourceARN: string;
  awsRegion: string;
  dynamodb: { Keys: Item; NewImage: Item; SequenceNumber: string; SizeBytes: number; StreamViewType: 'NEW_IMAGE'; ApproximateCreationDateTime: number };
}

/** What the function answers: the records to deliver again (Lambda's `ReportBatchItemFailures`). */
export type StreamResponse = { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;

/** The function behind the mapping. */
export type StreamSubscriber = (event: { Records: StreamRecord[] }) => Promise<StreamResponse> | StreamResponse;

/** Options of {@link startDynamoStream}. */
export interface DynamoStreamOptions {
  /**
   * The mapping's filter patterns (JSON, as in the template's `FilterCriteria`): a record is delivered when one of
   * them matches it; default every record. Only exact values and `{"prefix": …}` are understood; anything else is
   * refused at start, so that the fake never passes what Lambda would filter out, or the reverse.
   */
  filters?: readonly string[];
  /** Records per delivery; default 10. */
  batchSize?: number;
  /** Deliveries of a failed record after the first; default 2. */
  maxRetries?: number;
  /** Pause before a failed record is delivered again; default 20 ms. */
  retryDelayMs?: number;
  /**
   * Batches delivered at the same time, at most (the mapping's parallelization factor: 5 in infra/foxops/template.yml);
   * default: every batch at once.
   */
  maxBatchesInFlight?: number;
}

/** A running stream fake. */
export interface FakeDynamoStream {
  /** The DynamoDB endpoint to give the application (a proxy to dynalite). */
  readonly url: string;
  /** Every record the stream produced, in order. */
  readonly records: StreamRecord[];
  /** Records that failed every delivery (the on-failure destination). */
  readonly failed: StreamRecord[];
  /** Deliveries made: one per batch, retries included. */
  readonly deliveries: number;
  /** Sets the function that receives the batches; records produced before it was set wait for it. */
  subscribe(subscriber: StreamSubscriber): void;
  /** Holds deliveries back (records queue up) until {@link resume}: a function that is down, or throttled. */
  pause(): void;
  resume(): void;
  /** Delivers a record once more, as the stream does after a function crash (the tests' redelivery). */
  redeliver(record: StreamRecord): Promise<StreamResponse>;
  /** Resolves once nothing is queued or being delivered, including records produced by deliveries. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the proxy in front of the dynalite at `dynamoUrl`. */
export async function startDynamoStream(dynamoUrl: string, options: DynamoStreamOptions = {}): Promise<FakeDynamoStream> {
  const target = new URL(dynamoUrl);
  const passes = options.filters ? streamFilter(options.filters) : () => true;
  const batchSize = options.batchSize ?? 10;
  const maxRetries = options.maxRetries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 20;
  const maxBatchesInFlight = options.maxBatchesInFlight ?? Number.POSITIVE_INFINITY;
  const records: StreamRecord[] = [];
  const failed: StreamRecord[] = [];
  const queue: Array<{ record: StreamRecord; tries: number }> = [];
  const inFlight = new Set<Promise<void>>();
  let subscriber: StreamSubscriber | undefined;
  let paused = false;
  let deliveries = 0;
  let sequence = 100_000_000;

  const forward = (method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const deliver = async (batch: Array<{ record: StreamRecord; tries: number }>): Promise<void> => {
    deliveries += 1;
    let response: StreamResponse;
    try {
      response = await subscriber!({ Records: batch.map((b) => b.record) });
    } catch {
      // A function error fails the whole batch.
      response = { batchItemFailures: batch.map((b) => ({ itemIdentifier: b.record.dynamodb.SequenceNumber })) };
    }
    const failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const again = batch.filter((b) => failedIds.has(b.record.dynamodb.SequenceNumber));
    for (const b of again) {
      if (b.tries >= maxRetries) failed.push(b.record);
      else {
        await new Promise((r) => setTimeout(r, retryDelayMs));
        queue.push({ record: b.record, tries: b.tries + 1 });
      }
    }
    pump();
  };

  const pump = () => {
    if (!subscriber || paused) return;
    while (queue.length && inFlight.size < maxBatchesInFlight) {
      const batch = queue.splice(0, batchSize);
      const task: Promise<void> = deliver(batch).finally(() => {
        inFlight.delete(task);
        // A batch that ends makes room for the next one.
        if (Number.isFinite(maxBatchesInFlight)) pump();
      });
      inFlight.add(task);
    }
  };

  const server = await startLoopbackServer('dynamodb-streams', async (req, res, body) => {
    const op = String(req.headers['x-amz-target'] ?? '')
      .split('.')
      .pop();
    const answer = await forward(req.method ?? 'POST', req.url ?? '/', req.headers, body);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    if (op !== 'PutItem' || answer.status !== 200) return;
    const input = JSON.parse(body.toString('utf8')) as { Item: Item; ConditionExpression?: string };
    const item = input.Item;
    // Job items and new requests are put only when new (attribute_not_exists): a 200 for such a put is an INSERT.
    if (!input.ConditionExpression?.includes('attribute_not_exists')) return;
    // Like the stream, every change gets a sequence number; the mapping's filter only decides what is delivered.
    sequence += 1;
    const record: StreamRecord = {
      eventID: `ev-${sequence}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/foxops/stream/2026-01-01T00:00:00.000',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { PK: item.PK!, SK: item.SK! },
        NewImage: item,
        SequenceNumber: String(sequence),
        SizeBytes: body.length,
        StreamViewType: 'NEW_IMAGE',
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      },
    };
    if (!passes(record)) return;
    records.push(record);
    queue.push({ record, tries: 0 });
    setImmediate(pump);
  });

  return {
    url: server.url,
    records,
    failed,
    get deliveries() {
      return deliveries;
    },
    subscribe(fn) {
      subscriber = fn;
      pump();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      pump();
    },
    async redeliver(record) {
      deliveries += 1;
      return subscriber!({ Records: [record] });
    },
    async idle() {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        if (inFlight.size) await Promise.allSettled([...inFlight]);
        else if (!queue.length || paused || !subscriber) return;
      }
    },
    close: () => server.close(),
  };
}

/**
 * The event source mapping's filter: true for a record that one of `patterns` matches. Throws for a pattern that
 * uses more of Lambda's event filtering than exact values and `prefix`.
 */
export function streamFilter(patterns: readonly string[]): (record: StreamRecord) => boolean {
  const parsed = patterns.map(readFilterPattern);
  return (record) => parsed.some((pattern) => matchesPattern(pattern, record));
}

/** Parses a filter pattern and refuses what {@link matchesPattern} does not understand. */
function readFilterPattern(json: string): unknown {
  const pattern = JSON.parse(json) as unknown;
  const check = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      for (const value of node) {
        if (
          value !== null &&
          typeof value === 'object' &&
          (Object.keys(value).join() !== 'prefix' || typeof (value as { prefix: unknown }).prefix !== 'string')
        ) {
          throw new Error(`filter pattern ${json}: ${where} uses ${JSON.stringify(value)}; the fake understands exact values and {"prefix": "…"} only`);
        }
      }
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) check(child, where ? `${where}.${key}` : key);
    } else throw new Error(`filter pattern ${json}: ${where} must be a list of values or an object`);
  };
  check(pattern, '');
  return pattern;
}

/** Lambda's event filtering over one record: every key of the pattern matches; a list matches one of its values. */
function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) =>
      p !== null && typeof p === 'object' ? typeof value === 'string' && value.startsWith((p as { prefix: string }).prefix) : p === value,
    );
  }
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern as Record<string, unknown>).every(([key, child]) => matchesPattern(child, (value as Record<string, unknown>)[key]));
}
