/**
 * A small, deterministic ZIP writer (and reader, to check its own output) on node:zlib, for the Lambda bundle.
 * Deterministic on purpose: entries are sorted and stamped 1980-01-01, so the same build gives the same bytes,
 * the same SHA-256, the same S3 key, and CloudFormation sees no code change when nothing changed.
 * No ZIP64: a Lambda zip is at most 50 MB uploaded directly and 250 MB unzipped, far below the 4 GB limit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** One file to put into the archive. */
export interface ZipEntry {
  /** Path inside the archive, with `/` separators. */
  name: string;
  data: Buffer;
  /** Unix permission bits; 0o644 by default. */
  mode?: number;
}

/** What the central directory says about one entry. */
export interface ZipDirectoryEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), as ZIP stores it. */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
const STORE = 0;
const DEFLATE = 8;

/** Builds a ZIP archive of `entries`, sorted by name, each deflated unless that would not make it smaller. */
export function createZip(entries: ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  if (sorted.length > 0xffff) throw new Error(`too many files for a ZIP without ZIP64: ${sorted.length}`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of sorted) {
    const name = entry.name.replace(/\\/g, '/').replace(/^\/+/, '');
    if (!name || names.has(name)) throw new Error(`bad or duplicate ZIP entry name: "${entry.name}"`);
    names.add(name);
    const nameBytes = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(entry.data, { level: 9 });
    const method = deflated.length < entry.data.length ? DEFLATE : STORE;
    const body = method === DEFLATE ? deflated : entry.data;
    const crc = crc32(entry.data);
    if (offset + body.length > 0xffffffff) throw new Error('archive larger than 4 GB needs ZIP64, which this writer does not do');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry permissions
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((((entry.mode ?? 0o644) & 0o7777) | 0o100000) * 0x10000, 38); // regular file
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, directory, end]);
}

/** Reads the central directory of a ZIP archive (no ZIP64, no archive comment). */
export function readZipDirectory(zip: Buffer): ZipDirectoryEntry[] {
  const endAt = zip.length - 22;
  if (endAt < 0 || zip.readUInt32LE(endAt) !== 0x06054b50) throw new Error('not a ZIP archive (no end of central directory record)');
  const count = zip.readUInt16LE(endAt + 10);
  let at = zip.readUInt32LE(endAt + 16);
  const entries: ZipDirectoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      crc32: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Extracts one entry's bytes and checks them against the stored size and CRC. */
export function readZipEntry(zip: Buffer, entry: ZipDirectoryEntry): Buffer {
  if (zip.readUInt32LE(entry.offset) !== 0x04034b50) throw new Error(`bad local header for ${entry.name}`);
  const start = entry.offset + 30 + zip.readUInt16LE(entry.offset + 26) + zip.readUInt16LE(entry.offset + 28);
  const body = zip.subarray(start, start + entry.compressedSize);
  const data = entry.method === DEFLATE ? inflateRawSync(body) : Buffer.from(body);
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new Error(`${entry.name} is corrupt (size or CRC mismatch)`);
  return data;
}

/**
 * Every regular file under `dir` as ZIP entries named relative to `dir`, in a stable order. Permissions are
 * normalized to 0644 (0755 when executable) so that a checkout's umask does not change the bundle's hash.
 */
export function directoryEntries(dir: string): ZipEntry[] {
  const out: ZipEntry[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const full = path.join(current, name);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile())
        out.push({ name: path.relative(dir, full).split(path.sep).join('/'), data: readFileSync(full), mode: stat.mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  walk(dir);
  return out;
}
