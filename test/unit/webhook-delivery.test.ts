/**
 * The delivery claim of a webhook is given back when the event could not be stored, so that GitHub's
 * redelivery is applied rather than taken for a duplicate. The store is a stand-in here because the
 * point is a store failure between the claim and the write, which dynalite cannot be made to do on cue.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { DeployRequest } from '../../src/domain/request.js';
import { handleGitHubWebhook } from '../../src/github/webhooks.js';
import { memoryLogger } from '../../src/log.js';
import { workflowRunEvent } from '../support/github-events.js';
import { githubSignature, TEST_CONFIG } from '../support/harness.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';

const SECRET = 'unit-secret';
const REPO = 'foxy-org/foxy-backend';

test('a delivery that could not be stored is applied when GitHub delivers it again', async () => {
  // Prepare: a dispatched request linked to run 77, and a store whose first write fails
  let stored: DeployRequest = {
    ...productionRequest(),
    status: 'dispatched',
    sha: 'a'.repeat(40),
    run: { id: 77, attempt: 1, jobs: [] },
    cardTs: '1.2',
    version: 3,
  };
  let failWrites = 1;
  const { ctx } = memoryContext();
  ctx.requests = {
    ...ctx.requests,
    findByRun: async () => stored.id,
    get: async () => stored,
    save: async (next: DeployRequest, expected: number) => {
      if (failWrites-- > 0) throw new Error('ProvisionedThroughputExceededException');
      if (expected !== stored.version) throw new Error('stale');
      stored = { ...next, version: expected + 1 };
      return stored;
    },
  };
  const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'foxops-delivery-')), 'foxops.yml');
  writeFileSync(configPath, TEST_CONFIG);
  const config = await loadConfig({ FOXOPS_CONFIG: configPath, GITHUB_WEBHOOK_SECRET: SECRET });
  const body = JSON.stringify(workflowRunEvent('in_progress', { repo: REPO, runId: 77 }));
  const event = {
    rawPath: '/github/webhooks',
    body,
    headers: { 'x-github-event': 'workflow_run', 'x-github-delivery': 'delivery-1', 'x-hub-signature-256': githubSignature(SECRET, body) },
    requestContext: { http: { method: 'POST' } },
  };
  const logger = memoryLogger();

  // Act
  const first = await handleGitHubWebhook(config, async () => ctx, logger, event);
  const again = await handleGitHubWebhook(config, async () => ctx, logger, event);

  // Assess
  expect(first.statusCode).toBe(500);
  expect(again.statusCode).toBe(200);
  expect(JSON.parse(again.body)).toMatchObject({ changed: true, status: 'running' });
  expect(stored.status).toBe('running');
});
