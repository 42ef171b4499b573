/**
 * Files in a direct message, with Slack's external upload: `files.getUploadURLExternal` for each file (name and
 * length), a POST of the file's bytes to the URL it returns, streamed from disk with a known length, then one
 * `files.completeUploadExternal` that shares them all in the DM with a comment. The words come from blocks/audit.ts.
 */
import { createReadStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { WebClient } from '@slack/web-api';
import type { AuditExportSummary, ExportFile, FileDelivery } from '../domain/ports.js';
import type { Logger } from '../log.js';
import { auditExportComment } from './blocks/audit.js';

/** How long one file's upload may take before it is given up (the job is retried). */
const UPLOAD_TIMEOUT_MS = 60_000;

/** POSTs the file at `file.path` to Slack's upload URL as the raw body, streamed, with its length; throws unless Slack answers 200. */
export async function postFile(url: string, file: Pick<ExportFile, 'path' | 'name' | 'bytes'>, timeoutMs = UPLOAD_TIMEOUT_MS): Promise<void> {
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
  await pipeline(createReadStream(file.path), request);
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
}
