/**
 * `npm run sandbox` (and `npm start` without Slack credentials): starts the sandbox and prints the page's URL.
 * The page's port is `PORT` or 3000; a busy port is said plainly and the process exits 1 (no other port is tried, so
 * the URL a person was told stays the URL). State lives in `FOXOPS_SANDBOX_DIR` or `.foxops-data/sandbox/`.
 * `FOXOPS_SANDBOX_RUN_MS` sets how long a simulated run takes (default about 20 s).
 */
import '../aws/client-config.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSandbox } from './server.js';

/** Starts the sandbox for a person at a terminal; resolves once the URL is printed. */
export async function runSandboxCli(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const started = Date.now();
  const port = Number(env.PORT ?? 3000);
  // Said plainly here: a bad value would otherwise surface as a stack trace, or (a log level) as every command failing.
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`foxops sandbox: PORT=${env.PORT} is not a port. Use a number from 1 to 65535 (0 picks a free one): PORT=3001 npm start`);
    process.exit(1);
  }
  const logLevel = (env.LOG_LEVEL ?? 'warn').trim().toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    console.error(`foxops sandbox: LOG_LEVEL=${env.LOG_LEVEL} is not a level. Use debug, info, warn or error.`);
    process.exit(1);
  }
  const dataDir = path.resolve(env.FOXOPS_SANDBOX_DIR ?? '.foxops-data/sandbox');
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({
      port,
      dataDir,
      logLevel,
      // A shorter simulated run (the browser tests use one); default about 20 s.
      ...(env.FOXOPS_SANDBOX_RUN_MS ? { runTotalMs: Number(env.FOXOPS_SANDBOX_RUN_MS) } : {}),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`foxops sandbox: port ${port} on 127.0.0.1 is busy. Stop what uses it, or start on another port: PORT=${port + 1} npm start`);
      process.exit(1);
    }
    throw err;
  }
  console.log(`\nfoxops sandbox: a Slack-like page with simulated GitHub and AWS, all on this machine.`);
  console.log(`  open ${sandbox.url}`);
  console.log(`  state: ${dataDir}${sandbox.restored ? ' (restored; the Reset button starts afresh)' : ''}`);
  console.log(`  ready in ${Date.now() - started} ms. Try /deploy prod as Dave, then approve as Alice and Carol.\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return process.exit(1);
    stopping = true;
    console.log('\nstopping the sandbox…');
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

// Run directly (`tsx src/sandbox/main.ts`), not when imported by src/local/main.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runSandboxCli().catch((err: unknown) => {
    console.error('foxops sandbox failed to start:', err);
    process.exit(1);
  });
}
