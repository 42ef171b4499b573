/**
 * The status and history answers within Slack's limits (src/slack/blocks/status.ts): whole lines only, never one cut
 * in the middle of a link or a code span, whole services only, and a line saying what was left out and how to see it.
 */
import type { DeploymentRecord } from '../../src/domain/ports.js';
import type { ServiceStatus } from '../../src/deploys/status.js';
import { historyMessage, MESSAGE_MAX_BLOCKS, statusBlocks, statusMessage, wholeLines } from '../../src/slack/blocks/status.js';
import { blocksText } from '../support/blocks.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');

describe('wholeLines', () => {
  it('keeps every line that fits, and says how many more there are', () => {
    // Act
    const text = wholeLines(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)], 'ask for fewer', 100);

    // Assess
    expect(text).toBe(`${'a'.repeat(40)}\n_…and 2 more: ask for fewer_`);
  });

  it('keeps them all, with no note, when they fit', () => {
    expect(wholeLines(['one', 'two'], 'never shown', 100)).toBe('one\ntwo');
  });
});

describe('statusMessage', () => {
  it('stays within a message’s 50 blocks with whole services, and says how many are not shown', () => {
    // Prepare: 14 services in 4 environments: 70 blocks in all
    const services: ServiceStatus[] = Array.from({ length: 14 }, (_, i) => ({
      service: `svc-${i}`,
      environments: ['dev', 'qa', 'staging', 'production'].map((environment) => ({ environment, inFlight: [], waiting: [], locks: [] })),
    }));

    // Act
    const [, blocks] = statusMessage(services, NOW);

    // Assess: 9 whole services (45 blocks) and the note
    expect(blocks.length).toBeLessThanOrEqual(MESSAGE_MAX_BLOCKS);
    expect(blocks.filter((b) => b.type === 'header')).toHaveLength(9);
    expect(blocksText({ blocks: blocks.slice(-1) })).toContain('5 more service(s) not shown: ask for one with `/deploy status [env] <service>`.');
    // App Home's view takes 100: all of them
    expect(statusBlocks(services, NOW).filter((b) => b.type === 'header')).toHaveLength(14);
  });
});

describe('historyMessage', () => {
  it('shows whole lines only: no link cut in the middle, and a note of what did not fit', () => {
    // Prepare: 50 deploys with links, more than one section holds
    const entries: DeploymentRecord[] = Array.from({ length: 50 }, (_, i) => ({
      service: 'foxy-backend',
      environment: 'production',
      sha: String(i).padStart(4, '0').repeat(10),
      shaUrl: `https://github.com/foxy-org/foxy-backend/commit/${String(i).padStart(4, '0').repeat(10)}`,
      ref: 'main',
      requestId: `d-${String(i).padStart(10, '0')}`,
      kind: 'deploy',
      requester: 'U0DAVE',
      approvers: ['U0ALICE', 'U0BOB'],
      outcome: 'succeeded',
      runUrl: `https://github.com/foxy-org/foxy-backend/actions/runs/${1000 + i}`,
      startedAt: new Date(NOW.getTime() - (i + 1) * 3_600_000).toISOString(),
      finishedAt: new Date(NOW.getTime() - (i + 1) * 3_600_000 + 240_000).toISOString(),
    }));

    // Act
    const [, blocks] = historyMessage('foxy-backend', 'production', entries);

    // Assess
    const text = blocksText({ blocks: blocks.slice(1) });
    const lines = text.trim().split('\n');
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(lines.at(-1)).toMatch(/^_…and \d+ more: older ones are in the audit trail/);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/deploy `d-\d{10}`$/);
  });
});
