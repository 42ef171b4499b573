import { Readable } from 'node:stream';
import { awsClientConfig, collectNodeStream } from '../../src/aws/client-config.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('collectNodeStream (the SDK clients’ response body reader)', () => {
  it('reads a Node stream in chunks, strings too, to one plain byte array', async () => {
    const bytes = await collectNodeStream(Readable.from([Buffer.from('{"Item":'), 'null', Buffer.from('}')]));
    expect(text(bytes)).toBe('{"Item":null}');
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
  });

  it('reads an empty stream, a byte array, a Blob and a web stream', async () => {
    expect((await collectNodeStream(Readable.from([]))).byteLength).toBe(0);
    expect(text(await collectNodeStream(new TextEncoder().encode('abc')))).toBe('abc');
    expect(text(await collectNodeStream(new Blob(['b', 'lob'])))).toBe('blob');
    expect(text(await collectNodeStream(new Blob(['web']).stream()))).toBe('web');
  });

  it('rejects when the stream fails', async () => {
    const failing = new Readable({ read() {} });
    const read = collectNodeStream(failing);
    failing.destroy(new Error('socket hang up'));
    await expect(read).rejects.toThrow('socket hang up');
  });

  it('is the collector of every client built from awsClientConfig', () => {
    expect(awsClientConfig({}, 'DYNAMODB').streamCollector).toBe(collectNodeStream);
  });
});
