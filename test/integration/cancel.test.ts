/**
 * Cancel on a running deploy's card, through the real Lambda handler: who may, once only, the GitHub cancel call (the
 * fake GitHub marks the run cancelled and sends nothing; the test delivers the webhook, as GitHub would), the card's
 * end, the audit trail, a cancel racing with the run's success, and the force-cancel the reconciler queues.
 */
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, REPO, type Harness, startHarness } from '../support/harness.js';

let h: Harness;

const ephemeralsTo = (user: string) => h.slack.responsesTo(`click-${user}`).map((r) => (r.body as { text: string }).text);
const cancelCalls = (runId: number) =>
  h.github.requests.filter((r) => r.method === 'POST' && /\/actions\/runs\/\d+\/(force-)?cancel$/.test(r.path) && r.path.includes(`/${runId}/`));
const stored = async (seeded: Seeded) => (await h.store.requests.get(seeded.request.id))!;
const cardOf = (seeded: Seeded) => h.slack.message('C0PROD', seeded.request.cardTs!);
const completed = (seeded: Seeded, conclusion: string) => workflowRunEvent('completed', { repo: REPO, runId: seeded.runId!, title: seeded.title, conclusion });

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20 });
  h.github.pushCommits(REPO, 'main', 2);
});
afterEach(async () => {
  await h.close();
});

test('the requester cancels a running deploy: one cancel call, the card ends cancelled with who and when, audited', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running', requester: 'U0DAVE' });

  // Act: Cancel, then GitHub's webhook for the cancelled run
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0DAVE' });
  await h.idle();
  const cancelling = await stored(seeded);
  const cardWhileCancelling = blocksText(cardOf(seeded));
  await h.webhook('workflow_run', completed(seeded, 'cancelled'));
  await h.idle();

  // Assess
  expect(cancelCalls(seeded.runId!)).toHaveLength(1);
  expect(cancelCalls(seeded.runId!)[0]!.path).toMatch(/\/cancel$/);
  expect(h.github.runs.get(seeded.runId!)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  expect(cancelling).toMatchObject({ status: 'running', cancelRequestedBy: 'U0DAVE', cancelRequestedAt: h.clock.now.toISOString() });
  expect(cardWhileCancelling).toContain('Cancel requested by <@U0DAVE>');
  expect(await stored(seeded)).toMatchObject({ status: 'cancelled', cancelRequestedBy: 'U0DAVE' });
  const card = blocksText(cardOf(seeded));
  expect(card).toContain('Cancelled by <@U0DAVE>');
  expect(card).toContain('Cancelling does not roll back');
  expect(card).toContain('/deploy rollback production foxy-backend');
  expect(JSON.stringify(cardOf(seeded)?.blocks)).not.toContain(ACTION_IDS.cancel);
  const trail = await h.store.audit.list(seeded.request.id);
  expect(trail).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ actor: 'U0DAVE', action: 'cancel', outcome: 'ok' }),
      expect.objectContaining({ actor: 'foxops', action: 'cancel_run', outcome: 'ok' }),
    ]),
  );
  expect(ephemeralsTo('U0DAVE')).toEqual([]);
});

test('the card of a running deploy has a Cancel button behind a confirm dialog', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'queued' });

  // Act: any change re-renders the card
  await h.webhook('workflow_run', workflowRunEvent('in_progress', { repo: REPO, runId: seeded.runId!, title: seeded.title }));
  await h.idle();

  // Assess
  const blocks = (cardOf(seeded)?.blocks ?? []) as Array<{ type: string; elements?: Array<Record<string, unknown>> }>;
  const actions = blocks.find((b) => b.type === 'actions');
  expect(actions?.elements).toEqual([expect.objectContaining({ action_id: ACTION_IDS.cancel, value: seeded.request.id, confirm: expect.any(Object) })]);
});

test('an approver may cancel; a second click is told it is being cancelled already, and GitHub is asked once', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });

  // Act
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0ALICE' });
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0BOB' });
  await h.idle();

  // Assess
  expect(await stored(seeded)).toMatchObject({ cancelRequestedBy: 'U0ALICE' });
  expect(ephemeralsTo('U0ALICE')).toEqual([]);
  expect(ephemeralsTo('U0BOB')).toEqual([expect.stringContaining('being cancelled already: <@U0ALICE> pressed Cancel')]);
  expect(cancelCalls(seeded.runId!)).toHaveLength(1);
});

test('someone who is neither the requester nor an approver is refused, audited, and nothing is cancelled', async () => {
  // Prepare
  const seeded = await seedDeploy(h, { status: 'running' });

  // Act
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0EVE' });
  await h.idle();

  // Assess
  expect(ephemeralsTo('U0EVE')).toEqual([expect.stringContaining('Only the requester or <@U0ALICE>')]);
  expect((await stored(seeded)).cancelRequestedBy).toBeUndefined();
  expect(cancelCalls(seeded.runId!)).toHaveLength(0);
  expect(await h.store.audit.list(seeded.request.id)).toEqual([expect.objectContaining({ actor: 'U0EVE', action: 'cancel', outcome: 'refused' })]);
});

test('a cancel racing with completion: the run succeeded first, GitHub answers 409 (logged), the deploy stays succeeded', async () => {
  // Prepare: foxops still shows it running, GitHub has it finished; its webhook is on the way
  h = await restartWithLogs();
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.setRunState(seeded.runId!, { status: 'completed', conclusion: 'success' });

  // Act: Cancel, its job asks GitHub; then the success arrives, and a late cancelled event for the same attempt
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0DAVE' });
  await h.idle();
  const afterCancel = await stored(seeded);
  await h.webhook('workflow_run', completed(seeded, 'success'));
  await h.idle();
  await h.webhook('workflow_run', completed(seeded, 'cancelled'));
  await h.idle();

  // Assess
  expect(afterCancel).toMatchObject({ status: 'running', cancelRequestedBy: 'U0DAVE' });
  expect(cancelCalls(seeded.runId!)).toHaveLength(1);
  expect(h.logs.take('cancel.run_already_completed')).toEqual([expect.objectContaining({ answer: 'completed', runId: seeded.runId })]);
  expect(await stored(seeded)).toMatchObject({ status: 'succeeded', cancelRequestedBy: 'U0DAVE' });
  expect(h.github.runs.get(seeded.runId!)).toMatchObject({ conclusion: 'success' });
  expect(blocksText(cardOf(seeded))).toContain('Succeeded');
});

test('a cancel that did not take effect is force-cancelled once by the reconciler', async () => {
  // Prepare: GitHub takes the cancel but the run keeps going (a stuck runner)
  const seeded = await seedDeploy(h, { status: 'running' });
  h.github.failNext({ method: 'POST', pathIncludes: '/cancel', status: 202 });
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0DAVE' });
  await h.idle();

  // Act: three minutes later, two reconciler passes
  h.clock.now = new Date(h.clock.now.getTime() + 3 * 60_000);
  for (let pass = 0; pass < 2; pass++) {
    await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    await h.idle();
  }

  // Assess
  const calls = cancelCalls(seeded.runId!).map((c) => c.path.split('/').at(-1));
  expect(calls).toEqual(['cancel', 'force-cancel']);
  expect((await stored(seeded)).cancelForcedAt).toBeDefined();
});

/** A harness whose info lines are captured (for `logs.take`), replacing the current one. */
async function restartWithLogs(): Promise<Harness> {
  await h.close();
  const next = await startHarness({ cardSpacingMs: 20, logLevel: 'info' });
  next.github.pushCommits(REPO, 'main', 2);
  return next;
}

test('a Cancel pressed before foxops knew the run (no run id from the dispatch) reaches GitHub once the run is linked', async () => {
  // Prepare: dispatched on a server that returned no run id: the request follows no run yet
  const seeded = await seedDeploy(h, { status: 'dispatched', run: 'unlinked', requester: 'U0DAVE' });
  expect((await stored(seeded)).run?.id).toBeUndefined();

  // Act: Cancel (nothing to ask GitHub yet), then the run's first webhook links it by its run name
  await h.click(ACTION_IDS.cancel, seeded.request.id, { user: 'U0DAVE' });
  await h.idle();
  const before = cancelCalls(seeded.runId!).length;
  h.logs.take('cancel.nothing_to_cancel');
  await h.webhook('workflow_run', workflowRunEvent('in_progress', { repo: REPO, runId: seeded.runId!, title: seeded.title }));
  await h.idle();

  // Assess: one plain cancel, as soon as the run is known (no waiting for the reconciler's force-cancel)
  expect(before).toBe(0);
  expect(cancelCalls(seeded.runId!).map((c) => c.path.split('/').at(-1))).toEqual(['cancel']);
  expect(await stored(seeded)).toMatchObject({ run: { id: seeded.runId }, cancelRequestedBy: 'U0DAVE' });
});
