/**
 * The sandbox through its HTTP API only, as the page uses it: the real Lambda handler behind signed Slack requests,
 * signed GitHub webhooks from the run driver, and SNS alarms, with every simulator on loopback. GitHub enforces the
 * approvals: each run's verify job shows foxops an OIDC token minted by the GitHub simulator, and production's runs wait
 * for foxops' deployment protection rule (foxops is a GitHub App). The sample foxops.yml is validated by foxops' own loader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { SandboxChange, SandboxMessage, SandboxState } from '../../src/sandbox/protocol.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blocksText } from '../support/blocks.js';
import { captureLogLines, type CapturedLogs } from '../support/logs.js';

let sandbox: Sandbox;
let logs: CapturedLogs;
const changes: SandboxChange[] = [];
let sse: AbortController;

async function api(route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const state = async (): Promise<SandboxState> => (await api('/api/state')).json as unknown as SandboxState;

/** Polls `/api/state` until `pick` finds something; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, pick: (s: SandboxState) => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: SandboxState | undefined;
  for (;;) {
    last = await state();
    const found = pick(last);
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) {
      const seen = last.messages.map((m) => `${m.channel} ${m.ts}: ${m.text ?? ''}`).join('\n');
      throw new Error(`timed out waiting for ${what}; messages:\n${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const text = (m: { text?: string; blocks?: unknown[] } | undefined): string => blocksText(m);
const cardOf = (s: SandboxState, channel: string, deployId: string): SandboxMessage | undefined =>
  s.messages.find((m) => m.channel === channel && !m.threadTs && JSON.stringify(m.blocks ?? []).includes(deployId));
/** A button of a message's blocks, by action id. */
function button(m: { blocks?: unknown[] }, actionId: string): { actionId: string; blockId: string; value: string } {
  for (const block of (m.blocks ?? []) as Array<{ type: string; block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>) {
    const element = block.type === 'actions' ? block.elements?.find((e) => e.action_id === actionId) : undefined;
    if (element) return { actionId, blockId: block.block_id ?? '', value: element.value ?? '' };
  }
  throw new Error(`no ${actionId} button in ${JSON.stringify(m.blocks)}`);
}

async function command(user: string, channel: string, line: string) {
  const answer = await api('/api/command', { user, channel, text: line });
  expect(answer.status).toBe(200);
  return answer.json as { ok: boolean; ephemeral?: { text?: string; blocks?: unknown[] } };
}

function deployIdOf(answer: { ephemeral?: { text?: string } }): string {
  const id = /`(d-[0-9a-z]{10})`/.exec(answer.ephemeral?.text ?? '')?.[1];
  if (!id) throw new Error(`no deploy id in ${JSON.stringify(answer)}`);
  return id;
}

async function followEvents(): Promise<void> {
  sse = new AbortController();
  const response = await fetch(`${sandbox.url}/api/events`, { signal: sse.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const chunk = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of chunk.split('\n')) if (line.startsWith('data: ')) changes.push(JSON.parse(line.slice(6)) as SandboxChange);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted at the end
    }
  })();
}

beforeAll(async () => {
  logs = captureLogLines();
  sandbox = await startSandbox({
    port: 0,
    dataDir: null,
    runTotalMs: 1500,
    reconcileEveryMs: 0,
    cardSpacingMs: 50,
    page: false,
    logLevel: 'error',
    log: () => undefined,
  });
  await followEvents();
});

afterAll(async () => {
  sse?.abort();
  await sandbox?.close();
  logs?.stop();
});

describe('sandbox', () => {
  it('ships a foxops.yml that foxops itself accepts', async () => {
    const config = await loadConfig(
      { FOXOPS_CONFIG: path.resolve('src/sandbox/foxops.yml'), SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', GITHUB_TOKEN: 'g' },
      { strict: true },
    );
    expect(config.catalog.environments.map((e) => e.name)).toEqual(['staging', 'production']);
  });

  it('plays a production deploy: request, refused self-approval, two approvals, run, success', async () => {
    const initial = await state();
    expect(initial.people.map((p) => p.id)).toEqual(['U0DAVE', 'U0ALICE', 'U0BOB', 'U0CAROL', 'U0ERIN']);
    expect(initial.github.commits).toHaveLength(6);
    expect(initial.aws.functions.find((f) => f.name === 'foxy-backend-production')?.aliasVersion).toBe('3');
    const head = initial.github.commits[0]!.sha;

    const requested = await command('U0DAVE', 'C0PROD', '/deploy prod');
    const deployId = deployIdOf(requested);
    const card = await until('the card with the pinned SHA', (s) => {
      const c = cardOf(s, 'C0PROD', deployId);
      return c && text(c).includes(head.slice(0, 7)) && JSON.stringify(c.blocks).includes('deploy_approve') ? c : undefined;
    });

    // Dave may not approve his own request: told privately, through the click's response_url.
    const before = (await state()).ephemerals.length;
    const refused = await api('/api/action', {
      user: 'U0DAVE',
      ...button(card, 'deploy_approve'),
      container: { type: 'message', channel: 'C0PROD', ts: card.ts },
    });
    expect(refused.json).toMatchObject({ ok: true });
    const refusal = await until('the refusal', (s) => s.ephemerals.slice(before).find((e) => e.user === 'U0DAVE'));
    expect(refusal.text).toMatch(/own|requester|approve/i);

    await api('/api/action', { user: 'U0ALICE', ...button(card, 'deploy_approve'), container: { type: 'message', channel: 'C0PROD', ts: card.ts } });
    await until('Alice on the card', (s) => text(cardOf(s, 'C0PROD', deployId)!).includes('U0ALICE'));
    await api('/api/action', { user: 'U0CAROL', ...button(card, 'deploy_approve'), container: { type: 'message', channel: 'C0PROD', ts: card.ts } });

    const done = await until('the card to reach Succeeded', (s) => {
      const c = cardOf(s, 'C0PROD', deployId);
      return c && /succeeded/i.test(c.text ?? '') ? c : undefined;
    });
    expect(done.edits).toBeGreaterThan(1);
    const s = await until('a thread reply under the card', (x) => x.messages.find((m) => m.threadTs === card.ts) && x);
    const run = s.github.runs[0]!;
    expect(run).toMatchObject({ headSha: head, status: 'completed', conclusion: 'success', outcome: 'succeed', verification: { status: 200 } });
    expect(run.manual).toBeUndefined();
    expect(run.jobs.map((j) => `${j.name}:${j.conclusion}`)).toEqual(['verify:success', 'build:success', 'deploy:success']);
    expect(run.jobs[0]!.steps.map((step) => step.name)).toEqual(['Set up job', 'Ask foxops (OIDC)']);
    // The verify job's token: minted by the simulator (the issuer foxops trusts) with the claims foxops checks.
    expect(sandbox.github.idTokens.find((t) => t.runId === run.id)?.claims).toMatchObject({
      iss: sandbox.github.oidcIssuer,
      aud: 'foxops',
      repository: 'foxy-org/foxy-backend',
      environment: 'production',
      sha: head,
      job_workflow_ref: 'foxy-org/foxy-backend/.github/workflows/deploy.yml@refs/heads/main',
      run_id: String(run.id),
    });
    // GitHub asked foxops' protection rule before the deploy job, as the installation foxops authenticates as, and foxops said yes.
    expect(sandbox.github.protectionAnswers.filter((a) => a.runId === run.id).map((a) => a.body)).toEqual([
      expect.objectContaining({ environment_name: 'production', state: 'approved' }),
    ]);
    expect(sandbox.github.installationTokens.every((t) => t.installationId === 4242)).toBe(true);
    expect(sandbox.github.installationTokens.length).toBeGreaterThan(0);
    await until('the card to say GitHub enforced the approval', (x) =>
      text(cardOf(x, 'C0PROD', deployId)).includes(`enforced by GitHub: run ${run.id} was checked against this approval`),
    );
    // The workflow's deploy step published a version and moved `live` to it.
    const fn = s.aws.functions.find((f) => f.name === 'foxy-backend-production')!;
    expect(fn.aliasVersion).toBe('4');
    expect(fn.versions.at(-1)).toEqual({ version: '4', description: head });

    // The page heard of the card's edits over server-sent events.
    expect(changes.some((c) => c.kind === 'message' && c.message.ts === card.ts && c.message.edits > 0)).toBe(true);
    expect(changes.some((c) => c.kind === 'github')).toBe(true);

    const status = await command('U0DAVE', 'C0PROD', '/deploy status');
    expect(text(status.ephemeral!)).toContain(head.slice(0, 7));
  });

  it('refuses a run started by hand in GitHub: its verify job fails, nothing is deployed, and #production hears of it', async () => {
    const before = await state();
    const versions = before.aws.functions.find((f) => f.name === 'foxy-backend-production')!.versions.length;
    const nextRun = before.github.nextRun;

    const started = await api('/api/github/manual-run', { environment: 'production', user: 'U0ERIN' });
    expect(started).toMatchObject({ status: 200, json: { ok: true, runId: expect.any(Number) } });
    const runId = started.json.runId as number;

    const run = await until('the run by hand to complete', (s) => s.github.runs.find((r) => r.id === runId && r.status === 'completed'));
    expect(run).toMatchObject({ manual: true, conclusion: 'failure', verification: { status: 403, code: 'unknown_deploy' } });
    expect(run.verification?.reason).toMatch(/no deploy_id/);
    expect(run.jobs.map((j) => `${j.name}:${j.conclusion}`)).toEqual(['verify:failure', 'build:skipped', 'deploy:skipped']);
    expect(run.jobs[0]!.steps.map((step) => `${step.name}:${step.conclusion}`)).toEqual(['Set up job:success', 'Ask foxops (OIDC):failure']);
    expect(sandbox.github.idTokens.find((t) => t.runId === runId)?.claims).toMatchObject({ actor: 'erin-foxy', environment: 'production' });
    // The deploy job never started: no credentials, no version, and GitHub never had to ask the protection rule.
    const after = await state();
    expect(after.aws.functions.find((f) => f.name === 'foxy-backend-production')!.versions).toHaveLength(versions);
    expect(sandbox.github.protectionAnswers.filter((a) => a.runId === runId)).toEqual([]);
    // A run by hand does not use up "next run will".
    expect(after.github.nextRun).toBe(nextRun);
    // foxops tells the environment's channel.
    const notice = await until('the notice in #production', (s) =>
      s.messages.find((m) => m.channel === 'C0PROD' && (m.text ?? '').includes(`someone tried to deploy production without approval: run ${runId}`)),
    );
    expect(notice.user).toBe(after.botUserId);
    expect(await api('/api/github/manual-run', { environment: 'qa' })).toMatchObject({ status: 400, json: { ok: false } });
  });

  it('rejects with a reason through the modal', async () => {
    const deployId = deployIdOf(await command('U0DAVE', 'C0PROD', '/deploy prod'));
    const card = await until('the card', (s) => {
      const c = cardOf(s, 'C0PROD', deployId);
      return c && JSON.stringify(c.blocks).includes('deploy_reject') ? c : undefined;
    });
    await api('/api/action', { user: 'U0BOB', ...button(card, 'deploy_reject'), container: { type: 'message', channel: 'C0PROD', ts: card.ts } });
    const modal = await until('the reject modal, shown to Bob', (s) => s.modals.find((m) => m.user === 'U0BOB'));
    expect(changes.some((c) => c.kind === 'modal' && c.modal.id === modal.id)).toBe(true);

    const submitted = await api('/api/view', { user: 'U0BOB', viewId: modal.id, values: { reason: { reason_input: 'the migration is not reviewed yet' } } });
    expect(submitted.json).toEqual({ ok: true });
    const rejected = await until('the rejected card', (s) => {
      const c = cardOf(s, 'C0PROD', deployId);
      return c && text(c).includes('the migration is not reviewed yet') ? c : undefined;
    });
    expect(rejected.text).toMatch(/reject/i);
    expect((await state()).modals.find((m) => m.id === modal.id)).toBeUndefined();
    expect(changes.some((c) => c.kind === 'modal_closed' && c.id === modal.id)).toBe(true);
  });

  it('shows a failing run (next run: fail) on a staging card', async () => {
    expect((await api('/api/github/next-run', { outcome: 'fail' })).json).toEqual({ ok: true });
    expect((await state()).github.nextRun).toBe('fail');
    const deployId = deployIdOf(await command('U0DAVE', 'C0STAGING', '/deploy staging'));
    const failed = await until(
      'the failed card',
      (s) => {
        const c = cardOf(s, 'C0STAGING', deployId);
        return c && /fail/i.test(c.text ?? '') ? c : undefined;
      },
      10_000,
    );
    expect(text(failed)).toMatch(/Deploy to Lambda/);
    const s = await state();
    expect(s.github.runs[0]).toMatchObject({ conclusion: 'failure', outcome: 'fail' });
    expect(s.github.nextRun).toBe('succeed');
  });

  it('posts a fired alarm (SNS) in the production channel', async () => {
    const answer = await api('/api/aws/alarm', { alarm: 'foxy-backend-production-errors' });
    expect(answer.json).toEqual({ ok: true });
    const alarm = await until('the alarm message', (s) =>
      s.messages.find((m) => m.channel === 'C0PROD' && !m.threadTs && text(m).includes('foxy-backend-production-errors')),
    );
    expect(text(alarm)).toMatch(/ALARM|alarm/);
    expect((await state()).aws.alarms.find((a) => a.name === 'foxy-backend-production-errors')?.state).toBe('ALARM');
    // The metric graph, uploaded by foxops, is served to the page.
    const graph = await until('the alarm graph', (s) => s.messages.flatMap((m) => m.files ?? []).find((f) => f.mimetype === 'image/png'));
    const png = Buffer.from(await (await fetch(`${sandbox.url}${graph.url}`)).arrayBuffer());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(200);
  });

  it('answers bad input with 400 and a message', async () => {
    expect(await api('/api/command', { user: 'U0NOBODY', channel: 'C0PROD', text: '/deploy prod' })).toMatchObject({ status: 400, json: { ok: false } });
    expect(await api('/api/command', '{not json')).toMatchObject({ status: 400, json: { ok: false, error: 'the body should be JSON' } });
    expect(
      await api('/api/action', { user: 'U0ALICE', actionId: 'deploy_approve', container: { type: 'message', channel: 'C0PROD', ts: '1.2' } }),
    ).toMatchObject({
      status: 400,
    });
    expect(await api('/api/github/next-run', { outcome: 'explode' })).toMatchObject({ status: 400 });
    expect(await api('/api/aws/alarm', { alarm: 'nope' })).toMatchObject({ status: 400 });
    expect(await api('/api/nothing', {})).toMatchObject({ status: 404 });
    // A command foxops never declared is answered as Slack answers it, without reaching foxops.
    const unknown = await api('/api/command', { user: 'U0DAVE', channel: 'C0PROD', text: '/depoy prod' });
    expect(unknown).toMatchObject({ status: 200, json: { ok: true, ephemeral: { text: expect.stringContaining('`/depoy` is not a valid command') } } });
  });

  it('refuses what another web site in the same browser could send: a non-JSON POST, or a foreign Host name', async () => {
    // Prepare: raw requests, since fetch sets Host itself.
    const send = (headers: Record<string, string>, method = 'POST') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${sandbox.url}/api/reset`, { method, headers }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? '{}' : undefined);
      });
    const messagesBefore = sandbox.state().messages.length;
    await api('/api/command', { user: 'U0DAVE', channel: 'C0STAGING', text: 'hello' });

    // Act
    const formPost = await send({ 'content-type': 'text/plain' });
    const rebound = await send({ 'content-type': 'application/json', host: 'evil.example:3000' });
    const reboundRead = await send({ host: 'evil.example' }, 'GET');

    // Assess
    expect(formPost).toMatchObject({ status: 403, body: expect.stringContaining('application/json') });
    expect(rebound).toMatchObject({ status: 403, body: expect.stringContaining('only on 127.0.0.1') });
    expect(reboundRead.status).toBe(403);
    expect(sandbox.state().messages.length).toBe(messagesBefore + 1);
  });

  it('resets everything', async () => {
    await sandbox.idle();
    expect((await api('/api/reset', {})).json).toEqual({ ok: true });
    const s = await state();
    expect(s.messages).toEqual([]);
    expect(s.ephemerals).toEqual([]);
    expect(s.github.runs).toEqual([]);
    expect(s.github.commits).toHaveLength(6);
    expect(s.aws.alarms.every((a) => a.state === 'OK')).toBe(true);
    expect(changes.at(-1)).toEqual({ kind: 'reset' });
    expect(changes.filter((c) => c.kind === 'reset')).toHaveLength(1);
    // foxops' table is empty too: a new request is the only one. And foxops, still holding the installation token
    // it was issued before the reset, reads GitHub: the card pins the head.
    const deployId = deployIdOf(await command('U0DAVE', 'C0PROD', '/deploy prod'));
    const head = s.github.commits[0]!.sha;
    await until('the new card, pinned to the head', (x) => text(cardOf(x, 'C0PROD', deployId)).includes(head.slice(0, 7)));
  });

  it('has a rollback to go to from the start: /deploy rollback prod plans v3 back to v2, after a Reset too', async () => {
    await sandbox.idle();
    await api('/api/reset', {});
    const s = await state();
    const rollbackId = deployIdOf(await command('U0BOB', 'C0PROD', '/deploy rollback prod'));
    // The seeded history: v2 two days ago, then v3 (live); the rollback goes back to v2's commit.
    const v2 = s.github.commits.at(-2)!.sha;
    const card = await until('the rollback card', (x) => {
      const c = cardOf(x, 'C0PROD', rollbackId);
      return c && JSON.stringify(c.blocks).includes('deploy_approve') ? c : undefined;
    });
    expect(text(card)).toContain(v2.slice(0, 7));
    expect(text(card)).toMatch(/v2/);
  });
});

describe('sandbox with a data dir', () => {
  it("keeps the chat, the simulators and foxops' table across a restart, and says when its port is busy", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'foxops-sandbox-'));
    const quiet = { reconcileEveryMs: 0, page: false, logLevel: 'error', log: () => undefined } as const;
    let first: Sandbox | undefined = await startSandbox({ port: 0, dataDir: dir, ...quiet });
    let second: Sandbox | undefined;
    try {
      expect(first.restored).toBe(false);
      const post = (s: Sandbox, route: string, body: unknown) =>
        fetch(`${s.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          (r) => r.json() as Promise<Record<string, unknown>>,
        );
      const answer = (await post(first, '/api/command', { user: 'U0DAVE', channel: 'C0PROD', text: '/deploy prod' })) as { ephemeral?: { text?: string } };
      const deployId = deployIdOf(answer);
      const deadline = Date.now() + 8000;
      while (!cardOf(first.state(), 'C0PROD', deployId)) {
        if (Date.now() > deadline) throw new Error('no card');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await first.idle();
      const busy = Number(new URL(first.url).port);
      await expect(startSandbox({ port: busy, dataDir: null, ...quiet })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await first.close();
      first = undefined;

      second = await startSandbox({ port: 0, dataDir: dir, ...quiet });
      expect(second.restored).toBe(true);
      const restored = second.state();
      const card = cardOf(restored, 'C0PROD', deployId);
      expect(card).toBeDefined();
      expect(restored.ephemerals.some((e) => e.text?.includes(deployId))).toBe(true);
      // foxops' table kept the request: it is still open, so the card's buttons still work.
      const status = (await post(second, '/api/command', { user: 'U0ALICE', channel: 'C0PROD', text: '/deploy status' })) as {
        ephemeral?: { text?: string; blocks?: unknown[] };
      };
      expect(text(status.ephemeral)).toMatch(/awaiting|approval/i);
      // New messages do not reuse the restored timestamps.
      expect(second.slack.postAs('U0DAVE', 'C0PROD', 'hello').ts > card!.ts).toBe(true);
    } finally {
      await first?.close();
      await second?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
