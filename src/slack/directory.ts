/**
 * User-group membership from Slack, cached briefly: policies name groups like `S0RELEASE`
 * and membership changes rarely within a minute.
 */
import type { WebClient } from '@slack/web-api';
import type { Directory } from '../domain/ports.js';
import type { Logger } from '../log.js';

/** {@link Directory} over `usergroups.users.list`. */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { users: Set<string>; until: number }>();

  /** `client` is asked for on the first lookup only (see `ContextParts.slackClient`). */
  constructor(
    private readonly client: () => WebClient,
    private readonly logger: Logger,
    private readonly ttlMs = 60_000,
  ) {}

  private async members(groupId: string): Promise<Set<string>> {
    const hit = this.cache.get(groupId);
    if (hit && hit.until > Date.now()) return hit.users;
    try {
      const client = this.client();
      const result = await client.usergroups.users.list({ usergroup: groupId });
      const users = new Set(result.users ?? []);
      this.cache.set(groupId, { users, until: Date.now() + this.ttlMs });
      return users;
    } catch (err) {
      // Fail closed: nobody is a member of a group we cannot read. The log says why.
      this.logger.error('slack.usergroup_unreadable', { groupId, err, fix: 'the bot needs the usergroups:read scope and the group must exist' });
      return new Set();
    }
  }

  /** {@inheritDoc Directory.groupsOf} */
  async groupsOf(userId: string, groupIds: string[]): Promise<string[]> {
    const memberships = await Promise.all(groupIds.map(async (g) => ((await this.members(g)).has(userId) ? g : undefined)));
    return memberships.filter((g): g is string => g !== undefined);
  }
}
