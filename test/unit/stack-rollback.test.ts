/**
 * The stack rollback's dispatch job on in-memory ports: the claim executes the change set once, a stack still updating
 * after the job's reads is followed by exactly one queued round at a time (then by the reconciler), and a change set the
 * claimer left unexecuted is executed only once its claim is stale. The path through the handler and the
 * CloudFormation fake is in test/integration/stack.test.ts.
 */
import { resolveStuckStackRollback, rollBackStack, STACK_FOLLOW_ROUNDS } from '../../src/deploys/stack-rollback.js';
import type { Job, Stacks } from '../../src/domain/ports.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = 'a'.repeat(40);

function stackRollback(status: RequestStatus, stack: Partial<NonNullable<DeployRequest['rollback']>['stack']> = {}): DeployRequest {
  return {
    ...productionRequest({ now: NOW, kind: 'rollback', requiredApprovals: 1 }),
    status,
    sha: SHA,
    approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }],
    rollback: {
      mode: 'stack',
      stack: {
        stackName: 'fb-prod',
        backupOf: 'd-aaaaaaaaaa',
        backupAt: NOW.toISOString(),
        changeSetName: 'foxops-rollback-x',
        changes: [],
        totalChanges: 1,
        ...stack,
      },
    },
  };
}

/** A stack whose change set is `AVAILABLE` until executed, then updating for `updatingReads` reads. */
function stacks(updatingReads: number, executed = false) {
  const calls: string[] = [];
  let left = updatingReads;
  const fake: Partial<Stacks> = {
    describeChangeSet: async () => (
      calls.push('DescribeChangeSet'), { status: 'ready', executionStatus: executed ? 'EXECUTE_IN_PROGRESS' : 'AVAILABLE', changes: [] }
    ),
    executeChangeSet: async () => {
      calls.push('ExecuteChangeSet');
      executed = true;
    },
    describe: async () => (calls.push('DescribeStacks'), { status: left-- > 0 ? 'UPDATE_IN_PROGRESS' : 'UPDATE_COMPLETE', parameters: [] }),
  };
  return { calls, fake: fake as Stacks };
}

function setup(request: DeployRequest, updatingReads: number, executed = false) {
  const m = memoryContext({ requests: [request], now: () => NOW });
  const s = stacks(updatingReads, executed);
  m.ctx.stacks = async () => s.fake;
  m.ctx.stackPolls = { polls: 3, intervalMs: 0 };
  const follows = () => m.jobs.filter((j): j is Extract<Job, { type: 'dispatch' }> => j.type === 'dispatch');
  return { ...m, calls: s.calls, follows };
}

test('the claim executes the change set once and follows the stack to UPDATE_COMPLETE', async () => {
  // Prepare
  const m = setup(stackRollback('approved'), 1);

  // Act
  await rollBackStack(m.ctx, m.requests.get(stackRollback('approved').id)!);

  // Assess
  expect(m.calls).toEqual(['DescribeChangeSet', 'ExecuteChangeSet', 'DescribeStacks', 'DescribeStacks']);
  expect(m.requests.get(stackRollback('approved').id)!.status).toBe('succeeded');
});

test('a stack still updating after the reads queues one follow round, which finishes it without executing again', async () => {
  // Prepare
  const id = stackRollback('approved').id;
  const m = setup(stackRollback('approved'), 4);

  // Act: the claim reads 3 times, then hands over
  await rollBackStack(m.ctx, m.requests.get(id)!);

  // Assess
  expect(m.requests.get(id)).toMatchObject({ status: 'rolling_back', rollback: { stack: { follows: 1 } } });
  expect(m.follows()).toHaveLength(1);

  // Act: the queued round, delivered twice
  await Promise.all([rollBackStack(m.ctx, m.requests.get(id)!), rollBackStack(m.ctx, m.requests.get(id)!)]);

  // Assess
  expect(m.calls.filter((c) => c === 'ExecuteChangeSet')).toHaveLength(1);
  expect(m.requests.get(id)!.status).toBe('succeeded');
});

test(`after ${STACK_FOLLOW_ROUNDS} rounds no round is queued: the reconciler follows the stack and ends it`, async () => {
  // Prepare
  const request = stackRollback('rolling_back', { follows: STACK_FOLLOW_ROUNDS, executedAt: NOW.toISOString() });
  const m = setup(request, 3, true);

  // Act
  await rollBackStack(m.ctx, request);

  // Assess
  expect(m.follows()).toHaveLength(0);
  expect(m.requests.get(request.id)!.status).toBe('rolling_back');

  // Act
  await resolveStuckStackRollback(m.ctx, m.requests.get(request.id)!);

  // Assess
  expect(m.requests.get(request.id)!.status).toBe('succeeded');
});

test('a change set the claimer left unexecuted is executed by a later job only once the claim is stale', async () => {
  // Prepare: claimed a minute ago, not executed
  const fresh = stackRollback('rolling_back', { executedAt: new Date(NOW.getTime() - 60_000).toISOString(), follows: 0 });
  const m = setup(fresh, 0);

  // Act
  await rollBackStack(m.ctx, fresh);

  // Assess: left to the claimer
  expect(m.calls).not.toContain('ExecuteChangeSet');

  // Act: two minutes after the claim
  const stale = stackRollback('rolling_back', { executedAt: new Date(NOW.getTime() - 120_000).toISOString(), follows: 0 });
  const n = setup(stale, 0);
  await rollBackStack(n.ctx, stale);

  // Assess
  expect(n.calls).toContain('ExecuteChangeSet');
  expect(n.requests.get(stale.id)!.status).toBe('succeeded');
});
