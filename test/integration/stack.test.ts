/**
 * The target's CloudFormation stack through the real Lambda handler, with the CloudFormation fake called by the real
 * SDK client: before a production deploy or rollback of a service whose target names a `stack`, the prepare job
 * refuses an unstable stack, backs up its template and parameters under the deploy id (in the table), and shows drift
 * as a warning on the card.
 */
import { randomBytes } from 'node:crypto';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { DynamoStackBackups } from '../../src/store/stack-backups.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { workflowRunEvent } from '../support/github-events.js';
import { blocksText, configWithTargets, deployIdFrom, REPO, startHarness, TARGET_FUNCTION, type Harness } from '../support/harness.js';

const STACK = 'foxy-backend-production';
const TEMPLATE = [
  'AWSTemplateFormatVersion: "2010-09-09"',
  'Parameters:',
  '  MemorySize: { Type: Number }',
  'Resources:',
  '  Function:',
  '    Type: AWS::Lambda::Function',
  '    Properties: { MemorySize: !Ref MemorySize }',
  '  Queue:',
  '    Type: AWS::SQS::Queue',
  '',
].join('\n');

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ cardSpacingMs: 20, config: configWithTargets(`        stack: ${STACK}\n`) });
  h.lambda.addFunction(TARGET_FUNCTION, { versions: 3, aliases: { live: '3' } });
  h.github.pushCommits(REPO, 'main', ['Change to ship']);
});

afterEach(async () => {
  await h.close();
});

const card = async (id: string) => {
  const request = await h.store.requests.get(id);
  return blocksText(h.slack.message(request!.channel, request!.cardTs!));
};

/** `/deploy prod` by Dave, and its prepare job. */
async function deployProd(): Promise<string> {
  const id = deployIdFrom(await h.command('prod'));
  await h.idle();
  return id;
}

/** Runs `use` with the store adapter of stack backups on the harness's table. */
async function withBackups<T>(use: (backups: DynamoStackBackups) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: h.env.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    return await use(new DynamoStackBackups(client, h.env.FOXOPS_TABLE!));
  } finally {
    client.destroy();
  }
}

/** Reads the backup of `deployId` back from the table, through the store adapter. */
const backupOf = (deployId: string) => withBackups((b) => b.get(deployId));

test.each([['UPDATE_IN_PROGRESS'], ['UPDATE_ROLLBACK_FAILED'], ['ROLLBACK_COMPLETE']])(
  'a stack in %s is refused privately, with its state and what to do; nothing is backed up and no card is posted',
  async (state) => {
    // Prepare
    h.cloudformation.addStack({ StackName: STACK, StackStatus: state, TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });

    // Act
    const id = await deployProd();

    // Assess
    expect(await h.store.requests.get(id)).toMatchObject({
      status: 'prepare_failed',
      failure: { code: 'stack_unstable', params: { stack: STACK, state } },
    });
    const whispers = h.slack.ephemerals.filter((e) => e.user === 'U0DAVE').map((e) => e.text);
    expect(whispers).toHaveLength(1);
    expect(whispers[0]).toContain(`The stack \`${STACK}\` is in ${state}, so foxops changes nothing now.`);
    expect(h.cloudformation.actions()).toEqual(['DescribeStacks']);
    expect(await backupOf(id)).toBeUndefined();
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  },
);

test('a missing stack is refused: the card never goes out without a backup', async () => {
  // Act
  const id = await deployProd();

  // Assess
  expect(await h.store.requests.get(id)).toMatchObject({
    status: 'prepare_failed',
    failure: { code: 'stack_unreadable', params: { stack: STACK, action: 'cloudformation:DescribeStacks', why: 'not_found' } },
  });
  expect(h.slack.ephemerals.map((e) => e.text).join()).toContain(`The stack \`${STACK}\` does not exist`);
});

test('a stable stack is backed up under the deploy id (template and parameters, in the table), linked from the card and the ledger', async () => {
  // Prepare
  h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });

  // Act: ask
  const id = await deployProd();

  // Assess: the backup, read back from the table
  const backup = await backupOf(id);
  expect(backup).toEqual({
    deployId: id,
    stackName: STACK,
    status: 'UPDATE_COMPLETE',
    at: h.clock.now.toISOString(),
    templateBody: TEMPLATE,
    parameters: [{ key: 'MemorySize', value: '512' }],
  });
  const getTemplate = h.cloudformation.calls.find((c) => c.action === 'GetTemplate');
  expect(getTemplate?.params).toMatchObject({ StackName: STACK, TemplateStage: 'Original' });
  const request = await h.store.requests.get(id);
  expect(request).toMatchObject({ status: 'awaiting_approval', stack: { stackName: STACK, status: 'UPDATE_COMPLETE', drift: { state: 'in_sync' } } });
  const text = await card(id);
  expect(text).toContain(`Stack \`${STACK}\` (UPDATE_COMPLETE): stack backup \`${id}\` of its template and parameters`);
  expect(text).toContain(`No drift: \`${STACK}\` matches its template.`);

  // Act: approve, and the run succeeds
  await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
  await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
  await h.idle();
  const runId = (await h.store.requests.get(id))!.run!.id!;
  await h.webhook('workflow_run', workflowRunEvent('completed', { repo: REPO, runId, conclusion: 'success' }));
  await h.idle();

  // Assess: the ledger links the backup
  expect(await h.store.ledger.current('foxy-backend', 'production')).toMatchObject({
    requestId: id,
    outcome: 'succeeded',
    backup: { stack: STACK, at: backup!.at },
  });
});

test('a drifted stack is a warning on the card naming the drifted resources; the deploy goes on', async () => {
  // Prepare
  const stack = h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE });
  stack.drift = {
    polls: 2,
    resources: [
      { LogicalResourceId: 'Function', ResourceType: 'AWS::Lambda::Function', StackResourceDriftStatus: 'MODIFIED' },
      { LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue', StackResourceDriftStatus: 'DELETED' },
      { LogicalResourceId: 'Role', ResourceType: 'AWS::IAM::Role', StackResourceDriftStatus: 'IN_SYNC' },
    ],
  };

  // Act
  const id = await deployProd();

  // Assess
  expect((await h.store.requests.get(id))!.status).toBe('awaiting_approval');
  expect(await card(id)).toContain(
    `:warning: *Drift*: \`${STACK}\` was changed outside CloudFormation: \`Function\` (AWS::Lambda::Function, modified), ` +
      '`Queue` (AWS::SQS::Queue, deleted).',
  );
  const drifts = h.cloudformation.calls.find((c) => c.action === 'DescribeStackResourceDrifts');
  expect(drifts?.params).toMatchObject({ 'StackResourceDriftStatusFilters.member.1': 'MODIFIED', 'StackResourceDriftStatusFilters.member.2': 'DELETED' });
  expect(h.cloudformation.actions().filter((a) => a === 'DescribeStackDriftDetectionStatus')).toHaveLength(3);
});

test('a drift detection that does not finish in time is shown as not known, and blocks nothing', async () => {
  // Prepare: more in-progress answers than the job reads (8)
  const stack = h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE });
  stack.drift = { polls: 50, resources: [] };

  // Act
  const id = await deployProd();

  // Assess
  expect((await h.store.requests.get(id))!).toMatchObject({ status: 'awaiting_approval', stack: { drift: { state: 'unknown', why: 'timed_out' } } });
  expect(await card(id)).toContain(`Drift of \`${STACK}\` not known (the detection did not finish in time).`);
  expect(h.cloudformation.actions().filter((a) => a === 'DescribeStackDriftDetectionStatus')).toHaveLength(8);
});

test('staging, whose target names no stack, is deployed without reading any stack', async () => {
  // Prepare
  h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_IN_PROGRESS', TemplateBody: TEMPLATE });

  // Act
  deployIdFrom(await h.command('staging', { channel: 'C0STAGING' }));
  await h.idle();

  // Assess
  expect(h.cloudformation.calls).toHaveLength(0);
  expect(h.github.dispatches).toHaveLength(1);
});

test('a template that compresses to more than one item holds is split into parts, and read back whole', async () => {
  // Prepare: 1 MB that gzip cannot shrink (the largest template CloudFormation takes)
  const templateBody = randomBytes(512 * 1024).toString('hex');
  const backup = { deployId: 'd-0000000001', stackName: STACK, status: 'UPDATE_COMPLETE', at: h.clock.now.toISOString(), templateBody, parameters: [] };

  // Act
  await withBackups((b) => b.put(backup));

  // Assess
  expect(await withBackups((b) => b.get('d-0000000001'))).toEqual(backup);
});

describe('/deploy rollback prod --stack', () => {
  /** A production deploy through foxops that succeeds; its stack backup is taken before, and the ledger links it. */
  async function deployed(): Promise<string> {
    const id = await deployProd();
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.click(ACTION_IDS.approve, id, { user: 'U0BOB' });
    await h.idle();
    const runId = (await h.store.requests.get(id))!.run!.id!;
    await h.webhook('workflow_run', workflowRunEvent('completed', { repo: REPO, runId, conclusion: 'success' }));
    await h.idle();
    return id;
  }

  test('restores the backup through a change set: its changes on the card, executed after the approval, followed to UPDATE_COMPLETE', async () => {
    // Prepare: the deploy's workflow changed the stack (a topic added, more memory)
    const stack = h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });
    const deployId = await deployed();
    stack.TemplateBody = `${TEMPLATE}  Topic:\n    Type: AWS::SNS::Topic\n`;
    stack.Parameters = { MemorySize: '1024' };

    // Act: ask
    const id = deployIdFrom(await h.command('rollback prod --stack because the topic broke billing'));
    await h.idle();

    // Assess: the change set, made from the backup, shown on the card; nothing executed
    const request = await h.store.requests.get(id);
    expect(request).toMatchObject({
      status: 'awaiting_approval',
      requiredApprovals: 1,
      rollback: { mode: 'stack', stack: { stackName: STACK, backupOf: deployId, changeSetName: `foxops-rollback-${id}`, totalChanges: 2 } },
    });
    const create = h.cloudformation.calls.find((c) => c.action === 'CreateChangeSet');
    expect(create?.params).toMatchObject({ StackName: STACK, ChangeSetType: 'UPDATE', TemplateBody: TEMPLATE, 'Parameters.member.1.ParameterValue': '512' });
    const before = await card(id);
    expect(before).toContain(`Restores the stack \`${STACK}\` to stack backup \`${deployId}\``);
    expect(before).toContain('• Modify `Function` (AWS::Lambda::Function)');
    expect(before).toContain('• Remove `Topic` (AWS::SNS::Topic)');
    expect(h.cloudformation.actions()).not.toContain('ExecuteChangeSet');

    // Act: approve
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess: executed once (never UpdateStack), followed to UPDATE_COMPLETE, the stack back as it was
    expect(h.cloudformation.actions().filter((a) => a === 'ExecuteChangeSet')).toHaveLength(1);
    expect(h.cloudformation.actions()).not.toContain('UpdateStack');
    expect((await h.store.requests.get(id))!.status).toBe('succeeded');
    expect(stack).toMatchObject({ StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });
    expect(await card(id)).toContain(`*Rolled back*`);
    expect(await card(id)).toContain(`\`${STACK}\` is UPDATE_COMPLETE with the template and parameters of stack backup \`${deployId}\``);
  });

  test('a backup whose template is larger than a CloudFormation request takes is refused before any change set, saying why', async () => {
    // Prepare: the stack's template grew past 51,200 bytes before the deploy, so its backup holds that one
    const big = `${TEMPLATE}# ${'x'.repeat(52_000)}\n`;
    h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: big, Parameters: { MemorySize: '512' } });
    const deployId = await deployed();

    // Act
    const id = deployIdFrom(await h.command(`rollback prod --stack to ${deployId}`));
    await h.idle();

    // Assess
    expect(await h.store.requests.get(id)).toMatchObject({
      status: 'prepare_failed',
      failure: { code: 'stack_template_too_large', params: { deployId, limit: 51_200 } },
    });
    expect(h.slack.ephemerals.map((e) => e.text).join()).toContain('CloudFormation takes at most 51200 in a request');
    expect(h.cloudformation.actions()).not.toContain('CreateChangeSet');
  });

  test('a change set without changes is refused with its reason', async () => {
    // Prepare: the stack is what the backup holds
    h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });
    const deployId = await deployed();

    // Act
    const id = deployIdFrom(await h.command(`rollback prod --stack to ${deployId}`));
    await h.idle();

    // Assess
    expect(await h.store.requests.get(id)).toMatchObject({ status: 'prepare_failed', failure: { code: 'stack_no_changes', params: { deployId } } });
    expect(h.slack.ephemerals.map((e) => e.text).join()).toContain(
      "CloudFormation says its change set has no changes (The submitted information didn't contain changes.",
    );
    expect(h.cloudformation.actions()).not.toContain('ExecuteChangeSet');
  });

  test('a stack update that fails ends rollback_failed with the reason', async () => {
    // Prepare
    const stack = h.cloudformation.addStack({ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', TemplateBody: TEMPLATE, Parameters: { MemorySize: '512' } });
    await deployed();
    stack.Parameters = { MemorySize: '1024' };
    const id = deployIdFrom(await h.command('rollback prod --stack'));
    await h.idle();
    h.cloudformation.failNextExecution('Function', 'MemorySize out of range');

    // Act
    await h.click(ACTION_IDS.approve, id, { user: 'U0ALICE' });
    await h.idle();

    // Assess
    expect(await h.store.requests.get(id)).toMatchObject({
      status: 'rollback_failed',
      failure: { code: 'stack_restore_failed', params: { stack: STACK, state: 'UPDATE_ROLLBACK_COMPLETE' } },
    });
    expect(await card(id)).toContain(`The stack \`${STACK}\` did not take the backup`);
  });
});
