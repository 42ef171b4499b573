/**
 * Rollback by alias: from the last approval until the alias has moved and the card says so, through the handler
 * (the bundle's, when `npm run bench` passes it) with dynalite and the loopback fakes, jobs delivered by the fake
 * table stream as on AWS and card edits spaced as in production (1 s per card). Counts the AWS calls (requests the
 * Lambda fake received) and checks that no GitHub call is made on that path. Target: under 1 s at loopback.
 */
// First: it turns off the AWS SDK's Node version warning before this process builds an SDK client.
import '../src/aws/client-config.js';
import { randomBytes } from 'node:crypto';
import type { DeploymentRecord } from '../src/domain/ports.js';
import { deployIdFromDigest } from '../src/domain/request.js';
import type { createHandler } from '../src/lambda/index.js';
import { REPO, startHarness, TARGET_FUNCTION } from '../test/support/harness.js';
import type { Percentiles } from './warm.js';

/** What {@link measureRollback} found. */
export interface RollbackBench {
  /** Rollbacks timed (after the warm-up ones). */
  samples: number;
  /** From sending the last approval until the alias serves the old version, ms. */
  aliasMoved: Percentiles & { max: number };
  /** From sending the last approval until the alias has moved and the card says "Rolled back", ms. */
  cardSays: Percentiles & { max: number };
  /** Requests to the Lambda API per rollback, on that path (GetFunction, GetAlias, UpdateAlias, GetAlias). */
  awsCallsPerRollback: number;
  /** UpdateAlias calls per rollback (always 1). */
  aliasMovesPerRollback: number;
  /** Slack calls per rollback on that path (the Approve ack's answer is not one; card edits are). */
  slackCallsPerRollback: number;
  /** GitHub calls on that path: must be 0. */
  githubCalls: number;
}

const WARMUP = 3;

function percentiles(values: number[]): Percentiles & { max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1)! };
}

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Measures `rounds` rollbacks by alias with the handler factory `factory` (default: the source's). Throws when a
 * rollback does not end `succeeded`, takes longer than 10 s, or calls GitHub between the approval and the card.
 */
export async function measureRollback(factory?: typeof createHandler, rounds = Number(process.env.BENCH_ROLLBACK_ROUNDS ?? 20)): Promise<RollbackBench> {
  const h = await startHarness({ targets: true, ...(factory ? { createHandler: factory } : {}) });
  const total = rounds + WARMUP;
  h.lambda.addFunction(TARGET_FUNCTION, { versions: 2 * total + 2, aliases: { live: '1' } });
  h.github.pushCommits(REPO, 'main', 1);
  const later = (ms: number) => {
    h.clock.now = new Date(h.clock.now.getTime() + ms);
  };
  /** A success in the ledger with its version recorded and the alias moved there, as a deploy leaves it. */
  const deployed = async (version: number) => {
    const [sha] = h.github.pushCommits(REPO, 'main', [`Change shipped as v${version}`]);
    later(60_000);
    const entry: DeploymentRecord = {
      service: 'foxy-backend',
      environment: 'production',
      sha: sha!,
      ref: 'main',
      requestId: deployIdFromDigest(randomBytes(16)),
      kind: 'deploy',
      requester: 'U0DAVE',
      approvers: ['U0ALICE', 'U0BOB'],
      outcome: 'succeeded',
      finishedAt: h.clock.now.toISOString(),
      version: String(version),
    };
    await h.store.ledger.record(entry);
    h.lambda.moveAlias(TARGET_FUNCTION, 'live', String(version));
  };

  const moved: number[] = [];
  const shown: number[] = [];
  let awsCalls = 0;
  let aliasMoves = 0;
  let slackCalls = 0;
  let githubCalls = 0;
  try {
    for (let round = 0; round < total; round++) {
      const good = 2 * round + 2;
      await deployed(good);
      await deployed(good + 1);
      later(60_000);
      const asked = await h.command('rollback prod because benchmark', { user: 'U0DAVE' });
      const id = /`(d-[0-9a-z]{10})`/.exec(JSON.parse(asked.body).text)?.[1];
      if (!id) throw new Error(`no rollback id in ${asked.body}`);
      await h.idle();
      const planned = await h.store.requests.get(id);
      if (planned?.status !== 'awaiting_approval' || !planned.cardTs) throw new Error(`rollback ${id} is ${planned?.status}, not waiting with a card`);

      const before = { lambda: h.lambda.requests.length, github: h.github.requests.length, slack: h.slack.calls.length };
      const start = process.hrtime.bigint();
      await h.click('deploy_approve', id, { user: 'U0ALICE' });
      let movedMs: number | undefined;
      for (;;) {
        if (movedMs === undefined && h.lambda.aliasVersion(TARGET_FUNCTION, 'live') === String(good)) movedMs = elapsed(start);
        if (movedMs !== undefined && JSON.stringify(h.slack.message(planned.channel, planned.cardTs)?.blocks ?? []).includes('*Rolled back*')) break;
        if (elapsed(start) > 10_000) throw new Error(`rollback ${id}: the alias or the card did not follow within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const shownMs = elapsed(start);
      await h.idle();
      const after = await h.store.requests.get(id);
      if (after?.status !== 'succeeded') throw new Error(`rollback ${id} ended ${after?.status}`);
      const lambdaCalls = h.lambda.requests.slice(before.lambda);
      if (round >= WARMUP) {
        moved.push(movedMs!);
        shown.push(shownMs);
        awsCalls += lambdaCalls.length;
        aliasMoves += lambdaCalls.filter((r) => r.method === 'PUT' && r.path.includes('/aliases/')).length;
        slackCalls += h.slack.calls.length - before.slack;
        githubCalls += h.github.requests.length - before.github;
      }
    }
  } finally {
    await h.close();
  }
  if (githubCalls > 0) throw new Error(`a rollback by alias called GitHub ${githubCalls} time(s) between the approval and the card`);
  return {
    samples: rounds,
    aliasMoved: percentiles(moved),
    cardSays: percentiles(shown),
    awsCallsPerRollback: awsCalls / rounds,
    aliasMovesPerRollback: aliasMoves / rounds,
    slackCallsPerRollback: slackCalls / rounds,
    githubCalls,
  };
}

/** The rows for the benchmark table (see bench/run.ts). */
export function rollbackRows(r: RollbackBench): Array<[string, string, string]> {
  return [
    [
      'rollback by alias: last approval → alias moved, p50 / p99',
      `${r.aliasMoved.p50.toFixed(1)} / ${r.aliasMoved.p99.toFixed(1)} ms`,
      `${r.samples} rollbacks`,
    ],
    [
      'rollback by alias: last approval → card says so, p50 / p99 / max',
      `${r.cardSays.p50.toFixed(1)} / ${r.cardSays.p99.toFixed(1)} / ${r.cardSays.max.toFixed(1)} ms`,
      'target < 1 s at loopback',
    ],
    [
      'rollback by alias: AWS calls per rollback',
      String(r.awsCallsPerRollback),
      `GetFunction, GetAlias, UpdateAlias (${r.aliasMovesPerRollback}), GetAlias; GitHub calls: ${r.githubCalls}; Slack calls: ${r.slackCallsPerRollback}`,
    ],
  ];
}

// `tsx bench/rollback.ts` measures the source on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  measureRollback()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(['| measure | value | notes |', '| --- | --- | --- |', ...rollbackRows(r).map((row) => `| ${row.join(' | ')} |`)].join('\n'));
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
