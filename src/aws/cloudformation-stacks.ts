/**
 * The deployed services' CloudFormation stacks over the SDK: state and parameters, the original template, and drift
 * detection. Read only: foxops never changes a stack here. Each target names its own region; clients are made per
 * region, from the injected factory.
 */
import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import type { ChangeSetState, DriftDetection, StackState, Stacks } from '../domain/ports.js';
import { type DriftedResource, type StackChange, StackError, type StackTarget } from '../domain/stack.js';

/** The SDK's error, as far as foxops reads it. */
type SdkError = { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };

function explain(err: unknown, action: string, target: StackTarget): StackError {
  if (err instanceof StackError) return err;
  const e = err as SdkError;
  const said = e?.message?.slice(0, 300);
  const name = e?.name ?? e?.Code;
  // CloudFormation answers a missing stack with a ValidationError "Stack with id … does not exist".
  if (name === 'ValidationError' && /does not exist/.test(e?.message ?? '')) return new StackError('not_found', action, target.stackName, said);
  if (name === 'ChangeSetNotFound' || name === 'ChangeSetNotFoundException') return new StackError('not_found', action, target.stackName, said);
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || e?.$metadata?.httpStatusCode === 403)
    return new StackError('access_denied', action, target.stackName, said);
  return new StackError('unavailable', action, target.stackName, said);
}

/** {@link Stacks} over `@aws-sdk/client-cloudformation`. */
export class CloudFormationStacks implements Stacks {
  /** `clientFor`: the client of a region; the caller keeps one per region (`perRegion` in src/aws/client-config.ts). */
  constructor(private readonly clientFor: (region: string | undefined) => CloudFormationClient) {}

  private client(target: StackTarget): CloudFormationClient {
    return this.clientFor(target.region);
  }

  /** {@inheritDoc Stacks.describe} */
  async describe(target: StackTarget): Promise<StackState> {
    const action = 'cloudformation:DescribeStacks';
    try {
      const out = await this.client(target).send(new DescribeStacksCommand({ StackName: target.stackName }));
      const stack = out.Stacks?.[0];
      if (!stack?.StackStatus) throw new StackError('not_found', action, target.stackName, 'no stack in the answer');
      return {
        status: stack.StackStatus,
        ...(stack.StackStatusReason ? { reason: stack.StackStatusReason.slice(0, 500) } : {}),
        parameters: (stack.Parameters ?? []).map((p) => ({ key: p.ParameterKey ?? '', value: p.ParameterValue ?? '' })),
      };
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.template} */
  async template(target: StackTarget): Promise<string> {
    const action = 'cloudformation:GetTemplate';
    try {
      const out = await this.client(target).send(new GetTemplateCommand({ StackName: target.stackName, TemplateStage: 'Original' }));
      if (out.TemplateBody === undefined) throw new StackError('unavailable', action, target.stackName, 'no template in the answer');
      return out.TemplateBody;
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.detectDrift} */
  async detectDrift(target: StackTarget): Promise<string> {
    const action = 'cloudformation:DetectStackDrift';
    try {
      const out = await this.client(target).send(new DetectStackDriftCommand({ StackName: target.stackName }));
      if (!out.StackDriftDetectionId) throw new StackError('unavailable', action, target.stackName, 'no detection id in the answer');
      return out.StackDriftDetectionId;
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.driftDetection} */
  async driftDetection(target: StackTarget, detectionId: string): Promise<DriftDetection> {
    const action = 'cloudformation:DescribeStackDriftDetectionStatus';
    try {
      const out = await this.client(target).send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
      if (out.DetectionStatus === 'DETECTION_COMPLETE') return 'complete';
      if (out.DetectionStatus === 'DETECTION_FAILED') return 'failed';
      return 'in_progress';
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.driftedResources} */
  async driftedResources(target: StackTarget): Promise<DriftedResource[]> {
    const action = 'cloudformation:DescribeStackResourceDrifts';
    const client = this.client(target);
    const found: DriftedResource[] = [];
    let NextToken: string | undefined;
    try {
      // A few pages at most: a card names ten resources, and counts the rest.
      for (let page = 0; page < 5; page++) {
        const out = await client.send(
          new DescribeStackResourceDriftsCommand({ StackName: target.stackName, StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'], NextToken }),
        );
        for (const d of out.StackResourceDrifts ?? []) {
          if (d.StackResourceDriftStatus === 'MODIFIED' || d.StackResourceDriftStatus === 'DELETED')
            found.push({ logicalId: d.LogicalResourceId ?? '?', type: d.ResourceType ?? '?', status: d.StackResourceDriftStatus });
        }
        NextToken = out.NextToken;
        if (!NextToken) break;
      }
      return found;
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.createChangeSet} */
  async createChangeSet(
    target: StackTarget,
    name: string,
    change: { templateBody: string; parameters: StackState['parameters']; description: string },
  ): Promise<string> {
    const action = 'cloudformation:CreateChangeSet';
    try {
      const out = await this.client(target).send(
        new CreateChangeSetCommand({
          StackName: target.stackName,
          ChangeSetName: name,
          ChangeSetType: 'UPDATE',
          TemplateBody: change.templateBody,
          Parameters: change.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
          // The backup was deployed before with whatever capabilities it needed; restoring it needs the same.
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
          Description: change.description.slice(0, 1024),
        }),
      );
      return out.Id ?? name;
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.describeChangeSet} */
  async describeChangeSet(target: StackTarget, name: string): Promise<ChangeSetState> {
    const action = 'cloudformation:DescribeChangeSet';
    try {
      const out = await this.client(target).send(new DescribeChangeSetCommand({ StackName: target.stackName, ChangeSetName: name }));
      const changes: StackChange[] = [];
      for (const c of out.Changes ?? []) {
        const r = c.ResourceChange;
        if (!r) continue;
        changes.push({
          action: r.Action ?? '?',
          logicalId: r.LogicalResourceId ?? '?',
          type: r.ResourceType ?? '?',
          ...(r.Replacement ? { replacement: r.Replacement } : {}),
        });
      }
      const status = out.Status === 'CREATE_COMPLETE' ? 'ready' : out.Status === 'FAILED' ? 'failed' : 'pending';
      return {
        status,
        ...(out.StatusReason ? { reason: out.StatusReason.slice(0, 500) } : {}),
        ...(out.ExecutionStatus ? { executionStatus: out.ExecutionStatus } : {}),
        changes,
      };
    } catch (err) {
      throw explain(err, action, target);
    }
  }

  /** {@inheritDoc Stacks.executeChangeSet} */
  async executeChangeSet(target: StackTarget, name: string): Promise<void> {
    const action = 'cloudformation:ExecuteChangeSet';
    try {
      await this.client(target).send(new ExecuteChangeSetCommand({ StackName: target.stackName, ChangeSetName: name }));
    } catch (err) {
      throw explain(err, action, target);
    }
  }
}
