/**
 * GitHub Actions OIDC tokens: a workflow job asks GitHub for one (`id-token: write`, audience `foxops`) and shows it
 * to `POST /github/verify`. Verified here with jose against the issuer's key set (fetched once and cached per
 * process, refetched by jose when a token names an unknown key, at most every 30 s), then read as {@link RunClaims}.
 *
 * Loaded only by the verify route (a dynamic import), so that no other path, least of all a cold `/deploy`, pays
 * for jose.
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { OidcSettings } from '../config/load.js';
import type { RunClaims } from '../domain/enforcement.js';

/** How far the issuer's and foxops' clocks may differ, in seconds: GitHub's tokens live a few minutes. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** GitHub's tokens are 1 to 2 KB; anything much longer is not one, and is not worth decoding. */
const MAX_TOKEN_CHARS = 8192;
/** How long the key set may take to arrive before the run is told to try again. */
const JWKS_TIMEOUT_MS = 3000;

/** Why a token was not taken, as answered: `unavailable` is foxops' side (the key set could not be read). */
export type TokenProblem = {
  code: 'malformed_token' | 'bad_signature' | 'expired_token' | 'token_not_yet_valid' | 'wrong_issuer' | 'wrong_audience' | 'bad_claims' | 'unavailable';
  reason: string;
};

/** The answer of {@link verifyRunToken}: the run's claims, or why the token is refused. */
export type TokenCheck = { ok: true; claims: RunClaims } | ({ ok: false } & TokenProblem);

type KeySet = ReturnType<typeof createRemoteJWKSet>;
/** One key set per URL and process: jose caches its keys inside, so a warm function fetches them once. */
const keySets = new Map<string, KeySet>();

function keySetOf(url: string): KeySet {
  let keys = keySets.get(url);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(url), { timeoutDuration: JWKS_TIMEOUT_MS });
    keySets.set(url, keys);
  }
  return keys;
}

/** A claim as a bounded, non-empty string, or undefined. */
const str = (payload: JWTPayload, name: string, max = 512): string | undefined => {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
};

/** A claim GitHub sends as a decimal string (`run_id`, `run_attempt`) as a number, or undefined. */
const whole = (payload: JWTPayload, name: string): number | undefined => {
  const value = str(payload, name, 16);
  if (!value || !/^[1-9]\d*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
};

/**
 * The claims foxops checks, from a verified payload: `repository`, `environment` (empty when the job named none, so
 * that the check refuses it as the wrong environment), `sha`, `run_id`, `run_attempt`, `job_workflow_ref`.
 */
export function runClaimsOf(payload: JWTPayload): RunClaims | TokenProblem {
  const repository = str(payload, 'repository', 200);
  const sha = str(payload, 'sha', 64);
  const runId = whole(payload, 'run_id');
  if (!repository || !sha || runId === undefined)
    return { code: 'bad_claims', reason: 'the token has no repository, sha or run_id claim: it is not a GitHub Actions job token' };
  const runAttempt = whole(payload, 'run_attempt');
  const workflowRef = str(payload, 'job_workflow_ref', 1024);
  return {
    repository,
    environment: str(payload, 'environment', 255) ?? '',
    sha,
    runId,
    ...(runAttempt !== undefined ? { runAttempt } : {}),
    ...(workflowRef !== undefined ? { workflowRef } : {}),
  };
}

/** jose's failure as an answer: the token's fault (401), or the key set's (unavailable). */
function problemOf(err: unknown): TokenProblem {
  if (err instanceof errors.JWTExpired) return { code: 'expired_token', reason: 'the token has expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return { code: 'wrong_audience', reason: 'the token is not for foxops (audience)' };
    if (err.claim === 'iss') return { code: 'wrong_issuer', reason: 'the token was not issued by GitHub Actions (issuer)' };
    if (err.claim === 'nbf') return { code: 'token_not_yet_valid', reason: 'the token is not valid yet' };
    return { code: 'bad_claims', reason: `the token's ${err.claim} claim is not valid` };
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return { code: 'bad_signature', reason: "the token's signature does not match the issuer's keys" };
  // The key set did not arrive or made no sense: nothing the caller did; the job may try again.
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC'))
    return { code: 'unavailable', reason: "foxops could not read the issuer's keys; try again" };
  // Node's fetch fails with a TypeError of its own realm (not always this one's `TypeError`): matched by name.
  if ((err as Error | undefined)?.name === 'TypeError' && (err as Error).message === 'fetch failed')
    return { code: 'unavailable', reason: "foxops could not reach the issuer's keys; try again" };
  // Everything else jose throws is about the token (not a JWT, another algorithm, a bad header).
  return { code: 'malformed_token', reason: 'the token is not a signed JWT foxops accepts (RS256)' };
}

/**
 * Verifies a GitHub Actions OIDC token: RS256 signature against the issuer's key set, issuer, audience, expiry and
 * not-before (with {@link CLOCK_TOLERANCE_SECONDS}) as of `now`, then reads the run's claims. Never throws; the
 * token itself is never logged or returned.
 */
export async function verifyRunToken(token: string, settings: OidcSettings, now: Date): Promise<TokenCheck> {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
    return { ok: false, code: 'malformed_token', reason: 'the bearer token is not a JWT' };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySetOf(settings.jwksUrl), {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['RS256'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    return { ok: false, ...problemOf(err) };
  }
  const claims = runClaimsOf(payload);
  return 'code' in claims ? { ok: false, ...claims } : { ok: true, claims };
}
