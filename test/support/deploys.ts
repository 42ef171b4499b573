/**
 * Requests put straight into a state, with their card posted in the fake Slack and their run dispatched on
 * the fake GitHub: for tests of what happens after the dispatch, without going through approvals each time.
 */
import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import type { FakeSlack, SlackCall } from '../fakes/index.js';
import type { RequestRepository } from '../../src/domain/ports.js';
import { type DeployRequest, type RequestStatus, deployIdFromDigest, newRequest, transition } from '../../src/domain/request.js';
import { REPO, type Harness } from './harness.js';

/** Where to seed: a {@link Harness}, or the same parts of another runtime (the local server's context and fakes). */
export type SeedTarget = Pick<Harness, 'github' | 'slack' | 'clock'> & { store: { requests: RequestRepository } };

/** Options of {@link seedDeploy}. */
export interface SeedOptions {
  /** Where the request stands; default `dispatched`. `approved` and `dispatching` have no run recorded yet. */
  status?: Extract<RequestStatus, 'approved' | 'dispatching' | 'dispatched' | 'queued' | 'running'>;
  /**
   * The run on the fake GitHub: `linked` (default) as when the dispatch returned its id; `unlinked` as on
   * GitHub Enterprise Server, where the dispatch returns none (the run exists and carries the deploy id in
   * its name); `none` when no run was ever created.
   */
  run?: 'linked' | 'unlinked' | 'none';
  requester?: string;
  approvers?: string[];
  /** When it was dispatched; default the harness clock. */
  at?: Date;
}

/** A seeded request and its run. */
export interface Seeded {
  request: DeployRequest;
  runId?: number;
  /** The run's rendered `run-name`, as the fake GitHub shows it. */
  title?: string;
}

async function dispatchOnFake(h: SeedTarget, inputs: Record<string, string>): Promise<number> {
  const res = await fetch(`${h.github.url}/repos/${REPO}/actions/workflows/deploy.yml/dispatches`, {
    method: 'POST',
    headers: { authorization: 'token ghp_test', 'content-type': 'application/json' },
    body: JSON.stringify({ ref: 'main', inputs, return_run_details: true }),
  });
  if (res.status !== 200) throw new Error(`fake dispatch answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { workflow_run_id: number }).workflow_run_id;
}

/** Stores a production deploy of the head of `main` in `options.status`, its card posted and its run dispatched. */
export async function seedDeploy(h: SeedTarget, options: SeedOptions = {}): Promise<Seeded> {
  const status = options.status ?? 'dispatched';
  const at = options.at ?? h.clock.now;
  const requester = options.requester ?? 'U0DAVE';
  const approvers = options.approvers ?? ['U0ALICE', 'U0BOB'];
  const sha = h.github.headOf(REPO, 'main');
  const id = deployIdFromDigest(randomBytes(16));
  const run = options.run ?? (status === 'approved' ? 'none' : 'linked');
  const runId =
    run === 'none'
      ? undefined
      : await dispatchOnFake(h, { environment: 'production', sha, deploy_id: id, requested_by: requester, approved_by: approvers.join(',') });

  const slack = new WebClient('xoxb-test', { slackApiUrl: h.slack.apiUrl });
  const posted = await slack.chat.postMessage({ channel: 'C0PROD', text: `card of ${id}` });

  let request = newRequest({
    id,
    kind: 'deploy',
    service: 'foxy-backend',
    environment: 'production',
    repo: REPO,
    workflow: 'deploy.yml',
    ref: 'main',
    requester,
    channel: 'C0PROD',
    requiredApprovals: approvers.length,
    ttlMs: 30 * 60_000,
    now: at,
  });
  request = {
    ...request,
    sha,
    shaUrl: `https://github.com/${REPO}/commit/${sha}`,
    cardTs: posted.ts!,
    approvals: approvers.map((userId) => ({ userId, at: at.toISOString() })),
  };
  for (const to of ['awaiting_approval', 'approved', 'dispatching'] as const)
    if (status !== 'approved' || to !== 'dispatching') request = transition(request, to, at);
  if (status !== 'dispatching' && status !== 'approved') {
    const linked = run === 'linked' ? runId : undefined;
    request = transition(request, 'dispatched', at, {
      dispatchedAt: at.toISOString(),
      lastRunEventAt: at.toISOString(),
      run: {
        id: linked,
        url: linked ? `https://github.com/${REPO}/actions/runs/${linked}` : `https://github.com/${REPO}/actions/workflows/deploy.yml`,
        attempt: 1,
        jobs: [],
      },
    });
    if (status !== 'dispatched') request = transition(request, status, at);
  }
  if (!(await h.store.requests.create(request))) throw new Error(`request ${id} exists already`);
  if (run === 'linked' && runId !== undefined) await h.store.requests.linkRun(REPO, runId, id);
  return { request, ...(runId !== undefined ? { runId, title: h.github.runs.get(runId)?.displayTitle } : {}) };
}

/**
 * The Slack calls about one deploy's card after `since` (an index into `slack.calls`): edits of the card
 * and replies in its thread. What a deploy costs in Slack calls, for tests and the benchmark.
 */
export function cardCalls(slack: FakeSlack, request: Pick<DeployRequest, 'channel' | 'cardTs'>, since = 0): SlackCall[] {
  return slack.calls
    .slice(since)
    .filter(
      (c) =>
        c.args.channel === request.channel &&
        ((c.method === 'chat.update' && c.args.ts === request.cardTs) || (c.method === 'chat.postMessage' && c.args.thread_ts === request.cardTs)),
    );
}
