// Bundles the Lambda entry with esbuild into dist/lambda/ (index.mjs + lazily loaded chunks),
// and ships the catalog as JSON so the function never loads a YAML parser.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';

const DEFAULT_OUTDIR = 'dist/lambda';
const stub = path.resolve('scripts/stubs/unused-on-lambda.cjs');

/** Receivers and OAuth that Lambda never uses: Bolt imports them eagerly, the bundle replaces them with a stub. */
const UNUSED_ON_LAMBDA = ['@slack/socket-mode', '@slack/oauth', 'express', 'raw-body'];
/** Bolt's own receiver classes other than AwsLambdaReceiver: App only builds them when given no receiver. */
const UNUSED_BOLT_RECEIVERS = /[\\/]@slack[\\/]bolt[\\/]dist[\\/]receivers$/;
const UNUSED_BOLT_RECEIVER_FILES = /^\.\/(receivers\/)?(HTTPReceiver|SocketModeReceiver|ExpressReceiver)$/;

/** Builds the Lambda bundle into `outdir`; returns esbuild's result (with a metafile when asked). */
export async function buildLambda({ metafile = false, outdir = DEFAULT_OUTDIR } = {}) {
  // The services file first: a bad one stops the build before anything is replaced.
  const catalog = await validatedCatalog(process.env.FOXOPS_CONFIG ?? 'foxops.yml');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { index: 'src/lambda/index.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Prefer packages' ES module builds (the AWS SDK has them): smaller chunks, better tree shaking.
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: !process.env.FOXOPS_NO_MINIFY,
    sourcemap: 'external',
    legalComments: 'none',
    metafile,
    // CommonJS dependencies call require() for node built-ins; give the ESM bundle one.
    banner: { js: "import { createRequire as __foxopsCreateRequire } from 'node:module'; const require = __foxopsCreateRequire(import.meta.url);" },
    plugins: [
      {
        name: 'leave-out-unused-receivers',
        setup(b) {
          const filter = new RegExp(`^(${UNUSED_ON_LAMBDA.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);
          b.onResolve({ filter }, () => ({ path: stub }));
          b.onResolve({ filter: UNUSED_BOLT_RECEIVER_FILES }, (args) =>
            UNUSED_BOLT_RECEIVERS.test(args.resolveDir) || UNUSED_BOLT_RECEIVERS.test(path.join(args.resolveDir, 'receivers')) ? { path: stub } : undefined,
          );
        },
      },
    ],
  });
  writeFileSync(path.join(outdir, 'foxops.json'), JSON.stringify(catalog));
  writeFileSync(path.join(outdir, 'package.json'), JSON.stringify({ type: 'module' }));
  return result;
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
      contents: "export { parseCatalog } from './src/config/catalog-schema.ts'; export { validatedCatalogFile } from './src/config/validated-catalog.ts'; export { formatProblems } from './src/config/errors.ts';",
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
  console.log(`built ${DEFAULT_OUTDIR}: ${(sizeOf(DEFAULT_OUTDIR) / 1024).toFixed(0)} KiB (without source maps)`);
}
