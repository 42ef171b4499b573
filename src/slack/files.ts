/**
 * Files with Slack's external upload: `files.getUploadURLExternal` for each file (name and length), a POST of the
 * file's bytes to the URL it returns, with a known length, then one `files.completeUploadExternal` that shares them.
 * The audit export's files are streamed from disk into a direct message with a comment (the words come from
 * blocks/audit.ts); an image held in memory (the alarm graph) is shared as a reply in a channel thread.
 */
import { createReadStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WebClient } from '@slack/web-api';
import { FileRefusedError } from '../domain/errors.js';
import type { AlarmGraphImage, AuditExportSummary, ExportFile, FileDelivery } from '../domain/ports.js';
import type { Logger } from '../log.js';
import { alarmGraphFile } from './blocks/alarm-graph.js';
import { auditExportComment } from './blocks/audit.js';

/** How long one file's upload may take before it is given up (the job is retried). */
const UPLOAD_TIMEOUT_MS = 60_000;

/**
 * Slack's error codes for a refusal that trying again does not change: the app's scopes, its membership of the
 * channel, the channel itself. Anything else (rate limits, 5xx, network) may pass.
 */
const REFUSALS = new Set([
  'missing_scope',
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'not_allowed_token_type',
  'restricted_action',
  'access_denied',
]);

/**
 * POSTs the file to Slack's upload URL as the raw body with its length: streamed from `file.path`, or the bytes of
 * `file.content`. Throws unless Slack answers 200.
 */
export async function postFile(
  url: string,
  file: Pick<ExportFile, 'name' | 'bytes'> & ({ path: string } | { content: Uint8Array }),
  timeoutMs = UPLOAD_TIMEOUT_MS,
): Promise<void> {
  const target = new URL(url);
  const request = (target.protocol === 'http:' ? http : https).request(target, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) },
  });
  request.setTimeout(timeoutMs, () => request.destroy(new Error(`the upload of ${file.name} took longer than ${timeoutMs} ms`)));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  // Awaited below; a failure that also ends the pipeline must not surface twice as an unhandled rejection.
  answered.catch(() => undefined);
  await pipeline('content' in file ? Readable.from([file.content]) : createReadStream(file.path), request);
  const response = await answered;
  response.resume();
  if (response.statusCode !== 200) throw new Error(`Slack refused the upload of ${file.name}: HTTP ${response.statusCode}`);
}

/** {@link FileDelivery} over the Slack Web API. */
export class SlackFileDelivery implements FileDelivery {
  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  /** {@inheritDoc FileDelivery.sendAuditExport} Empty files are left out (Slack takes no empty upload). */
  async sendAuditExport(userId: string, summary: AuditExportSummary, files: ExportFile[]): Promise<void> {
    const opened = await this.client.conversations.open({ users: userId });
    const channel = opened.channel?.id;
    if (!channel) throw new Error(`conversations.open gave no channel for ${userId}`);
    const uploaded: Array<{ id: string; title: string }> = [];
    for (const file of files.filter((f) => f.bytes > 0)) {
      const { upload_url: uploadUrl, file_id: id } = await this.client.files.getUploadURLExternal({ filename: file.name, length: file.bytes });
      if (!uploadUrl || !id) throw new Error(`files.getUploadURLExternal gave no upload URL for ${file.name}`);
      await postFile(uploadUrl, file);
      uploaded.push({ id, title: file.name });
    }
    const [first, ...rest] = uploaded;
    if (!first) throw new Error('an audit export without a file to send');
    await this.client.files.completeUploadExternal({ files: [first, ...rest], channel_id: channel, initial_comment: auditExportComment(summary) });
    this.logger.info('audit.export_sent', { user: userId, channel, files: uploaded.map((f) => f.id), count: summary.count });
  }

  /** {@inheritDoc FileDelivery.shareAlarmGraph} */
  async shareAlarmGraph(channel: string, threadTs: string, graph: AlarmGraphImage): Promise<string> {
    return this.shareInThread(channel, threadTs, { ...alarmGraphFile(graph), content: graph.png });
  }

  /**
   * Uploads `file` from memory as a reply in the thread of `threadTs` in `channel` (the same three steps as the
   * audit export, with `thread_ts` at the end); returns the file id. A refusal that does not pass is a {@link FileRefusedError}.
   */
  async shareInThread(channel: string, threadTs: string, file: { name: string; title?: string; altText?: string; content: Uint8Array }): Promise<string> {
    // The step that failed, for the refusal: the scope is asked for at the first call, the thread at the last.
    let step = 'files.getUploadURLExternal';
    try {
      const bytes = file.content.byteLength;
      const { upload_url: uploadUrl, file_id: id } = await this.client.files.getUploadURLExternal({
        filename: file.name,
        length: bytes,
        ...(file.altText ? { alt_text: file.altText } : {}),
      });
      if (!uploadUrl || !id) throw new Error(`files.getUploadURLExternal gave no upload URL for ${file.name}`);
      step = 'upload';
      await postFile(uploadUrl, { name: file.name, bytes, content: file.content });
      step = 'files.completeUploadExternal';
      await this.client.files.completeUploadExternal({
        files: [{ id, ...(file.title ? { title: file.title } : {}) }],
        channel_id: channel,
        thread_ts: threadTs,
      });
      this.logger.debug('slack.file_shared', { channel, threadTs, file: id, bytes });
      return id;
    } catch (err) {
      const code = (err as { code?: string; data?: { error?: string } })?.data?.error;
      if ((err as { code?: string })?.code === 'slack_webapi_platform_error' && code && REFUSALS.has(code)) throw new FileRefusedError(code, step);
      throw err;
    }
  }
}
