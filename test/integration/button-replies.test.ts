/**
 * A button's private answer when Slack gave the click no `response_url`: a click in App Home or a modal, or an odd
 * payload. Found by the sandbox's property test: the card buttons threw "respond is not a function" there (an error
 * line). Now the answer is dropped with one warn line. (A click in a message without one is refused earlier, as
 * malformed: src/slack/inbound.ts.)
 */
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ logLevel: 'warn' });
});

afterEach(async () => {
  await h?.close();
});

/** A click of `actionId` carrying `value` in App Home, as Slack sends one: no `response_url`, no channel. */
function clickInAppHome(actionId: string, value: string): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0FOXY', domain: 'foxy' },
    user: { id: 'U0ALICE', username: 'alice', team_id: 'T0FOXY' },
    api_app_id: 'A0FOXOPS',
    token: 'legacy',
    trigger_id: 'trigger-no-response-url',
    container: { type: 'view', view_id: 'V0HOME' },
    view: { id: 'V0HOME', type: 'home', blocks: [] },
    actions: [{ action_id: actionId, block_id: `deploy_actions:${value}`, type: 'button', value, action_ts: '1700000000.1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('a button click without a response_url', () => {
  it.each(['deploy_approve', 'deploy_reject', 'alarm_rollback'])('%s from App Home says nothing, with one warn line, and never throws', async (actionId) => {
    // Act
    const result = await h.slackRequest(clickInAppHome(actionId, 'd-0123456789'));
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(200);
    expect(h.logs.take('slack.no_reply_path')).toEqual([expect.objectContaining({ level: 'warn', user: 'U0ALICE', container: 'view' })]);
    h.logs.take('card.action_mismatch');
    h.logs.take('alarm.rollback_refused');
    expect(h.logs.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(h.slack.callsTo('chat.postEphemeral')).toEqual([]);
  });
});
