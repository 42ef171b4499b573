/**
 * What people read about rollbacks: the rollback card (from → to, the commits taken out, the reason, the approvals,
 * each status), the note a rollback leaves on status and on the next deploy card, the version in status and history,
 * and the private note when a rollback cannot be planned. Pure: requests and ledger entries in, Block Kit out.
 */
import type { DeploymentRecord } from '../../src/domain/ports.js';
import type { CommitSummary, DeployRequest, RequestStatus, RollbackDetails } from '../../src/domain/request.js';
import type { ServiceStatus } from '../../src/deploys/status.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { whisperText } from '../../src/slack/blocks/run-notice.js';
import { historyMessage, statusMessage } from '../../src/slack/blocks/status.js';
import { blocksText } from '../support/blocks.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const OLD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);
const url = (sha: string) => `https://github.com/foxy-org/foxy-backend/commit/${sha}`;
const commit = (sha: string, message: string): CommitSummary => ({ sha, message, author: 'dev', url: url(sha) });

const planned: RollbackDetails = {
  mode: 'alias',
  reason: '5xx spike <!channel>',
  from: {
    requestId: 'd-bbbbbbbbbb',
    sha: BAD,
    shaUrl: url(BAD),
    ref: 'main',
    version: '6',
    requester: 'U0DAVE',
    finishedAt: '2030-01-01T11:50:00.000Z',
    kind: 'deploy',
  },
  to: {
    requestId: 'd-aaaaaaaaaa',
    sha: OLD,
    shaUrl: url(OLD),
    ref: 'main',
    version: '5',
    requester: 'U0FRANK',
    finishedAt: '2030-01-01T10:00:00.000Z',
    kind: 'deploy',
  },
  alias: { functionName: 'fb-prod', alias: 'live', live: '6' },
};

/** A planned alias rollback of foxy-backend in production, from v6 (`bbbbbbb`) back to v5 (`aaaaaaa`). */
function rollback(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    ...productionRequest({ now: NOW, kind: 'rollback', requiredApprovals: 1 }),
    status,
    sha: OLD,
    shaUrl: url(OLD),
    baseSha: BAD,
    commits: [commit('c'.repeat(40), 'Break the login')],
    totalCommits: 1,
    compareUrl: `https://github.com/foxy-org/foxy-backend/compare/${OLD}...${BAD}`,
    rollback: planned,
    ...overrides,
  };
}

const text = (r: DeployRequest) => blocksText(deployCard(r));
const buttons = (r: DeployRequest) =>
  deployCard(r).blocks.flatMap((b) =>
    b.type === 'actions' ? (b.elements as Array<{ action_id: string; text: { text: string }; confirm?: { text: { text: string } } }>) : [],
  );

describe('the rollback card', () => {
  it('shows from → to with version, short SHA, who deployed each and when, the reason and the approvals', () => {
    // Act
    const card = text(rollback('awaiting_approval'));

    // Assess
    expect(card).toContain(':fox_face: Roll back *foxy-backend* in *production*');
    expect(card).toContain(
      `*From (runs now)*\nv6 <${url(BAD)}|\`bbbbbbb\`> (\`main\`)\ndeployed by <@U0DAVE> <!date^${Date.parse('2030-01-01T11:50:00.000Z') / 1000}^`,
    );
    expect(card).toContain(
      `*To (goes back to)*\nv5 <${url(OLD)}|\`aaaaaaa\`> (\`main\`)\ndeployed by <@U0FRANK> <!date^${Date.parse('2030-01-01T10:00:00.000Z') / 1000}^`,
    );
    expect(card).toContain(', deploy `d-aaaaaaaaaa`');
    expect(card).toContain('*Reason*\n5xx spike &lt;!channel&gt;');
    expect(card).toContain('*Approvals*\n0 of 1: _none yet_');
    expect(card).toContain(':hourglass: Waiting for approvals: 0 of 1');
    expect(card).toContain('Moves alias `live` of `fb-prod` from v6 to v5: no GitHub run, seconds.');
  });

  it('lists the commits being taken out', () => {
    // Act
    const card = text(rollback('awaiting_approval'));

    // Assess
    expect(card).toContain(
      `*1 commit(s) being taken out, after \`aaaaaaa\` up to \`bbbbbbb\` (<https://github.com/foxy-org/foxy-backend/compare/${OLD}...${BAD}|compare>):*`,
    );
    expect(card).toContain('Break the login (dev)');
  });

  it('warns when the alias serves another version than the ledger says', () => {
    // Act
    const card = text(rollback('awaiting_approval', { rollback: { ...planned, alias: { ...planned.alias!, live: '7' } } }));

    // Assess
    expect(card).toContain(':warning: `live` serves v7 now, not v6 as foxops recorded; the move only goes ahead while it still serves v7.');
  });

  it('says a reason was not given, and how a redeploy goes', () => {
    // Act
    const card = text(rollback('awaiting_approval', { rollback: { ...planned, mode: 'redeploy', reason: undefined, alias: undefined } }));

    // Assess
    expect(card).toContain('*Reason*\n_none given_');
    expect(card).toContain("Redeploys `aaaaaaa` through `deploy.yml`, like a deploy: the workflow's run shows on this card.");
  });

  it('asks for confirmation of Approve naming the version and the SHA it goes back to', () => {
    // Act
    const [approve, reject] = buttons(rollback('awaiting_approval'));

    // Assess
    expect(approve!.action_id).toBe(ACTION_IDS.approve);
    expect(approve!.confirm!.text.text).toBe('You approve rolling back *foxy-backend* in *production* to v5 `aaaaaaa`: `live` is moved back at once.');
    expect(reject!.action_id).toBe(ACTION_IDS.reject);
  });

  it.each<[RequestStatus, Partial<DeployRequest>, string]>([
    ['preparing', {}, ':hourglass_flowing_sand: Planning the rollback…'],
    [
      'prepare_failed',
      { failure: { code: 'nothing_deployed', params: { service: 'foxy-backend', environment: 'production' } } },
      ':x: Could not plan the rollback: Nothing was deployed to production',
    ],
    ['approved', { approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }] }, ':white_check_mark: Approved (1 of 1), moving `live` to v5…'],
    ['rolling_back', {}, ':rewind: Moving `live` of `fb-prod` from v6 to v5…'],
    [
      'succeeded',
      { dispatchedAt: '2030-01-01T12:00:00.000Z', finishedAt: '2030-01-01T12:00:02.000Z' },
      ':large_green_circle: *Rolled back* in 2s: `live` of `fb-prod` serves v5 again (confirmed), no GitHub run.',
    ],
    [
      'rollback_failed',
      { failure: { code: 'version_pruned', params: { function: 'fb-prod', alias: 'live', version: '5' } } },
      ':x: *Rollback failed.* Version 5 of `fb-prod` no longer exists',
    ],
  ])('says where it stands in %p', (status, overrides, expected) => {
    // Act
    const card = text(rollback(status, overrides));

    // Assess
    expect(card).toContain(expected);
  });

  it('offers Retry rollback and Give up once it failed', () => {
    // Act
    const found = buttons(rollback('rollback_failed', { failure: { code: 'alias_moved', params: { expected: '6', actual: '7' } } })).map((b) => [
      b.action_id,
      b.text.text,
    ]);

    // Assess
    expect(found).toEqual([
      [ACTION_IDS.retry, 'Retry rollback'],
      [ACTION_IDS.reject, 'Give up'],
    ]);
  });

  it('has a notification text naming the version and SHA it goes back to', () => {
    // Act
    const card = deployCard(rollback('awaiting_approval'));

    // Assess
    expect(card.text).toBe('Roll back foxy-backend in production to v5 aaaaaaa: awaiting approval');
  });
});

describe('the note a rollback leaves', () => {
  const note = { requestId: 'd-bbbbbbbbbb', sha: BAD, version: '6', by: 'U0DAVE', reason: 'broke <@U0ALL>', at: '2030-01-01T11:59:00.000Z' };

  it('is on the next deploy card', () => {
    // Act
    const card = text({ ...productionRequest({ now: NOW }), status: 'awaiting_approval', sha: OLD, rolledBack: note });

    // Assess
    expect(card).toContain(
      ':rewind: *production* was rolled back from `bbbbbbb` (v6) by <@U0DAVE> ' +
        `<!date^${Date.parse(note.at) / 1000}^{date_short_pretty} {time}|${note.at}>: broke &lt;@U0ALL&gt;`,
    );
  });

  it('is on status under what runs, with the version; history marks the rollback', () => {
    // Prepare
    const current: DeploymentRecord = {
      service: 'foxy-backend',
      environment: 'production',
      sha: OLD,
      ref: 'main',
      requestId: 'd-cccccccccc',
      kind: 'rollback',
      requester: 'U0DAVE',
      approvers: ['U0ALICE'],
      outcome: 'succeeded',
      startedAt: '2030-01-01T11:59:58.000Z',
      finishedAt: '2030-01-01T11:59:59.000Z',
      version: '5',
      restores: { requestId: 'd-aaaaaaaaaa', finishedAt: '2030-01-01T10:00:00.000Z', sha: OLD, version: '5' },
      rolledBackFrom: { requestId: 'd-bbbbbbbbbb', sha: BAD, version: '6' },
    };
    const services: ServiceStatus[] = [
      { service: 'foxy-backend', environments: [{ environment: 'production', current, inFlight: [], waiting: [], locks: [] }] },
    ];

    // Act
    const [fallback, blocks] = statusMessage(services, NOW);
    const [, history] = historyMessage('foxy-backend', 'production', [current]);

    // Assess
    expect(fallback).toBe('foxy-backend: production aaaaaaa v5');
    const status = blocksText({ blocks });
    expect(status).toContain('*production*: `aaaaaaa` v5 (`main`) rolled back to 1s ago by <@U0DAVE>, approved by <@U0ALICE>, deploy `d-cccccccccc`');
    expect(status).toContain(':rewind: *production* was rolled back from `bbbbbbb` (v6) by <@U0DAVE> <!date^');
    expect(status).toContain('(no reason given)');
    expect(blocksText({ blocks: history })).toContain(
      '`aaaaaaa` v5 (`main`) :rewind: rollback succeeded in 1s, by <@U0DAVE>, approved by <@U0ALICE>, deploy `d-cccccccccc`',
    );
  });
});

describe('a failed rollback in /deploy status', () => {
  it('is marked as failed and waiting for Retry or Give up, the word "rollback" once', () => {
    // Prepare
    const failed = rollback('rollback_failed');
    const services: ServiceStatus[] = [{ service: 'foxy-backend', environments: [{ environment: 'production', inFlight: [], waiting: [failed], locks: [] }] }];

    // Act
    const [, blocks] = statusMessage(services, NOW);

    // Assess
    const words = blocksText({ blocks });
    expect(words).toContain(`:warning: <${url(OLD)}|\`aaaaaaa\`> (\`main\`) rollback failed: Retry or Give up on its card, requested by`);
    expect(words).not.toContain('rollback rollback');
    expect(words).not.toContain(':hourglass:');
  });
});

describe('the private note when a rollback cannot be planned', () => {
  it('names the rollback and the reason', () => {
    // Prepare
    const r = rollback('prepare_failed', {
      failure: { code: 'target_unknown', params: { service: 'foxy-backend', environment: 'production', target: 'v99' } },
    });

    // Act
    const words = whisperText({ kind: 'prepare_failed', request: r });

    // Assess
    expect(words).toBe(
      ':x: I could not plan the rollback of *foxy-backend* in *production*: `v99` names no deploy of foxy-backend in production among the last 50. ' +
        'Give a Lambda version (`v12`), a commit SHA (7 or more characters) or a deploy id from `/deploy history production foxy-backend`.',
    );
  });
});
