/**
 * A start that failed (the services file missing, SSM not reachable) is not cached: once the operator fixed it, the
 * next event of the same warm function works, on every path (the deploy context included, not only the config).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHandler } from '../../src/lambda/index.js';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

test('a deploy context that could not start is tried again by the next event', async () => {
  // Prepare: the same settings, but the services file is not there yet
  const later = path.join(mkdtempSync(path.join(tmpdir(), 'foxops-start-')), 'foxops.yml');
  const handler = createHandler({ ...h.env, FOXOPS_CONFIG: later });
  const sns = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));

  // Act
  const first = await handler(sns).then(
    () => 'ok',
    (err: Error) => err.name,
  );
  copyFileSync(h.env.FOXOPS_CONFIG!, later);
  const second = await handler(sns);
  await h.idle();

  // Assess: the first failed on the missing file, the second queued the alarm, which was posted
  expect(first).toBe('ConfigError');
  expect(second).toBeUndefined();
  expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
});
