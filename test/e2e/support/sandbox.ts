/**
 * Starts the sandbox the way a newcomer does on a fresh clone: `npm start` with no Slack settings, in a fresh data
 * folder, and waits for the URL it prints. Also the browser: Debian's chromium through playwright-core, headless.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** A sandbox started with `npm start`. */
export interface StartedSandbox {
  url: string;
  /** Milliseconds from spawning `npm start` to the URL on its output. */
  startMs: number;
  /** When the URL was printed (`Date.now()`), for the first paint measure. */
  printedAt: number;
  output(): string;
  stop(): Promise<void>;
}

/** Settings a developer's shell may carry that would make `npm start` talk to a real workspace instead. */
const REAL_SETTINGS = /^(SLACK_|GITHUB_(TOKEN|APP_ID|PRIVATE_KEY|INSTALLATION_ID|WEBHOOK_SECRET)|FOXOPS_|AWS_ENDPOINT_URL)/;

/**
 * Runs `npm start` in the repository with a fresh data folder and port 0 (a free port), and `extraEnv` (e.g. a
 * shorter simulated run); resolves once it prints `open http://127.0.0.1:<port>`.
 */
export async function startSandboxLikeNpmStart(extraEnv: Record<string, string> = {}): Promise<StartedSandbox> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'foxops-sandbox-e2e-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !REAL_SETTINGS.test(key)));
  const started = Date.now();
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: path.resolve(__dirname, '../../..'),
    env: { ...env, PORT: '0', FOXOPS_SANDBOX_DIR: dataDir, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before printing a URL:\n${output}`));
    });
  });
  const printedAt = Date.now();
  return {
    url,
    startMs: printedAt - started,
    printedAt,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        // The whole group: npm, tsx and node.
        process.kill(-child.pid!, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium (`apt-get install -y chromium`), or `CHROMIUM_PATH`. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true });
}
