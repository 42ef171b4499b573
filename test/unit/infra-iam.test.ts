/**
 * Least privilege in infra/: no IAM statement allows every action, or every resource where the action can be
 * scoped; trust and resource policies admit only who they must; foxops' role allows exactly the AWS calls its
 * Lambda code makes (plus the target actions the issue asks for); and a service's deploy role allows exactly the
 * calls its deploy workflow makes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isIntrinsic } from '../../scripts/deploy/cfn-lint.js';
import { loadTemplate, type CfnTemplate } from '../../src/aws/cfn-yaml.js';

const ROOT = path.resolve(__dirname, '../..');
const TEMPLATES: Record<string, CfnTemplate> = {
  'infra/foxops/template.yml': loadTemplate(path.join(ROOT, 'infra/foxops/template.yml')),
  'infra/service/template.yml': loadTemplate(path.join(ROOT, 'infra/service/template.yml')),
};

interface Statement {
  Sid?: string;
  Effect: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Statements of a policy document; `Fn::If` alternatives both count, `AWS::NoValue` drops out. */
function statementsOf(document: unknown): Statement[] {
  const raw = (document as { Statement?: unknown })?.Statement;
  const out: Statement[] = [];
  const visit = (item: unknown) => {
    if (Array.isArray(item)) return item.forEach(visit);
    if (isIntrinsic(item)) {
      const [fn, arg] = Object.entries(item)[0]!;
      if (fn === 'Fn::If' && Array.isArray(arg)) return arg.slice(1).forEach(visit);
      if (fn === 'Ref' && arg === 'AWS::NoValue') return undefined;
    }
    out.push(item as Statement);
  };
  visit(raw);
  return out;
}

/** Identity policies (what a role may do), by `<template> <logical id>`. */
function identityPolicies(): Array<{ where: string; statements: Statement[] }> {
  const out: Array<{ where: string; statements: Statement[] }> = [];
  for (const [file, template] of Object.entries(TEMPLATES)) {
    for (const [id, res] of Object.entries(template.Resources)) {
      const props = (res.Properties ?? {}) as { Policies?: Array<{ PolicyDocument: unknown }>; PolicyDocument?: unknown };
      if (res.Type === 'AWS::IAM::Role') for (const p of props.Policies ?? []) out.push({ where: `${file} ${id}`, statements: statementsOf(p.PolicyDocument) });
      if (res.Type === 'AWS::IAM::Policy' || res.Type === 'AWS::IAM::ManagedPolicy')
        out.push({ where: `${file} ${id}`, statements: statementsOf(props.PolicyDocument) });
    }
  }
  return out;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const actionsOf = (s: Statement) => list(s.Action).map(String);

/** The text of a resource entry: a literal, a Sub template, the Sub inside a Split, or a GetAtt/Ref name. */
function resourceTexts(resource: unknown): string[] {
  if (typeof resource === 'string') return [resource];
  if (Array.isArray(resource)) return resource.flatMap(resourceTexts);
  if (isIntrinsic(resource)) {
    const [fn, arg] = Object.entries(resource)[0]!;
    if (fn === 'Fn::Sub') return [String(Array.isArray(arg) ? arg[0] : arg)];
    if (fn === 'Fn::Split' && Array.isArray(arg)) return resourceTexts(arg[1]);
    if (fn === 'Fn::GetAtt') return [`\${${[arg].flat().join('.')}}`];
    if (fn === 'Ref') return [`\${${String(arg)}}`];
  }
  return [JSON.stringify(resource)];
}

/**
 * Actions that support no resource-level permissions (the Service Authorization Reference lists no resource
 * type for them), so `Resource: '*'` is the only way to grant them. An entry here is
 * what makes a `*` acceptable (DescribeStackDriftDetectionStatus names a detection by id, no stack).
 */
const RESOURCE_STAR_ONLY = new Set([
  'cloudformation:DescribeStackDriftDetectionStatus',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:GetMetricWidgetImage',
  'cloudwatch:ListMetrics',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

/** Problems that make a statement broader than least privilege. */
function breadthProblems(s: Statement): string[] {
  const problems: string[] = [];
  const label = s.Sid ?? JSON.stringify(s.Action);
  if (s.Effect !== 'Allow') return problems;
  if (s.NotAction !== undefined) problems.push(`${label}: Allow with NotAction allows every other action`);
  if (s.NotResource !== undefined) problems.push(`${label}: Allow with NotResource allows every other resource`);
  for (const action of actionsOf(s))
    if (action === '*' || /:\*$/.test(action) || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action))
      problems.push(`${label}: \`${action}\` is every action (or a pattern)`);
  for (const text of resourceTexts(s.Resource)) {
    if (text === '*') {
      const scoped = actionsOf(s).filter((a) => !RESOURCE_STAR_ONLY.has(a));
      if (scoped.length) problems.push(`${label}: Resource * for ${scoped.join(', ')}, which can be scoped to resources`);
      continue;
    }
    // arn:partition:service:region:account:<type>[:/]<name...>: the name must not start with a wildcard.
    // Sub variables (${AWS::Region}, ${Names}) stand for one concrete value each.
    const parts = text.replace(/\$\{[^}]+\}/g, 'VAR').split(':');
    if (text.startsWith('arn:') && parts.length >= 6) {
      const name = parts
        .slice(5)
        .join(':')
        .replace(/^[a-z-]+[:/]/, '');
      if (name === '' || name.startsWith('*')) problems.push(`${label}: \`${text}\` names every resource of its type`);
    }
  }
  return problems;
}

describe('IAM statements', () => {
  it('allow no action or resource wholesale, in any role of any template', () => {
    // Prepare
    const policies = identityPolicies();

    // Act
    const problems = policies.flatMap((p) => p.statements.flatMap((s) => breadthProblems(s).map((msg) => `${p.where}: ${msg}`)));

    // Assess
    expect(policies.length).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it.each([
    [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/k' }, /`\*` is every action/],
    [{ Effect: 'Allow', Action: 'lambda:*', Resource: 'arn:aws:lambda:eu-west-1:1:function:f' }, /`lambda:\*` is every action/],
    [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }, /Resource \* for dynamodb:GetItem/],
    [
      { Effect: 'Allow', Action: 'lambda:UpdateAlias', Resource: { 'Fn::Sub': 'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:*' } },
      /names every resource of its type/,
    ],
    [{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' }, /NotAction/],
  ])('the check flags %j', (statement, expected) => {
    // Prepare: a statement that is too broad

    // Act
    const problems = breadthProblems(statement as Statement);

    // Assess
    expect(problems).toContainEqual(expect.stringMatching(expected));
  });

  it('let CloudWatch metrics reads use Resource * where nothing narrower exists', () => {
    // Prepare
    const statement: Statement = { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' };

    // Act
    const problems = breadthProblems(statement);

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('trust and resource policies', () => {
  it('let only Lambda assume the execution roles', () => {
    // Prepare
    const roles = Object.entries(TEMPLATES).flatMap(([file, t]) =>
      Object.entries(t.Resources)
        .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && id === 'FunctionRole')
        .map(([id, r]) => ({ where: `${file} ${id}`, r })),
    );

    // Act
    const trusts = roles.map(({ where, r }) => ({
      where,
      statements: statementsOf((r.Properties as { AssumeRolePolicyDocument: unknown }).AssumeRolePolicyDocument),
    }));

    // Assess
    expect(trusts).toHaveLength(2);
    for (const { statements } of trusts)
      expect(statements).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });

  it('let only the service deploy workflow, in the GitHub environment of the same name, assume the deploy role', () => {
    // Prepare
    const role = TEMPLATES['infra/service/template.yml']!.Resources.DeployRole!;

    // Act
    const [trust, ...others] = statementsOf((role.Properties as { AssumeRolePolicyDocument: unknown }).AssumeRolePolicyDocument);

    // Assess
    expect(others).toEqual([]);
    expect(trust!.Action).toBe('sts:AssumeRoleWithWebIdentity');
    // the workflow file only as it is on the default branch (infra-templates.test.ts: the same ref foxops checks)
    expect(trust!.Condition!.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': {
        'Fn::Sub':
          'repo:${GitHubRepository}:environment:${Environment}:job_workflow_ref:${GitHubRepository}/.github/workflows/${WorkflowFile}@refs/heads/${DefaultBranch}',
      },
      'token.actions.githubusercontent.com:environment': { Ref: 'Environment' },
      'token.actions.githubusercontent.com:job_workflow_ref': {
        'Fn::Sub': '${GitHubRepository}/.github/workflows/${WorkflowFile}@refs/heads/${DefaultBranch}',
      },
    });
    expect(trust!.Condition!.StringLike).toBeUndefined();
  });

  it('open the function to everyone only through the Function URL, and to AWS services only from their own resource', () => {
    // Prepare
    const permissions = Object.entries(TEMPLATES).flatMap(([file, t]) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Permission')
        .map(([id, r]) => ({ where: `${file} ${id}`, p: r.Properties as Record<string, unknown> })),
    );

    // Act
    const problems = permissions.flatMap(({ where, p }) => {
      if (p.Principal === '*') {
        const urlOnly =
          (p.Action === 'lambda:InvokeFunctionUrl' && p.FunctionUrlAuthType === 'NONE') ||
          (p.Action === 'lambda:InvokeFunction' && p.InvokedViaFunctionUrl === true);
        return urlOnly ? [] : [`${where}: Principal * beyond the Function URL`];
      }
      return p.SourceArn ? [] : [`${where}: ${String(p.Principal)} may invoke from any source`];
    });

    // Assess
    // The Function URL (two), the alarm topic, the reconciler's schedule and the alarm state change rule.
    expect(permissions.length).toBe(5);
    expect(problems).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------ foxops' role vs src

/** The IAM prefix of each SDK package the Lambda code may use. */
const SDK_SERVICES: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
};

/** Commands whose IAM action is not their name. */
const ACTION_OF: Record<string, string[]> = {
  'lambda:Invoke': ['lambda:InvokeFunction'],
  'lambda:InvokeWithResponseStream': ['lambda:InvokeFunction'],
  's3:HeadObject': ['s3:GetObject'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  'dynamodb:TransactWriteItems': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  'dynamodb:TransactGetItems': ['dynamodb:GetItem'],
  // @aws-sdk/lib-dynamodb document commands
  'dynamodb:Get': ['dynamodb:GetItem'],
  'dynamodb:Put': ['dynamodb:PutItem'],
  'dynamodb:Update': ['dynamodb:UpdateItem'],
  'dynamodb:Delete': ['dynamodb:DeleteItem'],
  'dynamodb:BatchGet': ['dynamodb:BatchGetItem'],
  'dynamodb:BatchWrite': ['dynamodb:BatchWriteItem'],
  'dynamodb:TransactWrite': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  'dynamodb:TransactGet': ['dynamodb:GetItem'],
};

/**
 * Commands in files the Lambda bundle contains that the function never sends, and why. Each entry is checked:
 * the function that sends them must not be called from any file the Lambda entry reaches.
 */
const NOT_ON_LAMBDA: Array<{ file: string; fn: string; actions: string[]; why: string }> = [
  {
    file: 'src/store/table.ts',
    fn: 'ensureTable',
    actions: ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTimeToLive'],
    why: 'creates the table for local runs and tests; on AWS, CloudFormation owns the table',
  },
];

/**
 * Actions foxops' role grants on the deployed services' resources (the targets in foxops.yml) for features of
 * issue 4 whose code may not have landed yet: a rollback moves the alias, status reads stacks and alarms.
 * Once the code uses them, the forward check below covers them as well.
 */
const TARGET_ACTIONS: Record<string, string> = {
  'lambda:GetAlias': 'rollback: read which version a target alias serves',
  'lambda:UpdateAlias': 'rollback: move the target alias back',
  'lambda:GetFunction': 'rollback: check that the version to go back to still exists',
  'cloudformation:DescribeStacks': 'status: read the state of a target stack',
  'cloudformation:GetTemplate': 'stack check: back up the template of a target stack before a change',
  'cloudformation:DetectStackDrift': 'stack check: detect drift of a target stack before a change',
  'cloudformation:DescribeStackResourceDrifts': 'stack check: name the drifted resources of a target stack',
  'cloudformation:DetectStackResourceDrift': 'stack check: AWS authorizes the resources of a DetectStackDrift call with it',
  'cloudformation:CreateChangeSet': 'stack rollback: a change set from a backup of a target stack',
  'cloudformation:DescribeChangeSet': 'stack rollback: its changes for the card, and whether it was executed',
  'cloudformation:ExecuteChangeSet': 'stack rollback: execute it after the approvals',
  'cloudwatch:DescribeAlarms': "status: read the state of a target function's alarms",
};

/** Resolves a relative import of `from` to the .ts file it names. */
function resolveImport(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
}

/** Every src file the Lambda entry reaches through runtime imports (static and dynamic; not `import type`). */
function lambdaFiles(): string[] {
  const entry = path.join(ROOT, 'src/lambda/index.ts');
  const seen = new Set<string>();
  const queue = existsSync(entry) ? [entry] : [];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
    ];
    for (const spec of specs) {
      const target = resolveImport(file, spec);
      if (target) queue.push(target);
    }
  }
  return [...seen].sort();
}

/** The IAM actions of the SDK commands each file constructs (`new XCommand(`), by file. */
function sdkActions(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const actions: string[] = [];
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/g)) {
      const service = SDK_SERVICES[m[2]!];
      if (!service) continue;
      for (const item of m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('type '))) {
        const [imported, local = imported] = item.split(/\s+as\s+/).map((s) => s.trim());
        if (!imported!.endsWith('Command') || !new RegExp(`new\\s+${local}\\s*\\(`).test(text)) continue;
        const action = `${service}:${imported!.replace(/Command$/, '')}`;
        actions.push(...(ACTION_OF[action] ?? [action]));
      }
    }
    if (actions.length) out.set(path.relative(ROOT, file), [...new Set(actions)]);
  }
  return out;
}

const foxopsRole = () => {
  const role = TEMPLATES['infra/foxops/template.yml']!.Resources.FunctionRole!;
  return (role.Properties as { Policies: Array<{ PolicyDocument: unknown }> }).Policies.flatMap((p) => statementsOf(p.PolicyDocument));
};

describe("foxops' role and the Lambda code", () => {
  const files = lambdaFiles();
  const used = sdkActions(files);
  const notOnLambda = new Set(NOT_ON_LAMBDA.flatMap((e) => e.actions));
  const granted = new Set(foxopsRole().flatMap(actionsOf));

  it('allows every AWS call the Lambda code makes', () => {
    // Prepare: the SDK commands in every file the Lambda entry reaches

    // Act
    const missing = [...used].flatMap(([file, actions]) =>
      actions.filter((a) => !granted.has(a) && !notOnLambda.has(a)).map((a) => `${file} sends ${a}: grant it in FunctionRole (infra/foxops/template.yml)`),
    );

    // Assess
    expect(missing).toEqual([]);
  });

  it('allows nothing else but the logs, what Lambda itself does with the role, and the target actions of issue 4', () => {
    // Prepare: Lambda's service (not foxops' code) uses the role to write logs, to read the job stream for the
    // event source mapping and to park failed events in the dead-letter queue.
    const sent = new Set([...used.values()].flat());
    const byLambda = [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'sqs:SendMessage',
    ];

    // Act
    const unused = [...granted].filter((a) => !sent.has(a) && !byLambda.includes(a) && !TARGET_ACTIONS[a]);

    // Assess
    expect(unused.map((a) => `FunctionRole grants ${a}, which no Lambda code sends: remove it`)).toEqual([]);
  });

  it('finds the Lambda code and its AWS calls (so the two checks above check something)', () => {
    // Prepare, Act: done above

    // Assess: the cold-start secrets read and the job outbox's lease are always there
    expect(files.length).toBeGreaterThan(1);
    expect([...used.values()].flat()).toEqual(expect.arrayContaining(['ssm:GetParametersByPath', 'dynamodb:UpdateItem']));
  });

  it.each(NOT_ON_LAMBDA.map((e) => [e.fn, e]))('never calls %s on Lambda', (_fn, entry) => {
    // Prepare
    const callers = files.filter((f) => path.relative(ROOT, f) !== entry.file);

    // Act
    const calling = callers.filter((f) => new RegExp(`\\b${entry.fn}\\s*\\(`).test(readFileSync(f, 'utf8')));

    // Assess: ${entry.why}
    expect(calling.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('scopes the target actions to the targets passed as parameters, in this account', () => {
    // Prepare
    const targetStatements = foxopsRole().filter((s) => s.Sid?.startsWith('Target'));

    // Act
    const actions = new Set(targetStatements.flatMap(actionsOf));

    // Assess
    expect([...actions].sort()).toEqual(Object.keys(TARGET_ACTIONS).sort());
    for (const s of targetStatements) {
      expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } });
      expect(JSON.stringify(s.Resource)).toMatch(/"Ref":"Target(Function|Stack)Names"/);
    }
  });
});

// ------------------------------------------------------------------------------------------------ deploy role vs workflow

/** `aws <service> <command>` in the workflow's run scripts, as IAM actions. */
function workflowActions(): string[] {
  const workflow = parseYaml(readFileSync(path.join(ROOT, 'examples/foxy-backend/.github/workflows/deploy.yml'), 'utf8')) as {
    jobs: Record<string, { steps: Array<{ run?: string }> }>;
  };
  const scripts = Object.values(workflow.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ''))
    .join('\n');
  const WAITERS: Record<string, string> = {
    'lambda:wait function-updated-v2': 'lambda:GetFunction',
    'lambda:wait function-updated': 'lambda:GetFunctionConfiguration',
  };
  const NAMES: Record<string, string> = { 'lambda:invoke': 'lambda:InvokeFunction' };
  const actions = [...scripts.matchAll(/\baws\s+([a-z0-9-]+)\s+(wait\s+[a-z0-9-]+|[a-z0-9-]+)/g)].map(([, service, command]) => {
    const key = `${service}:${command!.replace(/\s+/, ' ')}`;
    return WAITERS[key] ?? NAMES[key] ?? `${service}:${command!.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`;
  });
  return [...new Set(actions)].sort();
}

describe('the deploy role and the deploy workflow', () => {
  it('allow exactly the same actions: everything the workflow runs, nothing more', () => {
    // Prepare
    const role = TEMPLATES['infra/service/template.yml']!.Resources.DeployRole!;
    const statements = (role.Properties as { Policies: Array<{ PolicyDocument: unknown }> }).Policies.flatMap((p) => statementsOf(p.PolicyDocument));

    // Act
    const granted = [...new Set(statements.flatMap(actionsOf))].sort();

    // Assess
    expect(workflowActions()).toEqual(expect.arrayContaining(['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:UpdateAlias']));
    expect(granted).toEqual(workflowActions());
  });

  it("scopes every deploy permission to this environment's function, alias or stack", () => {
    // Prepare
    const role = TEMPLATES['infra/service/template.yml']!.Resources.DeployRole!;
    const statements = (role.Properties as { Policies: Array<{ PolicyDocument: unknown }> }).Policies.flatMap((p) => statementsOf(p.PolicyDocument));

    // Act
    const resources = statements.flatMap((s) => resourceTexts(s.Resource));

    // Assess
    expect([...new Set(resources)].sort()).toEqual(['${AWS::StackId}', '${Function.Arn}', '${Function.Arn}:live']);
  });
});
