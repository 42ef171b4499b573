/**
 * foxops' webhook signature check against the reference implementation: `sign` and `verify` of
 * @octokit/webhooks-methods, run in a child Node process because the package ships only as an ES module.
 */
import { execFileSync } from 'node:child_process';
import { signWebhook, verifyWebhookSignature } from '../../src/github/signature.js';
import { githubSignature } from '../support/harness.js';

const SECRET = "It's a Secret to Everybody";
const BODIES = ['Hello, World!', JSON.stringify({ action: 'completed', emoji: '🦊', text: 'café <&>' }), ''.padEnd(5000, 'x')];

/** Runs `sign` and `verify` of @octokit/webhooks-methods on each body and returns what they said. */
function reference(bodies: string[], signatures: string[]): { signed: string[]; verified: boolean[] } {
  const script = `
    import { sign, verify } from '@octokit/webhooks-methods';
    const [secret, bodies, signatures] = JSON.parse(process.argv[1]);
    const signed = await Promise.all(bodies.map((b) => sign(secret, b)));
    const verified = await Promise.all(bodies.map((b, i) => verify(secret, b, signatures[i])));
    process.stdout.write(JSON.stringify({ signed, verified }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([SECRET, bodies, signatures])], { encoding: 'utf8' }));
}

describe('webhook signatures', () => {
  it('signs exactly like @octokit/webhooks-methods, and each accepts the other’s signature', () => {
    // Prepare
    const ours = BODIES.map((b) => signWebhook(SECRET, b));

    // Act
    const theirs = reference(BODIES, ours);

    // Assess
    expect(theirs.signed).toEqual(ours);
    expect(theirs.verified).toEqual(BODIES.map(() => true));
    expect(BODIES.map((b, i) => verifyWebhookSignature(SECRET, b, theirs.signed[i]))).toEqual(BODIES.map(() => true));
    expect(BODIES.map((b) => githubSignature(SECRET, b))).toEqual(ours);
  });

  it('matches the example in GitHub’s documentation', () => {
    // Act
    const signature = signWebhook(SECRET, 'Hello, World!');

    // Assess
    expect(signature).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it.each<[string, string | undefined]>([
    ['missing', undefined],
    ['empty', ''],
    ['of another body', signWebhook(SECRET, 'Hello, World?')],
    ['with another secret', signWebhook('other', 'Hello, World!')],
    ['as sha1', 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59'],
    ['truncated', signWebhook(SECRET, 'Hello, World!').slice(0, 40)],
  ])('refuses a signature %s', (_name, signature) => {
    // Act
    const ok = verifyWebhookSignature(SECRET, 'Hello, World!', signature);

    // Assess
    expect(ok).toBe(false);
  });
});
