/**
 * How hard a card refresh insists, with the store and Slack replaced by stand-ins that record what they see:
 * a coalesced edit renders once unless a final state appears meanwhile; a plain refresh chases the newest version.
 */
import { productionRequest } from '../support/requests.js';
import type { WebClient } from '@slack/web-api';
import type { RequestRepository } from '../../src/domain/ports.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { memoryLogger } from '../../src/log.js';
import { SlackCardPublisher } from '../../src/slack/cards.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');

/** A store whose request changes under the refresh: each read returns the next of `statuses`, one version newer. */
function changingStore(statuses: RequestStatus[]): RequestRepository {
  const base = productionRequest({ requester: 'U0DAVE', requiredApprovals: 0, ttlMs: 60_000, now: NOW });
  let reads = 0;
  const read = (): DeployRequest => {
    const i = Math.min(reads++, statuses.length - 1);
    return { ...base, status: statuses[i]!, cardTs: '1700000000.000100', version: i + 1 };
  };
  return { get: async () => read() } as unknown as RequestRepository;
}

function recordingSlack(): { client: WebClient; updates: string[] } {
  const updates: string[] = [];
  const client = { chat: { update: async (args: { text: string }) => void updates.push(args.text) } } as unknown as WebClient;
  return { client, updates };
}

describe('SlackCardPublisher.refresh', () => {
  it('renders a coalesced edit once while progress keeps coming', async () => {
    // Prepare
    const slack = recordingSlack();
    const cards = new SlackCardPublisher(slack.client, changingStore(['running', 'running', 'running', 'running']), memoryLogger());

    // Act
    await cards.refresh('d-0123456789', { insist: 'final' });

    // Assess
    expect(slack.updates).toEqual(['Deploy foxy-backend … to production: running']);
  });

  it('renders a coalesced edit again when the run ended meanwhile', async () => {
    // Prepare
    const slack = recordingSlack();
    const cards = new SlackCardPublisher(slack.client, changingStore(['running', 'succeeded']), memoryLogger());

    // Act
    await cards.refresh('d-0123456789', { insist: 'final' });

    // Assess
    expect(slack.updates).toEqual(['Deploy foxy-backend … to production: running', 'Deploy foxy-backend … to production: succeeded']);
  });

  it('chases the newest version by default, at most five times', async () => {
    // Prepare
    const slack = recordingSlack();
    const cards = new SlackCardPublisher(
      slack.client,
      changingStore(['approved', 'dispatching', 'dispatched', 'queued', 'running', 'running', 'running']),
      memoryLogger(),
    );

    // Act
    await cards.refresh('d-0123456789');

    // Assess
    expect(slack.updates).toHaveLength(5);
    expect(slack.updates.at(-1)).toBe('Deploy foxy-backend … to production: running');
  });
});
