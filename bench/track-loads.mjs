// Loaded with `node --import`: records every module file the process loads, printed at exit: the ES modules that
// Node's loader loads, and the files read with fs.readFileSync, which is how the bundle's entry
// (src/lambda/entry-loader.ts) reads its CommonJS chunks and their code cache.
import fs from 'node:fs';
import { register, syncBuiltinESMExports } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on('message', (url) => loaded.add(url));
port1.unref();
register('./track-loads-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  const data = readFileSync.call(this, file, ...rest);
  if (typeof file === 'string') loaded.add(file);
  return data;
};
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write(`\nLOADED ${JSON.stringify([...loaded])}\n`));
