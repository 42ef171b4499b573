/**
 * `npm run bench`: cold start, warm ack latency and bundle size of the Lambda bundle.
 * Prints a Markdown table (paste it into README > Benchmarks) and writes bench/results.json.
 * Not a test: numbers vary by machine; the targets are from the issues.
 */
// First: it turns off the AWS SDK's Node version warning before this process builds its own DynamoDB client.
import '../src/aws/client-config.js';
import { spawn } from 'node:child_process';
import { existsSync, statSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error scripts/build.mjs is plain JavaScript without declarations
import { lambdaNodeFlags } from '../scripts/build.mjs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../src/store/table.js';
import { startDynalite, startDynamoStream, startFakeLambda, startFakeSlack, startFakeGitHub } from '../test/fakes/index.js';
import { startFakeSsm } from '../test/fakes/deploy-aws.js';
import { measureWarm } from './warm.js';
import { measureRollback, rollbackRows } from './rollback.js';
import { alarmStormRows, measureAlarmStorm } from './alarm-storm.js';
import { measureWebhooks } from './webhooks.js';
import { buildFloors } from './floors/build.js';

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
 * command once, so that drift in the machine's load touches all of them alike, and each round starts one command
 * later than the one before, so that no command always runs first after the machine was busy elsewhere (on this
 * VM, the first spawn of a round was at times the slow one, page cache or CPU frequency; a fixed order put that
 * on `/deploy help`).
 */
async function timeNodes(commands: Record<string, { args: string[]; env: NodeJS.ProcessEnv }>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const entries = Object.entries(commands);
  for (let round = 0; round < COLD_RUNS + 1; round++) {
    const shift = round % entries.length;
    for (const [name, { args, env }] of [...entries.slice(shift), ...entries.slice(0, shift)]) {
      const start = process.hrtime.bigint();
      const run = await runNode(args, env);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
      // Nothing may reach stderr: a warning there (the AWS SDK's Node version warning, say) reaches users' logs.
      if (run.stderr.trim()) throw new Error(`node ${args.join(' ')} wrote to stderr: ${run.stderr}`);
      if (round > 0) times[name]!.push(ms); // the first round warms the OS file cache
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** The module files a cold start loads (code), and the code cache files it reads, with their sizes. */
async function loadedBytes(args: string[], env: NodeJS.ProcessEnv): Promise<{ files: number; bytes: number; cacheFiles: number; cacheBytes: number }> {
  const run = await runNode(['--import', pathToFileURL(path.join(root, 'bench/track-loads.mjs')).href, ...args], env);
  const line = run.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no load list: ${run.stderr}`);
  const inDist = (JSON.parse(line.slice(7)) as string[])
    .map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u))
    .filter((f) => f.startsWith(dist + path.sep));
  const cache = inDist.filter((f) => f.endsWith('.bin'));
  const code = inDist.filter((f) => /\.(mjs|cjs|js)$/.test(f));
  const size = (files: string[]) => files.reduce((sum, f) => sum + statSync(f).size, 0);
  return { files: code.length, bytes: size(code), cacheFiles: cache.length, cacheBytes: size(cache) };
}

/** Which code cache variant a cold start used, and for how many of the chunks it loaded (see src/lambda/entry-loader.ts). */
async function cacheUse(args: string[], env: NodeJS.ProcessEnv): Promise<{ variant?: string; chunks: number; cached: number }> {
  const run = await runNode(args, { ...env, FOXOPS_BENCH_CACHE_STATS: '1' });
  const line = run.stderr.split('\n').find((l) => l.startsWith('CODE CACHE '));
  if (run.status !== 0 || !line) throw new Error(`no code cache stats: ${run.stderr}`);
  return JSON.parse(line.slice(11));
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

  const secrets = {
    'slack-bot-token': 'xoxb-bench',
    'slack-signing-secret': 'bench-secret',
    'slack-bot-id': 'B0FOXOPS',
    'slack-bot-user-id': 'U0FOXOPS',
    'github-token': 'ghp_bench',
  };
  const [dynamo, lambda, ssm] = await Promise.all([
    startDynalite(),
    startFakeLambda(),
    startFakeSsm({ parameters: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`/foxops/bench/${k}`, v])) }),
  ]);
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
    LOG_LEVEL: 'error',
  };
  const child = path.join(root, 'bench/cold-child.mjs');
  const bundle = pathToFileURL(path.join(dist, 'index.mjs')).href;
  const plain = pathToFileURL(path.join(plainDir, 'index.mjs')).href;

  // Lambda as deployed (infra/foxops/template.yml): node started with the V8 flags of Lambda's runtime for 512 MB,
  // under which V8 rejects Node's own code cache for its built-in modules (the bundle's cache has a variant trained
  // with these flags), and the secrets read from SSM (FOXOPS_SSM_PREFIX) at cold start, not given in the environment.
  const lf = lambdaNodeFlags() as string[];
  const lambdaEnv: NodeJS.ProcessEnv = {
    ...env,
    FOXOPS_SSM_PREFIX: '/foxops/bench/',
    AWS_ENDPOINT_URL_SSM: ssm.url,
    BENCH_SIGNING_SECRET: secrets['slack-signing-secret'],
  };
  for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_BOT_ID', 'SLACK_BOT_USER_ID', 'GITHUB_TOKEN']) delete lambdaEnv[name];
  const run = (args: string[], e = env) => ({ args, env: e });
  // The floors: what Bolt, and Bolt with the AWS SDK's two calls, cost alone (no foxops code), loaded the same way.
  // Each first answers once with FOXOPS_FLOOR_TRAIN=1, which writes its code cache, as the build's training run does.
  const floorEntries = await buildFloors(path.join(root, 'dist/bench-floors'));
  const floor = { help: pathToFileURL(floorEntries.help).href, prod: pathToFileURL(floorEntries.prod).href };
  for (const which of ['help', 'prod'] as const) {
    const trained = await runNode([child, floor[which], which], { ...env, FOXOPS_FLOOR_TRAIN: '1' });
    if (trained.status !== 0) throw new Error(`the ${which} floor's training run failed: ${trained.stderr}`);
  }
  const cold = (await timeNodes({
    bare: run(['-e', '0']),
    help: run([child, bundle, 'help']),
    prod: run([child, bundle, 'prod']),
    plainHelp: run([child, plain, 'help']),
    plainProd: run([child, plain, 'prod']),
    lambdaHelp: run([...lf, child, bundle, 'help'], lambdaEnv),
    lambdaProd: run([...lf, child, bundle, 'prod'], lambdaEnv),
    lambdaPlainHelp: run([...lf, child, plain, 'help'], lambdaEnv),
    lambdaPlainProd: run([...lf, child, plain, 'prod'], lambdaEnv),
    floorHelp: run([child, floor.help, 'help']),
    floorProd: run([child, floor.prod, 'prod']),
  })) as Record<
    'bare' | 'help' | 'prod' | 'plainHelp' | 'plainProd' | 'lambdaHelp' | 'lambdaProd' | 'lambdaPlainHelp' | 'lambdaPlainProd' | 'floorHelp' | 'floorProd',
    number
  >;
  const { bare, help, prod, plainHelp, plainProd } = cold;
  const loads = {
    help: await loadedBytes([child, bundle, 'help'], env),
    prod: await loadedBytes([child, bundle, 'prod'], env),
    lambdaHelp: await loadedBytes([...lf, child, bundle, 'help'], lambdaEnv),
    lambdaProd: await loadedBytes([...lf, child, bundle, 'prod'], lambdaEnv),
  };
  const cacheUsed = {
    help: await cacheUse([child, bundle, 'help'], env),
    prod: await cacheUse([child, bundle, 'prod'], env),
    lambdaHelp: await cacheUse([...lf, child, bundle, 'help'], lambdaEnv),
    lambdaProd: await cacheUse([...lf, child, bundle, 'prod'], lambdaEnv),
  };
  dynamoClient.destroy();
  await Promise.all([dynamo.close(), lambda.close(), ssm.close()]);

  const warm = await measureWarm(
    bundle,
    { startDynalite, startDynamoStream, startFakeSlack, startFakeGitHub },
    mkdtempSync(path.join(tmpdir(), 'foxops-bench-')),
  );

  const { createHandler } = (await import(`${bundle}?webhooks`)) as typeof import('../src/lambda/index.js');
  const hooks = await measureWebhooks(createHandler);
  const rollback = await measureRollback(createHandler);
  const alarmStorm = await measureAlarmStorm(createHandler);

  const cacheNote = (u: { variant?: string; chunks: number; cached: number }) =>
    u.variant ? `code cache \`${u.variant}\` for ${u.cached} of ${u.chunks} chunks` : 'no code cache fitted';
  const loadNote = (l: { files: number; bytes: number; cacheBytes: number }) =>
    `loads ${kib(l.bytes)} in ${l.files} files${l.cacheBytes ? ` + ${kib(l.cacheBytes)} code cache` : ''}`;
  const codeCacheBytes = existsSync(path.join(dist, 'code-cache')) ? dirBytes(path.join(dist, 'code-cache')) : 0;
  const rows: Array<[string, string, string]> = [
    ['`node -e 0` (baseline)', `${bare.toFixed(0)} ms`, '1.00x'],
    ['cold start, first `/deploy help`', `${help.toFixed(0)} ms`, `${ratio(help, bare)} (target ≤ 1.8x); ${cacheNote(cacheUsed.help)}`],
    ['cold start, first `/deploy prod`', `${prod.toFixed(0)} ms`, `${ratio(prod, bare)} (target ≤ 2.5x); ${cacheNote(cacheUsed.prod)}`],
    [
      'floor: Bolt alone, first `/deploy help` (no foxops code)',
      `${cold.floorHelp.toFixed(0)} ms`,
      `${ratio(cold.floorHelp, bare)}; foxops adds ${(help - cold.floorHelp).toFixed(0)} ms`,
    ],
    [
      "floor: Bolt and the ack's two DynamoDB calls through the AWS SDK, first `/deploy prod` (no foxops code)",
      `${cold.floorProd.toFixed(0)} ms`,
      `${ratio(cold.floorProd, bare)}; foxops adds ${(prod - cold.floorProd).toFixed(0)} ms`,
    ],
    ['plain bundle, first `/deploy help`', `${plainHelp.toFixed(0)} ms`, ratio(plainHelp, bare)],
    ['plain bundle, first `/deploy prod`', `${plainProd.toFixed(0)} ms`, ratio(plainProd, bare)],
    [
      "as on Lambda (runtime's node flags, secrets from SSM): first `/deploy help`",
      `${cold.lambdaHelp.toFixed(0)} ms`,
      `${ratio(cold.lambdaHelp, bare)}; ${cacheNote(cacheUsed.lambdaHelp)}; ${loadNote(loads.lambdaHelp)}`,
    ],
    [
      'as on Lambda: first `/deploy prod`',
      `${cold.lambdaProd.toFixed(0)} ms`,
      `${ratio(cold.lambdaProd, bare)}; ${cacheNote(cacheUsed.lambdaProd)}; ${loadNote(loads.lambdaProd)}`,
    ],
    ['as on Lambda: plain bundle, first `/deploy help`', `${cold.lambdaPlainHelp.toFixed(0)} ms`, ratio(cold.lambdaPlainHelp, bare)],
    ['as on Lambda: plain bundle, first `/deploy prod`', `${cold.lambdaPlainProd.toFixed(0)} ms`, ratio(cold.lambdaPlainProd, bare)],
    ['warm ack `/deploy prod` p50 / p99', `${warm.prod.p50.toFixed(1)} / ${warm.prod.p99.toFixed(1)} ms`, 'target p99 ≤ 30 ms'],
    ['warm ack Approve p50 / p99', `${warm.approve.p50.toFixed(1)} / ${warm.approve.p99.toFixed(1)} ms`, 'target p99 ≤ 30 ms'],
    ['webhook handling p50 / p99', `${hooks.latency.p50.toFixed(1)} / ${hooks.latency.p99.toFixed(1)} ms`, `${hooks.samples} deliveries (target p99 ≤ 30 ms)`],
    ['Slack calls per deploy, dispatch to success, 3 jobs', String(hooks.slackCallsPerDeploy), 'card edits and thread replies; fewer is better'],
    ['bundle, all files', kib(dirBytes(dist) - codeCacheBytes), `without source maps; code cache ${kib(codeCacheBytes)} more (2 variants)`],
    ['loaded by a cold `/deploy help`', kib(loads.help.bytes), `${loads.help.files} files (target ≤ 1 MB); code cache read ${kib(loads.help.cacheBytes)}`],
    ['loaded by a cold `/deploy prod`', kib(loads.prod.bytes), `${loads.prod.files} files (target ≤ 1 MB); code cache read ${kib(loads.prod.cacheBytes)}`],
    ['plain bundle', kib(statSync(path.join(plainDir, 'index.mjs')).size), 'one file, all loaded'],
    ...rollbackRows(rollback),
    ...alarmStormRows(alarmStorm),
  ];
  const table_ = ['| measure | value | notes |', '| --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(
    `\nfoxops benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${COLD_RUNS} cold runs (median), ${warm.samples} warm samples\n`,
  );
  console.log(table_);
  writeFileSync(
    path.join(root, 'bench/results.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        ...cold,
        lambdaFlags: lf,
        cacheUsed,
        warm,
        hooks,
        rollback,
        alarmStorm,
        helpLoads: loads.help,
        prodLoads: loads.prod,
        loads,
        codeCacheBytes,
      },
      null,
      2,
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
