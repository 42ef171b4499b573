/**
 * `POST /github/verify` through the real Lambda handler (and once through the local server): the deploy workflow's
 * verify job shows its GitHub OIDC token, and foxops says whether its run may use the approval of the deploy. The
 * issuer's key set is served by a loopback server; the tokens are signed here with keys made for the test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { createHandler, type HttpResult } from '../../src/lambda/index.js';
import { startLocalServer } from '../../src/local/server.js';
import { startFakeGitHub, startFakeSlack } from '../fakes/index.js';
import { type Seeded, seedDeploy } from '../support/deploys.js';
import { blocksText, REPO, type Harness, startHarness, TEST_CONFIG } from '../support/harness.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW_REF = `${REPO}/.github/workflows/deploy.yml@refs/heads/main`;

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let issuerKeys: Keys;
let otherKeys: Keys;
let jwks: http.Server;
let jwksUrl: string;
let h: Harness;
let verifyHandler: ReturnType<typeof createHandler>;

beforeAll(async () => {
  [issuerKeys, otherKeys] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const jwk = { ...(await exportJWK(issuerKeys.publicKey)), kid: 'issuer-key', alg: 'RS256', use: 'sig' };
  // GitHub's key set, as GitHub serves it: only the issuer's public key.
  jwks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
});

/** The claims GitHub puts in the token of a job of `seeded`'s run, with `extra` over them. */
function claimsOf(seeded: Seeded, extra: Record<string, unknown> = {}): JWTPayload {
  return {
    repository: REPO,
    environment: 'production',
    sha: seeded.request.sha,
    run_id: String(seeded.runId),
    run_attempt: '1',
    job_workflow_ref: WORKFLOW_REF,
    ref: 'refs/heads/main',
    ...extra,
  };
}

/** A token signed by the issuer (or `key`), valid for 5 minutes around the harness clock unless told otherwise. */
async function tokenFor(
  claims: JWTPayload,
  o: { key?: Keys; kid?: string; audience?: string; issuer?: string; issuedAt?: Date; expiresAt?: Date } = {},
): Promise<string> {
  const iat = Math.floor((o.issuedAt ?? h.clock.now).getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'issuer-key' })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? 'foxops')
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(o.expiresAt ? Math.floor(o.expiresAt.getTime() / 1000) : iat + 300)
    .sign((o.key ?? issuerKeys).privateKey);
}

/**
 * `POST /github/verify` through the Function URL event shape. A body naming a deploy id and no `sha` gets the one the
 * example workflow sends for it (its `sha` input: the request's pinned SHA), so that each test writes only what it is about.
 */
async function verify(token: string | undefined, body: unknown, raw?: string): Promise<HttpResult> {
  if (typeof body === 'object' && body !== null && 'deploy_id' in body && !('sha' in body)) {
    const id = (body as { deploy_id: unknown }).deploy_id;
    const request = typeof id === 'string' && /^d-[0-9a-z]{10}$/.test(id) ? await h.store.requests.get(id) : undefined;
    body = { ...body, sha: request?.sha ?? 'a'.repeat(40) };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
  const event = {
    rawPath: '/github/verify',
    headers,
    body: raw ?? JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/github/verify' } },
  };
  return (await verifyHandler(event, {})) as HttpResult;
}

const answer = (result: HttpResult) => JSON.parse(result.body) as Record<string, unknown>;
const stored = async (seeded: Seeded) => (await h.store.requests.get(seeded.request.id))!;
const noticesIn = (channel: string) =>
  [...h.slack.messages.values()].filter((m) => m.channel === channel && /without approval/.test(m.text ?? '')).map((m) => m.text ?? '');
const auditOf = async (seeded: Seeded) =>
  (await h.store.audit.list(seeded.request.id)).filter((e) => e.action === 'enforce').map((e) => [e.outcome, e.detail ?? ''] as const);

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20 });
  h.github.pushCommits(REPO, 'main', 2);
  // The harness's handler runs the jobs; this one, with the loopback key set, answers the verify requests.
  verifyHandler = createHandler({ ...h.env, GITHUB_OIDC_JWKS_URL: jwksUrl }, { now: () => h.clock.now });
});

afterEach(async () => {
  await h.close();
});

describe('the approved run', () => {
  test('is accepted: 200, recorded on the request, audited, and its card says GitHub enforced it', async () => {
    // Prepare
    const seeded = await seedDeploy(h);

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded)), { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(200);
    expect(answer(result)).toEqual({ ok: true, deploy_id: seeded.request.id, run_id: seeded.runId });
    expect((await stored(seeded)).enforcedRun).toEqual({ runId: seeded.runId, via: 'oidc', at: h.clock.now.toISOString() });
    expect(await auditOf(seeded)).toEqual([['ok', expect.stringContaining(`oidc: run ${seeded.runId} attempt 1`)]]);
    const card = h.slack.message('C0PROD', seeded.request.cardTs!);
    expect(blocksText(card)).toMatch(/enforced by GitHub/i);
    expect(noticesIn('C0PROD')).toEqual([]);
  });

  test('a re-run attempt of the same run is accepted too', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    await verify(await tokenFor(claimsOf(seeded)), { deploy_id: seeded.request.id });

    // Act
    const rerun = await verify(await tokenFor(claimsOf(seeded, { run_attempt: '2' })), { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(rerun.statusCode).toBe(200);
    expect((await stored(seeded)).enforcedRun?.runId).toBe(seeded.runId);
    expect((await auditOf(seeded)).map(([outcome]) => outcome)).toEqual(['ok', 'ok']);
  });

  test('of an approved request not dispatched by foxops yet: the first run to ask takes the approval', async () => {
    // Prepare
    const seeded = await seedDeploy(h, { status: 'approved' });
    const first = claimsOf(seeded, { run_id: '7001' });

    // Act
    const result = await verify(await tokenFor(first), { deploy_id: seeded.request.id });

    // Assess
    expect(answer(result)).toEqual({ ok: true, deploy_id: seeded.request.id, run_id: 7001 });
    expect((await stored(seeded)).enforcedRun?.runId).toBe(7001);
  });
});

describe('a genuine run that may not use the approval gets 403, an audit entry and a notice in the channel', () => {
  test('a second run with the same approval', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    await verify(await tokenFor(claimsOf(seeded)), { deploy_id: seeded.request.id });

    // Act
    const second = await verify(await tokenFor(claimsOf(seeded, { run_id: String(seeded.runId! + 1) })), { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(second.statusCode).toBe(403);
    expect(answer(second)).toEqual({ ok: false, code: 'spent', reason: `the approval of deploy ${seeded.request.id} was used by run ${seeded.runId}` });
    expect((await stored(seeded)).enforcedRun?.runId).toBe(seeded.runId);
    expect((await auditOf(seeded)).map(([outcome]) => outcome)).toEqual(['ok', 'refused']);
    expect(noticesIn('C0PROD')).toEqual([
      `:no_entry: someone tried to deploy production without approval: run ${seeded.runId! + 1} of *${REPO}*, ` +
        `refused because the approval of deploy \`${seeded.request.id}\` was used by another run already.`,
    ]);
  });

  test.each([
    ['wrong_repository', { repository: 'mallory/foxy-backend' }],
    ['wrong_environment', { environment: 'staging' }],
    ['wrong_environment', { environment: undefined }],
    ['wrong_workflow', { job_workflow_ref: `${REPO}/.github/workflows/deploy.yml@refs/heads/feature` }],
  ])('%s (%j)', async (code, extra) => {
    // Prepare
    const seeded = await seedDeploy(h);

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded, extra)), { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(403);
    expect(answer(result)).toMatchObject({ ok: false, code });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
    const audit = await auditOf(seeded);
    expect(audit).toHaveLength(1);
    expect(audit[0]![0]).toBe('refused');
    expect(JSON.parse(audit[0]![1])).toMatchObject({ code, via: 'oidc', runId: seeded.runId });
    // The request's environment is told, whatever the job claimed.
    expect(noticesIn('C0PROD')).toHaveLength(1);
    expect(noticesIn('C0PROD')[0]).toContain(`deploy \`${seeded.request.id}\``);
    expect(noticesIn('C0STAGING')).toEqual([]);
  });

  test('wrong_sha: a run foxops did not dispatch, on another commit than the approved one', async () => {
    // Prepare: approved, not dispatched yet (the run foxops dispatches itself is held to the SHA by its input).
    const seeded = await seedDeploy(h, { status: 'approved' });

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded, { run_id: '7002', sha: 'f'.repeat(40) })), { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(403);
    expect(answer(result)).toEqual({
      ok: false,
      code: 'wrong_sha',
      reason: `deploy ${seeded.request.id} was approved for ${seeded.request.sha}, not ${'f'.repeat(40)}`,
    });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
    expect((await auditOf(seeded)).map(([outcome, detail]) => [outcome, JSON.parse(detail).code])).toEqual([['refused', 'wrong_sha']]);
    expect(noticesIn('C0PROD')).toEqual([expect.stringContaining('it ships another commit than the one approved in deploy')]);
  });

  test('wrong_sha: a run started by hand on the approved head, whose sha input names another commit, may not use the approval', async () => {
    // Prepare: approved; the approved SHA is the head of main, so a hand-started run on main carries it in its token.
    const seeded = await seedDeploy(h, { status: 'approved' });
    const older = 'e'.repeat(40);

    // Act: its verify job sends the commit it would deploy
    const result = await verify(await tokenFor(claimsOf(seeded, { run_id: '7003' })), { deploy_id: seeded.request.id, sha: older });
    await h.idle();

    // Assess: refused on the SHA it deploys; the approval is not spent on it
    expect(result.statusCode).toBe(403);
    expect(answer(result)).toMatchObject({
      ok: false,
      code: 'wrong_sha',
      reason: `deploy ${seeded.request.id} was approved for ${seeded.request.sha}, not ${older}`,
    });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
  });

  test('a body without the sha the run deploys is answered 400, saying what to send', async () => {
    // Prepare
    const seeded = await seedDeploy(h);

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded)), undefined, JSON.stringify({ deploy_id: seeded.request.id }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(answer(result)).toMatchObject({ ok: false, code: 'bad_request', reason: expect.stringContaining('"sha":"<the full commit SHA the run deploys>"') });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
  });

  test.each([
    ['an unknown deploy id', 'd-zzzzzzzzzz', 'foxops has no deploy d-zzzzzzzzzz', 'deploy `d-zzzzzzzzzz` does not exist'],
    [
      'no deploy id (a run started by hand)',
      '',
      'no deploy_id: a run that deploys must be requested (and approved where the environment asks for it) with /deploy',
      'it named no foxops deploy',
    ],
  ])('%s', async (_name, deployId, reason, words) => {
    // Prepare
    const seeded = await seedDeploy(h);

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded, { run_id: '9001' })), { deploy_id: deployId });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(403);
    expect(answer(result)).toEqual({ ok: false, code: 'unknown_deploy', reason });
    expect(noticesIn('C0PROD')).toHaveLength(1);
    expect(noticesIn('C0PROD')[0]).toContain(words);
    const trail: string[] = [];
    for await (const e of h.store.audit.read({ environments: ['production'], since: new Date(0), until: new Date(h.clock.now.getTime() + 1) }))
      if (e.action === 'enforce') trail.push(`${e.outcome} ${e.detail}`);
    expect(trail).toEqual([expect.stringMatching(/^refused .*"code":"unknown_deploy".*"runId":9001/)]);
  });

  test('the same run attempt asking twice is told in the channel once', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    const token = await tokenFor(claimsOf(seeded, { environment: 'staging' }));

    // Act
    const answers = [await verify(token, { deploy_id: seeded.request.id }), await verify(token, { deploy_id: seeded.request.id })];
    await h.idle();

    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([403, 403]);
    expect(noticesIn('C0PROD')).toHaveLength(1);
  });
});

describe('a token foxops cannot trust gets 401, and nothing is posted', () => {
  test.each([
    ['forged (signed by another key)', { key: 'other' }, 'bad_signature'],
    ['forged (another key under the issuer key id)', { key: 'other', kid: 'issuer-key' }, 'bad_signature'],
    ['expired', { expired: true }, 'expired_token'],
    ['for another audience', { audience: 'sts.amazonaws.com' }, 'wrong_audience'],
    ['from another issuer', { issuer: 'https://evil.example.com' }, 'wrong_issuer'],
  ])('%s', async (_name, o: { key?: string; kid?: string; audience?: string; issuer?: string; expired?: boolean }, code) => {
    // Prepare
    const seeded = await seedDeploy(h);
    const token = await tokenFor(claimsOf(seeded), {
      ...(o.key ? { key: otherKeys, kid: o.kid ?? 'other-key' } : {}),
      ...(o.audience ? { audience: o.audience } : {}),
      ...(o.issuer ? { issuer: o.issuer } : {}),
      ...(o.expired ? { issuedAt: new Date(h.clock.now.getTime() - 20 * 60_000), expiresAt: new Date(h.clock.now.getTime() - 10 * 60_000) } : {}),
    });

    // Act
    const result = await verify(token, { deploy_id: seeded.request.id });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(401);
    expect(answer(result)).toMatchObject({ ok: false, code });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
    expect(noticesIn('C0PROD')).toEqual([]);
    // It named an existing deploy: the attempt is in that deploy's audit trail.
    expect((await auditOf(seeded)).map(([outcome, detail]) => [outcome, JSON.parse(detail)])).toEqual([['refused', { code, via: 'oidc', stage: 'token' }]]);
  });

  test('a token of a repository of no service, naming no deploy, is refused without a trace in Slack or the audit', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    const token = await tokenFor(claimsOf(seeded, { repository: 'someone/else' }));

    // Act
    const result = await verify(token, { deploy_id: 'd-yyyyyyyyyy' });
    await h.idle();

    // Assess
    expect(result.statusCode).toBe(403);
    expect(answer(result)).toMatchObject({ ok: false, code: 'unknown_deploy' });
    expect(noticesIn('C0PROD')).toEqual([]);
    const trail: unknown[] = [];
    for await (const e of h.store.audit.read({ environments: ['production', '-'], since: new Date(0), until: new Date(h.clock.now.getTime() + 1) }))
      trail.push(e);
    expect(trail).toEqual([]);
  });
});

describe('bad input never gets a 5xx', () => {
  test.each([
    ['no Authorization header', undefined, { deploy_id: 'd-zzzzzzzzzz' }, undefined, 401, 'no_token'],
    ['a Basic Authorization', 'basic', { deploy_id: 'd-zzzzzzzzzz' }, undefined, 401, 'no_token'],
    ['a token that is no JWT', 'not-a-jwt', { deploy_id: 'd-zzzzzzzzzz' }, undefined, 401, 'malformed_token'],
    ['a JWT-shaped token of garbage', 'e30.e30.e30', { deploy_id: 'd-zzzzzzzzzz' }, undefined, 401, 'malformed_token'],
    ['a huge token', 'a.'.repeat(5000) + 'a', { deploy_id: 'd-zzzzzzzzzz' }, undefined, 401, 'malformed_token'],
    ['a body that is no JSON', 'valid', undefined, '{deploy_id', 400, 'bad_request'],
    ['a JSON array', 'valid', [1], undefined, 400, 'bad_request'],
    ['no deploy_id', 'valid', { deploy: 'd-zzzzzzzzzz' }, undefined, 400, 'bad_request'],
    ['a numeric deploy_id', 'valid', { deploy_id: 42 }, undefined, 400, 'bad_request'],
    ['a body past 4 KB', 'valid', undefined, JSON.stringify({ deploy_id: 'd'.repeat(5000) }), 413, 'too_large'],
  ])('%s', async (_name, token, body, raw, status, code) => {
    // Prepare
    const seeded = await seedDeploy(h);
    const bearer = token === 'valid' ? await tokenFor(claimsOf(seeded)) : token === 'basic' ? undefined : token;
    const headers = token === 'basic' ? { authorization: 'Basic dXNlcjpwYXNz' } : undefined;

    // Act
    const result = headers
      ? ((await verifyHandler(
          { rawPath: '/github/verify', headers, body: JSON.stringify(body), requestContext: { http: { method: 'POST' } } },
          {},
        )) as HttpResult)
      : await verify(bearer, body, raw);

    // Assess
    expect(result.statusCode).toBe(status);
    expect(answer(result)).toMatchObject({ ok: false, code, reason: expect.any(String) });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
  });

  test('a key set that cannot be reached is foxops’ side: 503, and the run is not let through', async () => {
    // Prepare
    const seeded = await seedDeploy(h);
    verifyHandler = createHandler({ ...h.env, GITHUB_OIDC_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks' }, { now: () => h.clock.now });

    // Act
    const result = await verify(await tokenFor(claimsOf(seeded)), { deploy_id: seeded.request.id });

    // Assess
    expect(result.statusCode).toBe(503);
    expect(answer(result)).toMatchObject({ ok: false, code: 'unavailable' });
    expect((await stored(seeded)).enforcedRun).toBeUndefined();
    expect(h.logs.take('github.verify_unavailable')).toHaveLength(1);
  });
});

test('the local server routes POST /github/verify to the same check', async () => {
  // Prepare
  const [slack, github] = await Promise.all([startFakeSlack(), startFakeGitHub()]);
  github.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
  github.pushCommits(REPO, 'main', 1);
  const dir = mkdtempSync(path.join(tmpdir(), 'foxops-verify-'));
  const configPath = path.join(dir, 'foxops.yml');
  writeFileSync(configPath, TEST_CONFIG);
  const server = await startLocalServer({
    env: {
      FOXOPS_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'local-signing',
      SLACK_API_URL: slack.apiUrl,
      GITHUB_TOKEN: 'ghp_test',
      GITHUB_API_URL: github.url,
      GITHUB_OIDC_JWKS_URL: jwksUrl,
      LOG_LEVEL: 'error',
    },
    port: 0,
    reconcileEveryMs: 0,
    cards: { spacingMs: 20 },
  });
  try {
    const clock = { now: new Date() };
    const seeded = await seedDeploy({ github, slack, clock, store: server.context });
    const post = (token: string, body: string) =>
      fetch(`${server.url}/github/verify`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });

    // Act
    const token = await tokenFor(claimsOf(seeded), { issuedAt: new Date() });
    const accepted = await post(token, JSON.stringify({ deploy_id: seeded.request.id, sha: seeded.request.sha }));
    const huge = await post(token, JSON.stringify({ deploy_id: 'd'.repeat(100_000) }));
    await server.idle();

    // Assess
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ ok: true, deploy_id: seeded.request.id, run_id: seeded.runId });
    expect(huge.status).toBe(413);
  } finally {
    await server.close();
    await Promise.all([slack.close(), github.close()]);
  }
});
