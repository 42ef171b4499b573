// Bundles the Lambda entry with esbuild into dist/lambda/: index.mjs (the chunk loader, src/lambda/entry-loader.ts),
// index.cjs and chunks/*.cjs (the handler, split in lazily loaded chunks), code-cache/ (V8's code for the chunks,
// made by a training run of the bundle) and the catalog as JSON, so that the function never loads a YAML parser.
import { build, transform } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';

const DEFAULT_OUTDIR = 'dist/lambda';
const stub = path.resolve('scripts/stubs/unused-on-lambda.cjs');

/** Receivers and OAuth that Lambda never uses: Bolt imports them eagerly, the bundle replaces them with a stub. */
const UNUSED_ON_LAMBDA = ['@slack/socket-mode', '@slack/oauth', 'express', 'raw-body'];
/** Bolt's own receiver classes other than AwsLambdaReceiver: App only builds them when given no receiver. */
const UNUSED_BOLT_RECEIVERS = /[\\/]@slack[\\/]bolt[\\/]dist[\\/]receivers$/;
const UNUSED_BOLT_RECEIVER_FILES = /^\.\/(receivers\/)?(HTTPReceiver|SocketModeReceiver|ExpressReceiver)$/;

/**
 * The esbuild plugin that replaces what Lambda never runs (the receivers and OAuth above) with a stub. Also used by
 * the benchmark's floors (bench/floors/), so that they carry exactly the Bolt that the bundle carries.
 */
export const leaveOutUnusedReceivers = {
  name: 'leave-out-unused-receivers',
  setup(b) {
    const filter = new RegExp(`^(${UNUSED_ON_LAMBDA.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);
    b.onResolve({ filter }, () => ({ path: stub }));
    b.onResolve({ filter: UNUSED_BOLT_RECEIVER_FILES }, (args) =>
      UNUSED_BOLT_RECEIVERS.test(args.resolveDir) || UNUSED_BOLT_RECEIVERS.test(path.join(args.resolveDir, 'receivers')) ? { path: stub } : undefined,
    );
  },
};

/** How each chunk is wrapped: the parameters are what src/lambda/entry-loader.ts passes; ES modules were strict. */
const CHUNK_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {"use strict";', '})'];

/** The function's memory (infra/foxops/template.yml, MemorySize's default): Lambda's V8 flags depend on it. */
const LAMBDA_MEMORY_MB = Number(process.env.FOXOPS_LAMBDA_MEMORY_MB ?? 512);

/**
 * The V8 flags that Lambda's Node.js runtime starts node with for a function of `memoryMb` (its bootstrap script:
 * a tenth of the memory for the young generation, the rest for the old). V8 only takes a code cache made under
 * the same flags, so the cache for Lambda is trained with these, and the benchmark runs its cold starts with them.
 */
export function lambdaNodeFlags(memoryMb = LAMBDA_MEMORY_MB) {
  const newSpace = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size', '81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/**
 * The code cache's variants: a name under code-cache/ and the node flags it is trained with. V8 takes a variant
 * only in a node of the same version started with the same V8 flags: the Lambda variant serves Lambda when the
 * build runs on the Node.js release that Lambda runs (nodejs22.x), and the benchmark's cold starts with
 * Lambda's flags; the other, node without flags (local runs, the bundle's test, the benchmark's other cold starts).
 */
export const CODE_CACHE_VARIANTS = [
  { name: `lambda-${LAMBDA_MEMORY_MB}mb`, flags: lambdaNodeFlags() },
  { name: 'no-flags', flags: [] },
];

/**
 * Builds the Lambda bundle into `outdir`, with its code cache unless `codeCache` is false (or FOXOPS_NO_CODE_CACHE
 * is set); returns esbuild's result for the handler (with a metafile when asked).
 */
export async function buildLambda({ metafile = false, outdir = DEFAULT_OUTDIR, codeCache = !process.env.FOXOPS_NO_CODE_CACHE } = {}) {
  // The services file first: a bad one stops the build before anything is replaced.
  const catalog = await validatedCatalog(process.env.FOXOPS_CONFIG ?? 'foxops.yml');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const minify = !process.env.FOXOPS_NO_MINIFY;
  // 1. The handler and everything it loads, split in chunks that each path loads on first use (ES modules: esbuild
  //    splits no other format), kept in memory with inline source maps for step 2.
  const result = await build({
    entryPoints: { index: 'src/lambda/index.ts' },
    outdir,
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Prefer packages' ES module builds (the AWS SDK has them): smaller chunks, better tree shaking.
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.cjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify,
    sourcemap: 'inline',
    legalComments: 'none',
    metafile,
    plugins: [leaveOutUnusedReceivers],
  });
  // 2. Each chunk as a CommonJS module (imports become require, dynamic imports a require in a promise) wrapped in the
  //    function the entry's loader compiles with V8's code cache: the file is the script, so the loader neither copies
  //    nor concatenates its text, and lines in stack traces are lines of the file. Source maps still reach the sources.
  for (const file of result.outputFiles) {
    if (!file.path.endsWith('.cjs')) continue;
    const name = path.basename(file.path);
    const out = await transform(file.text, {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      supported: { 'dynamic-import': false },
      minify,
      sourcemap: 'external',
      sourcefile: name,
      legalComments: 'none',
    });
    // e.g. `import.meta`, which a CommonJS chunk has not: say so rather than ship a chunk that breaks at run time.
    for (const w of out.warnings) console.error(`${name}: ${w.text}`);
    const map = JSON.parse(out.map);
    map.mappings = `;${map.mappings}`; // the wrapper's first line
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, `${CHUNK_WRAPPER[0]}\n${out.code}${CHUNK_WRAPPER[1]}\n//# sourceMappingURL=${name}.map\n`);
    writeFileSync(`${file.path}.map`, JSON.stringify(map));
  }
  // 3. The entry: the chunk loader (src/lambda/entry-loader.ts), which loads index.cjs and re-exports its handler.
  await build({
    entryPoints: ['src/lambda/entry-loader.ts'],
    outfile: path.join(outdir, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify,
    sourcemap: 'external',
    legalComments: 'none',
    logLevel: 'error',
  });
  writeFileSync(path.join(outdir, 'foxops.json'), JSON.stringify(catalog));
  writeFileSync(path.join(outdir, 'package.json'), JSON.stringify({ type: 'module' }));
  // 4. The code cache: a training run per variant, each in a fresh node with the variant's flags and nothing of this
  //    process' environment (NODE_OPTIONS could add V8 flags) but PATH.
  if (codeCache) await Promise.all(CODE_CACHE_VARIANTS.map((variant) => trainCodeCache(path.resolve(outdir), variant)));
  return result;
}

/** Runs scripts/code-cache-train.mjs for one variant of the code cache; resolves with the files and bytes written. */
function trainCodeCache(outdir, { name, flags }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, fileURLToPath(new URL('./code-cache-train.mjs', import.meta.url)), outdir, name], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`the code cache's training run (${name}) failed:\n${stderr}`)),
    );
  });
}

/** Thrown when the services file is bad: the build stops with each key path and its fix. */
export class CatalogBuildError extends Error {}

/**
 * Validates the services file with foxops' own zod schema (bundled on the fly from src/config) and returns it in
 * the marked shape that the Lambda reads without loading the schema at cold start.
 */
async function validatedCatalog(file) {
  const checker = path.join(mkdtempSync(path.join(tmpdir(), 'foxops-build-')), 'catalog-check.mjs');
  await build({
    stdin: {
      contents:
        "export { parseCatalog } from './src/config/catalog-schema.ts'; " +
        "export { validatedCatalogFile } from './src/config/validated-catalog.ts'; " +
        "export { formatProblems } from './src/config/errors.ts';",
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: checker,
    logLevel: 'error',
  });
  const { parseCatalog, validatedCatalogFile, formatProblems } = await import(pathToFileURL(checker).href);
  const result = parseCatalog(parse(readFileSync(file, 'utf8')), path.basename(file));
  if ('problems' in result) throw new CatalogBuildError(`${file} is not valid, nothing was built:\n${formatProblems(result.problems)}`);
  return validatedCatalogFile(result.catalog, path.basename(file));
}

function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(p) : entry.name.endsWith('.map') ? 0 : statSync(p).size;
  }
  return total;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await buildLambda();
  } catch (err) {
    if (!(err instanceof CatalogBuildError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const cache = path.join(DEFAULT_OUTDIR, 'code-cache');
  const cacheBytes = existsSync(cache) ? sizeOf(cache) : 0;
  console.log(
    `built ${DEFAULT_OUTDIR}: ${((sizeOf(DEFAULT_OUTDIR) - cacheBytes) / 1024).toFixed(0)} KiB (without source maps)` +
      (cacheBytes
        ? `, code cache ${(cacheBytes / 1024).toFixed(0)} KiB for node ${process.version} (${CODE_CACHE_VARIANTS.map((v) => v.name).join(', ')})`
        : ', no code cache'),
  );
}
