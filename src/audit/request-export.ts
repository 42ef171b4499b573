/**
 * `/deploy audit [env] [since <duration>]`: checks who asks (an environment's approvers and `auditors`, by user or
 * user group), fixes the period, audits the ask and queues the export job. Runs inside Slack's 3-second ack: one
 * directory read at most, and two or three writes.
 */
import { createHash } from 'node:crypto';
import type { DeployContext } from '../deploys/context.js';
import { type AuditRefusal, auditReaderGroups, exportableEnvironments } from '../domain/audit.js';
import { environmentNamed } from '../domain/catalog.js';

/** Who asks for which environment's trail (all they may read when absent), over how long, and Slack's id for the ask. */
export interface AuditExportAsk {
  userId: string;
  environment?: string;
  /** How far back from now. */
  sinceMs: number;
  /** Slack's trigger id: unique per command, identical on Slack's retries. */
  triggerId: string;
}

/** What the command answers: the export is on its way (its environments and period), or why not. */
export type AuditExportOutcome =
  | { kind: 'queued'; environments: string[]; since: string; until: string; duplicate: boolean }
  | { kind: 'refused'; refusal: AuditRefusal };

/** The job key of the export asked for by a Slack trigger: a retried command queues nothing new. */
export function auditExportKey(triggerId: string): string {
  return createHash('sha256').update(`slack-trigger:${triggerId}`).digest('hex').slice(0, 24);
}

/** Checks the ask, audits it (refused or not) and queues the export of the environments the person may read. */
export async function requestAuditExport(ctx: DeployContext, ask: AuditExportAsk): Promise<AuditExportOutcome> {
  const asked = ask.environment ? [environmentNamed(ctx.catalog, ask.environment)] : ctx.catalog.environments;
  const groups = auditReaderGroups(asked);
  const actor = { userId: ask.userId, groups: groups.length ? await ctx.directory.groupsOf(ask.userId, groups) : [] };
  const verdict = exportableEnvironments(asked, actor);
  const now = ctx.now();
  const at = now.toISOString();
  if ('refusal' in verdict) {
    ctx.logger.info('audit.export_refused', { user: ask.userId, environment: ask.environment });
    await ctx.audit.record({
      ...(ask.environment ? { environment: ask.environment } : {}),
      at,
      actor: ask.userId,
      action: 'audit_export',
      outcome: 'refused',
      detail: JSON.stringify(verdict.refusal),
    });
    return { kind: 'refused', refusal: verdict.refusal };
  }
  const { environments } = verdict;
  const since = new Date(now.getTime() - ask.sinceMs).toISOString();
  const queued = await ctx.jobs.enqueue({ type: 'audit_export', userId: ask.userId, environments, since, until: at, key: auditExportKey(ask.triggerId) });
  // Each environment's trail says who took it away, and which period; a retried command adds nothing.
  if (queued) {
    const detail = JSON.stringify({ since, until: at });
    await Promise.all(
      environments.map((environment) => ctx.audit.record({ environment, at, actor: ask.userId, action: 'audit_export', outcome: 'ok', detail })),
    );
    ctx.logger.info('audit.export_queued', { user: ask.userId, environments, since, until: at });
  }
  return { kind: 'queued', environments, since, until: at, duplicate: !queued };
}
