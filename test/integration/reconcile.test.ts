/**
 * The reconciler through the real Lambda handler, as EventBridge runs it every minute: it repairs requests
 * whose webhooks were lost, ends runs GitHub no longer knows or that ran too long, resolves dispatches that
 * died halfway, expires requests nobody approved, and stays within its per-pass bounds.
 */
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { blocksText, deployIdFrom, REPO, type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20 });
  h.github.pushCommits(REPO, 'main', 2);
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;
/** Moves the handler's clock; TEST_CONFIG has stale_after 2m and run_timeout 60m for production. */
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
/** One scheduled pass, then the card edits and replies it queued. */
async function reconcilePass(): Promise<void> {
  await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
  await h.idle();
}
const stored = async (seeded: Seeded) => (await h.store.requests.get(seeded.request.id))!;
const cardText = (seeded: Seeded) => blocksText(h.slack.message('C0PROD', seeded.request.cardTs!));
const repliesTo = (seeded: Seeded) => [...h.slack.messages.values()].filter((m) => m.thread_ts === seeded.request.cardTs).map((m) => m.text ?? '');
const runCalls = () => h.github.requests.filter((r) => r.path.includes('/actions/runs') || r.path.includes('/runs?'));

test('repairs a request whose webhooks were lost: the run, its jobs, the card, the thread and the ledger', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  h.github.setRunState(seeded.runId!, { status: 'completed', conclusion: 'success', jobs: [{ name: 'build' }, { name: 'deploy' }] });
  later(3 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = await stored(seeded);
  expect(request.status).toBe('succeeded');
  expect(request.run?.jobs.map((j) => [j.name, j.conclusion])).toEqual([
    ['build', 'success'],
    ['deploy', 'success'],
  ]);
  expect(cardText(seeded)).toContain('*Succeeded*');
  expect(cardText(seeded)).toContain(`/actions/runs/${seeded.runId}/job/`);
  expect(repliesTo(seeded)).toEqual([expect.stringContaining('succeeded')]);
  expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({
    requestId: seeded.request.id,
    sha: seeded.request.sha,
    outcome: 'succeeded',
  });
  expect(await h.store.audit.list(seeded.request.id)).toEqual([expect.objectContaining({ actor: 'foxops', action: 'run', outcome: 'ok' })]);
});

test('asks nothing about a run that had news within stale_after', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  const before = h.github.requests.length;
  later(1 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  expect(h.github.requests.length).toBe(before);
  expect((await stored(seeded)).version).toBe(seeded.request.version);
});

test('notes a look that found nothing new without touching the card, and waits a full stale_after before the next', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.setRunState(seeded.runId!, { status: 'in_progress', jobs: [{ name: 'deploy', status: 'in_progress' }] });
  later(3 * MINUTE);
  await reconcilePass();
  const edits = h.slack.callsTo('chat.update').length;

  // Act
  later(3 * MINUTE);
  await reconcilePass();
  const looked = await stored(seeded);
  later(1 * MINUTE);
  await reconcilePass();

  // Assess
  expect(edits).toBe(1);
  expect(looked.status).toBe('running');
  expect(looked.lastRunEventAt).toBe(new Date(h.clock.now.getTime() - MINUTE).toISOString());
  expect(h.slack.callsTo('chat.update')).toHaveLength(edits);
  expect(runCalls()).toHaveLength(4);
  expect(await stored(seeded)).toEqual(looked);
});

test('ends a run GitHub no longer knows as unknown, visibly', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.deleteRun(seeded.runId!);
  later(3 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = await stored(seeded);
  expect(request.status).toBe('unknown');
  expect(request.failure).toEqual({ code: 'run_not_found', params: { repo: REPO, runId: seeded.runId } });
  expect(cardText(seeded)).toContain(
    `*Unknown*: <https://github.com/${REPO}/actions/runs/${seeded.runId}|run ${seeded.runId}>. GitHub no longer knows run ${seeded.runId} (404)`,
  );
  expect(repliesTo(seeded)).toEqual([expect.stringMatching(/^:grey_question: <@U0DAVE> <@U0ALICE> <@U0BOB> foxops lost track/)]);
  expect(await h.store.ledger.history('foxy-backend', 'production', 5)).toEqual([
    expect.objectContaining({ outcome: 'unknown', requestId: seeded.request.id }),
  ]);
  expect(await h.store.ledger.current('foxy-backend', 'production')).toBeUndefined();
});

test('ends a run past run_timeout as timed_out, even while GitHub says it still runs', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.setRunState(seeded.runId!, { status: 'in_progress' });
  later(61 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = await stored(seeded);
  expect(request.status).toBe('timed_out');
  expect(request.failure).toEqual({ code: 'run_overdue', params: { runTimeoutMs: 60 * MINUTE, environment: 'production', githubUnreachable: false } });
  expect(cardText(seeded)).toContain('*Timed out*: no result from');
  expect(cardText(seeded)).toContain('The run went on for more than 1h (run_timeout of production)');
  expect(cardText(seeded)).not.toContain('GitHub did not answer either.');
  expect(repliesTo(seeded)).toEqual([expect.stringContaining('timed out')]);
});

test('keeps the clock running when GitHub does not answer: an overdue run still ends as timed_out', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.failNext({ status: 500, times: 20 });
  later(61 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = await stored(seeded);
  expect(request.status).toBe('timed_out');
  expect(request.failure).toMatchObject({ code: 'run_overdue', params: { githubUnreachable: true } });
  expect(cardText(seeded)).toContain('GitHub did not answer either.');
});

test('leaves a run alone for this pass when GitHub does not answer and it is not overdue', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.failNext({ status: 500, times: 20 });
  later(3 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  expect((await stored(seeded)).version).toBe(seeded.request.version);
});

test('queues again the dispatch of an approved request whose job was lost', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'approved' });
  later(6 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  expect(h.github.dispatches.map((d) => d.inputs.deploy_id)).toEqual([seeded.request.id]);
  expect((await stored(seeded)).status).toBe('dispatched');
  expect(cardText(seeded)).toContain('Dispatched');
});

test('finds a run the dispatch returned no id for by the deploy id in its name, and links it', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { run: 'unlinked' });
  h.github.setRunState(seeded.runId!, { status: 'in_progress', jobs: [{ name: 'deploy', status: 'in_progress' }] });
  later(3 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = await stored(seeded);
  expect(request.status).toBe('running');
  expect(request.run?.id).toBe(seeded.runId);
  expect(await h.store.requests.findByRun(REPO, seeded.runId!)).toBe(seeded.request.id);
  expect(repliesTo(seeded)).toEqual([expect.stringContaining('started')]);
});

describe('a dispatch job that died halfway', () => {
  test('is followed when GitHub has the run', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'dispatching', run: 'unlinked' });
    later(6 * MINUTE);

    // Act
    await reconcilePass();

    // Assess
    const request = await stored(seeded);
    expect(request.status).toBe('queued');
    expect(request.run?.id).toBe(seeded.runId);
    expect(request.dispatchedAt).toBe(seeded.request.updatedAt);
    expect(cardText(seeded)).toContain('Queued');
  });

  test('goes back to the approvers when GitHub has no run', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'dispatching', run: 'none' });
    later(6 * MINUTE);

    // Act
    await reconcilePass();

    // Assess
    const request = await stored(seeded);
    expect(request.status).toBe('dispatch_failed');
    expect(request.failure).toEqual({ code: 'dispatch_lost', params: { repo: REPO, workflow: 'deploy.yml', deployId: seeded.request.id } });
    expect(cardText(seeded)).toContain('Retry dispatch');
    expect(cardText(seeded)).toContain(`GitHub lists no run of deploy.yml carrying ${seeded.request.id} in its name`);
  });

  test('is left alone for its first minutes', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'dispatching', run: 'none' });
    later(2 * MINUTE);

    // Act
    await reconcilePass();

    // Assess
    expect((await stored(seeded)).status).toBe('dispatching');
  });
});

test('expires a request that waited past its time for approvals', async () => {
  // Prepare
  const id = deployIdFrom(await h.command('prod'));
  await h.idle();
  later(31 * MINUTE);

  // Act
  await reconcilePass();

  // Assess
  const request = (await h.store.requests.get(id))!;
  expect(request.status).toBe('expired');
  expect(blocksText(h.slack.message('C0PROD', request.cardTs!))).toContain('*Expired*');
  expect(await h.store.requests.listActive()).toEqual([]);
});

test('stays within its bounds per pass and catches up on the next', async () => {
  // Prepare
  const seeded: Seeded[] = [];
  for (let i = 0; i < 28; i++) seeded.push(await seedDeploy(h, { status: 'running' }));
  later(3 * MINUTE);
  const before = h.github.requests.length;

  // Act
  await reconcilePass();
  const firstPass = {
    calls: h.github.requests.length - before,
    looked: (await Promise.all(seeded.map(stored))).filter((r, i) => r.version !== seeded[i]!.request.version).length,
  };
  later(10_000);
  await reconcilePass();

  // Assess
  expect(firstPass).toEqual({ calls: 50, looked: 25 });
  expect((await Promise.all(seeded.map(stored))).every((r, i) => r.version === seeded[i]!.request.version + 1)).toBe(true);
});
