/**
 * Deploy cards in Slack: post once, then edit in place from the stored request.
 */
import type { WebClient } from '@slack/web-api';
import type { RequestRepository } from '../domain/ports.js';
import { type DeployRequest, isFinal } from '../domain/request.js';
import type { CardPublisher, RefreshOptions } from '../deploys/context.js';
import type { Logger } from '../log.js';
import { deployCard, type SlackMessage } from './blocks/deploy-card.js';

/** {@link CardPublisher} over the Slack Web API. */
export class SlackCardPublisher implements CardPublisher {
  constructor(
    private readonly client: WebClient,
    private readonly requests: RequestRepository,
    private readonly logger: Logger,
  ) {}

  /** {@inheritDoc CardPublisher.post} */
  async post(request: DeployRequest): Promise<string> {
    const message = deployCard(request);
    const result = await this.client.chat.postMessage({ channel: request.channel, ...message, unfurl_links: false, unfurl_media: false });
    this.logger.info('card.posted', { requestId: request.id, channel: request.channel, ts: result.ts });
    return result.ts!;
  }

  /** {@inheritDoc CardPublisher.refresh} */
  async refresh(requestId: string, options: RefreshOptions = {}): Promise<void> {
    // Writers race: render, then check that nobody stored a newer version meanwhile; if so render again.
    // The last writer to finish therefore always leaves the newest state on the card. Coalesced edits
    // (`insist: 'final'`) only go again for a final state: newer progress has its own edit on the way.
    let rendered = -1;
    for (let i = 0; i < 5; i++) {
      const request = await this.requests.get(requestId);
      if (!request?.cardTs || request.version === rendered) return;
      if (i > 0 && options.insist === 'final' && !isFinal(request.status)) return;
      await this.client.chat.update({ channel: request.channel, ts: request.cardTs, ...deployCard(request) });
      rendered = request.version;
    }
  }

  /** {@inheritDoc CardPublisher.whisper} */
  async whisper(channel: string, user: string, text: string): Promise<void> {
    try {
      await this.client.chat.postEphemeral({ channel, user, text });
    } catch (err) {
      // The user may have left the channel; the log keeps what they would have read.
      this.logger.warn('slack.ephemeral_failed', { channel, user, text, err });
    }
  }

  /** {@inheritDoc CardPublisher.reply} */
  async reply(request: DeployRequest, text: string): Promise<void> {
    if (!request.cardTs) return;
    await this.client.chat.postMessage({ channel: request.channel, thread_ts: request.cardTs, text, unfurl_links: false });
  }

  /** {@inheritDoc CardPublisher.announce} */
  async announce(channel: string, message: SlackMessage): Promise<string> {
    const result = await this.client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false });
    return result.ts!;
  }
}
