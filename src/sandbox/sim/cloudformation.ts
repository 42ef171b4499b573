/**
 * Loopback fake of the CloudFormation API for `npm run deploy` (scripts/deploy/deploy.ts).
 *
 * The installed @aws-sdk/client-cloudformation speaks the AWS Query protocol: a form-encoded POST with
 * `Action=...&Version=2010-05-15`, lists as `Name.member.N`, and XML answers
 * `<ActionResponse><ActionResult>...</ActionResult></ActionResponse>`; errors are `<ErrorResponse>` with HTTP 400.
 * Point the real client at it:
 * `new CloudFormationClient({ endpoint: fake.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })`.
 *
 * Actions: DescribeStacks, GetTemplate, CreateChangeSet, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet,
 * DescribeStackEvents, and drift detection: DetectStackDrift, DescribeStackDriftDetectionStatus (in progress for
 * `drift.polls` reads, then complete, or failed with `drift.fail`), DescribeStackResourceDrifts (the stack's
 * `drift.resources`, filtered by StackResourceDriftStatusFilters). Change sets compute their changes from the templates (resources added, removed, or whose
 * definition or referenced parameters changed), go through CREATE_IN_PROGRESS first, and a change set without
 * changes FAILS with CloudFormation's "didn't contain changes" reason. Execution runs through *_IN_PROGRESS polls.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseTemplate } from '../../aws/cfn-yaml.js';
import { startLoopbackServer } from './http.js';

/** A stack as the fake keeps it. */
export interface FakeStack {
  StackName: string;
  StackId: string;
  StackStatus: string;
  Parameters: Record<string, string>;
  TemplateBody: string;
  Outputs: Record<string, string>;
  Tags: Record<string, string>;
  events: FakeStackEvent[];
  /** What drift detection finds; absent: every resource in sync, detected at the first status read. */
  drift?: FakeDrift;
}

/** The drift a stack's detection reports. */
export interface FakeDrift {
  resources: Array<{ LogicalResourceId: string; ResourceType: string; StackResourceDriftStatus: 'MODIFIED' | 'DELETED' | 'IN_SYNC' | 'NOT_CHECKED' }>;
  /** DescribeStackDriftDetectionStatus reads answering DETECTION_IN_PROGRESS first; default 1. */
  polls?: number;
  /** The detection fails with this reason. */
  fail?: string;
}

/** One stack event (newest first in DescribeStackEvents, as on AWS). */
export interface FakeStackEvent {
  LogicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  Timestamp: Date;
}

/** A change set as the fake keeps it. */
export interface FakeChangeSet {
  ChangeSetName: string;
  ChangeSetId: string;
  StackName: string;
  ChangeSetType: 'CREATE' | 'UPDATE';
  Status: string;
  StatusReason?: string;
  ExecutionStatus: string;
  TemplateBody: string;
  Parameters: Record<string, string>;
  Capabilities: string[];
  Tags: Record<string, string>;
  Changes: Array<{ Action: 'Add' | 'Modify' | 'Remove'; LogicalResourceId: string; ResourceType: string; Replacement?: string }>;
  /** DescribeChangeSet calls left that answer CREATE_IN_PROGRESS. */
  pendingPolls: number;
}

/** One recorded request. */
export interface CloudFormationCall {
  action: string;
  /** The form fields as sent (`Parameters.member.1.ParameterKey` ...). */
  params: Record<string, string>;
}

/** Options of {@link startFakeCloudFormation}. */
export interface FakeCloudFormationOptions {
  region?: string;
  accountId?: string;
  /** Outputs a stack has after a successful execution; default none. */
  outputs?: (stack: FakeStack) => Record<string, string>;
  /** Runs when an execution succeeds, after the stack took the new template and parameters. */
  onExecute?: (stack: FakeStack) => void;
  /** DescribeChangeSet polls answering CREATE_IN_PROGRESS before the change set is ready; default 1. */
  changeSetPolls?: number;
  /** DescribeStacks polls answering *_IN_PROGRESS after ExecuteChangeSet; default 2. */
  executePolls?: number;
}

/** Handle on a running fake; see {@link startFakeCloudFormation}. */
export interface FakeCloudFormation {
  url: string;
  calls: CloudFormationCall[];
  stacks: Map<string, FakeStack>;
  changeSets: Map<string, FakeChangeSet>;
  /** Actions called, in order. */
  actions(): string[];
  /** Adds an existing stack. */
  addStack(stack: Partial<FakeStack> & { StackName: string; StackStatus: string; TemplateBody: string }): FakeStack;
  /** The next execution fails on `logicalId` with `reason` and rolls back. */
  failNextExecution(logicalId: string, reason: string): void;
  /** Calls `listener` after each action that may change a stack (create, execute, delete a change set; an execution settling). */
  onChange(listener: () => void): () => void;
  /** Stacks and change sets as JSON (dates as ISO text); see {@link restore}. */
  snapshot(): unknown;
  /** Puts back what {@link snapshot} returned, replacing every stack and change set; throws on something else. */
  restore(snapshot: unknown): void;
  /** Forgets calls, stacks, change sets, detections, executions and the injected failure. */
  reset(): void;
  close(): Promise<void>;
}

/** What {@link FakeCloudFormation.snapshot} returns. */
export interface CloudFormationSnapshot {
  version: 1;
  stacks: Array<Omit<FakeStack, 'events'> & { events: Array<Omit<FakeStackEvent, 'Timestamp'> & { Timestamp: string }> }>;
  changeSets: FakeChangeSet[];
}

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Serializes a value the way the Query protocol nests it: objects as elements, arrays as `<member>` lists. */
function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** `Prefix.member.N.Key=Value` fields to `{ KeyField: ValueField }` pairs. */
function memberPairs(params: Record<string, string>, prefix: string, keyField: string, valueField: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; params[`${prefix}.member.${i}.${keyField}`] !== undefined; i++) {
    out[params[`${prefix}.member.${i}.${keyField}`]!] = params[`${prefix}.member.${i}.${valueField}`] ?? '';
  }
  return out;
}

function memberList(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${prefix}.member.${i}`] !== undefined; i++) out.push(params[`${prefix}.member.${i}`]!);
  return out;
}

/** Resources whose definition changed, or that refer to a parameter whose value changed. */
function computeChanges(
  oldBody: string | undefined,
  oldParams: Record<string, string>,
  newBody: string,
  newParams: Record<string, string>,
): FakeChangeSet['Changes'] {
  const before = oldBody ? parseTemplate(oldBody).Resources : {};
  const after = parseTemplate(newBody).Resources;
  const changedParams = Object.keys({ ...oldParams, ...newParams }).filter((k) => oldParams[k] !== newParams[k]);
  const refersToChanged = (json: string) => changedParams.some((p) => json.includes(`"Ref":"${p}"`) || json.includes(`\${${p}}`));
  const changes: FakeChangeSet['Changes'] = [];
  for (const [id, resource] of Object.entries(after)) {
    const json = JSON.stringify(resource);
    if (!before[id]) changes.push({ Action: 'Add', LogicalResourceId: id, ResourceType: resource.Type });
    else if (JSON.stringify(before[id]) !== json || refersToChanged(json))
      changes.push({ Action: 'Modify', LogicalResourceId: id, ResourceType: resource.Type, Replacement: 'False' });
  }
  for (const [id, resource] of Object.entries(before)) if (!after[id]) changes.push({ Action: 'Remove', LogicalResourceId: id, ResourceType: resource.Type });
  return changes;
}

/** Starts the fake on 127.0.0.1 (ephemeral port). */
export async function startFakeCloudFormation(options: FakeCloudFormationOptions = {}): Promise<FakeCloudFormation> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? '123456789012';
  const calls: CloudFormationCall[] = [];
  const stacks = new Map<string, FakeStack>();
  const changeSets = new Map<string, FakeChangeSet>();
  const detections = new Map<string, { stack: FakeStack; polls: number }>();
  const executing = new Map<string, { polls: number; changeSet: FakeChangeSet; failure?: { logicalId: string; reason: string } }>();
  let nextFailure: { logicalId: string; reason: string } | undefined;
  const listeners = new Set<() => void>();
  /** Actions that may change what a stack looks like from outside. */
  const CHANGING = new Set(['DescribeStacks', 'CreateChangeSet', 'ExecuteChangeSet', 'DeleteChangeSet']);

  const stackId = (name: string) => `arn:aws:cloudformation:${region}:${accountId}:stack/${name}/${randomUUID()}`;
  const findStack = (name: string | undefined) => {
    const stack = [...stacks.values()].find((s) => s.StackName === name || s.StackId === name);
    if (!stack) throw new QueryError('ValidationError', `Stack with id ${name} does not exist`);
    return stack;
  };
  const findChangeSet = (stackName: string | undefined, name: string | undefined) => {
    const cs = changeSets.get(`${findStack(stackName).StackName}/${name}`) ?? [...changeSets.values()].find((c) => c.ChangeSetId === name);
    if (!cs) throw new QueryError('ChangeSetNotFound', `ChangeSet [${name}] does not exist`, 404);
    return cs;
  };
  const event = (stack: FakeStack, LogicalResourceId: string, ResourceType: string, ResourceStatus: string, ResourceStatusReason?: string) =>
    stack.events.unshift({ LogicalResourceId, ResourceType, ResourceStatus, ResourceStatusReason, Timestamp: new Date() });

  /** Moves an execution one poll forward; on its last poll the stack settles. */
  const advance = (stack: FakeStack) => {
    const run = executing.get(stack.StackName);
    if (!run) return;
    if (run.polls-- > 0) return;
    executing.delete(stack.StackName);
    const creating = run.changeSet.ChangeSetType === 'CREATE';
    if (run.failure) {
      const type = parseTemplate(run.changeSet.TemplateBody).Resources[run.failure.logicalId]?.Type ?? 'AWS::CloudFormation::Stack';
      event(stack, run.failure.logicalId, type, creating ? 'CREATE_FAILED' : 'UPDATE_FAILED', run.failure.reason);
      stack.StackStatus = creating ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      event(stack, stack.StackName, 'AWS::CloudFormation::Stack', stack.StackStatus);
      return;
    }
    stack.TemplateBody = run.changeSet.TemplateBody;
    stack.Parameters = { ...run.changeSet.Parameters };
    stack.Tags = { ...run.changeSet.Tags };
    stack.Outputs = options.outputs?.(stack) ?? {};
    stack.StackStatus = creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
    event(stack, stack.StackName, 'AWS::CloudFormation::Stack', stack.StackStatus);
    options.onExecute?.(stack);
  };

  const describeStack = (s: FakeStack) => ({
    StackId: s.StackId,
    StackName: s.StackName,
    StackStatus: s.StackStatus,
    CreationTime: new Date('2024-05-01T10:00:00Z'),
    Parameters: Object.entries(s.Parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Outputs: Object.entries(s.Outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    Tags: Object.entries(s.Tags).map(([Key, Value]) => ({ Key, Value })),
  });

  const actions: Record<string, (p: Record<string, string>) => unknown> = {
    DescribeStacks(p) {
      const stack = findStack(p.StackName);
      advance(stack);
      return { Stacks: [describeStack(stack)] };
    },
    GetTemplate(p) {
      const stack = findStack(p.StackName);
      return { TemplateBody: stack.TemplateBody, StagesAvailable: ['Original', 'Processed'] };
    },
    CreateChangeSet(p) {
      const type = (p.ChangeSetType ?? 'UPDATE') as 'CREATE' | 'UPDATE';
      let stack = [...stacks.values()].find((s) => s.StackName === p.StackName);
      if (type === 'UPDATE' && !stack) throw new QueryError('ValidationError', `Stack [${p.StackName}] does not exist`);
      if (type === 'CREATE' && stack && stack.StackStatus !== 'REVIEW_IN_PROGRESS')
        throw new QueryError('AlreadyExistsException', `Stack [${p.StackName}] already exists`);
      if (!p.TemplateBody) throw new QueryError('ValidationError', 'TemplateBody or TemplateURL is required');
      if (!stack) {
        stack = {
          StackName: p.StackName!,
          StackId: stackId(p.StackName!),
          StackStatus: 'REVIEW_IN_PROGRESS',
          Parameters: {},
          TemplateBody: '',
          Outputs: {},
          Tags: {},
          events: [],
        };
        stacks.set(stack.StackName, stack);
      }
      const Parameters = memberPairs(p, 'Parameters', 'ParameterKey', 'ParameterValue');
      const changes = computeChanges(type === 'CREATE' ? undefined : stack.TemplateBody, type === 'CREATE' ? {} : stack.Parameters, p.TemplateBody, Parameters);
      const cs: FakeChangeSet = {
        ChangeSetName: p.ChangeSetName!,
        ChangeSetId: `arn:aws:cloudformation:${region}:${accountId}:changeSet/${p.ChangeSetName}/${randomUUID()}`,
        StackName: stack.StackName,
        ChangeSetType: type,
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        TemplateBody: p.TemplateBody,
        Parameters,
        Capabilities: memberList(p, 'Capabilities'),
        Tags: memberPairs(p, 'Tags', 'Key', 'Value'),
        Changes: changes,
        pendingPolls: options.changeSetPolls ?? 1,
      };
      if (!changes.length) {
        cs.Status = 'FAILED';
        cs.ExecutionStatus = 'UNAVAILABLE';
        cs.StatusReason = "The submitted information didn't contain changes. Submit different information to create a change set.";
      }
      changeSets.set(`${stack.StackName}/${cs.ChangeSetName}`, cs);
      return { Id: cs.ChangeSetId, StackId: stack.StackId };
    },
    DescribeChangeSet(p) {
      const cs = findChangeSet(p.StackName, p.ChangeSetName);
      const pending = cs.pendingPolls-- > 0;
      return {
        ChangeSetName: cs.ChangeSetName,
        ChangeSetId: cs.ChangeSetId,
        StackName: cs.StackName,
        Status: pending ? 'CREATE_IN_PROGRESS' : cs.Status,
        StatusReason: pending ? undefined : cs.StatusReason,
        ExecutionStatus: pending ? 'UNAVAILABLE' : cs.ExecutionStatus,
        Changes: pending ? [] : cs.Changes.map((c) => ({ Type: 'Resource', ResourceChange: c })),
        CreationTime: new Date(),
      };
    },
    ExecuteChangeSet(p) {
      const cs = findChangeSet(p.StackName, p.ChangeSetName);
      if (cs.ExecutionStatus !== 'AVAILABLE')
        throw new QueryError('InvalidChangeSetStatus', `ChangeSet [${cs.ChangeSetId}] cannot be executed in its current status of [${cs.Status}]`);
      const stack = findStack(cs.StackName);
      cs.ExecutionStatus = 'EXECUTE_IN_PROGRESS';
      stack.StackStatus = cs.ChangeSetType === 'CREATE' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
      event(stack, stack.StackName, 'AWS::CloudFormation::Stack', stack.StackStatus, 'User Initiated');
      executing.set(stack.StackName, { polls: options.executePolls ?? 2, changeSet: cs, failure: nextFailure });
      nextFailure = undefined;
      return {};
    },
    DeleteChangeSet(p) {
      const cs = findChangeSet(p.StackName, p.ChangeSetName);
      changeSets.delete(`${cs.StackName}/${cs.ChangeSetName}`);
      return {};
    },
    DetectStackDrift(p) {
      const stack = findStack(p.StackName);
      const id = randomUUID();
      detections.set(id, { stack, polls: stack.drift?.polls ?? 1 });
      return { StackDriftDetectionId: id };
    },
    DescribeStackDriftDetectionStatus(p) {
      const detection = detections.get(p.StackDriftDetectionId ?? '');
      if (!detection) throw new QueryError('ValidationError', `Drift detection ${p.StackDriftDetectionId} does not exist`);
      const { stack } = detection;
      const base = { StackId: stack.StackId, StackDriftDetectionId: p.StackDriftDetectionId, Timestamp: new Date() };
      if (detection.polls-- > 0) return { ...base, DetectionStatus: 'DETECTION_IN_PROGRESS' };
      if (stack.drift?.fail) return { ...base, DetectionStatus: 'DETECTION_FAILED', DetectionStatusReason: stack.drift.fail };
      const drifted = (stack.drift?.resources ?? []).some((r) => r.StackResourceDriftStatus === 'MODIFIED' || r.StackResourceDriftStatus === 'DELETED');
      return { ...base, DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: drifted ? 'DRIFTED' : 'IN_SYNC', DriftedStackResourceCount: drifted ? 1 : 0 };
    },
    DescribeStackResourceDrifts(p) {
      const stack = findStack(p.StackName);
      const filters = memberList(p, 'StackResourceDriftStatusFilters');
      const resources = (stack.drift?.resources ?? []).filter((r) => !filters.length || filters.includes(r.StackResourceDriftStatus));
      return {
        StackResourceDrifts: resources.map((r) => ({ StackId: stack.StackId, ...r, Timestamp: new Date() })),
      };
    },
    DescribeStackEvents(p) {
      const stack = findStack(p.StackName);
      return { StackEvents: stack.events.map((e) => ({ StackId: stack.StackId, StackName: stack.StackName, EventId: randomUUID(), ...e })) };
    },
  };

  const server = await startLoopbackServer('cloudformation', (_req, res, body) => {
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const action = params.Action ?? '';
    calls.push({ action, params });
    const handler = actions[action];
    try {
      if (!handler) throw new QueryError('InvalidAction', `The fake does not implement ${action || '(no Action)'}`);
      const result = handler(params);
      if (CHANGING.has(action)) for (const listener of listeners) listener();
      sendXml(
        res,
        200,
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${toXml(result)}</${action}Result>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      sendXml(
        res,
        err.status,
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message></Error>` +
          `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
  });

  return {
    url: server.url,
    calls,
    stacks,
    changeSets,
    actions: () => calls.map((c) => c.action),
    addStack(partial) {
      const stack: FakeStack = { StackId: stackId(partial.StackName), Parameters: {}, Outputs: {}, Tags: {}, events: [], ...partial };
      stacks.set(stack.StackName, stack);
      return stack;
    },
    failNextExecution(logicalId, reason) {
      nextFailure = { logicalId, reason };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    snapshot(): CloudFormationSnapshot {
      return {
        version: 1,
        stacks: [...stacks.values()].map((stack) => ({ ...stack, events: stack.events.map((e) => ({ ...e, Timestamp: e.Timestamp.toISOString() })) })),
        changeSets: [...changeSets.values()].map((cs) => ({ ...cs })),
      };
    },
    restore(snapshot) {
      const snap = snapshot as Partial<CloudFormationSnapshot> | null;
      if (snap?.version !== 1 || !Array.isArray(snap.stacks)) throw new Error('fake CloudFormation: not a snapshot of version 1');
      stacks.clear();
      changeSets.clear();
      for (const stack of snap.stacks) stacks.set(stack.StackName, { ...stack, events: stack.events.map((e) => ({ ...e, Timestamp: new Date(e.Timestamp) })) });
      for (const cs of snap.changeSets ?? []) changeSets.set(`${cs.StackName}/${cs.ChangeSetName}`, { ...cs });
    },
    reset() {
      calls.length = 0;
      stacks.clear();
      changeSets.clear();
      detections.clear();
      executing.clear();
      nextFailure = undefined;
    },
    close: () => server.close(),
  };
}
