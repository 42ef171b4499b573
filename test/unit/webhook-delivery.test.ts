/**
 * The delivery claim of a webhook is given back when the event could not be stored, so that GitHub's
 * redelivery is applied rather than taken for a duplicate. The store is a stand-in here because the
 * point is a store failure between the claim and the write, which dynalite cannot be made to do on cue.
 */
import type { FoxopsConfig } from '../../src/config/load.js';
import type { DeployContext } from '../../src/deploys/context.js';
import { handleGitHubWebhook } from '../../src/github/webhooks.js';
import { memoryLogger } from '../../src/log.js';
import type { DeployRequest } from '../../src/domain/request.js';
import { workflowRunEvent } from '../support/github-events.js';
import { githubSignature } from '../support/harness.js';
import { productionRequest } from '../support/requests.js';

const SECRET = 'unit-secret';
const REPO = 'foxy-org/foxy-backend';

test('a delivery that could not be stored is applied when GitHub delivers it again', async () => {
  // Prepare: a dispatched request linked to run 77, and a store whose first write fails
  let stored: DeployRequest = { ...productionRequest(), status: 'dispatched', sha: 'a'.repeat(40), run: { id: 77, attempt: 1, jobs: [] }, cardTs: '1.2', version: 3 };
  const keys = new Set<string>();
  let failWrites = 1;
  const ctx = {
    catalog: { services: [{ name: 'foxy-backend', aliases: [], repo: REPO, workflow: 'deploy.yml', defaultRef: 'main', targets: {} }], environments: [] },
    requests: {
      findByRun: async () => stored.id,
      get: async () => stored,
      save: async (next: DeployRequest, expected: number) => {
        if (failWrites-- > 0) throw new Error('ProvisionedThroughputExceededException');
        if (expected !== stored.version) throw new Error('stale');
        stored = { ...next, version: expected + 1 };
        return stored;
      },
    },
    idempotency: { claim: async (k: string) => (keys.has(k) ? false : (keys.add(k), true)), release: async (k: string) => void keys.delete(k) },
    ledger: { record: async () => undefined },
    audit: { record: async () => undefined },
    jobs: { enqueue: async () => undefined },
    logger: memoryLogger(),
    now: () => new Date(),
  } as unknown as DeployContext;
  const config = { catalog: ctx.catalog, github: { webhookSecret: SECRET } } as unknown as FoxopsConfig;
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
