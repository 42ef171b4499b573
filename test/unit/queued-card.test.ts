/**
 * The deploy card of a request the environment holds back (`queued_behind`: the deploy ahead, a lock, a freeze) and
 * of a break-glass request: what it waits for, what happens next, and which buttons are left. Pure, fixed clock.
 */
import type { FreezePeriod } from '../../src/domain/freeze.js';
import type { Lock } from '../../src/domain/lock.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { deployCard, type SlackMessage } from '../../src/slack/blocks/deploy-card.js';
import { blocksText } from '../support/blocks.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const date = (epoch: number, iso: string) => `<!date^${epoch}^{date_short_pretty} {time}|${iso}>`;
const WAITING_SINCE = `Waiting since ${date(1893499200, '2030-01-01T12:00:00.000Z')}.`;
const approvals = [
  { userId: 'U0ALICE', at: '2030-01-01T11:58:00.000Z' },
  { userId: 'U0BOB', at: '2030-01-01T11:59:00.000Z' },
];

/** The production request of foxy-backend, approved and pinned to SHA, in `status`. */
function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return { ...productionRequest({ now: NOW }), status, sha: SHA, approvals, ...overrides };
}

/** The card's status line: its last context block. */
function statusLine(card: SlackMessage): string {
  const last = card.blocks.filter((b) => b.type === 'context').at(-1);
  return blocksText({ blocks: last ? [last] : [] }).trim();
}

const buttons = (card: SlackMessage) =>
  card.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as Array<{ action_id: string; value: string; text: { text: string } }>) : []));

describe('deployCard: queued behind', () => {
  it('names the deploy it waits for and says it ships by itself when that ends', () => {
    // Prepare
    const r = request('queued_behind', { hold: { code: 'busy', requestId: 'd-aaaaaaaaaa', status: 'running', since: NOW.toISOString() } });

    // Act
    const card = deployCard(r);

    // Assess
    expect(statusLine(card)).toBe(`:double_vertical_bar: *Queued behind* deploy \`d-aaaaaaaaaa\`: ships by itself when it ends. ${WAITING_SINCE}`);
    expect(card.text).toBe('Deploy foxy-backend 3f78685 to production: queued behind');
  });

  it('says whose lock holds it, why and until when, and whom to ask', () => {
    // Prepare
    const lock: Lock = {
      environment: 'production',
      owner: 'U0DAVE',
      reason: 'DB migration',
      at: '2030-01-01T10:00:00.000Z',
      until: '2030-01-01T14:00:00.000Z',
    };
    const r = request('queued_behind', { hold: { code: 'locked', lock, since: NOW.toISOString() } });

    // Act
    const line = statusLine(deployCard(r));

    // Assess
    expect(line).toBe(
      `:lock: *Held by a lock*: *production* (all services) is locked by <@U0DAVE> since ${date(1893492000, '2030-01-01T10:00:00.000Z')}, ` +
        `until ${date(1893506400, '2030-01-01T14:00:00.000Z')}: DB migration. ` +
        `Ships by itself once the lock ends or is lifted; to ship sooner, ask <@U0DAVE> or an approver to \`/deploy unlock production\`. ${WAITING_SINCE}`,
    );
  });

  it('names the freeze that holds it and its end, in its zone and in local time', () => {
    // Prepare
    const freeze: FreezePeriod = {
      reason: 'weekend',
      start: '2030-01-04T16:00:00.000Z',
      end: '2030-01-07T07:00:00.000Z',
      timeZone: 'Europe/Berlin',
      recurring: true,
    };
    const r = request('queued_behind', { hold: { code: 'frozen', freeze, since: NOW.toISOString() } });

    // Act
    const line = statusLine(deployCard(r));

    // Assess
    expect(line).toBe(
      ':snowflake: *Held by a freeze*: *weekend*, Fri 2030-01-04 17:00 to Mon 2030-01-07 08:00 Europe/Berlin ' +
        `(${date(1893772800, '2030-01-04T16:00:00.000Z')} to ${date(1893999600, '2030-01-07T07:00:00.000Z')} your time). ` +
        `Ships by itself when it ends. ${WAITING_SINCE}`,
    );
  });

  it('still says it ships by itself when no hold is stored', () => {
    // Act
    const line = statusLine(deployCard(request('queued_behind')));

    // Assess
    expect(line).toBe(':double_vertical_bar: *Queued*: waiting for the environment to be free; ships by itself then.');
  });

  it('keeps only the Reject button, for withdrawing or rejecting it', () => {
    // Act
    const card = deployCard(request('queued_behind', { hold: { code: 'busy', requestId: 'd-aaaaaaaaaa', status: 'running', since: NOW.toISOString() } }));

    // Assess
    expect(buttons(card)).toEqual([
      expect.objectContaining({ action_id: ACTION_IDS.reject, value: 'd-0123456789', text: expect.objectContaining({ text: 'Reject' }) }),
    ]);
  });

  it('escapes a lock reason so that it cannot mention anyone', () => {
    // Prepare
    const lock: Lock = { environment: 'production', owner: 'U0DAVE', reason: '<!channel> hold on', at: '2030-01-01T10:00:00.000Z' };

    // Act
    const words = blocksText(deployCard(request('queued_behind', { hold: { code: 'locked', lock, since: NOW.toISOString() } })));

    // Assess
    expect(words).not.toContain('<!channel>');
  });
});

describe('deployCard: break-glass', () => {
  const breakGlass = { reason: 'checkout is down <!here>', duringFreeze: true as const };

  it('marks the card as break-glass at the top, with its reason and the approvals it needs', () => {
    // Act
    const card = deployCard(request('awaiting_approval', { approvals: [], breakGlass }));

    // Assess
    const [title, mark] = card.blocks.map((b) => blocksText({ blocks: [b] }).trim());
    expect(title).toBe(':rotating_light: *BREAK-GLASS* :fox_face: Deploy *foxy-backend* to *production*');
    expect(mark).toBe(
      ':rotating_light: *Break-glass during a freeze*: checkout is down &lt;!here&gt;\n' +
        'Needs 2 approvals from the break-glass approvers of *production*, not the usual approvers.',
    );
    expect(card.text).toBe('BREAK-GLASS: Deploy foxy-backend 3f78685 to production: awaiting approval');
  });

  it('says what is approved in the confirmation of Approve', () => {
    // Act
    const card = deployCard(request('awaiting_approval', { approvals: [], breakGlass }));

    // Assess
    const approve = card.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as Array<{ confirm?: { text: { text: string } } }>) : []))[0]!;
    expect(approve.confirm!.text.text).toBe(
      'You approve a *break-glass* deploy, during a freeze, of *foxy-backend* `3f78685` to *production*. That exact commit ships, even if `main` moves.',
    );
  });

  it('keeps the mark and reason once approved, without asking for approvals any more', () => {
    // Act
    const words = blocksText(deployCard(request('running', { breakGlass })));

    // Assess
    expect(words).toContain(':rotating_light: *Break-glass during a freeze*: checkout is down &lt;!here&gt;');
    expect(words).not.toContain('Needs 2 approvals');
  });

  it('says "past the pre-flight checks" rather than "during a freeze" when no freeze was in force', () => {
    // Act
    const card = deployCard(request('awaiting_approval', { approvals: [], breakGlass: { reason: 'hotfix from a branch' } }));

    // Assess
    const words = blocksText(card);
    expect(words).toContain(':rotating_light: *Break-glass past the pre-flight checks, no freeze in force*: hotfix from a branch');
    expect(words).not.toContain('during a freeze');
    const approve = card.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as Array<{ confirm?: { text: { text: string } } }>) : []))[0]!;
    expect(approve.confirm!.text.text).toContain('You approve a *break-glass* deploy, past its pre-flight checks, of *foxy-backend*');
  });

  it('has no mark on an ordinary deploy', () => {
    // Act
    const words = blocksText(deployCard(request('awaiting_approval')));

    // Assess
    expect(words).not.toMatch(/break-glass/i);
  });
});
