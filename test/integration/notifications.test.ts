/**
 * Fewer, better notifications, through the real Lambda handler: an environment's `notify:` decides which thread
 * replies go under its cards (the card itself always follows), and a failed run sends its requester and approvers a
 * direct message, which each may turn off (and on again) with the App Home button; the choice is stored in the table.
 */
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, REPO, type Harness, startHarness, TEST_CONFIG } from '../support/harness.js';

let h: Harness;

const repliesTo = (seeded: Seeded) => [...h.slack.messages.values()].filter((m) => m.thread_ts === seeded.request.cardTs).map((m) => m.text ?? '');
const dmsTo = (userId: string) => [...h.slack.messages.values()].filter((m) => m.channel === h.slack.dmChannel(userId)).map((m) => m.text ?? '');
const runEvent = (seeded: Seeded, action: 'in_progress' | 'completed', conclusion?: string) =>
  workflowRunEvent(action, { repo: REPO, runId: seeded.runId!, title: seeded.title, ...(conclusion ? { conclusion } : {}) });

/** `notify: <level>` under production in the test config. */
const withNotify = (level: string) => TEST_CONFIG.replace('    run_timeout: 60m\n', `    run_timeout: 60m\n    notify: ${level}\n`);

async function start(config?: string): Promise<void> {
  h = await startHarness({ cardSpacingMs: 20, ...(config ? { config } : {}) });
  h.github.pushCommits(REPO, 'main', 2);
}

/** A seeded deploy runs and ends with `conclusion`. */
async function runTo(conclusion: string): Promise<Seeded> {
  const seeded = await seedDeploy(h, { status: 'queued', requester: 'U0DAVE', approvers: ['U0ALICE', 'U0BOB'] });
  await h.webhook('workflow_run', runEvent(seeded, 'in_progress'));
  await h.idle();
  await h.webhook('workflow_run', runEvent(seeded, 'completed', conclusion));
  await h.idle();
  return seeded;
}

/** Opens App Home as `user`. */
async function openHome(user: string): Promise<string> {
  const event = {
    token: 'legacy',
    team_id: 'T0FOXY',
    api_app_id: 'A0FOXOPS',
    type: 'event_callback',
    event_id: `Ev0HOME${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: h.slack.dmChannel(user), tab: 'home', event_ts: String(Date.now() / 1000) },
  };
  const published = h.slack.callsTo('views.publish').length;
  await h.slackRequest(JSON.stringify(event), { contentType: 'application/json' });
  await waitFor(() => h.slack.callsTo('views.publish').length > published);
  return homeText(user);
}

const homeText = (user: string) => blocksText({ blocks: (h.slack.homeViews.get(user) as { blocks: unknown[] }).blocks });

/** Clicks the App Home failure-DM button as `user`, with the value the button carries. */
async function toggle(user: string, value: string): Promise<void> {
  const published = h.slack.callsTo('views.publish').length;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0FOXY', domain: 'foxy' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0FOXY' },
    api_app_id: 'A0FOXOPS',
    token: 'legacy',
    container: { type: 'view', view_id: 'V0HOME' },
    trigger_id: `trigger-home-${Math.random()}`,
    view: { id: 'V0HOME', type: 'home', team_id: 'T0FOXY', blocks: [], hash: 'h' },
    actions: [{ action_id: ACTION_IDS.homeFailureDm, block_id: 'home_notifications', type: 'button', value, action_ts: String(Date.now() / 1000) }],
  };
  await h.slackRequest(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  await waitFor(() => h.slack.callsTo('views.publish').length > published);
}

async function waitFor(done: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(async () => {
  await h.close();
});

describe('notify per environment', () => {
  test('by default (`all`), started and the outcome are replied in the thread', async () => {
    await start();
    const seeded = await runTo('success');
    expect(repliesTo(seeded)).toHaveLength(2);
  });

  test('`failures`: a success is not replied, a failure is; the card follows both', async () => {
    await start(withNotify('failures'));

    const ok = await runTo('success');
    const bad = await runTo('failure');

    expect(repliesTo(ok)).toEqual([]);
    expect(blocksText(h.slack.message('C0PROD', ok.request.cardTs!))).toContain('Succeeded');
    expect(repliesTo(bad)).toHaveLength(1);
    expect(blocksText(h.slack.message('C0PROD', bad.request.cardTs!))).toContain('Failed');
  });

  test('`none`: no thread replies at all, the card still ends failed', async () => {
    await start(withNotify('none'));

    const bad = await runTo('failure');

    expect(repliesTo(bad)).toEqual([]);
    expect(blocksText(h.slack.message('C0PROD', bad.request.cardTs!))).toContain('Failed');
  });
});

describe('the failure DM', () => {
  test('a failed run sends one DM each to the requester and the approvers; a success sends none', async () => {
    await start();

    await runTo('success');
    const bad = await runTo('failure');

    for (const user of ['U0DAVE', 'U0ALICE', 'U0BOB']) {
      expect(dmsTo(user)).toEqual([expect.stringContaining(`(deploy \`${bad.request.id}\`) failed`)]);
    }
    expect(dmsTo('U0CAROL')).toEqual([]);
  });

  test('App Home shows the choice; its button turns the DM off (stored) and on again', async () => {
    await start();
    expect(await openHome('U0ALICE')).toContain('Failure messages: on');

    // Act: Alice turns it off
    await toggle('U0ALICE', 'off');
    const off = homeText('U0ALICE');
    const stored = await h.store.preferences.get('U0ALICE');
    const first = await runTo('failure');

    // Assess: stored, shown, and no DM to Alice, the others still get theirs
    expect(stored).toEqual({ failureDm: false });
    expect(off).toContain('Failure messages: off');
    expect(dmsTo('U0ALICE')).toEqual([]);
    expect(dmsTo('U0DAVE')).toEqual([expect.stringContaining(first.request.id)]);

    // Act: and on again
    await toggle('U0ALICE', 'on');
    const second = await runTo('timed_out');

    expect(await h.store.preferences.get('U0ALICE')).toEqual({ failureDm: true });
    expect(homeText('U0ALICE')).toContain('Failure messages: on');
    expect(dmsTo('U0ALICE')).toEqual([expect.stringContaining(`(deploy \`${second.request.id}\`) timed out`)]);
  });

  test('a forged toggle value changes nothing', async () => {
    await start();

    const payloadValue = 'maybe';
    await h.slackRequest(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          team: { id: 'T0FOXY', domain: 'foxy' },
          user: { id: 'U0ALICE', username: 'u0alice', team_id: 'T0FOXY' },
          api_app_id: 'A0FOXOPS',
          token: 'legacy',
          container: { type: 'view', view_id: 'V0HOME' },
          trigger_id: 'trigger-home-forged',
          view: { id: 'V0HOME', type: 'home', team_id: 'T0FOXY', blocks: [], hash: 'h' },
          actions: [{ action_id: ACTION_IDS.homeFailureDm, block_id: 'home_notifications', type: 'button', value: payloadValue, action_ts: '1' }],
        }),
      }).toString(),
    );

    expect(await h.store.preferences.get('U0ALICE')).toEqual({});
  });
});
