/**
 * The conversation in Slack: deploy cards (posted once, then edited in place from the stored request), private
 * notes, thread replies, alarm posts and notices about an environment (locks, break-glass). The use cases hand over
 * outcomes; the words and blocks are chosen here.
 */
import type { WebClient } from '@slack/web-api';
import type { AlarmReport } from '../domain/alarm.js';
import type { AlarmView } from '../domain/alarm-episode.js';
import type { CardPublisher, ChannelNotice, DirectMessage, RefreshOptions, RequestRepository, Whisper } from '../domain/ports.js';
import { type DeployRequest, isFinal } from '../domain/request.js';
import type { RunNotice } from '../domain/run-events.js';
import type { Logger } from '../log.js';
import { alarmMessage } from './blocks/alarm.js';
import { alarmViewMessage } from './blocks/alarm-episode.js';
import { channelNoticeMessage } from './blocks/channel-notice.js';
import { deployCard } from './blocks/deploy-card.js';
import { directMessageText } from './blocks/direct-message.js';
import { runNoticeText, whisperText } from './blocks/run-notice.js';

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
  async whisper(message: Whisper): Promise<void> {
    const { channel, requester: user } = message.request;
    const text = whisperText(message);
    try {
      await this.client.chat.postEphemeral({ channel, user, text });
    } catch (err) {
      // The user may have left the channel; the log keeps what they would have read.
      this.logger.warn('slack.ephemeral_failed', { channel, user, text, err });
    }
  }

  /** {@inheritDoc CardPublisher.reply} */
  async reply(request: DeployRequest, notice: RunNotice): Promise<void> {
    if (!request.cardTs) return;
    const text = runNoticeText(request, notice);
    try {
      await this.client.chat.postMessage({ channel: request.channel, thread_ts: request.cardTs, text, unfurl_links: false });
    } catch (err) {
      // The log keeps what people would have read; the caller decides whether to try again.
      this.logger.warn('slack.reply_failed', { requestId: request.id, notice, channel: request.channel, text });
      throw err;
    }
  }

  /** {@inheritDoc CardPublisher.announce} */
  async announce(channel: string, report: AlarmReport): Promise<string> {
    const message = alarmMessage(report);
    const result = await this.client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false });
    return result.ts!;
  }

  /** {@inheritDoc CardPublisher.postAlarm} */
  async postAlarm(channel: string, view: AlarmView): Promise<string> {
    const result = await this.client.chat.postMessage({ channel, ...alarmViewMessage(view), unfurl_links: false, unfurl_media: false });
    return result.ts!;
  }

  /** {@inheritDoc CardPublisher.alarmReply} */
  async alarmReply(channel: string, threadTs: string, view: AlarmView): Promise<string> {
    const result = await this.client.chat.postMessage({ channel, thread_ts: threadTs, ...alarmViewMessage(view), unfurl_links: false, unfurl_media: false });
    return result.ts!;
  }

  /** {@inheritDoc CardPublisher.reviseAlarm} */
  async reviseAlarm(channel: string, ts: string, view: AlarmView): Promise<void> {
    await this.client.chat.update({ channel, ts, ...alarmViewMessage(view) });
  }

  /** {@inheritDoc CardPublisher.tell} */
  async tell(channel: string, notice: ChannelNotice): Promise<string> {
    // A break-glass or auto-rollback notice is worded from the request as stored now, like the card, so both say the same.
    const aboutRequest = notice.kind === 'break_glass' || notice.kind === 'auto_rollback';
    const request = aboutRequest ? await this.requests.get(notice.requestId) : undefined;
    if (aboutRequest && !request) this.logger.warn('notice.request_missing', { requestId: notice.requestId, channel });
    const message = channelNoticeMessage(notice, request);
    const result = await this.client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false });
    this.logger.info('notice.posted', { kind: notice.kind, channel, ts: result.ts });
    return result.ts!;
  }

  /** {@inheritDoc CardPublisher.dm} */
  async dm(userId: string, message: DirectMessage): Promise<void> {
    const opened = await this.client.conversations.open({ users: userId });
    const channel = opened.channel?.id;
    if (!channel) throw new Error(`Slack opened no direct message with ${userId}`);
    await this.client.chat.postMessage({ channel, text: directMessageText(message), unfurl_links: false, unfurl_media: false });
    this.logger.info('dm.posted', { kind: message.kind, user: userId, requestId: message.request.id });
  }
}
