/**
 * The sandbox page's files, built in memory at start: the client (main.ts and what it imports) bundled by esbuild,
 * the HTML and the CSS read from this folder. Nothing is written to disk, so `npm start` needs no build step.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the sandbox server serves. */
export interface PageAsset {
  body: Buffer;
  contentType: string;
}

/** The page's files by URL path: `/`, `/app.js`, `/app.css`. */
export interface PageAssets {
  files: Map<string, PageAsset>;
}

/** This folder. Jest runs the sources as CommonJS through SWC, which rewrites `import.meta.url`; the fallback is for any other loader. */
function pageDir(): string {
  try {
    return fileURLToPath(new URL('.', import.meta.url));
  } catch {
    return path.resolve(process.cwd(), 'src/sandbox/page');
  }
}

/** Bundles the client and reads the HTML and CSS: the three files of the sandbox page. */
export async function buildPageAssets(): Promise<PageAssets> {
  const dir = pageDir();
  const { build } = await import('esbuild');
  const [bundle, html, css] = await Promise.all([
    build({
      entryPoints: [path.join(dir, 'main.ts')],
      bundle: true,
      minify: true,
      write: false,
      format: 'iife',
      target: 'es2020',
      platform: 'browser',
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(path.join(dir, 'index.html')),
    readFile(path.join(dir, 'styles.css')),
  ]);
  const js = bundle.outputFiles[0];
  if (!js) throw new Error('esbuild produced no output for the sandbox page');
  return {
    files: new Map<string, PageAsset>([
      ['/', { body: html, contentType: 'text/html; charset=utf-8' }],
      ['/app.js', { body: Buffer.from(js.contents), contentType: 'text/javascript; charset=utf-8' }],
      ['/app.css', { body: css, contentType: 'text/css; charset=utf-8' }],
    ]),
  };
}
