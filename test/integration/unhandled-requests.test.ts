/**
 * Signed, well-formed Slack requests that no listener takes: another slash command of the app (an old manifest),
 * a dialog or button foxops does not know. Bolt leaves them unanswered and its receiver answers 404; foxops
 * acknowledges them (200), tells a command's sender what it does answer, and writes one warn line saying what came.
 */
import { UNKNOWN_COMMAND_TEXT } from '../../src/slack/blocks/input-errors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ logLevel: 'warn' });
});

afterEach(async () => {
  await h?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('a request no listener takes', () => {
  it('another slash command gets 200 and an ephemeral answer naming /deploy, with one warn line', async () => {
    // Act
    const result = await h.slackRequest(
      form({ command: '/ship', text: 'prod', user_id: 'U0DAVE', channel_id: 'C0PROD', trigger_id: 't-ship', response_url: h.slack.responseUrl('x') }),
    );
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ response_type: 'ephemeral', text: UNKNOWN_COMMAND_TEXT });
    expect(h.logs.take('slack.unhandled_request')).toEqual([expect.objectContaining({ level: 'warn', kind: 'command', what: '/ship', user: 'U0DAVE' })]);
    expect(await h.store.requests.listActive()).toHaveLength(0);
  });

  it('a dialog submission with an unknown callback id gets an empty 200, with one warn line', async () => {
    // Prepare
    const payload = {
      type: 'view_submission',
      team: { id: 'T0FOXY', domain: 'foxy' },
      user: { id: 'U0ALICE', username: 'alice', team_id: 'T0FOXY' },
      api_app_id: 'A0FOXOPS',
      trigger_id: 'trigger-view',
      view: { id: 'V0OTHER', type: 'modal', callback_id: 'not_a_foxops_view', state: { values: {} }, private_metadata: '' },
    };

    // Act
    const result = await h.slackRequest(form({ payload: JSON.stringify(payload) }));
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(h.logs.take('slack.unhandled_request')).toEqual([
      expect.objectContaining({ level: 'warn', kind: 'view_submission', what: 'not_a_foxops_view', user: 'U0ALICE' }),
    ]);
    expect(h.slack.calls).toHaveLength(0);
  });
});
