/**
 * The `audit_export` job: reads the audit trail once, page by page, into a CSV and a JSON Lines file in a temporary
 * folder, hands both to the person in a direct message, and removes the folder whatever happens. A redelivered job
 * reads the same fixed period again; the job key keeps a retried command from queueing a second export.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { DeployContext } from '../deploys/context.js';
import type { AuditExportJob, ExportFile } from '../domain/ports.js';
import { type ExportFormat, exportFileStem, writeAuditExport } from './export.js';

/** Runs `job`: both files, then the direct message. */
export async function runAuditExport(ctx: DeployContext, job: AuditExportJob): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'foxops-audit-'));
  try {
    const stem = exportFileStem(job);
    const outputs = (['csv', 'jsonl'] as ExportFormat[]).map((format) => {
      const file = path.join(dir, `${stem}.${format}`);
      return { format, path: file, name: path.basename(file), out: createWriteStream(file) };
    });
    let count: number;
    try {
      count = await writeAuditExport(ctx.audit.read({ environments: job.environments, since: new Date(job.since), until: new Date(job.until) }), outputs);
      for (const { out } of outputs) out.end();
      await Promise.all(outputs.map(({ out }) => finished(out)));
    } catch (err) {
      for (const { out } of outputs) out.destroy();
      throw err;
    }
    const files: ExportFile[] = await Promise.all(
      outputs.map(async ({ format, path: file, name }) => ({ format, path: file, name, bytes: (await stat(file)).size })),
    );
    const summary = { environments: job.environments, since: job.since, until: job.until, count };
    await (await ctx.files()).sendAuditExport(job.userId, summary, files);
    ctx.logger.info('audit.exported', { user: job.userId, environments: job.environments, since: job.since, until: job.until, count });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
