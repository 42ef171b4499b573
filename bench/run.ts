/**
 * `npm run bench`: cold start, warm ack latency and bundle size of the Lambda bundle.
 * Prints a Markdown table (paste it into README > Benchmarks) and writes bench/results.json.
 * Not a test: numbers vary by machine; the targets are from the issues.
 */
import { spawn } from 'node:child_process';
import { statSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../src/store/table.js';
import { startDynalite, startDynamoStream, startFakeLambda, startFakeSlack, startFakeGitHub } from '../test/fakes/index.js';
import { measureWarm } from './warm.js';
import { measureWebhooks } from './webhooks.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist/lambda');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs node asynchronously: the fakes and dynalite that the child talks to live in this process. */
function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/**
 * Wall time of each command from spawn to exit, in ms: the median of COLD_RUNS rounds. Each round runs every
 * command once, so that drift in the machine's load touches all of them alike.
 */
async function timeNodes(commands: Record<string, string[]>, env: NodeJS.ProcessEnv): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let round = 0; round < COLD_RUNS + 1; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const start = process.hrtime.bigint();
      const run = await runNode(args, env);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
      if (round > 0) times[name]!.push(ms); // the first round warms the OS file cache
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** The module files a cold start loads, and their size. */
async function loadedBytes(args: string[], env: NodeJS.ProcessEnv): Promise<{ files: number; bytes: number }> {
  const run = await runNode(['--import', pathToFileURL(path.join(root, 'bench/track-loads.mjs')).href, ...args], env);
  const line = run.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no load list: ${run.stderr}`);
  const files = (JSON.parse(line.slice(7)) as string[]).map((u) => fileURLToPath(u)).filter((f) => f.startsWith(dist + path.sep) || f.startsWith(path.join(root, 'dist')));
  return { files: files.length, bytes: files.reduce((sum, f) => sum + statSync(f).size, 0) };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : entry.name.endsWith('.map') ? 0 : statSync(p).size;
  }
  return total;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}x`;

async function main() {
  // A plain bundle of the same dependencies, loaded eagerly, for comparison.
  const plainDir = path.join(root, 'dist/bench-plain');
  await build({
    entryPoints: [path.join(root, 'bench/plain-entry.ts')],
    outfile: path.join(plainDir, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });

  const [dynamo, lambda] = await Promise.all([startDynalite(), startFakeLambda()]);
  lambda.onInvoke(() => undefined); // cold starts only queue jobs; nobody needs to run them
  const table = 'foxops-bench';
  const dynamoClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  await ensureTable(dynamoClient, table);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LAMBDA_TASK_ROOT: dist,
    FOXOPS_TABLE: table,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-secret',
    SLACK_BOT_ID: 'B0FOXOPS',
    SLACK_BOT_USER_ID: 'U0FOXOPS',
    GITHUB_TOKEN: 'ghp_bench',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    LOG_LEVEL: 'error',
  };
  const child = path.join(root, 'bench/cold-child.mjs');
  const bundle = pathToFileURL(path.join(dist, 'index.mjs')).href;
  const plain = pathToFileURL(path.join(plainDir, 'index.mjs')).href;

  const { bare, help, prod, plainHelp, plainProd } = (await timeNodes(
    { bare: ['-e', '0'], help: [child, bundle, 'help'], prod: [child, bundle, 'prod'], plainHelp: [child, plain, 'help'], plainProd: [child, plain, 'prod'] },
    env,
  )) as Record<'bare' | 'help' | 'prod' | 'plainHelp' | 'plainProd', number>;
  const helpLoads = await loadedBytes([child, bundle, 'help'], env);
  const prodLoads = await loadedBytes([child, bundle, 'prod'], env);
  dynamoClient.destroy();
  await Promise.all([dynamo.close(), lambda.close()]);

  const warm = await measureWarm(bundle, { startDynalite, startDynamoStream, startFakeSlack, startFakeGitHub }, mkdtempSync(path.join(tmpdir(), 'foxops-bench-')));

  const { createHandler } = (await import(`${bundle}?webhooks`)) as typeof import('../src/lambda/index.js');
  const hooks = await measureWebhooks(createHandler);

  const rows: Array<[string, string, string]> = [
    ['`node -e 0` (baseline)', `${bare.toFixed(0)} ms`, '1.00x'],
    ['cold start, first `/deploy help`', `${help.toFixed(0)} ms`, `${ratio(help, bare)} (target ≤ 1.8x)`],
    ['cold start, first `/deploy prod`', `${prod.toFixed(0)} ms`, `${ratio(prod, bare)} (target ≤ 2.5x)`],
    ['plain bundle, first `/deploy help`', `${plainHelp.toFixed(0)} ms`, ratio(plainHelp, bare)],
    ['plain bundle, first `/deploy prod`', `${plainProd.toFixed(0)} ms`, ratio(plainProd, bare)],
    ['warm ack `/deploy prod` p50 / p99', `${warm.prod.p50.toFixed(1)} / ${warm.prod.p99.toFixed(1)} ms`, 'target p99 ≤ 30 ms'],
    ['warm ack Approve p50 / p99', `${warm.approve.p50.toFixed(1)} / ${warm.approve.p99.toFixed(1)} ms`, 'target p99 ≤ 30 ms'],
    ['webhook handling p50 / p99', `${hooks.latency.p50.toFixed(1)} / ${hooks.latency.p99.toFixed(1)} ms`, `${hooks.samples} deliveries (target p99 ≤ 30 ms)`],
    ['Slack calls per deploy, dispatch to success, 3 jobs', String(hooks.slackCallsPerDeploy), 'card edits and thread replies; fewer is better'],
    ['bundle, all files', kib(dirBytes(dist)), 'without source maps'],
    ['loaded by a cold `/deploy help`', kib(helpLoads.bytes), `${helpLoads.files} files (target ≤ 1 MB)`],
    ['loaded by a cold `/deploy prod`', kib(prodLoads.bytes), `${prodLoads.files} files (target ≤ 1 MB)`],
    ['plain bundle', kib(statSync(path.join(plainDir, 'index.mjs')).size), 'one file, all loaded'],
  ];
  const table_ = ['| measure | value | notes |', '| --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(`\nfoxops benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${COLD_RUNS} cold runs (median), ${warm.samples} warm samples\n`);
  console.log(table_);
  writeFileSync(path.join(root, 'bench/results.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, bare, help, prod, plainHelp, plainProd, warm, hooks, helpLoads, prodLoads }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
