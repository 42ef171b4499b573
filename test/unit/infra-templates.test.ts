/**
 * The CloudFormation templates under infra/ against the CloudFormation resource specification
 * (@aws-cdk/aws-service-spec), their wiring (every Ref/GetAtt/Sub target, condition and parameter used),
 * their parameter files, and their outputs (each one read by the deploy script, the workflow or the docs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lintTemplate, loadResourceSpec } from '../../scripts/deploy/cfn-lint.js';
import { loadTemplate, parseTemplate, type CfnTemplate } from '../../src/aws/cfn-yaml.js';
import { readParameterFile } from '../../scripts/deploy/deploy.js';
import { parse as parseYaml } from 'yaml';
import { parseCatalog } from '../../src/config/index.js';
import { expectedWorkflowRef } from '../../src/domain/enforcement.js';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const spec = loadResourceSpec(ROOT);

/** Each folder under infra/ holds one template and the parameter files of its environments. */
const STACKS = readdirSync(path.join(ROOT, 'infra'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = `infra/${d.name}`;
    const files = readdirSync(path.join(ROOT, dir));
    return {
      dir,
      templates: files.filter((f) => /\.ya?ml$/.test(f)),
      parameterFiles: files.filter((f) => f.endsWith('.json')).map((f) => `${dir}/${f}`),
    };
  });

/** Parameters `npm run deploy` computes for the foxops stack (scripts/deploy/deploy.ts), absent from its files. */
const COMPUTED = new Set(['CodeS3Key', 'TargetFunctionNames', 'TargetStackNames']);

describe('infra/ layout', () => {
  it('has exactly one template per stack kind, with parameter files for staging and production', () => {
    // Prepare
    const layout = Object.fromEntries(STACKS.map((s) => [s.dir, s]));

    // Act
    const kinds = Object.keys(layout).sort();

    // Assess
    expect(kinds).toEqual(['infra/foxops', 'infra/service']);
    for (const stack of STACKS) {
      expect(stack.templates).toEqual(['template.yml']);
      expect(
        stack.parameterFiles
          .map((f) =>
            path
              .basename(f)
              .replace(/\.json$/, '')
              .split('-')
              .at(-1),
          )
          .sort(),
      ).toEqual(['production', 'staging']);
    }
  });

  it.each(STACKS.map((s) => [s.dir]))('%s/template.yml names no environment literally: staging and production come from parameters', (dir) => {
    // Prepare
    const text = read(`${dir}/template.yml`)
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');

    // Act
    const literal = text.match(/[\w-]*(?:staging|production)[\w-]*/g) ?? [];

    // Assess: only the AllowedValues list and the IsProduction condition may spell the names out
    expect([...new Set(literal)].sort()).toEqual(['production', 'staging']);
    expect(text.match(/\[staging, production\]/g)?.length).toBe(1);
  });
});

describe.each(STACKS.map((s) => [s.dir]))('%s/template.yml', (dir) => {
  const template: CfnTemplate = loadTemplate(path.join(ROOT, dir, 'template.yml'));

  it('matches the CloudFormation resource specification and uses every parameter and condition', () => {
    // Prepare: the template, parsed with the short-form tags

    // Act
    const problems = lintTemplate(template, spec);

    // Assess
    expect(problems).toEqual([]);
  });

  it('has every output read by the deploy script, the example workflow or the README', () => {
    // Prepare
    const readers = [read('scripts/deploy/deploy.ts'), read('examples/foxy-backend/.github/workflows/deploy.yml'), read('README.md')].join('\n');

    // Act
    const unread = Object.keys(template.Outputs ?? {}).filter((name) => !new RegExp(`\\b${name}\\b`).test(readers));

    // Assess
    expect(Object.keys(template.Outputs ?? {}).length).toBeGreaterThan(0);
    expect(unread).toEqual([]);
  });

  it.each(STACKS.find((s) => s.dir === dir)!.parameterFiles.map((f) => [f]))('%s sets valid values for every parameter without a default', (file) => {
    // Prepare
    const params = readParameterFile(path.join(ROOT, file));
    const declared = template.Parameters ?? {};

    // Act
    const unknown = Object.keys(params).filter((k) => !declared[k]);
    const missing = Object.entries(declared)
      .filter(([k, d]) => d.Default === undefined && params[k] === undefined && !COMPUTED.has(k))
      .map(([k]) => k);
    const invalid = Object.entries(params).filter(([k, v]) => {
      const d = declared[k];
      if (!d) return false;
      if (d.AllowedValues && !d.AllowedValues.map(String).includes(v)) return true;
      if (d.AllowedPattern && !new RegExp(`^(?:${d.AllowedPattern})$`).test(v)) return true;
      if (d.Type === 'Number' && Number.isNaN(Number(v))) return true;
      return false;
    });

    // Assess
    expect(unknown).toEqual([]);
    expect(missing).toEqual([]);
    expect(invalid).toEqual([]);
    expect(params.Environment).toBe(path.basename(file, '.json').split('-').at(-1));
  });
});

describe("the service deploy role's trust, against what foxops checks (src/domain/enforcement.ts)", () => {
  const template = loadTemplate(path.join(ROOT, 'infra/service/template.yml'));
  const parsed = parseCatalog(parseYaml(read('foxops.yml')), 'foxops.yml');
  if (!('catalog' in parsed)) throw new Error('foxops.yml does not parse');
  const files = STACKS.find((s) => s.dir === 'infra/service')!.parameterFiles;

  /** The parameter values of a stack: the file's, then the template's defaults. */
  const paramsOf = (file: string): Record<string, string> => ({
    ...Object.fromEntries(Object.entries(template.Parameters ?? {}).flatMap(([k, d]) => (d.Default === undefined ? [] : [[k, String(d.Default)]]))),
    ...readParameterFile(path.join(ROOT, file)),
  });
  /** A plain string, `Ref` to a parameter or `Fn::Sub` of parameters, resolved the way CloudFormation does. */
  const resolve = (value: unknown, params: Record<string, string>): string => {
    if (typeof value === 'string') return value;
    const o = value as { Ref?: string; 'Fn::Sub'?: string };
    const param = (name: string) => {
      if (params[name] === undefined) throw new Error(`no value for ${name}`);
      return params[name]!;
    };
    if (o.Ref) return param(o.Ref);
    if (typeof o['Fn::Sub'] === 'string') return o['Fn::Sub'].replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name: string) => param(name));
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  const trust = () => {
    const statements = (template.Resources.DeployRole!.Properties as { AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] } })
      .AssumeRolePolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    return statements[0]! as { Effect: string; Action: string; Condition: Record<string, Record<string, unknown>> };
  };

  it('checks every claim with StringEquals: no wildcard, no other operator', () => {
    // Prepare, Act
    const { Effect, Action, Condition } = trust();

    // Assess
    expect(Effect).toBe('Allow');
    expect(Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(Object.keys(Condition)).toEqual(['StringEquals']);
    expect(Object.keys(Condition.StringEquals!).sort()).toEqual(
      ['aud', 'environment', 'job_workflow_ref', 'sub'].map((k) => `token.actions.githubusercontent.com:${k}`),
    );
    expect(JSON.stringify(Condition)).not.toContain('*');
  });

  it.each(files.map((f) => [f]))('%s: trusts exactly the repository, environment and workflow ref foxops accepts', (file) => {
    // Prepare
    const params = paramsOf(file);
    const service = parsed.catalog.services.find((s) => s.name === params.ServiceName)!;
    const conditions = trust().Condition.StringEquals!;

    // Act
    const claim = (key: string) => resolve(conditions[`token.actions.githubusercontent.com:${key}`], params);

    // Assess: the claims of a run foxops says yes to (refuseRun) are the claims the role lets in
    expect(service).toBeDefined();
    expect(Object.keys(service.targets)).toContain(params.Environment);
    expect(params.GitHubRepository!.toLowerCase()).toBe(service.repo.toLowerCase());
    const workflowRef = expectedWorkflowRef(service);
    expect(workflowRef).toMatch(/@refs\/heads\/[^*]+$/);
    expect(claim('job_workflow_ref')).toBe(workflowRef);
    expect(claim('environment')).toBe(params.Environment);
    expect(claim('sub')).toBe(`repo:${service.repo}:environment:${params.Environment}:job_workflow_ref:${workflowRef}`);
    expect(claim('aud')).toBe('sts.amazonaws.com');
  });

  it('matches the deploy job of the example workflow: its environment, OIDC and role', () => {
    // Prepare
    const workflow = parseYaml(read('examples/foxy-backend/.github/workflows/deploy.yml')) as {
      jobs: Record<string, { environment?: { name: string }; permissions?: Record<string, string>; steps: { uses?: string }[] }>;
    };

    // Act
    const assuming = Object.entries(workflow.jobs).filter(([, j]) => j.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')));

    // Assess: one job assumes the role, in the environment named by the input the role's environment claim matches
    expect(assuming.map(([name]) => name)).toEqual(['deploy']);
    expect(assuming[0]![1].environment?.name).toBe('${{ inputs.environment }}');
    expect(assuming[0]![1].permissions?.['id-token']).toBe('write');
  });
});

describe('the specification check', () => {
  const base = read('infra/foxops/template.yml');

  it.each([
    ['an unknown resource type', 'Type: AWS::SNS::Topic', 'Type: AWS::SNS::Topik', /`AWS::SNS::Topik` is not a CloudFormation resource type/],
    ['an unknown property', 'BillingMode: PAY_PER_REQUEST', 'BillingMode: PAY_PER_REQUEST\n      Billing: x', /AWS::DynamoDB::Table has no property `Billing`/],
    [
      'a nested property typo',
      'PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }',
      'PointInTimeRecoverySpecification: { PointInTimeRecoveryEnable: true }',
      /PointInTimeRecoverySpecification has no property `PointInTimeRecoveryEnable`/,
    ],
    ['a missing required property', '      Protocol: lambda\n', '', /AWS::SNS::Subscription requires `Protocol`/],
    ['a value outside the allowed ones', 'AuthType: NONE', 'AuthType: OPEN', /`OPEN` is not one of AWS_IAM, NONE/],
    ['a wrong value kind', 'MaximumRetryAttempts: 2', 'MaximumRetryAttempts: [2]', /MaximumRetryAttempts: expected a number, got a list/],
    ['an attribute the type does not have', '!GetAtt FunctionUrl.FunctionUrl', '!GetAtt FunctionUrl.Url', /AWS::Lambda::Url has no attribute `Url`/],
    [
      'a Ref to nothing',
      'RetentionInDays: !Ref LogRetentionDays',
      'RetentionInDays: !Ref LogRetention',
      /refers to `LogRetention`, which is neither a parameter nor a resource/,
    ],
    ['a Sub variable that is not declared', '!Sub foxops-${Environment}-ops', '!Sub foxops-${Env}-ops', /refers to `Env`/],
    ['an unused parameter', 'LOG_LEVEL: !Ref LogLevel', 'LOG_LEVEL: info', /Parameters\.LogLevel: declared but never used/],
    ['an undeclared condition', 'Condition: HasOpsAlertEmail', 'Condition: HasOpsEmail', /condition `HasOpsEmail` is not declared/],
  ])('flags %s', (_what, from, to, expected) => {
    // Prepare
    expect(base).toContain(from);
    const broken = parseTemplate(base.replace(from, to));

    // Act
    const problems = lintTemplate(broken, spec);

    // Assess
    expect(problems).toContainEqual(expect.stringMatching(expected));
  });

  it('loads the specification quickly enough for every test run', () => {
    // Prepare
    const started = Date.now();

    // Act
    const again = loadResourceSpec(ROOT);

    // Assess: parsed once per process, then cached
    expect(Date.now() - started).toBeLessThan(50);
    expect(again.resources.get('AWS::Lambda::Function')?.properties.Runtime).toBeDefined();
  });
});

describe('the short-form tag schema', () => {
  it('reads every intrinsic function tag into its long form', () => {
    // Prepare
    const text = [
      'Resources: {}',
      'A: !Ref X',
      'B: !GetAtt Res.Outputs.Name',
      'C: !Join ["", [!Sub "${X}-y", !Select [0, !GetAZs ""], !Base64 "z"]]',
      'D: !If [Cond, !ImportValue exp, !FindInMap [M, k, v]]',
      'E: !And [!Equals [a, b], !Not [!Condition C2], !Or [!Condition C3, !Condition C4]]',
      'F: !Split [",", !Cidr [!Ref Block, 2, 8]]',
    ].join('\n');

    // Act
    const parsed = parseTemplate(text) as unknown as Record<string, unknown>;

    // Assess
    expect(parsed.A).toEqual({ Ref: 'X' });
    expect(parsed.B).toEqual({ 'Fn::GetAtt': ['Res', 'Outputs.Name'] });
    expect(parsed.C).toEqual({ 'Fn::Join': ['', [{ 'Fn::Sub': '${X}-y' }, { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, { 'Fn::Base64': 'z' }]] });
    expect(parsed.D).toEqual({ 'Fn::If': ['Cond', { 'Fn::ImportValue': 'exp' }, { 'Fn::FindInMap': ['M', 'k', 'v'] }] });
    expect(parsed.E).toEqual({
      'Fn::And': [{ 'Fn::Equals': ['a', 'b'] }, { 'Fn::Not': [{ Condition: 'C2' }] }, { 'Fn::Or': [{ Condition: 'C3' }, { Condition: 'C4' }] }],
    });
    expect(parsed.F).toEqual({ 'Fn::Split': [',', { 'Fn::Cidr': [{ Ref: 'Block' }, 2, 8] }] });
  });
});
