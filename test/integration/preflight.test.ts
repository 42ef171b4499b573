/**
 * Pre-flight checks other than CI through the real Lambda handler, against the loopback GitHub fake: the prepare job
 * compares the pinned SHA with the default branch (provenance) and with what runs (ordering), compares the workflow
 * file of the ref with the default branch's, and adds risk hints; a ✗ refuses the request with the way out,
 * whispered, unless it is a break-glass (then audited).
 */
import { randomBytes } from 'node:crypto';
import { deployIdFromDigest } from '../../src/domain/request.js';
import { blocksText, deployIdFrom, REPO, startHarness, TEST_CONFIG, type Harness } from '../support/harness.js';

let h: Harness;

/** A Monday morning in UTC: no Friday-afternoon hint unless a test asks for one. */
const MONDAY = new Date('2026-11-30T09:00:00Z');

const config = TEST_CONFIG.replace('    default_ref: main\n', '    default_ref: main\n    risky_paths: [migrations/**]\n    max_commits: 3\n').replace(
  '    run_timeout: 60m\n',
  '    run_timeout: 60m\n    time_zone: Europe/Berlin\n    break_glass_approvers: [U0ALICE, U0BOB]\n',
);

const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};
const whispersTo = (user: string) =>
  h.slack
    .callsTo('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));

/** Sends `/deploy <text>` from `channel` and waits for its prepare job; returns the request. */
async function ask(text: string, channel = 'C0PROD', user = 'U0DAVE') {
  const id = deployIdFrom(await h.command(text, { user, channel }));
  await h.idle();
  return (await h.store.requests.get(id))!;
}

/** Records `sha` as what runs in `environment`, as a finished deploy through foxops leaves it. */
async function running(sha: string, environment = 'production'): Promise<void> {
  await h.store.ledger.record({
    service: 'foxy-backend',
    environment,
    sha,
    shaUrl: `https://github.com/${REPO}/commit/${sha}`,
    ref: 'main',
    requestId: deployIdFromDigest(randomBytes(16)),
    kind: 'deploy',
    requester: 'U0ERIN',
    approvers: [],
    outcome: 'succeeded',
    startedAt: new Date(MONDAY.getTime() - 3_600_000).toISOString(),
    finishedAt: new Date(MONDAY.getTime() - 3_000_000).toISOString(),
  });
}

beforeEach(async () => {
  h = await startHarness({ config, cardSpacingMs: 20 });
  h.clock.now = MONDAY;
});

afterEach(async () => {
  await h?.close();
});

describe('provenance', () => {
  it('refuses a SHA only on a feature branch for production, saying how to merge first or which setting allows it', async () => {
    const [sha] = h.github.pushCommits(REPO, 'feature/x', ['Unmerged work']);

    const request = await ask('prod backend feature/x');

    expect(request).toMatchObject({ status: 'prepare_failed', sha, failure: { code: 'preflight_failed', params: { failed: 'provenance' } } });
    expect(request.preflight?.find((c) => c.check === 'provenance')).toMatchObject({ verdict: 'fail', code: 'not_reachable' });
    expect(h.github.dispatches).toHaveLength(0);
    const told = whispersTo('U0DAVE').join('\n');
    expect(told).toContain('is not on `main`: merge it first');
    expect(told).toContain('`checks: { allowed_refs: [...] }`');
    const trail = await h.store.audit.list(request.id);
    expect(trail).toContainEqual(expect.objectContaining({ action: 'preflight', outcome: 'error' }));
  });

  it('allows the same SHA in staging with a ⚠, and passes a SHA merged into main', async () => {
    h.github.pushCommits(REPO, 'feature/x', ['Unmerged work']);
    const staging = await ask('staging backend feature/x', 'C0STAGING');
    expect(staging.status).not.toBe('prepare_failed');
    expect(staging.preflight?.find((c) => c.check === 'provenance')).toMatchObject({ verdict: 'warn', code: 'not_reachable' });

    const prod = await ask('prod backend');
    expect(prod.status).toBe('awaiting_approval');
    expect(prod.preflight?.find((c) => c.check === 'provenance')).toMatchObject({ verdict: 'pass', code: 'reachable' });
    expect(await card(prod.id)).toContain('✓ Provenance: on `main`.');
  });
});

describe('ordering', () => {
  it('passes the SHA that runs already as the same, without asking GitHub to compare it with itself', async () => {
    const head = h.github.headOf(REPO, 'main');
    await running(head);

    const request = await ask('prod backend');

    expect(request.status).toBe('awaiting_approval');
    expect(request.preflight?.find((c) => c.check === 'ordering')).toMatchObject({ verdict: 'pass', code: 'same' });
    expect(await card(request.id)).toContain(`✓ Ordering: the same SHA as what runs (\`${head.slice(0, 7)}\`).`);
  });

  it('refuses a SHA behind what runs in production, with how many commits it takes out and whose', async () => {
    const old = h.github.headOf(REPO, 'main');
    const shipped = h.github.pushCommits(REPO, 'main', [
      { message: 'Fix A', author: 'bob' },
      { message: 'Fix B', author: 'bob' },
    ]);
    await running(shipped[1]!);
    h.github.tag(REPO, 'v-old', old);

    const request = await ask('prod backend v-old');

    expect(request.status).toBe('prepare_failed');
    expect(request.preflight?.find((c) => c.check === 'ordering')).toMatchObject({ verdict: 'fail', code: 'behind', params: { behindBy: 2 }, items: ['bob'] });
    const told = whispersTo('U0DAVE').join('\n');
    expect(told).toContain('would take out 2 commit(s) by bob');
    expect(told).toContain('`/deploy rollback production foxy-backend`');
  });

  it('checks the order again before sending: a card approved after a newer deploy shipped is refused at dispatch, nothing sent', async () => {
    // Prepare: Dave's card pins the head of main and waits; then two newer commits ship to production
    const request = await ask('prod backend');
    expect(request.preflight?.find((c) => c.check === 'ordering')).toMatchObject({ verdict: 'pass' });
    const shipped = h.github.pushCommits(REPO, 'main', ['Fix A', 'Fix B']);
    await running(shipped[1]!);

    // Act: the old card is approved
    await h.click('deploy_approve', request.id, { user: 'U0ALICE' });
    await h.click('deploy_approve', request.id, { user: 'U0BOB' });
    await h.idle();

    // Assess: no dispatch; the request failed with what runs now and the way out
    expect(h.github.dispatches).toHaveLength(0);
    const after = (await h.store.requests.get(request.id))!;
    expect(after.status).toBe('dispatch_failed');
    expect(after.failure).toMatchObject({ code: 'step_back', params: { deployedSha: shipped[1], behindBy: 2 } });
    expect(await card(request.id)).toContain(`now runs \`${shipped[1]!.slice(0, 7)}\``);
    expect(await card(request.id)).toContain('Nothing was sent to GitHub');
  });

  it('refuses a diverged SHA for production', async () => {
    // release/1 (allowed by `allowed_refs`, so provenance passes) forks before the hotfix that runs in production.
    const allowed = config.replace('    time_zone: Europe/Berlin\n', '    time_zone: Europe/Berlin\n    checks:\n      allowed_refs: [release/*]\n');
    await h.close();
    h = await startHarness({ config: allowed, cardSpacingMs: 20 });
    h.clock.now = MONDAY;
    h.github.pushCommits(REPO, 'release/1', ['Release branch work']);
    const [again] = h.github.pushCommits(REPO, 'main', [{ message: 'Hotfix on main', author: 'carol' }]);
    await running(again!);

    const request = await ask('prod backend release/1');

    expect(request.preflight?.find((c) => c.check === 'provenance')).toMatchObject({ verdict: 'pass', params: { branch: 'release/1' } });
    expect(request.preflight?.find((c) => c.check === 'ordering')).toMatchObject({ verdict: 'fail', code: 'diverged', params: { behindBy: 1, aheadBy: 1 } });
    expect(request.failure).toMatchObject({ code: 'preflight_failed', params: { failed: 'ordering', ordering: 'diverged', takenOutBy: 'carol' } });
    expect(whispersTo('U0DAVE').join('\n')).toContain('is diverged from what runs in production');
  });
});

describe('workflow file and risk hints', () => {
  it('shows ⚠ with the diff when the ref changes the workflow file', async () => {
    h.github.pushCommits(REPO, 'feature/wf', [{ message: 'Change deploy', files: { '.github/workflows/deploy.yml': 'name: deploy\non: push\n' } }]);
    const request = await ask('staging backend feature/wf', 'C0STAGING');
    expect(request.preflight?.find((c) => c.check === 'workflow')).toMatchObject({ verdict: 'warn', code: 'changed' });
    const text = await card(request.id);
    expect(text).toContain("⚠ Workflow: `.github/workflows/deploy.yml` differs from `main`'s:");
    expect(text).toContain(`<https://github.com/${REPO}/compare/main...`);

    h.github.pushCommits(REPO, 'feature/plain', ['No workflow change']);
    const plain = await ask('staging backend feature/plain', 'C0STAGING');
    expect(plain.preflight?.find((c) => c.check === 'workflow')).toMatchObject({ verdict: 'pass', code: 'same' });
  });

  it('hints at many commits, a migrations file and a Friday afternoon in the environment zone, without blocking', async () => {
    await running(h.github.headOf(REPO, 'main'));
    h.github.pushCommits(REPO, 'main', [{ message: 'Add column', files: { 'migrations/002_add.sql': 'alter table' } }, 'A', 'B', 'C']);
    // Friday 2026-12-04 11:30 UTC is 12:30 in Berlin.
    h.clock.now = new Date('2026-12-04T11:30:00Z');

    const request = await ask('prod backend');

    expect(request.status).toBe('awaiting_approval');
    expect(request.preflight?.find((c) => c.check === 'risk')).toMatchObject({
      verdict: 'warn',
      code: 'many_commits+risky_files+friday_afternoon',
      items: ['migrations/002_add.sql'],
    });
    const text = await card(request.id);
    expect(text).toContain('⚠ Risk: 4 commits (more than `max_commits` 3); risky files `migrations/002_add.sql`; a Friday afternoon in Europe/Berlin.');
  });

  it('shows no risk on a quiet Monday deploy', async () => {
    await running(h.github.headOf(REPO, 'main'));
    h.github.pushCommits(REPO, 'main', ['Small change']);
    const request = await ask('prod backend');
    expect(request.preflight?.find((c) => c.check === 'risk')).toEqual({ check: 'risk', verdict: 'pass' });
  });
});

describe('break-glass', () => {
  it('overrides a ✗, shows it on the card and audits the override', async () => {
    h.github.pushCommits(REPO, 'feature/hotfix', ['Emergency fix']);

    const request = await ask('prod backend feature/hotfix --break-glass outage');

    expect(request.status).toBe('awaiting_approval');
    expect(request.preflight?.find((c) => c.check === 'provenance')).toMatchObject({ verdict: 'fail' });
    const text = await card(request.id);
    expect(text).toContain('*Pre-flight* (✗ overridden by break-glass, audited)');
    // No freeze is in force: the card does not claim one
    expect(request.breakGlass).toEqual({ reason: 'outage' });
    expect(text).toContain('Break-glass past the pre-flight checks, no freeze in force');
    expect(text).not.toContain('during a freeze');
    const trail = await h.store.audit.list(request.id);
    expect(trail).toContainEqual(expect.objectContaining({ action: 'preflight_override', actor: 'U0DAVE', detail: expect.stringContaining('not_reachable') }));
  });
});
