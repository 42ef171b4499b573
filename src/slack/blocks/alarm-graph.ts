/** The words that go with the alarm graph in the alarm's thread: its file name, its title and its text for screen readers. */
import { GRAPH_WINDOW_MS } from '../../domain/alarm-graph.js';
import type { AlarmGraphImage } from '../../domain/ports.js';

/** Slack shows the alt text to screen readers only; it takes at most 1000 characters. */
const MAX_ALT_TEXT = 1000;

/** `10:01 UTC`: the graph's times are UTC (the widget's `timezone`), so the words say so. */
const utcTime = (iso: string) => `${iso.slice(11, 16)} UTC`;

/** The file name, title and alt text of `graph`. */
export function alarmGraphFile(graph: AlarmGraphImage): { name: string; title: string; altText: string } {
  const { alarm } = graph;
  const hours = GRAPH_WINDOW_MS / 3_600_000;
  // A file name people can save as is: no spaces or slashes, and the minute of the alarm to tell two graphs apart.
  const stamp = alarm.at.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const name = `${alarm.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80)}-${stamp}.png`;
  const metric = [alarm.metric?.namespace, alarm.metric?.name].filter(Boolean).join(' ');
  const marks = [graph.threshold ? 'the threshold as a horizontal line' : '', graph.deploySha ? `deploy ${graph.deploySha.slice(0, 7)} as a vertical line` : '']
    .filter(Boolean)
    .join(' and ');
  const altText =
    `Graph of ${metric || 'the metric'} of alarm ${alarm.name} over the ${hours} hours before it went off at ${utcTime(alarm.at)}` +
    (marks ? `, with ${marks}.` : '.');
  return { name, title: `${alarm.name}: the ${hours} hours before the alarm (UTC)`, altText: altText.slice(0, MAX_ALT_TEXT) };
}
