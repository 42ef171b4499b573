/**
 * The esbuild bundle that Lambda runs, not the sources: code splitting and CommonJS interop can break
 * what the sources do right (a lazily imported CommonJS package only has a default export), so the
 * built handler answers a signed `/deploy help` and reads a YAML catalog here.
 */
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SIGNING_SECRET, slackSignature, TEST_CONFIG } from '../support/harness.js';

const root = path.resolve(__dirname, '../..');

test('a bad services file stops the build with each key path and its fix', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'foxops-badbuild-'));
  const config = path.join(dir, 'foxops.yml');
  writeFileSync(config, 'services: {}\nenvironments:\n  prod:\n    channels: ["#prod"]\n    approvals: 2\n');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FOXOPS_CONFIG: config },
  });
  expect(build.status).toBe(1);
  expect(build.stderr).toContain('environments.prod.channels.0: expected a Slack channel id');
  expect(build.stderr).toContain('fix: list channel ids');
});

test('the built handler answers a signed /deploy help, with a YAML catalog', () => {
  // Prepare: build into a fresh folder (jest runs CommonJS, so the ES module bundle runs in a child node)
  const outdir = mkdtempSync(path.join(tmpdir(), 'foxops-bundle-'));
  const build = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { buildLambda } from ${JSON.stringify(path.join(root, 'scripts/build.mjs'))}; await buildLambda({ outdir: ${JSON.stringify(outdir)} });`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  expect(build.stderr).toBe('');
  expect(existsSync(path.join(outdir, 'index.mjs'))).toBe(true);
  // The repository's catalog ships validated, so that a cold start skips the schema.
  const shipped = JSON.parse(readFileSync(path.join(outdir, 'foxops.json'), 'utf8'));
  expect(shipped).toMatchObject({ mark: 'foxops-validated-catalog/1', source: 'foxops.yml', catalog: { defaultService: 'foxy-backend' } });
  const config = path.join(outdir, 'test-foxops.yml');
  writeFileSync(config, TEST_CONFIG);
  const body = new URLSearchParams({
    command: '/deploy',
    text: 'help',
    user_id: 'U0DAVE',
    channel_id: 'C0PROD',
    trigger_id: 't',
    response_url: 'http://127.0.0.1:9/x',
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const event = {
    rawPath: '/slack/events',
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(SIGNING_SECRET, ts, body),
    },
  };
  const script =
    `const { handler } = await import(${JSON.stringify(path.join(outdir, 'index.mjs'))}); ` +
    `const r = await handler(${JSON.stringify(event)}, {}); process.stdout.write(JSON.stringify(r));`;
  // Act
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      FOXOPS_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_ID: 'B0',
      SLACK_BOT_USER_ID: 'U0',
      GITHUB_TOKEN: 'ghp_test',
      LOG_LEVEL: 'error',
    },
  });
  // Assess
  expect(run.status).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body).text).toContain('foxy-backend');
});
