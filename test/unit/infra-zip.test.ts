/**
 * The bundle zip writer of `npm run deploy` (scripts/deploy/zip.ts): archives that unzip (checked with Info-ZIP's
 * `unzip` where it is installed, and always with the reader of the same module), and the same bytes for the same
 * files so that an unchanged build leaves the stack unchanged.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, createZip, directoryEntries, readZipDirectory, readZipEntry, type ZipEntry } from '../../scripts/deploy/zip.js';

const ENTRIES: ZipEntry[] = [
  { name: 'index.mjs', data: Buffer.from('export const handler = async () => ({ statusCode: 200 });\n'.repeat(50)) },
  { name: 'chunks/slack-4f2a.mjs', data: Buffer.from('export const x = 1;\n') },
  { name: 'random.bin', data: randomBytes(4096) },
  { name: 'empty.txt', data: Buffer.alloc(0) },
  { name: 'grüße/ü.json', data: Buffer.from('{"ü":true}') },
];

const hasUnzip = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;

describe('createZip', () => {
  it('writes an archive whose entries read back byte for byte, sorted by name', () => {
    // Prepare
    const zip = createZip(ENTRIES);

    // Act
    const directory = readZipDirectory(zip);

    // Assess
    expect(directory.map((e) => e.name)).toEqual(['chunks/slack-4f2a.mjs', 'empty.txt', 'grüße/ü.json', 'index.mjs', 'random.bin']);
    for (const entry of directory) {
      expect(readZipEntry(zip, entry)).toEqual(ENTRIES.find((e) => e.name === entry.name)!.data);
    }
    // Text deflates; random bytes would grow, so they are stored
    expect(directory.find((e) => e.name === 'index.mjs')).toMatchObject({ method: 8 });
    expect(directory.find((e) => e.name === 'index.mjs')!.compressedSize).toBeLessThan(200);
    expect(directory.find((e) => e.name === 'random.bin')).toMatchObject({ method: 0, compressedSize: 4096, size: 4096 });
  });

  it('gives the same bytes for the same files, whatever their order', () => {
    // Prepare
    const reversed = [...ENTRIES].reverse();

    // Act
    const [a, b] = [createZip(ENTRIES), createZip(reversed)];

    // Assess
    expect(a.equals(b)).toBe(true);
  });

  it('refuses duplicate and empty names', () => {
    // Prepare
    const duplicate = [...ENTRIES, { name: 'index.mjs', data: Buffer.from('x') }];

    // Act, Assess
    expect(() => createZip(duplicate)).toThrow('bad or duplicate ZIP entry name: "index.mjs"');
    expect(() => createZip([{ name: '/', data: Buffer.alloc(1) }])).toThrow('bad or duplicate ZIP entry name');
  });

  it('computes the standard CRC-32', () => {
    // Prepare, Act, Assess: the check value of CRC-32/ISO-HDLC
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('detects a corrupted entry', () => {
    // Prepare
    const zip = createZip([{ name: 'a.txt', data: Buffer.from('hello hello hello hello hello hello') }]);
    const [entry] = readZipDirectory(zip);
    const at = 30 + 'a.txt'.length + 2;
    zip[at] = zip[at]! ^ 0xff;

    // Act, Assess
    expect(() => readZipEntry(zip, entry!)).toThrow();
  });

  (hasUnzip ? it : it.skip)('is accepted by Info-ZIP unzip, which checks every CRC', () => {
    // Prepare
    const dir = mkdtempSync(path.join(os.tmpdir(), 'foxops-zip-'));
    const file = path.join(dir, 'bundle.zip');
    writeFileSync(file, createZip(ENTRIES));

    // Act
    const test = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    const list = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(test.status).toBe(0);
    expect(test.stdout).toContain('No errors detected');
    expect(list.stdout.trim().split('\n')).toEqual(['chunks/slack-4f2a.mjs', 'empty.txt', 'grüße/ü.json', 'index.mjs', 'random.bin']);
  });
});

describe('directoryEntries', () => {
  it('takes every file under a folder, with / separators and normalized permissions', () => {
    // Prepare
    const dir = mkdtempSync(path.join(os.tmpdir(), 'foxops-dist-'));
    mkdirSync(path.join(dir, 'chunks/deep'), { recursive: true });
    writeFileSync(path.join(dir, 'index.mjs'), 'a');
    writeFileSync(path.join(dir, 'chunks/deep/x.mjs'), 'b');
    writeFileSync(path.join(dir, 'run.sh'), 'c');
    chmodSync(path.join(dir, 'index.mjs'), 0o600);
    chmodSync(path.join(dir, 'run.sh'), 0o700);

    // Act
    const entries = directoryEntries(dir);
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(entries.map((e) => [e.name, e.mode, e.data.toString()])).toEqual([
      ['chunks/deep/x.mjs', 0o644, 'b'],
      ['index.mjs', 0o644, 'a'],
      ['run.sh', 0o755, 'c'],
    ]);
  });
});
