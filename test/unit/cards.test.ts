/**
 * How hard a card refresh insists, with the store and Slack replaced by stand-ins that record what they see:
 * a coalesced edit renders once unless a final state appears meanwhile; a plain refresh chases the newest version.
 * And what `tell` posts in a channel: a lock notice as it is, a break-glass notice from the request as stored.
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

describe('SlackCardPublisher.tell', () => {
  /** A Slack client that records the messages posted, each with its ts. */
  function postingSlack(): { client: WebClient; posts: Array<{ channel: string; text: string; blocks: unknown[] }> } {
    const posts: Array<{ channel: string; text: string; blocks: unknown[] }> = [];
    const client = {
      chat: {
        postMessage: async (args: { channel: string; text: string; blocks: unknown[] }) => (posts.push(args), { ts: `1700000000.00020${posts.length}` }),
      },
    } as unknown as WebClient;
    return { client, posts };
  }

  it('posts a lock notice in the channel and returns its ts', async () => {
    // Prepare
    const slack = postingSlack();
    const cards = new SlackCardPublisher(slack.client, { get: async () => undefined } as unknown as RequestRepository, memoryLogger());
    const lock = { environment: 'production', owner: 'U0DAVE', reason: 'DB migration', at: '2030-01-01T10:00:00.000Z' };

    // Act
    const ts = await cards.tell('C0PROD', { kind: 'lock_taken', lock, renewed: false });

    // Assess
    expect(ts).toBe('1700000000.000201');
    expect(slack.posts).toEqual([
      expect.objectContaining({ channel: 'C0PROD', text: ':lock: <@U0DAVE> locked *production* (all services) until unlocked: DB migration' }),
    ]);
  });

  it('words a break-glass notice from the request as stored now', async () => {
    // Prepare
    const slack = postingSlack();
    const stored: DeployRequest = {
      ...productionRequest({ now: NOW }),
      status: 'awaiting_approval',
      sha: '3f786850e387550fdab836ed7e6dc881de23001b',
      breakGlass: { reason: 'checkout is down', duringFreeze: true },
    };
    const asked: string[] = [];
    const requests = { get: async (id: string) => (asked.push(id), stored) } as unknown as RequestRepository;
    const cards = new SlackCardPublisher(slack.client, requests, memoryLogger());

    // Act
    await cards.tell('C0AUDIT', { kind: 'break_glass', requestId: 'd-0123456789', stage: 'requested' });

    // Assess
    expect(asked).toEqual(['d-0123456789']);
    expect(slack.posts[0]).toMatchObject({
      channel: 'C0AUDIT',
      text: ':rotating_light: *BREAK-GLASS*: <@U0CAROL> asks to deploy `3f78685` of *foxy-backend* to *production* during a freeze: checkout is down',
    });
  });

  it('logs a break-glass notice whose request is gone, and still posts its id', async () => {
    // Prepare
    const slack = postingSlack();
    const logger = memoryLogger();
    const cards = new SlackCardPublisher(slack.client, { get: async () => undefined } as unknown as RequestRepository, logger);

    // Act
    await cards.tell('C0AUDIT', { kind: 'break_glass', requestId: 'd-0123456789', stage: 'approved' });

    // Assess
    expect(slack.posts[0]!.text).toBe(':rotating_light: *BREAK-GLASS* approved: deploy `d-0123456789`.');
    expect(logger.lines.some((l) => l.event === 'notice.request_missing')).toBe(true);
  });
});
