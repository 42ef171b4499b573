/**
 * The rollback by alias and the version record, on in-memory ports: the claim, each way the move can end, a job that
 * died half-way, and when a version is (not) recorded. The whole path through the handler and the Lambda fake is in
 * test/integration/rollback.test.ts.
 */
import { rollBackByAlias, resolveStuckRollback } from '../../src/deploys/alias-rollback.js';
import { recordVersion } from '../../src/deploys/record-version.js';
import { AliasError } from '../../src/domain/errors.js';
import type { AliasState, DeploymentRecord, FunctionAliases } from '../../src/domain/ports.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';
import { TEST_CATALOG } from '../support/catalog.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const OLD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);

function rollback(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    ...productionRequest({ now: NOW, kind: 'rollback', requiredApprovals: 1 }),
    status,
    sha: OLD,
    baseSha: BAD,
    approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }],
    rollback: {
      mode: 'alias',
      reason: 'errors',
      from: { requestId: 'd-bbbbbbbbbb', sha: BAD, ref: 'main', version: '6', requester: 'U0DAVE', finishedAt: '2030-01-01T11:00:00.000Z', kind: 'deploy' },
      to: { requestId: 'd-aaaaaaaaaa', sha: OLD, ref: 'main', version: '5', requester: 'U0FRANK', finishedAt: '2030-01-01T10:00:00.000Z', kind: 'deploy' },
      alias: { functionName: 'fb-prod', alias: 'live', live: '6' },
    },
    ...overrides,
  };
}

/** Lambda aliases in memory: `live` serves `serving`; `onMove` may throw, as Lambda would. */
function aliases(serving: { version: string }, onMove: () => void = () => undefined) {
  const calls: string[] = [];
  let revision = 1;
  const port: FunctionAliases = {
    get: async () => (calls.push('get'), { version: serving.version, revisionId: `r${revision}` }),
    versionExists: async (_t, v) => (calls.push(`exists ${v}`), Number(v) > 0),
    move: async (_t, version, expected: AliasState) => {
      calls.push(`move ${version} ${expected.revisionId}`);
      onMove();
      serving.version = version;
      revision += 1;
      return { version, revisionId: `r${revision}` };
    },
  };
  return { port, calls };
}

function setUp(request: DeployRequest, serving: { version: string }, onMove?: () => void) {
  const m = memoryContext({ requests: [request], now: () => NOW });
  const { port, calls } = aliases(serving, onMove);
  const recorded: DeploymentRecord[] = [];
  m.ctx.functionAliases = async () => port;
  m.ctx.ledger = { record: async (e) => void recorded.push(e), current: async () => undefined, history: async () => [], since: async () => [] };
  return { ...m, calls, recorded };
}

describe('rollBackByAlias', () => {
  test('claims, checks, moves with the revision it read, confirms, and records the rollback', async () => {
    // Prepare
    const serving = { version: '6' };
    const m = setUp(rollback('approved'), serving);

    // Act
    await rollBackByAlias(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(m.calls).toEqual(['exists 5', 'get', 'move 5 r1', 'get']);
    expect(m.requests.get('d-0123456789')).toMatchObject({ status: 'succeeded', dispatchAttempts: 1 });
    expect(m.recorded).toEqual([
      expect.objectContaining({
        kind: 'rollback',
        sha: OLD,
        version: '5',
        restores: expect.objectContaining({ requestId: 'd-aaaaaaaaaa' }),
        rolledBackFrom: expect.objectContaining({ requestId: 'd-bbbbbbbbbb', reason: 'errors' }),
      }),
    ]);
  });

  test('does nothing for a request that is not approved (another job claimed it)', async () => {
    // Prepare
    const m = setUp(rollback('rolling_back', { updatedAt: NOW.toISOString() }), { version: '6' });

    // Act
    await rollBackByAlias(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(m.calls).toEqual([]);
    expect(m.requests.get('d-0123456789')!.status).toBe('rolling_back');
  });

  test('a move Lambda refuses because someone moved the alias in between ends alias_moved, naming where it points now', async () => {
    // Prepare: someone moves live to 7 just before our UpdateAlias lands
    const serving = { version: '6' };
    const m = setUp(rollback('approved'), serving, () => {
      serving.version = '7';
      throw new AliasError('moved_meanwhile', 'lambda:UpdateAlias', 'fb-prod:live', 'The Revision Id provided does not match');
    });

    // Act
    await rollBackByAlias(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(m.requests.get('d-0123456789')).toMatchObject({
      status: 'rollback_failed',
      failure: { code: 'alias_moved', params: { function: 'fb-prod', alias: 'live', expected: '6', actual: '7' } },
    });
    expect(m.recorded).toEqual([]);
  });

  test('any other error of the move ends unavailable, never left rolling back', async () => {
    // Prepare
    const m = setUp(rollback('approved'), { version: '6' }, () => {
      throw new Error('socket hang up');
    });

    // Act
    await rollBackByAlias(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(m.requests.get('d-0123456789')).toMatchObject({
      status: 'rollback_failed',
      failure: { code: 'unavailable', params: { action: 'lambda:UpdateAlias', resource: 'fb-prod:live', version: '5' }, cause: 'socket hang up' },
    });
  });
});

describe('resolveStuckRollback', () => {
  test('finds the alias moved: the rollback succeeded', async () => {
    // Prepare
    const m = setUp(rollback('rolling_back'), { version: '5' });

    // Act
    const outcome = await resolveStuckRollback(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(outcome).toBe('succeeded');
    expect(m.requests.get('d-0123456789')!.status).toBe('succeeded');
    expect(m.recorded).toEqual([expect.objectContaining({ kind: 'rollback', version: '5' })]);
  });

  test('finds the alias not moved: rollback_interrupted, for people to Retry', async () => {
    // Prepare
    const m = setUp(rollback('rolling_back'), { version: '6' });

    // Act
    const outcome = await resolveStuckRollback(m.ctx, m.requests.get('d-0123456789')!);

    // Assess
    expect(outcome).toBe('failed');
    expect(m.requests.get('d-0123456789')).toMatchObject({
      status: 'rollback_failed',
      failure: { code: 'rollback_interrupted', params: { actual: '6', version: '5' } },
    });
  });
});

describe('recordVersion', () => {
  const TARGETS = { ...TEST_CATALOG, services: TEST_CATALOG.services.map((s) => ({ ...s, targets: { production: { functionName: 'fb-prod' } } })) };
  const deployed = (): DeployRequest => ({
    ...productionRequest({ now: NOW }),
    status: 'succeeded',
    sha: OLD,
    finishedAt: NOW.toISOString(),
    run: { id: 42, attempt: 1, jobs: [] },
  });
  const entry: DeploymentRecord = {
    service: 'foxy-backend',
    environment: 'production',
    sha: OLD,
    ref: 'main',
    requestId: 'd-0123456789',
    kind: 'deploy',
    requester: 'U0CAROL',
    approvers: [],
    outcome: 'succeeded',
    finishedAt: NOW.toISOString(),
  };

  function versionSetUp(current: DeploymentRecord | undefined, get: () => Promise<AliasState>) {
    const m = memoryContext({ requests: [deployed()], now: () => NOW });
    const recorded: DeploymentRecord[] = [];
    m.ctx.catalog = TARGETS;
    m.ctx.ledger = { record: async (e) => void recorded.push(e), current: async () => current, history: async () => [], since: async () => [] };
    m.ctx.functionAliases = async () => ({ get, versionExists: async () => true, move: async () => ({ version: '0', revisionId: '' }) });
    return { ...m, recorded };
  }

  test('records the version the alias serves in the entry of the deploy that runs', async () => {
    // Prepare
    const m = versionSetUp(entry, async () => ({ version: '12', revisionId: 'r' }));

    // Act
    await recordVersion(m.ctx, 'd-0123456789', 1);

    // Assess
    expect(m.recorded).toEqual([{ ...entry, version: '12' }]);
  });

  test('records nothing once a later deploy runs, or for another attempt', async () => {
    // Prepare
    const m = versionSetUp({ ...entry, requestId: 'd-9999999999' }, async () => ({ version: '12', revisionId: 'r' }));

    // Act
    await recordVersion(m.ctx, 'd-0123456789', 1);
    await recordVersion(m.ctx, 'd-0123456789', 2);

    // Assess
    expect(m.recorded).toEqual([]);
  });

  test('a missing alias is said once and not retried; a Lambda that does not answer is retried', async () => {
    // Prepare
    const missing = versionSetUp(entry, async () => {
      throw new AliasError('not_found', 'lambda:GetAlias', 'fb-prod:live');
    });
    const down = versionSetUp(entry, async () => {
      throw new AliasError('unavailable', 'lambda:GetAlias', 'fb-prod:live', 'Rate exceeded');
    });

    // Act
    await recordVersion(missing.ctx, 'd-0123456789', 1);
    const retried = recordVersion(down.ctx, 'd-0123456789', 1);

    // Assess
    await expect(retried).rejects.toThrow(AliasError);
    expect(missing.logger.lines.filter((l) => l.event === 'version.unreadable')).toHaveLength(1);
    expect(missing.recorded).toEqual([]);
  });
});
