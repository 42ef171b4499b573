// One cold start: import the bundled handler and answer one signed Slack request, then exit.
// argv[2]: the bundle to load; argv[3]: 'help' or 'prod'. Settings come from the environment; the request is signed
// with BENCH_SIGNING_SECRET, else SLACK_SIGNING_SECRET (when the handler reads its secrets from SSM, it has none).
import { createHmac } from 'node:crypto';

const [bundle, which] = process.argv.slice(2);
const { handler, codeCache } = await import(bundle);
const text = which === 'help' ? 'help' : 'prod';
const body = new URLSearchParams({
  command: '/deploy',
  text,
  user_id: 'U0DAVE',
  channel_id: 'C0PROD',
  team_id: 'T0FOXY',
  api_app_id: 'A0FOXOPS',
  trigger_id: `cold-${process.pid}-${Date.now()}`,
  response_url: 'http://127.0.0.1:9/unused',
}).toString();
const ts = Math.floor(Date.now() / 1000);
const signature = `v0=${createHmac('sha256', process.env.BENCH_SIGNING_SECRET ?? process.env.SLACK_SIGNING_SECRET)
  .update(`v0:${ts}:${body}`)
  .digest('hex')}`;
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
if (result.statusCode !== 200 || !/foxops|Resolving/.test(result.body)) {
  console.error(`unexpected answer: ${result.statusCode} ${result.body}`);
  process.exit(1);
}
// For the benchmark's check that the code cache served (never in a timed run): which variant, for how many chunks.
if (process.env.FOXOPS_BENCH_CACHE_STATS) console.error(`CODE CACHE ${JSON.stringify(codeCache?.stats() ?? {})}`);
process.exit(0);
