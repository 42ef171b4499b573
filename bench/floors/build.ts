/**
 * Builds the benchmark's floors (docs/benchmarks.md, "Floors"): ./help.ts and ./prod.ts, each bundled alone as
 * scripts/build.mjs bundles foxops (minified, the same receivers left out, `import()` as a `require`), wrapped as
 * one chunk, beside a copy of ./loader.mjs as its `index.mjs`.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error scripts/build.mjs is plain JavaScript without declarations
import { leaveOutUnusedReceivers } from '../../scripts/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The floors, by name: `help` (Bolt alone) and `prod` (Bolt and the ack's two DynamoDB calls). */
export const FLOORS = ['help', 'prod'] as const;

/** Builds every floor under `outdir/<name>/`; returns each floor's `index.mjs`. */
export async function buildFloors(outdir: string): Promise<Record<(typeof FLOORS)[number], string>> {
  rmSync(outdir, { recursive: true, force: true });
  const entries = {} as Record<(typeof FLOORS)[number], string>;
  for (const name of FLOORS) {
    const dir = path.join(outdir, name);
    mkdirSync(dir, { recursive: true });
    const result = await build({
      entryPoints: [path.join(here, `${name}.ts`)],
      write: false,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      mainFields: ['module', 'main'],
      supported: { 'dynamic-import': false },
      minify: true,
      legalComments: 'none',
      logLevel: 'error',
      plugins: [leaveOutUnusedReceivers],
    });
    // The wrapper of scripts/build.mjs' chunks: the parameters that ./loader.mjs passes.
    writeFileSync(
      path.join(dir, 'floor.cjs'),
      `(function (exports, require, module, __filename, __dirname) {"use strict";\n${result.outputFiles[0]!.text}})\n`,
    );
    copyFileSync(path.join(here, 'loader.mjs'), path.join(dir, 'index.mjs'));
    entries[name] = path.join(dir, 'index.mjs');
  }
  return entries;
}
