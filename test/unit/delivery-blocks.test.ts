/** The delivery numbers in Slack's words: one line per environment, one block per service, within Slack's block limits. Pure. */
import type { DeliveryStats } from '../../src/domain/delivery.js';
import type { DeliveryRow } from '../../src/deploys/delivery.js';
import { deliveryBlocks, deliveryMessage, deliverySummary } from '../../src/slack/blocks/delivery.js';
import { blocksText } from '../support/blocks.js';

const MINUTE = 60_000;
const NONE: DeliveryStats = { days: 30, deploys: 0, deploysPerDay: 0, changeFailure: { failed: 0, total: 0 } };
const BUSY: DeliveryStats = {
  days: 30,
  deploys: 7,
  deploysPerDay: 7 / 30,
  leadTime: { median: 65 * MINUTE, p90: 180 * MINUTE, count: 12 },
  changeFailure: { failed: 1, total: 8, rate: 1 / 8 },
  timeToRestore: { median: 25 * MINUTE, count: 1 },
};
const row = (service: string, environment: string, stats: DeliveryStats): DeliveryRow => ({ service, environment, stats });

describe('deliverySummary', () => {
  it('says deploys a day, lead time, change failure with its counts and time to restore', () => {
    // Act
    const line = deliverySummary(BUSY);

    // Assess
    expect(line).toBe('7 deploys, 0.23 a day · lead time 1h 5m (median of 12, p90 3h) · change failure 13% (1 of 8) · time to restore 25m (median of 1)');
  });

  it('says so when nothing was deployed', () => {
    // Act and assess
    expect(deliverySummary(NONE)).toBe('no deploys in 30 days');
  });

  it('says what is not known rather than showing nothing: no request times, no success since a failure, a rate under 1%', () => {
    // Prepare
    const stats: DeliveryStats = { days: 30, deploys: 300, deploysPerDay: 10, changeFailure: { failed: 1, total: 301, rate: 1 / 301 } };

    // Act
    const line = deliverySummary(stats);

    // Assess
    expect(line).toBe('300 deploys, 10 a day · lead time not recorded · change failure <1% (1 of 301) · no success since the last failure');
  });
});

describe('deliveryBlocks', () => {
  it('gives a header and one section per service with a line per environment', () => {
    // Prepare
    const rows = [row('foxy-backend', 'staging', NONE), row('foxy-backend', 'production', BUSY), row('foxy-web', 'staging', NONE)];

    // Act
    const blocks = deliveryBlocks(rows, 30);

    // Assess
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Delivery, last 30 days' } });
    expect(blocksText({ blocks: [blocks[1]] })).toBe(`\n*foxy-backend*\n*staging*: no deploys in 30 days\n*production*: ${deliverySummary(BUSY)}`);
    expect(blocksText({ blocks: [blocks[2]] })).toBe('\n*foxy-web*\n*staging*: no deploys in 30 days');
  });

  it('shows the services that fit in the blocks left and says how many were left out', () => {
    // Prepare: 60 services, 10 blocks to fill.
    const rows = Array.from({ length: 60 }, (_, n) => row(`svc-${n}`, 'production', NONE));

    // Act
    const blocks = deliveryBlocks(rows, 30, 10);

    // Assess: the header, 8 services, the note.
    expect(blocks).toHaveLength(10);
    const text = blocksText({ blocks });
    expect(text).toContain('*svc-7*');
    expect(text).not.toContain('*svc-8*');
    expect(text).toContain('52 more services not shown: `/deploy status <service> --stats` shows one.');
  });

  it('shows every service when they fit exactly, and nothing when not even the header and the note would', () => {
    // Prepare
    const rows = Array.from({ length: 9 }, (_, n) => row(`svc-${n}`, 'production', NONE));

    // Act and assess
    expect(deliveryBlocks(rows, 30, 10)).toHaveLength(10);
    expect(blocksText({ blocks: deliveryBlocks(rows, 30, 10) })).not.toContain('not shown');
    expect(deliveryBlocks(rows, 30, 1)).toEqual([]);
  });
});

describe('deliveryMessage', () => {
  it('has a fallback text with every row and at most 50 blocks', () => {
    // Prepare
    const rows = Array.from({ length: 80 }, (_, n) => row(`svc-${n}`, 'production', n === 0 ? BUSY : NONE));

    // Act
    const [text, blocks] = deliveryMessage(rows.slice(0, 2), 30);
    const [, many] = deliveryMessage(rows, 30);

    // Assess
    expect(text).toBe(`Delivery, last 30 days: svc-0 production: ${deliverySummary(BUSY)}; svc-1 production: no deploys in 30 days`);
    expect(blocks).toHaveLength(3);
    expect(many).toHaveLength(50);
  });
});
