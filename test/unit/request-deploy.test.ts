/**
 * The ack of `/deploy prod` (src/deploys/request-deploy.ts) writes the request and, only where no stream delivers
 * it, its prepare job. On AWS the request's own item is its prepare job (src/jobs/stream.ts), so a first attempt
 * writes nothing more; a Slack retry of the same command queues the job, in case the first attempt died before the
 * request's item was delivered (the job's key makes a repeat a no-op).
 */
import { requestDeploy } from '../../src/deploys/request-deploy.js';
import { memoryContext } from '../support/memory-context.js';

const ask = { environment: 'production', service: 'foxy-backend', ref: 'main', userId: 'U0DAVE', channelId: 'C0PROD', triggerId: 'trigger-1' };

describe('requestDeploy: what the ack writes', () => {
  it('stores the request alone where the stream delivers new requests: no job, no audit entry', async () => {
    // Prepare
    const m = memoryContext();
    m.ctx.jobs = { ...m.ctx.jobs, deliversNewRequests: true };

    // Act
    const outcome = await requestDeploy(m.ctx, ask);

    // Assess
    expect(outcome).toMatchObject({ kind: 'accepted', duplicate: false, request: { status: 'preparing', requester: 'U0DAVE' } });
    expect(m.requests.size).toBe(1);
    expect(m.jobs).toEqual([]);
    expect(m.audit).toEqual([]);
  });

  it('queues the prepare job on a retry of the same command, where the stream delivers new requests', async () => {
    // Prepare
    const m = memoryContext();
    m.ctx.jobs = { ...m.ctx.jobs, deliversNewRequests: true };
    const first = await requestDeploy(m.ctx, ask);

    // Act
    const retry = await requestDeploy(m.ctx, ask);

    // Assess
    expect(retry).toMatchObject({ kind: 'accepted', duplicate: true });
    expect(m.requests.size).toBe(1);
    expect(m.jobs).toEqual([{ type: 'prepare', requestId: first.kind === 'accepted' ? first.request.id : '' }]);
  });

  it('queues the prepare job itself where jobs run in this process (npm start)', async () => {
    // Prepare
    const m = memoryContext();

    // Act
    const outcome = await requestDeploy(m.ctx, ask);

    // Assess
    expect(outcome.kind).toBe('accepted');
    expect(m.jobs).toEqual([{ type: 'prepare', requestId: outcome.kind === 'accepted' ? outcome.request.id : '' }]);
    expect(m.audit).toEqual([]);
  });
});
