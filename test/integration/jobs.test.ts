/**
 * Durable jobs through the real handler: every job is an outbox item that the (fake) table stream delivers to the
 * handler. A job delivered twice does its work once; a job whose delivery failed is delivered again; a job whose
 * runner died is run again once its lease ran out (by the stream, or by the reconciler's sweep); and the two crash
 * points that matter most leave nothing lost and nothing done twice.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StreamRecord } from '../fakes/index.js';
import { DynamoJobOutbox } from '../../src/store/job-outbox.js';
import { cardCalls, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { deployIdFrom, REPO, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.github.pushCommits(REPO, 'main', 2);
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
/** The outbox as the handler sees it, straight on dynalite. */
function outbox(): DynamoJobOutbox {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: h.stream.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return new DynamoJobOutbox(client, h.env.FOXOPS_TABLE!);
}
/** The stream records of the jobs whose key starts with `prefix`. */
const recordsOf = (prefix: string): StreamRecord[] => h.stream.records.filter((r) => r.dynamodb.Keys.PK?.S?.startsWith(`JOB#${prefix}`));
/** The stream record of a new request's own item: its prepare job. */
const requestRecordsOf = (id: string): StreamRecord[] => h.stream.records.filter((r) => r.dynamodb.Keys.PK?.S === `REQ#${id}`);
/** Delivers every record again, as the stream does after a crash; returns what the handler reported failed. */
async function redeliver(records: StreamRecord[]): Promise<unknown[]> {
  const failures = [];
  for (const record of records) failures.push(...((await h.stream.redeliver(record))?.batchItemFailures ?? []));
  await h.idle();
  return failures;
}
const approve = async (id: string, user: string) => h.click('deploy_approve', id, { user });

describe('each job type delivered twice does its work once', () => {
  test("prepare: one card and one audit entry, whether the request's own item or its job item comes again", async () => {
    // Prepare
    const id = deployIdFrom(await h.command('prod'));
    await h.idle();
    const posts = h.slack.callsTo('chat.postMessage').length;

    // Act
    const failures = await redeliver([...requestRecordsOf(id), ...recordsOf(`prepare:${id}`)]);

    // Assess
    expect(requestRecordsOf(id)).toHaveLength(1);
    expect(recordsOf(`prepare:${id}`)).toHaveLength(1);
    expect(failures).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(posts);
    expect(posts).toBe(1);
    expect((await h.store.audit.list(id)).filter((e) => e.action === 'request')).toHaveLength(1);
  });

  test('dispatch and card edits: one workflow run, no extra edit', async () => {
    // Prepare
    const id = deployIdFrom(await h.command('prod'));
    await h.idle();
    await approve(id, 'U0ALICE');
    await approve(id, 'U0BOB');
    await h.idle();
    const edits = h.slack.callsTo('chat.update').length;

    // Act
    const failures = await redeliver([...recordsOf(`dispatch:${id}`), ...recordsOf(`card:${id}`)]);

    // Assess
    expect(failures).toEqual([]);
    expect(recordsOf(`dispatch:${id}`)).toHaveLength(1);
    expect(h.github.dispatches).toHaveLength(1);
    expect(h.slack.callsTo('chat.update')).toHaveLength(edits);
    expect((await h.store.requests.get(id))!.status).toBe('dispatched');
  });

  test('notice: one thread reply, even when GitHub sends the event twice', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'running' });
    const done = workflowRunEvent('completed', { repo: REPO, runId: seeded.runId!, title: seeded.title, conclusion: 'success' });
    await h.webhook('workflow_run', done);
    await h.webhook('workflow_run', done);
    await h.idle();

    // Act
    const failures = await redeliver(recordsOf(`notice:${seeded.request.id}`));

    // Assess
    expect(failures).toEqual([]);
    const replies = cardCalls(h.slack, seeded.request).filter((c) => c.method === 'chat.postMessage');
    expect(replies.map((c) => String(c.args.text))).toEqual([expect.stringContaining('succeeded')]);
  });

  test('alarm: one post, even when SNS delivers the notification twice', async () => {
    // Prepare
    const sns = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
    await h.handler(sns);
    await h.handler(sns);
    await h.idle();

    // Act
    const failures = await redeliver(recordsOf('alarm:'));

    // Assess
    expect(failures).toEqual([]);
    expect(recordsOf('alarm:')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('a delivery that fails or dies', () => {
  test('a job that failed is delivered again by the stream and finishes', async () => {
    // Prepare: Slack refuses the first card post (a failure the job cannot handle itself)
    h.slack.failNext('chat.postMessage', { error: 'internal_error' });

    // Act
    const id = deployIdFrom(await h.command('prod'));
    await h.idle();

    // Assess: the retry found the SHA pinned and posted the card (what a crash after the pin write leaves too)
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({ status: 'awaiting_approval', cardTs: expect.any(String) });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(h.stream.failed).toEqual([]);
  });

  test('a prepare killed after pinning the SHA, before the card was posted, posts the card once its lease runs out (the sweep)', async () => {
    // Prepare: the delivery of the new request queued its job leased to itself (as queueAndRun does), pinned the
    // SHA and died holding the lease (Slack never got the post)
    h.stream.pause();
    const id = deployIdFrom(await h.command('prod'));
    const key = `prepare:${id}`;
    await outbox().add(key, { type: 'prepare', requestId: id }, h.clock.now, 60_000);
    const pinned = { ...(await h.store.requests.get(id))!, status: 'awaiting_approval' as const, sha: h.github.headOf(REPO, 'main'), commits: [] };
    await h.store.requests.save(pinned, pinned.version);

    // Act 1: the stream delivers the request's item again, and the job's own item: both find the job held by its
    // runner, which is the one to finish it; nothing is parked in the dead-letter queue
    h.stream.resume();
    await h.idle();
    const postsWhileHeld = h.slack.callsTo('chat.postMessage').length;
    // Act 2: minutes later the reconciler's sweep runs the job, whose lease has run out
    later(6 * MINUTE);
    await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    await h.idle();

    // Assess
    expect(postsWhileHeld).toBe(0);
    expect(h.stream.failed).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect((await h.store.requests.get(id))!.cardTs).toEqual(expect.any(String));
    expect(h.logs.take('job.swept')).toEqual([]); // at `warn`, below the captured level
  });

  test('a dispatch killed after GitHub started the run, before foxops recorded it, follows that run and sends nothing', async () => {
    // Prepare: the request is claimed (`dispatching`) and GitHub has the run, but foxops never learnt its id
    const seeded = await seedDeploy(h, { status: 'dispatching', run: 'unlinked' });
    later(2 * MINUTE);

    // Act: the dispatch job is delivered again
    await h.handler({ foxopsJob: { type: 'dispatch', requestId: seeded.request.id, version: 99 } });
    await h.idle();

    // Assess
    expect(h.github.dispatches).toHaveLength(1);
    const request = await h.store.requests.get(seeded.request.id);
    expect(request).toMatchObject({ status: 'queued', run: { id: seeded.runId } });
  });

  test('a job that keeps failing is buried after its starts, and the operator is told', async () => {
    // Prepare: an alarm job whose post Slack refuses every time
    h.slack.failNext('chat.postMessage', { error: 'internal_error', times: 50 });
    const sns = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));
    await h.handler(sns);
    await h.idle();

    // Act: reconcile passes, minutes apart, until the sweep gives up
    for (let pass = 0; pass < 5; pass++) {
      later(6 * MINUTE);
      await h.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
      await h.idle();
    }

    // Assess
    expect(h.logs.take('job.buried')).toEqual([expect.objectContaining({ level: 'error', type: 'alarm', attempts: 6 })]);
    expect(await outbox().stale(new Date(h.clock.now.getTime() + MINUTE), 10)).toEqual([]);
  });
});
