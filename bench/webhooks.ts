/**
 * Webhook benchmarks: handling latency through the handler (async jobs held back while timing, as on
 * AWS where they run in other invocations), and the Slack calls one deploy makes from dispatch to success.
 */
import type { createHandler } from '../src/lambda/index.js';
import { cardCalls, seedDeploy } from '../test/support/deploys.js';
import { runEventSequence } from '../test/support/github-events.js';
import { REPO, startHarness } from '../test/support/harness.js';
import type { Percentiles } from './warm.js';

const JOBS = [
  { id: 1, name: 'build' },
  { id: 2, name: 'deploy' },
  { id: 3, name: 'smoke-test' },
];

function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Measures webhook handling of the handler factory `factory` (the bundle's `createHandler`). */
export async function measureWebhooks(
  factory: typeof createHandler,
  deploys = Number(process.env.BENCH_WEBHOOK_DEPLOYS ?? 40),
): Promise<{ latency: Percentiles; samples: number; slackCallsPerDeploy: number }> {
  // Latency: every delivery of `deploys` runs of 3 jobs, jobs held back while timing.
  const h = await startHarness({ createHandler: factory });
  // Jobs wait in the stream while timing: on AWS they run in other invocations.
  h.stream.pause();
  const times: number[] = [];
  try {
    h.github.pushCommits(REPO, 'main', 2);
    for (let d = 0; d < deploys; d++) {
      const { runId, title } = await seedDeploy(h, { status: 'dispatched' });
      for (const [event, payload] of runEventSequence(
        { repo: REPO, runId: runId!, title },
        JOBS.map((j) => ({ ...j, id: runId! * 10 + j.id })),
      )) {
        const start = process.hrtime.bigint();
        const result = await h.webhook(event, payload);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (result.statusCode !== 200) throw new Error(`webhook answered ${result.statusCode}: ${result.body}`);
        if (d >= 3) times.push(ms); // the first deploys warm up
      }
    }
  } finally {
    await h.close();
  }

  // Slack calls: one deploy with jobs running as they would, events back to back.
  const c = await startHarness({ createHandler: factory });
  try {
    c.github.pushCommits(REPO, 'main', 2);
    const { request } = await seedDeploy(c, { status: 'approved' });
    const since = c.slack.calls.length;
    await c.handler({ foxopsJob: { type: 'dispatch', requestId: request.id } });
    await c.idle();
    const dispatched = await c.store.requests.get(request.id);
    for (const [event, payload] of runEventSequence(
      { repo: REPO, runId: dispatched!.run!.id! },
      JOBS.map((j) => ({ ...j, id: dispatched!.run!.id! * 10 + j.id })),
    )) {
      await c.webhook(event, payload);
    }
    await c.idle();
    const done = await c.store.requests.get(request.id);
    if (done?.status !== 'succeeded') throw new Error(`the benchmark deploy ended ${done?.status}`);
    return { latency: percentiles(times), samples: times.length, slackCallsPerDeploy: cardCalls(c.slack, done, since).length };
  } finally {
    await c.close();
  }
}
