/**
 * GitHub's webhook signature (`X-Hub-Signature-256`): `sha256=` and the hex HMAC-SHA256 of the raw body,
 * keyed with the webhook secret. The same algorithm as `verify` of @octokit/webhooks-methods
 * (test/unit/webhook-signature.test.ts checks both agree), on node:crypto alone: that package ships
 * only as an ES module for `import`, which the CommonJS test runner cannot load, and the webhook path
 * loads nothing it does not need.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The `X-Hub-Signature-256` value GitHub sends for `body`. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** True when `signature` is GitHub's signature of `body` with `secret`; compared in constant time. */
export function verifyWebhookSignature(secret: string, body: string, signature: string | undefined): boolean {
  if (!secret || !signature) return false;
  const expected = Buffer.from(signWebhook(secret, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
