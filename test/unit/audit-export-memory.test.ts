/**
 * The memory test: an export of 100,000 audit events stays within a bounded amount of memory. The events
 * come from a lazy iterable (as the store's `read` gives them, page by page) and go, as CSV and as JSON Lines, into
 * writables that count bytes and keep nothing. The heap is measured after forced garbage collections, so what is
 * measured is what the export keeps alive, not garbage waiting for the collector: that makes the bound hold on a
 * busy machine too. A control run with an output that keeps every chunk shows the measure sees retention.
 */
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { writeAuditExport } from '../../src/audit/export.js';
import type { AuditEntry } from '../../src/domain/ports.js';

// Jest gives no --expose-gc; V8 lets a running process turn it on, and a new context then has `gc`.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const EVENTS = 100_000;
const BOUND_BYTES = 30 * 1024 * 1024;
const SAMPLE_EVERY = 10_000;

/** The memory in use once everything unreachable is gone: the JS heap, and the Buffers outside it that writables hold. */
function liveHeap(): number {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** 100,000 events made one at a time as they are read, each with a realistic detail, two environments, a month apart. */
async function* syntheticEvents(onSample: () => void): AsyncGenerator<AuditEntry> {
  const start = Date.parse('2025-02-01T00:00:00.000Z');
  for (let i = 0; i < EVENTS; i++) {
    if (i % SAMPLE_EVERY === 0) onSample();
    yield {
      requestId: `d-${(i % 1_000_000).toString(36).padStart(10, '0')}`,
      environment: i % 3 === 0 ? 'staging' : 'production',
      service: 'foxy-backend',
      at: new Date(start + i * 26_000).toISOString(),
      actor: i % 2 ? 'U0ALICE' : 'foxops',
      action: ['request', 'approve', 'dispatch', 'run'][i % 4]!,
      outcome: i % 17 === 0 ? 'refused' : 'ok',
      detail: JSON.stringify({ code: 'not_approver', note: `event ${i}, "quoted", with a comma`, approvers: ['U0ALICE', 'U0BOB', 'S0RELEASE'] }),
    };
  }
}

/** A writable that counts what it gets; `keep` makes it hold every chunk (the control). */
function countingWritable(keep = false): Writable & { bytes: number; kept: Buffer[] } {
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.bytes += chunk.length;
      if (keep) out.kept.push(chunk);
      // Asynchronous like a file or a socket, so the writer's backpressure is exercised.
      setImmediate(callback);
    },
  }) as Writable & { bytes: number; kept: Buffer[] };
  out.bytes = 0;
  out.kept = [];
  return out;
}

/** Exports the events into both formats; returns the count, the bytes written and the largest live heap growth seen. */
async function measure(keep: boolean): Promise<{ count: number; bytes: number; growth: number }> {
  const csv = countingWritable(keep);
  const jsonl = countingWritable(keep);
  const baseline = liveHeap();
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, liveHeap() - baseline);
  };
  const count = await writeAuditExport(syntheticEvents(sample), [
    { format: 'csv', out: csv },
    { format: 'jsonl', out: jsonl },
  ]);
  sample();
  return { count, bytes: csv.bytes + jsonl.bytes, growth: peak };
}

describe('audit export memory', () => {
  it('exports 100,000 events as CSV and JSON Lines with live memory growth under 30 MB', async () => {
    // Act
    const { count, bytes, growth } = await measure(false);

    // Assess: the files together are larger than the bound, the memory kept is far below it
    expect(count).toBe(EVENTS);
    expect(bytes).toBeGreaterThan(1.5 * BOUND_BYTES);
    expect(growth).toBeLessThan(BOUND_BYTES);
  }, 60_000);

  it('would see an export that kept its rows: the control run grows past the bound', async () => {
    // Act
    const { count, growth } = await measure(true);

    // Assess
    expect(count).toBe(EVENTS);
    expect(growth).toBeGreaterThan(BOUND_BYTES);
  }, 60_000);
});
