/**
 * The GitHub simulator as the Actions OIDC issuer (src/sandbox/sim/github.ts): its key set is public, and the ID token
 * it mints for a run's job carries GitHub's claims, signed so that foxops' own check (src/github/oidc.ts) accepts it.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { verifyRunToken } from '../../src/github/oidc.js';
import { type FakeGitHub, startFakeGitHub } from '../../src/sandbox/sim/github.js';

const REPO = 'foxy/foxy-backend';
const NOW = new Date(Date.UTC(2024, 4, 1, 10, 0, 0));

let github: FakeGitHub;

beforeAll(async () => {
  github = await startFakeGitHub({ now: () => NOW, actor: 'foxops[bot]' });
});
afterAll(() => github.close());
beforeEach(() => {
  github.reset();
  github.addRepo(REPO, { workflows: [{ file: 'deploy.yml', name: 'Deploy' }] });
  github.pushCommits(REPO, 'main', 2);
  github.tag(REPO, 'v1.0.0', 'main');
  // Like the sandbox: every REST call needs a token, the issuer's keys do not.
  github.requireToken('ghp_test');
});

async function dispatch(inputs: Record<string, unknown>, ref = 'main'): Promise<number> {
  const res = await fetch(`${github.url}/repos/${REPO}/actions/workflows/deploy.yml/dispatches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'token ghp_test' },
    body: JSON.stringify({ ref, inputs, return_run_details: true }),
  });
  return ((await res.json()) as { workflow_run_id: number }).workflow_run_id;
}

describe('the OIDC issuer', () => {
  it('serves its public key set without a token, and names itself in the discovery document', async () => {
    const jwks = await fetch(github.oidcJwksUrl);
    expect(jwks.status).toBe(200);
    const { keys } = (await jwks.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' });
    expect(keys[0]).not.toHaveProperty('d');
    const discovery = (await (await fetch(`${github.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: github.oidcIssuer, jwks_uri: github.oidcJwksUrl });
    expect(github.oidcIssuer).toBe(github.url);
  });

  it("mints a job's token with GitHub's claims, RS256 under the served key, and records them", async () => {
    const runId = await dispatch({ environment: 'production', deploy_id: 'd-0123456789' });
    const run = github.runs.get(runId)!;

    const token = await github.mintIdToken(runId, { actor: 'dave-foxy' });

    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(github.oidcJwksUrl)), {
      issuer: github.oidcIssuer,
      audience: 'foxops',
      currentDate: NOW,
    });
    expect(payload).toMatchObject({
      iss: github.oidcIssuer,
      aud: 'foxops',
      sub: `repo:${REPO}:environment:production`,
      repository: REPO,
      repository_owner: 'foxy',
      environment: 'production',
      sha: run.headSha,
      ref: 'refs/heads/main',
      ref_type: 'branch',
      job_workflow_ref: `${REPO}/.github/workflows/deploy.yml@refs/heads/main`,
      workflow_ref: `${REPO}/.github/workflows/deploy.yml@refs/heads/main`,
      run_id: String(runId),
      run_attempt: '1',
      run_number: '1',
      event_name: 'workflow_dispatch',
      actor: 'dave-foxy',
      iat: NOW.getTime() / 1000,
      nbf: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 300,
    });
    expect(github.idTokens).toEqual([{ runId, claims: payload }]);
  });

  it("is accepted by foxops' own check, which reads the run's claims from it", async () => {
    const runId = await dispatch({ environment: 'staging' });
    const settings = { issuer: github.oidcIssuer, jwksUrl: github.oidcJwksUrl, audience: 'foxops' };

    const check = await verifyRunToken(await github.mintIdToken(runId), settings, NOW);
    const other = await verifyRunToken(await github.mintIdToken(runId, { audience: 'sts.amazonaws.com' }), settings, NOW);

    expect(check).toEqual({
      ok: true,
      claims: {
        repository: REPO,
        environment: 'staging',
        sha: github.headOf(REPO, 'main'),
        runId,
        runAttempt: 1,
        workflowRef: `${REPO}/.github/workflows/deploy.yml@refs/heads/main`,
      },
    });
    expect(other).toMatchObject({ ok: false, code: 'wrong_audience' });
  });

  it('says which ref a tag run used, leaves the environment out of a job without one, and knows no unknown run', async () => {
    const runId = await dispatch({}, 'v1.0.0');
    await github.mintIdToken(runId);
    expect(github.idTokens[0]!.claims).toMatchObject({ ref: 'refs/tags/v1.0.0', ref_type: 'tag', sub: `repo:${REPO}:ref:refs/tags/v1.0.0` });
    expect(github.idTokens[0]!.claims).not.toHaveProperty('environment');
    await expect(github.mintIdToken(1)).rejects.toThrow('unknown run 1');
  });
});
