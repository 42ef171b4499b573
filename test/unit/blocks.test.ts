/**
 * The deploy card and the help text: what people see and click, and that user text cannot
 * turn into mentions or break Slack's limits.
 */
import { productionRequest } from '../support/requests.js';
import type { Catalog, EnvironmentDefinition, ServiceDefinition } from '../../src/domain/catalog.js';
import { type CommitSummary, type DeployRequest, REQUEST_STATUSES, type RequestStatus } from '../../src/domain/request.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { type SlackMessage, deployCard } from '../../src/slack/blocks/deploy-card.js';
import { escapeText } from '../../src/slack/blocks/text.js';
import { helpText } from '../../src/slack/blocks/help.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const BASE_SHA = '9a0364b9e99bb480dd25e1f0284c8555c1ef2b2f';

const commit = (i: number, message = `Change number ${i}`): CommitSummary => {
  const sha = i.toString(16).padStart(40, 'c');
  return { sha, message, author: `dev${i}`, url: `https://github.com/foxy-org/foxy-backend/commit/${sha}` };
};

/** A request for foxy-backend to production, resolved to SHA with two commits since BASE_SHA. */
function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  const r = productionRequest({ now: NOW });
  return {
    ...r,
    status,
    sha: SHA,
    shaUrl: `https://github.com/foxy-org/foxy-backend/commit/${SHA}`,
    baseSha: BASE_SHA,
    commits: [commit(1), commit(2)],
    totalCommits: 2,
    compareUrl: `https://github.com/foxy-org/foxy-backend/compare/${BASE_SHA}...${SHA}`,
    ...overrides,
  };
}

interface Button {
  type: 'button';
  action_id: string;
  value?: string;
  style?: string;
  text: { text: string };
  confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string } };
}

const buttons = (message: SlackMessage): Button[] =>
  message.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as Button[]) : [])).filter((e) => e.type === 'button');

/** Every text object in the message, with where it sits, for the length limits. */
function texts(value: unknown, where = 'blocks'): Array<{ where: string; text: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => texts(v, `${where}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  const own = (obj.type === 'mrkdwn' || obj.type === 'plain_text') && typeof obj.text === 'string' ? [{ where, text: obj.text }] : [];
  return [...own, ...Object.entries(obj).flatMap(([k, v]) => texts(v, `${where}.${k}`))];
}

/** All the text a reader could see, in one string. */
const allText = (message: SlackMessage) => [message.text, ...texts(message.blocks).map((t) => t.text)].join('\n');

describe('deployCard: awaiting approval', () => {
  it('has Approve and Reject buttons carrying the request id', () => {
    // Act
    const card = deployCard(request('awaiting_approval'));

    // Assess
    const [approve, reject] = buttons(card);
    expect(buttons(card)).toHaveLength(2);
    expect(approve).toMatchObject({ action_id: ACTION_IDS.approve, value: 'd-0123456789', style: 'primary', text: { text: 'Approve' } });
    expect(reject).toMatchObject({ action_id: ACTION_IDS.reject, value: 'd-0123456789', style: 'danger', text: { text: 'Reject' } });
  });

  it('asks for confirmation of Approve, naming service, short SHA, environment and ref', () => {
    // Act
    const card = deployCard(request('awaiting_approval'));

    // Assess
    const confirm = buttons(card)[0]!.confirm!;
    expect(confirm.title.text).toBe('Approve this deploy?');
    expect(confirm.text.text).toContain('`3f78685`');
    expect(confirm.text.text).not.toContain(SHA);
    expect(confirm.text.text).toContain('*foxy-backend*');
    expect(confirm.text.text).toContain('*production*');
    expect(confirm.text.text).toContain('`main` moves');
    expect(confirm.confirm.text).toBe('Approve');
    expect(confirm.deny.text).toBe('Cancel');
  });

  it('puts the request id into the actions block id', () => {
    // Act
    const card = deployCard(request('awaiting_approval'));

    // Assess
    expect(card.blocks.find((b) => b.type === 'actions')?.block_id).toBe('deploy_actions:d-0123456789');
  });

  it('shows who approved so far and when it expires', () => {
    // Prepare
    const r = request('awaiting_approval', { approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }] });

    // Act
    const text = allText(deployCard(r));

    // Assess
    expect(text).toContain('*Approvals*\n1 of 2: <@U0ALICE>');
    expect(text).toContain(`*Expires*\n<!date^${Date.parse(r.expiresAt) / 1000}^`);
    expect(text).toContain(':hourglass: Waiting for approvals: 1 of 2');
  });

  it('says so when nobody has approved yet', () => {
    // Act
    const text = allText(deployCard(request('awaiting_approval')));

    // Assess
    expect(text).toContain('0 of 2: _none yet_');
  });

  it('has a notification text naming service, short SHA, environment and status', () => {
    // Act
    const card = deployCard(request('awaiting_approval'));

    // Assess
    expect(card.text).toBe('Deploy foxy-backend 3f78685 to production: awaiting approval');
  });
});

describe('deployCard: dispatch failed', () => {
  const failed = () =>
    request('dispatch_failed', {
      failure: {
        code: 'workflow_not_found',
        params: { action: 'dispatch', repo: 'foxy-org/foxy-backend', workflow: 'deploy.yml', ref: 'main', status: 404 },
        cause: 'Not Found',
      },
    });

  it('explains the failure in words', () => {
    // Act
    const text = allText(deployCard(failed()));

    // Assess
    expect(text).toContain(
      ':x: *Dispatch failed.* GitHub cannot find the workflow `deploy.yml` in foxy-org/foxy-backend (404). ' +
        'Check that .github/workflows/deploy.yml exists on the default branch, has an `on: workflow_dispatch` trigger, ' +
        "and that foxops' token can see the repository.",
    );
  });

  it('shows the sentence stored by an older version as it was written', () => {
    // Prepare
    const legacy = { code: 'workflow_not_found', message: 'The workflow deploy.yml does not exist on main.' };

    // Act
    const text = allText(deployCard(request('dispatch_failed', { failure: legacy as DeployRequest['failure'] })));

    // Assess
    expect(text).toContain(':x: *Dispatch failed.* The workflow deploy.yml does not exist on main.');
  });

  it('has a Retry button and a Give up button carrying the request id, and no Approve', () => {
    // Act
    const card = deployCard(failed());

    // Assess
    expect(buttons(card).map((b) => [b.action_id, b.value, b.text.text])).toEqual([
      [ACTION_IDS.retry, 'd-0123456789', 'Retry dispatch'],
      [ACTION_IDS.reject, 'd-0123456789', 'Give up'],
    ]);
  });
});

describe('deployCard: statuses without actions', () => {
  // `queued_behind` keeps its Reject button (test/unit/queued-card.test.ts); a run in flight has Cancel
  // (test/unit/cancel-and-notify.test.ts).
  const withButtons: readonly RequestStatus[] = ['awaiting_approval', 'queued_behind', 'dispatch_failed', 'rollback_failed', 'dispatched', 'queued', 'running'];
  const withoutButtons = REQUEST_STATUSES.filter((s) => !withButtons.includes(s));

  it.each(withoutButtons.map((s) => [s]))('has no buttons and no actions block in %p', (status) => {
    // Act
    const card = deployCard(request(status, { rejectedBy: 'U0BOB', run: { id: 42, url: 'https://github.com/r/42', attempt: 1, jobs: [] } }));

    // Assess
    expect(buttons(card)).toEqual([]);
    expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it.each<[RequestStatus, string]>([
    ['preparing', 'Resolving `main`'],
    ['succeeded', '*Succeeded* in 4m 10s: <https://github.com/r/42|run 42>'],
    ['failed', '*Failed* in 4m 10s: <https://github.com/r/42|run 42>'],
    ['timed_out', '*Timed out*: no result from <https://github.com/r/42|run 42> in time.'],
    ['unknown', 'GitHub no longer knows <https://github.com/r/42|run 42>'],
    ['rejected', 'Rejected by <@U0BOB>: not today'],
  ])('says what happened in %p', (status, expected) => {
    // Prepare
    const r = request(status, {
      rejectedBy: 'U0BOB',
      rejectionReason: 'not today',
      dispatchedAt: '2030-01-01T12:10:00.000Z',
      finishedAt: '2030-01-01T12:14:10.000Z',
      run: { id: 42, url: 'https://github.com/r/42', attempt: 1, jobs: [] },
    });

    // Act
    const text = allText(deployCard(r));

    // Assess
    expect(text).toContain(expected);
  });

  it.each<[string, Partial<DeployRequest>, string]>([
    ['withdrawn by its requester', { rejectedBy: 'U0CAROL' }, 'Withdrawn by <@U0CAROL>: wrong branch'],
    ['given up after a failed dispatch', { rejectedBy: 'U0BOB', failure: { code: 'workflow_not_found', params: {} } }, 'Given up by <@U0BOB>: wrong branch'],
    ['rejected by an approver', { rejectedBy: 'U0BOB' }, 'Rejected by <@U0BOB>: wrong branch'],
  ])('says who ended it and how: %s', (_what, overrides, expected) => {
    // Act
    const text = allText(deployCard(request('rejected', { rejectionReason: 'wrong branch', ...overrides })));

    // Assess
    expect(text).toContain(expected);
  });

  it('marks a re-run attempt', () => {
    // Act
    const text = allText(deployCard(request('running', { run: { id: 42, url: 'https://github.com/r/42', attempt: 2, jobs: [] } })));

    // Assess
    expect(text).toContain('(re-run, attempt 2)');
  });

  it('shows the deploy id instead of the expiry once approved', () => {
    // Act
    const text = allText(deployCard(request('running')));

    // Assess
    expect(text).toContain('*Deploy id*\n`d-0123456789`');
    expect(text).not.toContain('*Expires*');
  });
});

describe('deployCard: escaping user text', () => {
  const MENTIONS = ['<!channel>', '<!here>', '<!everyone>', '<@U0EVIL>', '<!subteam^S0ALL>', '<https://evil.example|click>'];

  it('escapes a commit message so `<!channel>` does not become a mention', () => {
    // Prepare
    const r = request('awaiting_approval', { commits: [commit(1, '<!channel> deploy & pray >_<')] });

    // Act
    const text = allText(deployCard(r));

    // Assess
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; deploy &amp; pray &gt;_&lt;');
  });

  it('escapes the ref in the fields and in the confirm dialog', () => {
    // Prepare
    const r = request('awaiting_approval', { ref: '<!here>' });

    // Act
    const card = deployCard(r);

    // Assess
    expect(allText(card)).not.toContain('<!here>');
    expect(buttons(card)[0]!.confirm!.text.text).toContain('`&lt;!here&gt;`');
  });

  it.each(MENTIONS)('lets no %p through from any user-supplied text', (mention) => {
    // Prepare
    const r = request('failed', {
      ref: mention,
      commits: [{ ...commit(1, mention), author: mention }],
      failure: { code: 'forbidden', params: { action: 'dispatch', repo: mention, workflow: mention }, cause: mention },
      rejectionReason: mention,
      run: {
        id: 1,
        url: 'https://github.com/r/1',
        attempt: 1,
        jobs: [{ id: 1, name: mention, status: 'completed', conclusion: 'failure', failedStep: mention }],
      },
    });

    // Act
    const legacy = { code: 'x', message: mention } as DeployRequest['failure'];
    const texts = [
      deployCard(r),
      deployCard({ ...r, status: 'preparing' }),
      deployCard({ ...r, status: 'rejected', rejectedBy: 'U0BOB' }),
      deployCard({ ...r, status: 'dispatch_failed' }),
      deployCard({ ...r, status: 'prepare_failed', failure: { code: 'ref_not_found', params: { repo: mention, ref: mention } } }),
      deployCard({ ...r, status: 'dispatch_failed', failure: legacy }),
    ].map(allText);

    // Assess
    for (const text of texts) expect(text).not.toContain(mention);
  });

  it('escapes &, < and > only', () => {
    // Act
    const escaped = escapeText('a & b < c > d "e" \'f\'');

    // Assess
    expect(escaped).toBe('a &amp; b &lt; c &gt; d "e" \'f\'');
  });
});

describe('deployCard: commit list', () => {
  it('lists the commits newest first under a header with the base SHA and compare link', () => {
    // Act
    const text = allText(deployCard(request('awaiting_approval')));

    // Assess
    expect(text).toContain(`*2 commit(s) since \`9a0364b\` (<https://github.com/foxy-org/foxy-backend/compare/${BASE_SHA}...${SHA}|compare>):*`);
    expect(text.indexOf('Change number 2')).toBeLessThan(text.indexOf('Change number 1'));
    expect(text).toContain(`• <${commit(2).url}|\`${commit(2).sha.slice(0, 7)}\`> Change number 2 (dev2)`);
  });

  it('says "…and N more" when more commits exist than are listed', () => {
    // Prepare
    const commits = Array.from({ length: 10 }, (_, i) => commit(i + 1));

    // Act
    const text = allText(deployCard(request('awaiting_approval', { commits, totalCommits: 25 })));

    // Assess
    expect(text).toContain('*25 commit(s) since');
    expect(text).toContain('…and 15 more');
  });

  it('says nothing more when every commit is listed', () => {
    // Act
    const text = allText(deployCard(request('awaiting_approval')));

    // Assess
    expect(text).not.toContain('more');
  });

  it('has its own header for the first deploy through foxops', () => {
    // Act
    const text = allText(deployCard(request('awaiting_approval', { baseSha: undefined, commits: [commit(1)], totalCommits: 1 })));

    // Assess
    expect(text).toContain('*First deploy through foxops to production; the commit:*');
  });

  it('says when the SHA is already deployed', () => {
    // Act
    const text = allText(deployCard(request('awaiting_approval', { baseSha: SHA })));

    // Assess
    expect(text).toContain('_This SHA is already what runs in production._');
    expect(text).not.toContain('Change number');
  });

  it('shows no commit list before the ref is resolved', () => {
    // Act
    const card = deployCard(request('preparing', { sha: undefined, shaUrl: undefined }));

    // Assess
    expect(allText(card)).not.toContain('Change number');
    expect(allText(card)).toContain('_resolving_');
  });
});

describe('deployCard: Slack limits', () => {
  /** Slack refuses the whole message when one of these is exceeded. */
  function limitViolations(card: SlackMessage): string[] {
    const out: string[] = [];
    if (card.blocks.length > 50) out.push(`${card.blocks.length} blocks`);
    for (const { where, text } of texts(card.blocks)) {
      const max = /\.confirm\.text$/.test(where) ? 300 : /\.fields\[\d+\]$/.test(where) ? 2000 : /\.elements\[\d+\]\.text$/.test(where) ? 75 : 3000;
      if (text.length >= max) out.push(`${where}: ${text.length} >= ${max}`);
    }
    for (const b of card.blocks) {
      if (b.block_id && b.block_id.length > 255) out.push(`block_id ${b.block_id.length}`);
      if (b.type === 'section' && b.fields && b.fields.length > 10) out.push(`${b.fields.length} fields`);
    }
    for (const btn of buttons(card)) if ((btn.value ?? '').length > 2000) out.push(`button value ${btn.value!.length}`);
    return out;
  }

  const longCommits = (char: string) =>
    Array.from({ length: 10 }, (_, i) => ({ ...commit(i + 1, `${char.repeat(400)} ${i}`), author: 'Someone With A Rather Long Display Name' }));

  it.each([
    ['plain letters', 'x'],
    ['characters that grow when escaped', '<'],
  ])('holds with 10 long commit messages of %s', (_why, char) => {
    // Prepare
    const r = request('awaiting_approval', { commits: longCommits(char), totalCommits: 10 });

    // Act
    const card = deployCard(r);

    // Assess
    expect(limitViolations(card)).toEqual([]);
  });

  it('still says how many commits are not shown when long messages do not all fit', () => {
    // Prepare
    const r = request('awaiting_approval', { commits: longCommits('<'), totalCommits: 40 });

    // Act
    const text = allText(deployCard(r));

    // Assess
    const shown = (text.match(/^• /gm) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(text).toContain(`…and ${40 - shown} more`);
  });

  it('never cuts a commit line in the middle of its link', () => {
    // Prepare
    const r = request('awaiting_approval', { commits: longCommits('x'), totalCommits: 10 });

    // Act
    const commitsText = texts(deployCard(r).blocks).find((t) => t.text.includes('commit(s) since'))!.text;

    // Assess
    for (const line of commitsText.split('\n').filter((l) => l.startsWith('• ')))
      expect(line).toMatch(/^• <https:\/\/[^|>]+\|`[0-9a-f]{7}`> .* \(Someone With A Rather Long Display Name\)$/);
  });

  it('holds with the longest ref the parser accepts', () => {
    // Prepare
    const r = request('awaiting_approval', { ref: `release/${'a'.repeat(192)}` });

    // Act
    const card = deployCard(r);

    // Assess
    expect(limitViolations(card)).toEqual([]);
  });

  it('holds with a hundred workflow jobs', () => {
    // Prepare
    const jobs = Array.from({ length: 100 }, (_, i) => ({
      id: i,
      name: `deploy-region-${i}-with-a-long-name`,
      status: 'completed' as const,
      conclusion: 'failure',
      url: `https://github.com/foxy-org/foxy-backend/actions/runs/1/job/${i}`,
      failedStep: 'Run the smoke tests against the new version',
    }));

    // Act
    const card = deployCard(request('failed', { run: { id: 1, url: 'https://github.com/r/1', attempt: 1, jobs } }));

    // Assess
    expect(limitViolations(card)).toEqual([]);
  });
});

describe('helpText', () => {
  const env = (name: string, aliases: string[], approvals: number, channels: string[]): EnvironmentDefinition => ({
    name,
    aliases,
    channels,
    approvals,
    approvers: [],
    requesters: 'any',
    requestTtlMs: 1,
    staleAfterMs: 1,
    runTimeoutMs: 1,
  });
  const svc = (name: string, aliases: string[], defaultRef: string): ServiceDefinition => ({
    name,
    aliases,
    repo: `foxy-org/${name}`,
    workflow: 'deploy.yml',
    defaultRef,
    targets: {},
  });
  const catalog: Catalog = {
    services: [svc('foxy-backend', ['backend', 'api'], 'main'), svc('foxy-frontend', [], 'trunk')],
    environments: [env('staging', ['stg'], 0, ['C0STAGING']), env('production', ['prod'], 2, ['C0PROD', 'C0RELEASES'])],
    defaultService: 'foxy-frontend',
  };

  it('names every environment with aliases, approvals and channels', () => {
    // Act
    const text = helpText(catalog);

    // Assess
    expect(text).toContain('• *staging* (stg): no approval needed, in <#C0STAGING>');
    expect(text).toContain('• *production* (prod): 2 approval(s), in <#C0PROD> <#C0RELEASES>');
  });

  it('names every service with repo and default ref, and marks the default service', () => {
    // Act
    const text = helpText(catalog);

    // Assess
    expect(text).toContain('• *foxy-backend* (backend, api): foxy-org/foxy-backend, default ref `main`\n');
    expect(text).toContain('• *foxy-frontend*: foxy-org/foxy-frontend, default ref `trunk` _(default)_');
  });

  it('lists every command with a real example', () => {
    // Act
    const text = helpText(catalog);

    // Assess
    expect(text).toContain('`/deploy production foxy-backend main`');
    for (const usage of [
      '`/deploy <env> [service] [ref]`',
      '`/deploy status [env] [service] [--stats]`',
      '`/deploy history <env> [service] [count]`',
      '`/deploy help`',
    ])
      expect(text).toContain(usage);
  });

  it('stays within one Slack text block', () => {
    // Act
    const text = helpText(catalog);

    // Assess
    expect(text.length).toBeLessThan(3000);
  });
});
