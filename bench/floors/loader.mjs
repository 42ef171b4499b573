// The entry of a benchmark floor (docs/benchmarks.md, "Floors"), copied beside the floor's bundle (`floor.cjs`) by
// bench/run.ts: loads it as src/lambda/entry-loader.ts loads a chunk, through `vm.Script` with V8's code cache from
// a training run, so that a floor is loaded exactly as cheaply as foxops' own code. With FOXOPS_FLOOR_TRAIN=1 the
// process writes that cache when it exits.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const file = fileURLToPath(new URL('./floor.cjs', import.meta.url));
const training = process.env.FOXOPS_FLOOR_TRAIN === '1';
let cachedData;
if (!training) cachedData = readFileSync(`${file}.bin`);
const script = new vm.Script(readFileSync(file, 'utf8'), { filename: file, ...(cachedData ? { cachedData } : {}) });
// A floor whose cache V8 rejects would measure compilation, not the floor: refuse to run.
if (cachedData && script.cachedDataRejected) throw new Error(`the code cache of ${file} was rejected`);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, fileURLToPath(new URL('.', import.meta.url)));
if (training) process.on('exit', () => writeFileSync(`${file}.bin`, script.createCachedData()));

/** The floor as a Lambda handler. */
export const handler = (event) => module.exports.run(event);
