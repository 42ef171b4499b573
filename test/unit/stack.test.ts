/**
 * The target's stack in the domain (src/domain/stack.ts) and in words (src/slack/blocks/stack.ts): which requests are
 * guarded, which states can take a change, what drift counts, and what the requester and the card read.
 */
import type { Catalog } from '../../src/domain/catalog.js';
import { parseCommand } from '../../src/domain/command.js';
import type { DeployRequest } from '../../src/domain/request.js';
import {
  driftReportOf,
  failureFromStack,
  guardedStackOf,
  isStableStackStatus,
  StackError,
  type StackCheck,
  unstableStackFailure,
} from '../../src/domain/stack.js';
import { failureText } from '../../src/slack/blocks/failures.js';
import { stackCheckLines, stackRestoreHow, stackRestoreStatus } from '../../src/slack/blocks/stack.js';
import { TEST_CATALOG } from '../support/catalog.js';

const STACK = 'foxy-backend-production';
const catalog: Catalog = {
  ...TEST_CATALOG,
  services: TEST_CATALOG.services.map((s) => ({ ...s, targets: { production: { functionName: 'fn', stack: STACK, region: 'eu-west-1' }, staging: {} } })),
};

describe('guardedStackOf', () => {
  it('guards every environment whose service target names a stack, and no other', () => {
    // Prepare, Act, Assess
    expect(guardedStackOf(catalog, 'foxy-backend', 'production')).toEqual({ stackName: STACK, region: 'eu-west-1' });
    expect(guardedStackOf(catalog, 'foxy-backend', 'staging')).toBeUndefined();
    expect(guardedStackOf(TEST_CATALOG, 'foxy-backend', 'production')).toBeUndefined();
    expect(guardedStackOf(catalog, 'unknown', 'production')).toBeUndefined();
  });
});

describe('isStableStackStatus', () => {
  it.each(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'])('%s can take a change', (s) => {
    expect(isStableStackStatus(s)).toBe(true);
  });

  it.each([
    'CREATE_IN_PROGRESS',
    'UPDATE_IN_PROGRESS',
    'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_ROLLBACK_IN_PROGRESS',
    'UPDATE_ROLLBACK_FAILED',
    'UPDATE_FAILED',
    'CREATE_FAILED',
    'ROLLBACK_COMPLETE',
    'ROLLBACK_FAILED',
    'DELETE_COMPLETE',
    'DELETE_FAILED',
    'REVIEW_IN_PROGRESS',
    'SOMETHING_NEW',
  ])('%s cannot', (s) => {
    expect(isStableStackStatus(s)).toBe(false);
  });
});

describe('driftReportOf', () => {
  it('counts MODIFIED and DELETED resources only', () => {
    // Prepare
    const modified = { logicalId: 'Fn', type: 'AWS::Lambda::Function', status: 'MODIFIED' as const };

    // Act, Assess
    expect(driftReportOf([])).toEqual({ state: 'in_sync' });
    expect(driftReportOf([modified])).toEqual({ state: 'drifted', resources: [modified] });
  });
});

describe('stack failures in words', () => {
  it.each<[string, string, RegExp]>([
    ['UPDATE_IN_PROGRESS', 'Wait for it to finish', /is in UPDATE_IN_PROGRESS, so foxops changes nothing now/],
    ['UPDATE_ROLLBACK_FAILED', 'continue-update-rollback --stack-name foxy-backend-production', /UPDATE_ROLLBACK_COMPLETE, then ask again/],
    ['ROLLBACK_COMPLETE', 'can only be deleted', /delete it and create it again/],
    ['DELETE_COMPLETE', 'deleted or being deleted', /foxops.yml/],
    ['UPDATE_FAILED', 'Look at its events', /stable state/],
  ])('%s says the state and what to do', (state, remedy, more) => {
    // Act
    const text = failureText(unstableStackFailure({ stackName: STACK, region: 'eu-west-1' }, state));

    // Assess
    expect(text).toContain(`The stack \`${STACK}\` (eu-west-1) is in ${state}`);
    expect(text).toContain(remedy);
    expect(text).toMatch(more);
  });

  it('names the action AWS refused, and the role parameter that grants it', () => {
    // Act
    const failure = failureFromStack(new StackError('access_denied', 'cloudformation:GetTemplate', STACK, 'not authorized'), { stackName: STACK }, 'x');

    // Assess
    expect(failure).toEqual({
      code: 'stack_unreadable',
      params: { stack: STACK, action: 'cloudformation:GetTemplate', why: 'access_denied' },
      cause: 'not authorized',
    });
    expect(failureText(failure)).toBe(
      `AWS refused \`cloudformation:GetTemplate\` on the stack \`${STACK}\` (access denied: not authorized). ` +
        'foxops backs up a stack before changing what it runs: ' +
        'its role needs that action on the stack (infra/foxops/template.yml, parameter TargetStackNames).',
    );
  });

  it('words anything else a stack call threw as AWS not answering', () => {
    // Act
    const failure = failureFromStack(new Error('socket hang up'), { stackName: STACK }, 'cloudformation:DescribeStacks');

    // Assess
    expect(failureText(failure)).toBe(
      `AWS did not answer \`cloudformation:DescribeStacks\` on the stack \`${STACK}\` properly (socket hang up). Nothing was changed; try again in a minute.`,
    );
  });
});

describe('stackCheckLines', () => {
  const check = (drift: StackCheck['drift']): StackCheck => ({
    stackName: STACK,
    status: 'UPDATE_COMPLETE',
    backup: { at: '2026-01-05T10:00:00.000Z' },
    drift,
  });

  it('links the backup by deploy id', () => {
    // Act
    const [backup] = stackCheckLines('d-0123456789', check({ state: 'in_sync' }));

    // Assess
    expect(backup).toMatch(/^:floppy_disk: Stack `foxy-backend-production` \(UPDATE_COMPLETE\): stack backup `d-0123456789` of its template and parameters, /);
  });

  it('names ten drifted resources at most, and counts the rest', () => {
    // Prepare
    const resources = Array.from({ length: 12 }, (_, i) => ({ logicalId: `R${i}`, type: 'AWS::SQS::Queue', status: 'MODIFIED' as const }));

    // Act
    const [, drift] = stackCheckLines('d-0123456789', check({ state: 'drifted', resources }));

    // Assess
    expect(drift).toContain('`R9` (AWS::SQS::Queue, modified) and 2 more.');
    expect(drift).not.toContain('`R10`');
  });

  it.each<[StackCheck['drift'], string]>([
    [{ state: 'unknown', why: 'timed_out' }, 'not known (the detection did not finish in time)'],
    [{ state: 'unknown', why: 'failed' }, 'not known (the detection failed)'],
    [{ state: 'unknown', why: 'unavailable' }, 'not known (AWS did not answer)'],
    [{ state: 'in_sync' }, 'No drift'],
  ])('says drift %j as %s', (drift, words) => {
    expect(stackCheckLines('d-0123456789', check(drift))[1]).toContain(words);
  });

  it('escapes resource names', () => {
    // Act
    const [, drift] = stackCheckLines('d-0123456789', check({ state: 'drifted', resources: [{ logicalId: '<b>', type: 'T', status: 'DELETED' }] }));

    // Assess
    expect(drift).toContain('`&lt;b&gt;` (T, deleted)');
  });
});

describe('/deploy rollback --stack', () => {
  it.each([
    ['rollback prod --stack', {}],
    ['rollback prod backend —stack to d-0123456789 because bad template', { target: 'd-0123456789', reason: 'bad template' }],
    ['rollback --STACK prod', {}],
  ])('`%s` asks for a stack rollback', (text, more) => {
    // Act
    const parsed = parseCommand(text, TEST_CATALOG);

    // Assess
    expect(parsed).toEqual({ kind: 'rollback', environment: 'production', service: 'foxy-backend', stack: true, ...more });
  });

  it('without the flag, a rollback is no stack rollback', () => {
    expect(parseCommand('rollback prod', TEST_CATALOG)).not.toHaveProperty('stack');
  });
});

describe('stack rollback in words', () => {
  const restore = {
    stackName: STACK,
    backupOf: 'd-0123456789',
    backupAt: '2026-01-05T10:00:00.000Z',
    changeSetName: 'foxops-rollback-d-9999999999',
    changes: [
      { action: 'Modify', logicalId: 'Fn', type: 'AWS::Lambda::Function', replacement: 'False' },
      { action: 'Modify', logicalId: 'Db', type: 'AWS::RDS::DBInstance', replacement: 'True' },
    ],
    totalChanges: 3,
  };

  it('lists the changes, says which are replaced, and counts the rest', () => {
    // Act
    const text = stackRestoreHow(restore);

    // Assess
    expect(text.split('\n')).toEqual([
      expect.stringContaining(`Restores the stack \`${STACK}\` to stack backup \`d-0123456789\``),
      '• Modify `Fn` (AWS::Lambda::Function)',
      '• Modify `Db` (AWS::RDS::DBInstance, replacement: True)',
      '…and 1 more',
    ]);
    expect(text).toContain('never a direct update');
  });

  it('says where the rollback is', () => {
    // Prepare
    const r = { status: 'rolling_back', approvals: [], requiredApprovals: 1 } as unknown as DeployRequest;

    // Act, Assess
    expect(stackRestoreStatus(r, restore, '')).toContain('Executing change set `foxops-rollback-d-9999999999`');
    expect(stackRestoreStatus({ ...r, status: 'rollback_failed' }, restore, '')).toBeUndefined();
  });

  it.each<[string, Record<string, string | number | boolean>, string | undefined, string]>([
    ['stack_not_configured', { service: 'foxy-backend', environment: 'staging' }, undefined, 'names no `stack` for staging'],
    ['no_stack_backup', { stack: STACK, environment: 'production', service: 'foxy-backend' }, undefined, 'has no backup of the stack'],
    ['no_stack_backup', { stack: STACK, deployId: 'd-1', environment: 'production', service: 'foxy-backend' }, undefined, 'no backup of the stack'],
    ['stack_no_changes', { stack: STACK, deployId: 'd-1' }, "didn't contain changes", 'has no changes'],
    ['stack_change_set_failed', { stack: STACK, deployId: 'd-1', changeSet: 'cs' }, 'Template format error', 'Template format error'],
    ['stack_change_set_failed', { stack: STACK, changeSet: 'cs', timedOut: true }, undefined, 'had not finished'],
    ['stack_change_set_unusable', { stack: STACK, changeSet: 'cs', executionStatus: 'OBSOLETE' }, undefined, 'can no longer be executed (OBSOLETE)'],
    [
      'stack_restore_failed',
      { stack: STACK, deployId: 'd-1', state: 'UPDATE_ROLLBACK_COMPLETE' },
      'Resource failed',
      'it is UPDATE_ROLLBACK_COMPLETE (Resource failed)',
    ],
  ])('%s is worded with what to do', (code, params, cause, words) => {
    expect(failureText({ code, params, ...(cause ? { cause } : {}) })).toContain(words);
  });
});
