/**
 * The bundle's entry on Lambda (`dist/lambda/index.mjs`, built by scripts/build.mjs from this file alone): loads the
 * handler's code with V8's code cache.
 *
 * The rest of the bundle is `index.cjs` and `chunks/*.cjs`: esbuild's code-split output, each chunk turned into a
 * CommonJS module wrapped in one function expression. They are loaded here as the handler needs them, each through
 * `vm.Script` with the code cache that the build made by running a `/deploy help` and a `/deploy prod` through the
 * bundle (`code-cache/<variant>/<chunk>.bin`): V8 then neither parses nor compiles what it compiled in that run.
 * Node's ES module loader takes no code cache on Node 20; on Node 22 its compile cache (`module.enableCompileCache`)
 * keys entries by absolute path, so a cache made at build time would not match `/var/task`. A `vm.Script` cache
 * depends only on the chunk, V8's version and V8's flags, and works on both.
 *
 * The build ships a cache variant per set of V8 flags (Lambda's, none). A cache that V8 rejects (another Node
 * release, other flags) costs a read of a small file per variant: the first chunk settles which variant fits, and
 * when none does every chunk compiles from source, as without a cache. `FOXOPS_CODE_CACHE=off` turns the cache off.
 * Nothing is written at run time (Lambda's file system is read-only): the build writes the cache through
 * {@link codeCache}.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

type Exports = Record<string, unknown>;
type ChunkFunction = (exports: Exports, require: (id: string) => unknown, module: { exports: Exports }, filename: string, dirname: string) => void;

const root = path.dirname(fileURLToPath(import.meta.url));
const cacheRoot = path.join(root, 'code-cache');
const nodeRequire = createRequire(import.meta.url);
/**
 * Loaded chunks by name (their path under the bundle's folder: `index.cjs`, `chunks/<chunk>.cjs`), with the script
 * each was compiled as (the build saves its code). Names are built by string concatenation, never with `node:path`:
 * a cold start resolves some 300 requires, and `path.join` on each made V8 optimize Node's path normalisation in
 * the background during the cold start (about 250 more page faults and 10 ms more CPU; docs/benchmarks.md).
 */
const loaded = new Map<string, { module: { exports: Exports }; script: vm.Script }>();
/** The cache variant in use: `undefined` until the first chunk chose one, `null` when none fits. */
let variant: string | null | undefined = process.env.FOXOPS_CODE_CACHE === 'off' ? null : undefined;
const stats = { chunks: 0, cached: 0, rejected: 0, variant: undefined as string | undefined };

/** Compiles a chunk file: the build wrote each as one function expression of the parameters {@link load} passes. */
function compile(file: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(readFileSync(file, 'utf8'), { filename: file, ...(cachedData ? { cachedData } : {}) });
}

function readCache(dir: string, name: string): Buffer | undefined {
  try {
    return readFileSync(`${cacheRoot}/${dir}/${name}.bin`);
  } catch {
    return undefined;
  }
}

/**
 * Compiles a chunk, with its code cache when one fits. The first chunk (index.cjs, small) tries each variant in
 * turn and the first that V8 accepts serves every later chunk; when none does, or V8 later rejects one, the rest
 * compiles from source.
 */
function compileCached(name: string, file: string): vm.Script {
  if (variant === undefined) {
    variant = null;
    let candidates: string[] = [];
    try {
      candidates = readdirSync(cacheRoot).sort();
    } catch {}
    let compiled: vm.Script | undefined;
    for (const dir of candidates) {
      const data = readCache(dir, name);
      if (!data) continue;
      // A rejected cache still leaves a script compiled from source: the last one serves if none fits.
      compiled = compile(file, data);
      if (!compiled.cachedDataRejected) {
        variant = stats.variant = dir;
        stats.cached++;
        return compiled;
      }
      stats.rejected++;
    }
    return compiled ?? compile(file);
  }
  const data = variant ? readCache(variant, name) : undefined;
  const script = compile(file, data);
  if (data && script.cachedDataRejected) {
    variant = null;
    stats.rejected++;
  } else if (data) stats.cached++;
  return script;
}

/** Loads a chunk of the bundle by name (see {@link loaded}) and returns its exports. */
function load(name: string): Exports {
  const known = loaded.get(name);
  if (known) return known.module.exports;
  const file = `${root}/${name}`;
  const script = compileCached(name, file);
  stats.chunks++;
  const module = { exports: {} as Exports };
  loaded.set(name, { module, script });
  const slash = name.lastIndexOf('/');
  // esbuild's chunks require each other as `./<chunk>.cjs`, from the same folder; the rest is Node's.
  const folder = slash < 0 ? '' : name.slice(0, slash + 1);
  const dir = slash < 0 ? root : `${root}/${name.slice(0, slash)}`;
  const require = (id: string) => (id.startsWith('./') ? load(folder + id.slice(2)) : nodeRequire(id));
  try {
    (script.runInThisContext() as ChunkFunction)(module.exports, require, module, file, dir);
  } catch (err) {
    loaded.delete(name); // as Node does for CommonJS: the next load runs the chunk again instead of half its exports
    throw err;
  }
  return module.exports;
}

const main = load('index.cjs') as unknown as typeof import('./index.js');

/** The function's handler. */
export const handler: typeof main.handler = main.handler;
/** For the benchmark and tests: a handler with its own settings. */
export const createHandler: typeof main.createHandler = main.createHandler;

/**
 * The code cache, for the build and the benchmark: `stats()` tells how many chunks were loaded, how many from
 * cache and from which variant; `write(variant)` (build time only) saves V8's code for every chunk under
 * `code-cache/<variant>/`: what this process compiled while it ran, and a compile-only cache for the chunks it
 * never loaded.
 */
export const codeCache = {
  stats: () => ({ ...stats }),
  write(name: string): { files: number; bytes: number } {
    const dir = path.join(cacheRoot, name);
    let files = 0;
    let bytes = 0;
    const save = (chunk: string, data: Buffer) => {
      mkdirSync(path.dirname(path.join(dir, chunk)), { recursive: true });
      writeFileSync(path.join(dir, `${chunk}.bin`), data);
      files++;
      bytes += data.length;
    };
    for (const [name, { script }] of loaded) save(name, script.createCachedData());
    for (const chunk of readdirSync(path.join(root, 'chunks'))) {
      const name = `chunks/${chunk}`;
      if (chunk.endsWith('.cjs') && !loaded.has(name)) save(name, compile(path.join(root, name)).createCachedData());
    }
    return { files, bytes };
  },
};
