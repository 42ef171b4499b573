/** Block Kit for the delivery numbers: App Home's "Delivery, last 30 days" section and `/deploy status --stats`. Pure. */
import type { KnownBlock } from '@slack/types';
import type { DeliveryStats } from '../../domain/delivery.js';
import { formatDuration } from '../../domain/duration.js';
import type { DeliveryRow } from '../../deploys/delivery.js';
import { escapeText } from './text.js';

/** The most blocks Slack takes in a message (a view takes 100). */
export const MESSAGE_MAX_BLOCKS = 50;

/** Deploys a day with two significant digits at most: `0.27`, `1.5`, `12`. */
function perDay(n: number): string {
  const digits = n >= 10 ? 0 : n >= 1 ? 1 : 2;
  return String(Number(n.toFixed(digits)));
}

/** A rate as a whole percentage; a rate above zero never shows as `0%`. */
function percent(rate: number): string {
  const p = Math.round(rate * 100);
  return p === 0 && rate > 0 ? '<1%' : `${p}%`;
}

/** One environment's numbers in a line, without markup: `8 deploys, 0.27 a day · lead time 2h (median of 7) · …`. */
export function deliverySummary(stats: DeliveryStats): string {
  const { deploys, leadTime, changeFailure, timeToRestore } = stats;
  if (changeFailure.total === 0) return `no deploys in ${stats.days} days`;
  const parts = [`${deploys} ${deploys === 1 ? 'deploy' : 'deploys'}, ${perDay(stats.deploysPerDay)} a day`];
  if (leadTime) {
    const p90 = leadTime.p90 !== undefined ? `, p90 ${formatDuration(leadTime.p90)}` : '';
    parts.push(`lead time ${formatDuration(leadTime.median)} (median of ${leadTime.count}${p90})`);
  } else if (deploys > 0) parts.push('lead time not recorded');
  parts.push(`change failure ${percent(changeFailure.rate ?? 0)} (${changeFailure.failed} of ${changeFailure.total})`);
  if (timeToRestore) parts.push(`time to restore ${formatDuration(timeToRestore.median)} (median of ${timeToRestore.count})`);
  else if (changeFailure.failed > 0) parts.push('no success since the last failure');
  return parts.join(' · ');
}

/** The rows grouped by service, in their order. */
function byService(rows: readonly DeliveryRow[]): Array<{ service: string; rows: DeliveryRow[] }> {
  const groups = new Map<string, DeliveryRow[]>();
  for (const row of rows) groups.set(row.service, [...(groups.get(row.service) ?? []), row]);
  return [...groups].map(([service, mine]) => ({ service, rows: mine }));
}

/**
 * A header and one section per service (a line per environment), in at most `maxBlocks` blocks: when the services do
 * not fit, the first ones are shown and a last line says how many were left out and how to ask for one.
 */
export function deliveryBlocks(rows: readonly DeliveryRow[], days: number, maxBlocks: number = MESSAGE_MAX_BLOCKS): KnownBlock[] {
  if (maxBlocks < 2) return [];
  const services = byService(rows);
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `Delivery, last ${days} days` } }];
  if (services.length === 0) return [...blocks, { type: 'section', text: { type: 'mrkdwn', text: 'No services configured.' } }];
  const fits = services.length + 1 <= maxBlocks;
  const shown = fits ? services : services.slice(0, maxBlocks - 2);
  for (const s of shown) {
    const lines = s.rows.map((r) => `*${escapeText(r.environment)}*: ${deliverySummary(r.stats)}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${escapeText(s.service)}*\n${lines.join('\n')}`.slice(0, 2900) } });
  }
  if (!fits) {
    const left = services.length - shown.length;
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${left} more ${left === 1 ? 'service' : 'services'} not shown: \`/deploy status <service> --stats\` shows one.` }],
    });
  }
  return blocks;
}

/** The `/deploy status --stats` answer: fallback text and blocks. */
export function deliveryMessage(rows: readonly DeliveryRow[], days: number): [string, KnownBlock[]] {
  const text = rows.map((r) => `${r.service} ${r.environment}: ${deliverySummary(r.stats)}`).join('; ');
  return [`Delivery, last ${days} days: ${text || 'no services configured'}`.slice(0, 3000), deliveryBlocks(rows, days, MESSAGE_MAX_BLOCKS)];
}
