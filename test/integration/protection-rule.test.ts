/**
 * The custom deployment protection rule through the real Lambda handler, foxops authenticated as a GitHub App: the
 * `deployment_protection_rule` delivery queues a job, the job reads the run as the event's installation and answers
 * GitHub's callback `approved` or `rejected` (with why, and how to ask in Slack).
 */
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { pollUntil } from '../fakes/http.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { fixture } from '../support/github-events.js';
import { blocksText, REPO, type Harness, startHarness } from '../support/harness.js';

const INSTALLATION = 4242;
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  // GitHub hands out app keys as PKCS#1 PEM ("BEGIN RSA PRIVATE KEY").
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let h: Harness;
let deliveries = 0;

/** The real payload shape (test/fixtures/github/README.md) for run `runId` of `REPO` waiting on `environment`. */
function protectionRuleEvent(runId: number, environment = 'production', deploymentId = 145988746 + ++deliveries): Record<string, any> {
  const payload = fixture('deployment_protection_rule.requested');
  payload.environment = environment;
  payload.deployment_callback_url = `https://api.github.com/repos/${REPO}/actions/runs/${runId}/deployment_protection_rule`;
  payload.deployment.id = deploymentId;
  payload.deployment.environment = environment;
  payload.repository.full_name = REPO;
  payload.installation.id = INSTALLATION;
  return payload;
}

/** A run GitHub knows but foxops did not dispatch: a copy of `seeded`'s run with another id (and title or SHA). */
function otherRun(seeded: Seeded, change: { title?: string; headSha?: string } = {}): number {
  const original = h.github.runs.get(seeded.runId!)!;
  const id = original.id + 1000;
  h.github.runs.set(id, { ...original, id, jobs: [], displayTitle: change.title ?? original.displayTitle, headSha: change.headSha ?? original.headSha });
  return id;
}

/** Sends the event, lets the job run, and returns GitHub's one new answer for `runId`. */
async function ask(runId: number, environment = 'production') {
  const before = h.github.protectionAnswers.length;
  const result = await h.webhook('deployment_protection_rule', protectionRuleEvent(runId, environment));
  expect(result.statusCode).toBe(200);
  await h.idle();
  const answers = h.github.protectionAnswers.slice(before);
  expect(answers).toHaveLength(1);
  expect(answers[0]!.runId).toBe(runId);
  return answers[0]!;
}

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20, githubApp: { appId: '123456', privateKey, installationId: String(INSTALLATION) } });
  h.github.pushCommits(REPO, 'main', 2);
});
afterEach(async () => {
  await h.close();
});

test('the run foxops dispatched for an approved deploy is approved, as the installation, and the card says enforced', async () => {
  // Prepare
  const seeded = await seedDeploy(h);

  // Act
  const answer = await ask(seeded.runId!);

  // Assess
  expect(answer.body).toMatchObject({ environment_name: 'production', state: 'approved' });
  expect(answer.body.comment).toContain(seeded.request.id);
  const issued = h.github.installationTokens.find((t) => answer.authorization === `token ${t.token}`);
  expect(issued?.installationId).toBe(INSTALLATION);
  // The installation token was asked for with a JWT signed by the app's key (RS256).
  const [header, claims, signature] = issued!.jwt!.split('.');
  expect(createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
  expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({ iss: '123456' });
  const stored = await h.store.requests.get(seeded.request.id);
  expect(stored?.enforcedRun).toMatchObject({ runId: seeded.runId, via: 'protection_rule' });
  await pollUntil(
    () => (blocksText(h.slack.message('C0PROD', seeded.request.cardTs!)).includes(`enforced by GitHub: run ${seeded.runId}`) ? true : undefined),
    3000,
    'the card to say enforced by GitHub',
  );
});

test('a run that names no deploy is rejected, saying how to request the deploy in Slack', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  const byHand = otherRun(seeded, { title: 'Deploy production by hand' });

  // Act
  const answer = await ask(byHand);

  // Assess
  expect(answer.body.state).toBe('rejected');
  expect(answer.body.comment).toContain('names no foxops deploy');
  expect(answer.body.comment).toContain('`/deploy production foxy-backend ');
  expect(answer.body.comment).toContain('https://slack.com/app_redirect?channel=C0PROD');
  expect((await h.store.requests.get(seeded.request.id))?.enforcedRun).toBeUndefined();
  // The channel hears of it
  await h.idle();
  const posts = h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === 'C0PROD')
    .map((c) => String(c.args.text));
  expect(posts.some((t) => t.includes('someone tried to deploy production without approval'))).toBe(true);
});

test('a run at another commit than approved is rejected', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  const [other] = h.github.pushCommits(REPO, 'feature', 1);
  const runId = otherRun(seeded, { headSha: other });

  // Act
  const answer = await ask(runId);

  // Assess
  expect(answer.body.state).toBe('rejected');
  expect(answer.body.comment).toContain(`was approved for commit \`${seeded.request.sha!.slice(0, 12)}\`; this run is at \`${other!.slice(0, 12)}\``);
});

test('a run started by hand on the approved head, whose name says it deploys another commit, is rejected', async () => {
  // Prepare: the same head as approved (so its head SHA matches), but its sha input (in its run name) is older
  const seeded = await seedDeploy(h);
  const older = 'e'.repeat(40);
  const runId = otherRun(seeded, { title: `Deploy production ${older} [${seeded.request.id}]` });

  // Act
  const answer = await ask(runId);

  // Assess
  expect(answer.body.state).toBe('rejected');
  expect(answer.body.comment).toContain(`this run is at \`${older.slice(0, 12)}\``);
  expect((await h.store.requests.get(seeded.request.id))!.enforcedRun).toBeUndefined();
});

test('the approved run waiting on another environment is rejected', async () => {
  // Prepare
  const seeded = await seedDeploy(h);

  // Act
  const answer = await ask(seeded.runId!, 'staging');

  // Assess
  expect(answer.body).toMatchObject({ environment_name: 'staging', state: 'rejected' });
  expect(answer.body.comment).toContain('was approved for `production`, not `staging`');
  expect(answer.body.comment).toContain('https://slack.com/app_redirect?channel=C0STAGING');
});

test('a second run for the same approval is rejected: one approval ships one run', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  const second = otherRun(seeded);

  // Act
  const first = await ask(seeded.runId!);
  const answer = await ask(second);

  // Assess
  expect(first.body.state).toBe('approved');
  expect(answer.body.state).toBe('rejected');
  expect(answer.body.comment).toContain(`used by run ${seeded.runId} already`);
});

test('a re-run (attempt 2) of the approved run is approved again', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  await ask(seeded.runId!);
  h.github.runs.get(seeded.runId!)!.attempt = 2;

  // Act
  const answer = await ask(seeded.runId!);

  // Assess
  expect(answer.body.state).toBe('approved');
  expect(answer.body.comment).toContain(`run ${seeded.runId} (re-run, attempt 2) ships exactly what deploy \`${seeded.request.id}\` approved`);
});

test('a redelivery of the same wait is answered once', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  const payload = protectionRuleEvent(seeded.runId!);

  // Act
  const results = [await h.webhook('deployment_protection_rule', payload), await h.webhook('deployment_protection_rule', payload)];
  await h.idle();

  // Assess
  expect(results.map((r) => JSON.parse(r.body).queued)).toEqual([true, false]);
  expect(h.github.protectionAnswers).toHaveLength(1);
});

test('when GitHub cannot be read, the run is rejected as undecided rather than left waiting', async () => {
  // Prepare
  const seeded = await seedDeploy(h);
  h.github.failNext({ method: 'GET', pathIncludes: `/actions/runs/${seeded.runId}`, status: 502, times: 10 });

  // Act
  const answer = await ask(seeded.runId!);

  // Assess
  expect(answer.body.state).toBe('rejected');
  expect(answer.body.comment).toContain('foxops could not decide in time');
  expect((await h.store.requests.get(seeded.request.id))?.enforcedRun).toBeUndefined();
});

test.each([
  ['no installation', (p: Record<string, any>) => delete p.installation],
  [
    'a callback of another repository',
    (p: Record<string, any>) => (p.deployment_callback_url = 'https://api.github.com/repos/evil/repo/actions/runs/1/deployment_protection_rule'),
  ],
  [
    'a callback that is no run',
    (p: Record<string, any>) => (p.deployment_callback_url = `https://api.github.com/repos/${REPO}/actions/runs/x/deployment_protection_rule`),
  ],
])('a signed event with %s gets 400 and queues nothing', async (_name, spoil) => {
  // Prepare
  const payload = protectionRuleEvent(1);
  spoil(payload);

  // Act
  const result = await h.webhook('deployment_protection_rule', payload);
  await h.idle();

  // Assess
  expect(result.statusCode).toBe(400);
  expect(h.github.protectionAnswers).toHaveLength(0);
});
