// The training run of the Lambda bundle's code cache (see src/lambda/entry-loader.ts), started by scripts/build.mjs
// in a fresh node with the V8 flags of the cache variant it makes (Lambda's, or none): loads the bundle in `argv[2]`
// as Lambda would (LAMBDA_TASK_ROOT, the shipped catalog, its secrets from SSM under FOXOPS_SSM_PREFIX as the
// template sets it), answers a signed `/deploy help` and `/deploy prod` (SSM, DynamoDB and Slack are a loopback stub
// that answers every call with a success), then has the bundle write V8's code for its chunks into
// code-cache/<argv[3]>/. Prints one JSON line: the cache's files and bytes.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const outdir = path.resolve(process.argv[2]);
const secret = 'code-cache-training';
const SSM_PREFIX = '/foxops/training/';
const secrets = {
  'slack-bot-token': 'xoxb-training',
  'slack-signing-secret': secret,
  'slack-bot-id': 'B0TRAINING',
  'slack-bot-user-id': 'U0TRAINING',
  'github-token': 'ghp_training',
};
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === 'AmazonSSM.GetParametersByPath') {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          Parameters: Object.entries(secrets).map(([name, Value]) => ({ Name: `${SSM_PREFIX}${name}`, Type: 'SecureString', Value, Version: 1 })),
        }),
      );
    } else if (target.startsWith('DynamoDB_')) {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(target.endsWith('.Query') ? '{"Items":[],"Count":0}' : '{}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const stub = `http://127.0.0.1:${server.address().port}`;

Object.assign(process.env, {
  LAMBDA_TASK_ROOT: outdir,
  FOXOPS_TABLE: 'foxops-training',
  FOXOPS_SSM_PREFIX: SSM_PREFIX,
  SLACK_API_URL: `${stub}/api/`,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'training',
  AWS_SECRET_ACCESS_KEY: 'training',
  AWS_SESSION_TOKEN: 'training',
  AWS_ENDPOINT_URL: stub,
  LOG_LEVEL: 'error',
  // Compile every chunk from source: a cache that another variant left must not stand in for this one's code.
  FOXOPS_CODE_CACHE: 'off',
});

const { handler, codeCache } = await import(pathToFileURL(path.join(outdir, 'index.mjs')).href);
const catalog = JSON.parse((await import('node:fs')).readFileSync(path.join(outdir, 'foxops.json'), 'utf8'));
// `/deploy prod` from a channel of that environment, so that the request goes the whole way to the store.
const environments = Object.values(catalog.catalog?.environments ?? {});
const prod = environments.find((e) => e.name === 'prod' || e.aliases?.includes('prod')) ?? environments[0];
const channel = prod?.channels?.[0] ?? 'C0TRAINING';
for (const text of ['help', 'prod']) {
  const body = new URLSearchParams({
    command: '/deploy',
    text,
    user_id: 'U0TRAINING',
    channel_id: channel,
    team_id: 'T0TRAINING',
    api_app_id: 'A0TRAINING',
    trigger_id: `training-${text}`,
    response_url: `${stub}/response`,
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const result = await handler(
    {
      rawPath: '/slack/events',
      body,
      isBase64Encoded: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
      requestContext: { http: { method: 'POST' } },
    },
    {},
  );
  if (result?.statusCode !== 200) throw new Error(`training /deploy ${text}: ${result?.statusCode} ${result?.body}`);
}
// Let work that outlives the ack (the prefetched context, queued writes) finish compiling what it runs.
await new Promise((resolve) => setTimeout(resolve, 200));
const written = codeCache.write(process.argv[3]);
server.close();
process.stdout.write(`${JSON.stringify(written)}\n`);
process.exit(0);
