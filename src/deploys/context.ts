/**
 * What the deploy use cases need, wired once per process by the entry points.
 * Heavy adapters (GitHub) are behind functions so that paths which do not use them never load them.
 */
import type { KnownBlock } from '@slack/types';
import type { Catalog } from '../domain/catalog.js';
import type { AuditLog, DeploymentLedger, IdempotencyKeys, JobQueue, RequestRepository, SourceControl } from '../domain/ports.js';
import type { DeployRequest } from '../domain/request.js';
import type { Logger } from '../log.js';

/** How hard {@link CardPublisher.refresh} insists on showing the newest version. */
export interface RefreshOptions {
  /**
   * `newest` (default): re-render while writers keep storing newer versions, so the last refresh to finish
   * leaves the newest state. `final`: render once, and again only if a final state was stored meanwhile;
   * for coalesced edits, where every newer write has an edit of its own on the way.
   */
  insist?: 'newest' | 'final';
}

/** Posts and edits deploy cards and tells people things in Slack. */
export interface CardPublisher {
  /** Posts the card for `request` in its channel; returns the message ts. */
  post(request: DeployRequest): Promise<string>;
  /** Re-renders the card from the stored request until Slack shows the newest version (see {@link RefreshOptions}). */
  refresh(requestId: string, options?: RefreshOptions): Promise<void>;
  /** A message only `user` sees, in `channel`. */
  whisper(channel: string, user: string, text: string): Promise<void>;
  /** A threaded reply under the card. */
  reply(request: DeployRequest, text: string): Promise<void>;
  /** A message of its own in `channel` (alarms); returns its ts. */
  announce(channel: string, message: { text: string; blocks: KnownBlock[] }): Promise<string>;
}

/** Slack user-group membership, for policies that name groups. */
export interface Directory {
  /** The groups among `groupIds` that `userId` belongs to. */
  groupsOf(userId: string, groupIds: string[]): Promise<string[]>;
}

/** Everything the deploy use cases need. */
export interface DeployContext {
  catalog: Catalog;
  requests: RequestRepository;
  audit: AuditLog;
  idempotency: IdempotencyKeys;
  ledger: DeploymentLedger;
  jobs: JobQueue;
  cards: CardPublisher;
  directory: Directory;
  /** Loaded on first use: only jobs talk to GitHub. */
  sourceControl: () => Promise<SourceControl>;
  logger: Logger;
  now: () => Date;
  /** Least time between coalesced edits of one card (default 1000 ms, see src/deploys/card-sync.ts). */
  cardUpdateSpacingMs?: number;
}
