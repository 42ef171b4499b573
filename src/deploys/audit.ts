/** Audit entries about a request: its id, environment and service come from the request, the rest from the caller. */
import type { AuditEntry } from '../domain/ports.js';
import type { DeployRequest } from '../domain/request.js';
import type { DeployContext } from './context.js';

/** What the caller says about a decision on a request; `at` defaults to the context's clock. */
export type RequestAudit = Pick<AuditEntry, 'actor' | 'action' | 'outcome' | 'detail'> & { at?: string };

/**
 * Records an audit entry about `request`, with its id, environment and service, so that the entry is found both
 * with the request and in its environment's export.
 */
export function auditRequest(
  ctx: DeployContext,
  request: Pick<DeployRequest, 'id' | 'environment' | 'service'>,
  audit: RequestAudit,
  options?: { once?: string },
): Promise<void> {
  const { at, detail, ...rest } = audit;
  return ctx.audit.record(
    {
      requestId: request.id,
      environment: request.environment,
      service: request.service,
      at: at ?? ctx.now().toISOString(),
      ...rest,
      ...(detail !== undefined ? { detail } : {}),
    },
    options,
  );
}

/**
 * The audit entry of a request being made, from the request as stored: who asked (foxops itself for an automatic
 * rollback), and what, e.g. `foxy-backend main to production`. Written by the prepare job, `once`, at the
 * request's own time (the ack stores the request alone).
 */
export function requestedAudit(request: DeployRequest): RequestAudit {
  const auto = request.kind === 'rollback' && request.rollback?.auto === true;
  const target = request.rollback?.target;
  const what =
    request.kind === 'rollback'
      ? `rollback${target ? ` to ${target}` : ''} in`
      : request.kind === 'promote'
        ? `promotion from ${request.promotion?.from ?? '?'} to`
        : `${request.ref} to`;
  return {
    at: request.createdAt,
    actor: auto ? 'foxops' : request.requester,
    action: auto ? 'auto_rollback' : 'request',
    outcome: 'ok',
    detail: `${request.service} ${what} ${request.environment}${auto && request.rollback?.reason ? `: ${request.rollback.reason}` : ''}`,
  };
}
