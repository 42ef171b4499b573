/**
 * An alarm storm: 1000 CloudWatch state changes over 50 alarms in 60 s of simulated time, each delivered by SNS to
 * the handler (the bundle's, when `npm run bench` passes it), the alarm jobs delivered by the fake table stream as on
 * AWS, against the fake Slack answering 429 with `Retry-After` past one new message a second per channel. Every alarm
 * flips between ALARM and OK every 3 s (so all of them flap), in one channel; a few changes arrive after the next one
 * of the same alarm (late). Reports:
 *  - state changes lost: changes that neither a message nor a thread reply shows once everything is done (target 0);
 *  - Slack calls (posts, edits), new messages, and the 429s Slack answered;
 *  - 429s that reached a user-visible failure: an alarm job parked after its retries, or an error logged (target 0);
 *  - handling time per notification: the SNS invocation, from the event to the alarm job stored (target p99 ≤ 30 ms),
 *    timed in a run of its own with the jobs held back in the stream, as on AWS where they run in other invocations
 *    (as the webhook benchmark does); the storm run's figure, with some 50 jobs, dynalite and the fakes sharing this
 *    process's event loop, is reported beside it;
 *  - how long, in real time, until Slack shows everything (Slack's pace sets it, not foxops).
 */
// First: it turns off the AWS SDK's Node version warning before this process builds an SDK client.
import '../src/aws/client-config.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { createHandler } from '../src/lambda/index.js';
import { type Harness, startHarness } from '../test/support/harness.js';
import type { Percentiles } from './warm.js';

/** What {@link measureAlarmStorm} found. */
export interface AlarmStormBench {
  notifications: number;
  alarms: number;
  simulatedSeconds: number;
  /** Changes delivered after a newer change of the same alarm. */
  late: number;
  /** State changes no message or reply shows at the end (target 0). */
  lost: number;
  slackCalls: number;
  posts: number;
  edits: number;
  /** Messages (not replies) in the channel: alarms with a message of their own, and digests. */
  messages: number;
  digests: number;
  /** 429s the fake Slack answered. */
  rateLimited: number;
  /** 429s (or anything else) that reached people: jobs parked after their retries, error lines (target 0). */
  failures: number;
  /** SNS invocation time per notification (after the first {@link WARMUP}), jobs held back, ms. */
  handling: Percentiles & { max: number };
  /** The same during the storm run, with the jobs running in this process, ms. */
  handlingLive: Percentiles & { max: number };
  /** Real time to deliver the 1000 notifications to the handler, s. */
  fedSeconds: number;
  /** Real time from the first notification until Slack showed everything, s. */
  drainedSeconds: number;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALARMS = 50;
const NOTIFICATIONS = 1000;
const SIMULATED_MS = 60_000;
const T0 = Date.parse('2026-11-28T10:00:00.000Z');
/** Notifications left out of the handling times: the first loads the deploy context, as a cold start would. */
const WARMUP = 10;

function percentiles(values: number[]): Percentiles & { max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1)! };
}

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const nameOf = (alarm: number) => `foxy-backend-production-storm-${String(alarm).padStart(2, '0')}`;

/** One change of the storm: alarm `i % 50`, its `⌊i / 50⌋`th change, at T0 + i · 60 ms. */
function changeOf(i: number) {
  const alarm = i % ALARMS;
  return { name: nameOf(alarm), state: Math.floor(i / ALARMS) % 2 === 0 ? 'ALARM' : 'OK', at: new Date(T0 + (i * SIMULATED_MS) / NOTIFICATIONS).toISOString() };
}

/** The delivery order: in time order, except that now and then a change comes after the same alarm's next one. */
function deliveryOrder(): number[] {
  const order = Array.from({ length: NOTIFICATIONS }, (_, i) => i);
  for (let i = 13; i + ALARMS < NOTIFICATIONS; i += 97) [order[i], order[i + ALARMS]] = [order[i + ALARMS]!, order[i]!];
  return order;
}

const fixture = JSON.parse(readFileSync(path.join(root, 'test/fixtures/aws/cloudwatch-alarm.sns.json'), 'utf8'));

/** The SNS event of change `c`: the repository's CloudWatch alarm fixture, renamed and changed. */
function snsEvent(c: ReturnType<typeof changeOf>) {
  const event = structuredClone(fixture);
  const message = JSON.parse(event.Records[0].Sns.Message);
  Object.assign(message, {
    AlarmName: c.name,
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:111111111111:alarm:${c.name}`,
    NewStateValue: c.state,
    OldStateValue: c.state === 'OK' ? 'ALARM' : 'OK',
    NewStateReason: `${c.state} in the storm`,
    StateChangeTime: c.at.replace('Z', '+0000'),
  });
  event.Records[0].Sns.Message = JSON.stringify(message);
  return event;
}

/** Delivers the storm's notifications to `h`'s handler in order, each at its simulated time; their handling times, ms. */
async function deliver(h: Harness): Promise<number[]> {
  const times: number[] = [];
  for (const [n, i] of deliveryOrder().entries()) {
    // The n-th notification arrives 60 ms of simulated time after the last, a moment after its change.
    h.clock.now = new Date(T0 + (n * SIMULATED_MS) / NOTIFICATIONS + 200);
    const start = process.hrtime.bigint();
    await h.handler(snsEvent(changeOf(i)));
    times.push(elapsed(start));
  }
  return times;
}

/**
 * Runs the storm with the handler factory `factory` (default: the source's). Throws when the run does not end (every
 * job delivered) within 10 minutes.
 */
export async function measureAlarmStorm(factory?: typeof createHandler): Promise<AlarmStormBench> {
  // Handling alone: the jobs wait in the stream, as on AWS where they run in other invocations.
  const quiet = await startHarness(factory ? { createHandler: factory } : {});
  quiet.stream.pause();
  const handling = await deliver(quiet).finally(() => quiet.close());

  // The storm: the table's stream delivers 5 batches of 10 jobs at a time, as the event source mapping does on AWS.
  const h = await startHarness({ streamBatchesInFlight: 5, ...(factory ? { createHandler: factory } : {}) });
  h.slack.limitPostRate();
  const started = process.hrtime.bigint();
  try {
    const times = await deliver(h);
    const fedSeconds = elapsed(started) / 1000;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('the alarm storm did not drain within 10 minutes')), 600_000).unref());
    await Promise.race([h.idle(), timeout]);
    const drainedSeconds = elapsed(started) / 1000;

    // What Slack shows: each alarm's own message and its thread, and each digest's thread lines (one change each).
    const all = [...h.slack.messages.values()].filter((m) => m.channel === 'C0PROD');
    const top = all.filter((m) => !m.thread_ts);
    const digests = top.filter((m) => m.text?.startsWith('Alarm storm'));
    const shown = new Map<string, string[]>();
    const add = (name: string, text: string) => shown.set(name, [...(shown.get(name) ?? []), text]);
    for (const m of top) {
      const replies = all.filter((r) => r.thread_ts === m.ts).map((r) => r.text ?? '');
      if (digests.includes(m)) {
        for (const line of replies.flatMap((t) => t.split('\n'))) {
          const name = /`([^`]+)`/.exec(line)?.[1];
          if (name) add(name, line);
        }
      } else {
        const name = /: (\S+) /.exec(m.text ?? '')?.[1];
        if (name) for (const text of [JSON.stringify(m.blocks), ...replies]) add(name, text);
      }
    }
    const order = deliveryOrder();
    const lost = order.filter((i) => {
      const c = changeOf(i);
      return !(shown.get(c.name) ?? []).some((text) => text.includes(`|${c.at}>`));
    }).length;
    const errors = h.logs.lines.filter((l) => l.level === 'error');
    return {
      notifications: NOTIFICATIONS,
      alarms: ALARMS,
      simulatedSeconds: SIMULATED_MS / 1000,
      late: order.filter((i, n) => order.slice(0, n).some((j) => j > i && j % ALARMS === i % ALARMS)).length,
      lost,
      slackCalls: h.slack.calls.length,
      posts: h.slack.callsTo('chat.postMessage').length,
      edits: h.slack.callsTo('chat.update').length,
      messages: top.length,
      digests: digests.length,
      rateLimited: h.slack.rateLimited.length,
      failures: h.stream.failed.length + errors.length,
      handling: percentiles(handling.slice(WARMUP)),
      handlingLive: percentiles(times.slice(WARMUP)),
      fedSeconds,
      drainedSeconds,
    };
  } finally {
    await h.close();
  }
}

/** The rows for the benchmark table (see bench/run.ts). */
export function alarmStormRows(r: AlarmStormBench): Array<[string, string, string]> {
  return [
    [
      'alarm storm: notification handling p50 / p99 / max',
      `${r.handling.p50.toFixed(1)} / ${r.handling.p99.toFixed(1)} / ${r.handling.max.toFixed(1)} ms`,
      `${r.notifications} notifications, ${r.alarms} alarms, ${r.simulatedSeconds} s simulated, jobs held back (target p99 ≤ 30 ms); ` +
        `with the jobs in this process ${r.handlingLive.p50.toFixed(1)} / ${r.handlingLive.p99.toFixed(1)} / ${r.handlingLive.max.toFixed(1)} ms`,
    ],
    ['alarm storm: state changes lost', String(r.lost), `target 0; ${r.late} of them arrived late`],
    [
      'alarm storm: Slack calls',
      String(r.slackCalls),
      `${r.posts} posts (${r.messages} messages, ${r.digests} of them digests; the rest thread replies), ${r.edits} edits`,
    ],
    ['alarm storm: 429s reaching a failure', String(r.failures), `target 0; Slack answered ${r.rateLimited} 429s, all retried`],
    [
      'alarm storm: until Slack shows everything',
      `${r.drainedSeconds.toFixed(1)} s`,
      `real time (the notifications took ${r.fedSeconds.toFixed(1)} s); one new message a second per channel`,
    ],
  ];
}

// `tsx bench/alarm-storm.ts` measures the source on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  measureAlarmStorm()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(['| measure | value | notes |', '| --- | --- | --- |', ...alarmStormRows(r).map((row) => `| ${row.join(' | ')} |`)].join('\n'));
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
