/**
 * The delivery numbers through the real Lambda handler: deploys that GitHub's webhooks carried to their end are
 * counted by `/deploy status <env> --stats` and in the App Home tab's "Delivery, last 30 days" section.
 */
import { seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, REPO, type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20 });
  h.github.pushCommits(REPO, 'main', 3);
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const answer = (result: { body: string }) => JSON.parse(result.body) as { text: string; blocks?: unknown[]; response_type: string };

/** A production deploy requested now that GitHub reports running, then ended with `conclusion` `minutes` later. */
async function deployThrough(conclusion: 'success' | 'failure', minutes: number): Promise<void> {
  const seeded = await seedDeploy(h);
  const run = { repo: REPO, runId: seeded.runId!, title: seeded.title };
  await h.webhook('workflow_run', workflowRunEvent('in_progress', run));
  later(minutes * MINUTE);
  await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion }));
  await h.idle();
}

/** Production of foxy-backend: a deploy that failed after 2 minutes, then one requested then that succeeded 5 minutes later. */
async function failThenSucceed(): Promise<void> {
  await deployThrough('failure', 2);
  h.github.pushCommits(REPO, 'main', 1);
  await deployThrough('success', 5);
}

const PRODUCTION_LINE = '*production*: 1 deploy, 0.03 a day · lead time 5m (median of 1) · change failure 50% (1 of 2) · time to restore 5m (median of 1)';

test('`/deploy status production --stats` answers with the delivery numbers of production', async () => {
  // Prepare
  await failThenSucceed();

  // Act
  const result = answer(await h.command('status production --stats'));

  // Assess
  expect(result.response_type).toBe('ephemeral');
  const text = blocksText({ blocks: result.blocks });
  expect(text).toContain('Delivery, last 30 days');
  expect(text).toContain(`*foxy-backend*\n${PRODUCTION_LINE}`);
  expect(text).not.toContain('*staging*');
  expect(result.text).toBe(`Delivery, last 30 days: foxy-backend production: ${PRODUCTION_LINE.replace('*production*: ', '')}`);
});

test('`/deploy status --stats` covers every environment, and says so where nothing was deployed', async () => {
  // Prepare
  await failThenSucceed();

  // Act
  const result = answer(await h.command('status --stats'));

  // Assess
  expect(blocksText({ blocks: result.blocks })).toContain(`*foxy-backend*\n*staging*: no deploys in 30 days\n${PRODUCTION_LINE}`);
});

test('the App Home tab shows the delivery numbers after the status', async () => {
  // Prepare
  await failThenSucceed();
  const event = {
    token: 'legacy',
    team_id: 'T0FOXY',
    api_app_id: 'A0FOXOPS',
    type: 'event_callback',
    event_id: 'Ev0HOMESTATS',
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: 'U0DAVE', channel: 'D0DAVE', tab: 'home', event_ts: String(Date.now() / 1000) },
  };

  // Act
  await h.slackRequest(JSON.stringify(event), { contentType: 'application/json' });
  await h.slack.waitForCall('views.publish');

  // Assess
  const home = blocksText({ blocks: (h.slack.homeViews.get('U0DAVE') as { blocks: unknown[] }).blocks });
  expect(home.indexOf('Delivery, last 30 days')).toBeGreaterThan(home.indexOf('*production*: <https://github.com/'));
  expect(home).toContain(PRODUCTION_LINE);
});
