/**
 * The job stream's filter: the event source mapping in infra/foxops/template.yml delivers exactly the records that
 * foxops' stream handler reads (new job items and new requests' own items), and the fake stream that the tests and
 * the sandbox run applies the same patterns.
 */
import path from 'node:path';
import { loadTemplate } from '../../src/aws/cfn-yaml.js';
import { JOB_STREAM_FILTERS } from '../../src/jobs/stream.js';
import { type StreamRecord, streamFilter } from '../../src/sandbox/sim/dynamodb-streams.js';

const template = loadTemplate(path.resolve(__dirname, '../../infra/foxops/template.yml'));

/** A stream record of an item with these keys, as Lambda delivers it. */
function record(eventName: StreamRecord['eventName'], pk: string, sk: string): StreamRecord {
  const Keys = { PK: { S: pk }, SK: { S: sk } };
  return {
    eventID: 'ev-1',
    eventName,
    eventSource: 'aws:dynamodb',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/foxops/stream/2026-01-01T00:00:00.000',
    awsRegion: 'us-east-1',
    dynamodb: { Keys, NewImage: Keys, SequenceNumber: '1', SizeBytes: 10, StreamViewType: 'NEW_IMAGE', ApproximateCreationDateTime: 1 },
  };
}

describe('the job stream filter', () => {
  it("is the template's event source mapping filter, pattern for pattern", () => {
    // Prepare
    const mapping = template.Resources.JobStreamMapping as unknown as { Properties: { FilterCriteria: { Filters: Array<{ Pattern: string }> } } };

    // Act
    const patterns = mapping.Properties.FilterCriteria.Filters.map((f) => f.Pattern);

    // Assess
    expect(patterns).toEqual([...JOB_STREAM_FILTERS]);
  });

  it.each([
    ['a new job item', true, record('INSERT', 'JOB#prepare:d-1', '#JOB')],
    ["a new request's own item", true, record('INSERT', 'REQ#d-1', '#REQ')],
    ["a request's audit entry", false, record('INSERT', 'REQ#d-1', 'AUDIT#2026-12-02T10:00:00.000Z#000000requested')],
    ['a changed request', false, record('MODIFY', 'REQ#d-1', '#REQ')],
    ['a closed job', false, record('MODIFY', 'JOB#prepare:d-1', '#JOB')],
    ['an idempotency key', false, record('INSERT', 'IDEM#slack:abc', '#IDEM')],
    ['a lock', false, record('INSERT', 'ENV#production', 'LOCK#*')],
  ])('%s: delivered %s', (_what, delivered, given) => {
    // Prepare
    const passes = streamFilter(JOB_STREAM_FILTERS);

    // Act
    const result = passes(given);

    // Assess
    expect(result).toBe(delivered);
  });

  it('refuses a pattern with an operator the fake does not implement, so it never disagrees with Lambda silently', () => {
    // Prepare
    const pattern = '{"dynamodb":{"NewImage":{"leaseUntil":{"S":[{"exists":false}]}}}}';

    // Act
    const build = () => streamFilter([pattern]);

    // Assess
    expect(build).toThrow(/exact values and \{"prefix": "…"\} only/);
  });
});
