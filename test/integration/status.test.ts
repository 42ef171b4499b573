/**
 * What runs where: deploys that GitHub's webhooks carried to their end are read back by `/deploy status`,
 * `/deploy history` and the App Home tab, through the real Lambda handler.
 */
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, deployIdFrom, REPO, type Harness, startHarness } from '../support/harness.js';

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

/** A seeded deploy that GitHub reports running, then ended with `conclusion` after `minutes`. */
async function deployThrough(conclusion: 'success' | 'failure', minutes: number, options: { requester?: string } = {}): Promise<Seeded> {
  const seeded = await seedDeploy(h, options);
  const run = { repo: REPO, runId: seeded.runId!, title: seeded.title };
  await h.webhook('workflow_run', workflowRunEvent('in_progress', run));
  later(minutes * MINUTE);
  await h.webhook('workflow_run', workflowRunEvent('completed', { ...run, conclusion }));
  await h.idle();
  return seeded;
}

describe('after deploys through GitHub', () => {
  let failed: Seeded;
  let succeeded: Seeded;
  let running: Seeded;
  let waitingId: string;

  beforeEach(async () => {
    failed = await deployThrough('failure', 2, { requester: 'U0ERIN' });
    h.github.pushCommits(REPO, 'main', 1);
    succeeded = await deployThrough('success', 5);
    later(60 * MINUTE);
    h.github.pushCommits(REPO, 'main', 1);
    running = await seedDeploy(h, { status: 'running', requester: 'U0FRANK' });
    waitingId = deployIdFrom(await h.command('prod', { user: 'U0GRACE' }));
    await h.idle();
  });

  test('`/deploy status` says per environment what runs, since when, by whom, and what is running and waiting', async () => {
    // Act
    const result = answer(await h.command('status'));

    // Assess
    const text = blocksText({ blocks: result.blocks });
    const sha = succeeded.request.sha!;
    expect(result.response_type).toBe('ephemeral');
    expect(result.text).toContain(`production ${sha.slice(0, 7)}`);
    expect(text).toContain(
      `*production*: <https://github.com/${REPO}/commit/${sha}|\`${sha.slice(0, 7)}\`> (\`main\`) deployed 1h ago by <@U0DAVE>, ` +
        `approved by <@U0ALICE>, <@U0BOB>, <https://github.com/${REPO}/actions/runs/${succeeded.runId}|run>, deploy \`${succeeded.request.id}\``,
    );
    expect(text).toContain(
      `:arrows_counterclockwise: <https://github.com/${REPO}/commit/${running.request.sha}|\`${running.request.sha!.slice(0, 7)}\`> ` +
        `running (<https://github.com/${REPO}/actions/runs/${running.runId}|run>), requested by <@U0FRANK>, deploy \`${running.request.id}\``,
    );
    expect(text).toMatch(new RegExp(`:hourglass: .* \\(\`main\`\\) waiting for approvals 0 of 2, requested by <@U0GRACE>, deploy \`${waitingId}\``));
    expect(text).toContain('*staging*: nothing deployed through foxops yet');
    expect(text).not.toContain(failed.request.id);
  });

  test('`/deploy status staging` shows only staging (an environment alias too)', async () => {
    // Act
    const named = blocksText({ blocks: answer(await h.command('status staging')).blocks });
    const aliased = blocksText({ blocks: answer(await h.command('status prod')).blocks });

    // Assess
    expect(named).toContain('*staging*: nothing deployed through foxops yet');
    expect(named).not.toContain('*production*');
    expect(aliased).toContain('*production*');
    expect(aliased).not.toContain('*staging*');
  });

  test('`/deploy history production` lists the last deploys with outcome, duration and people, newest first', async () => {
    // Act
    const result = answer(await h.command('history production'));

    // Assess
    const lines = blocksText({ blocks: result.blocks })
      .split('\n')
      .filter((l) => l.includes('deploy `d-'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^:large_green_circle: .* succeeded in 5m <https:\/\/github\.com\/\S+\|run>, by /);
    expect(lines[0]).toContain(`by <@U0DAVE>, approved by <@U0ALICE>, <@U0BOB>, deploy \`${succeeded.request.id}\``);
    expect(lines[1]).toMatch(/^:red_circle: .* failed in 2m <https:\/\/github\.com\/\S+\|run>, by /);
    expect(lines[1]).toContain(`by <@U0ERIN>, approved by <@U0ALICE>, <@U0BOB>, deploy \`${failed.request.id}\``);
  });

  test('`/deploy history production foxy-backend 1` shows only the last one', async () => {
    // Act
    const result = answer(await h.command('history production foxy-backend 1'));

    // Assess
    expect(blocksText({ blocks: result.blocks })).toContain(succeeded.request.id);
    expect(blocksText({ blocks: result.blocks })).not.toContain(failed.request.id);
  });

  test('the App Home tab shows the same status for all services', async () => {
    // Prepare
    const event = {
      token: 'legacy',
      team_id: 'T0FOXY',
      api_app_id: 'A0FOXOPS',
      type: 'event_callback',
      event_id: 'Ev0HOME',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: 'U0DAVE', channel: 'D0DAVE', tab: 'home', event_ts: String(Date.now() / 1000) },
    };

    // Act
    const result = await h.slackRequest(JSON.stringify(event), { contentType: 'application/json' });
    await h.slack.waitForCall('views.publish');

    // Assess
    expect(result.statusCode).toBe(200);
    const home = blocksText({ blocks: (h.slack.homeViews.get('U0DAVE') as { blocks: unknown[] }).blocks });
    expect(home).toContain('foxy-backend');
    expect(home).toContain(`deploy \`${succeeded.request.id}\``);
    expect(home).toContain(`deploy \`${running.request.id}\``);
    expect(home).toContain(`deploy \`${waitingId}\``);
  });
});

test('`/deploy history` of an environment without deploys says so', async () => {
  // Act
  const result = answer(await h.command('history staging'));

  // Assess
  expect(result.text).toBe('No deploys of foxy-backend to staging recorded yet.');
});
