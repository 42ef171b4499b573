/**
 * The example deploy workflow (examples/foxy-backend/.github/workflows/deploy.yml) against what foxops sends
 * and expects: exactly the inputs `dispatchInputs` builds (src/deploys/dispatch.ts), a run name that carries the deploy
 * id in the form foxops searches for, and the seed's production pipeline shape (one build, per-environment
 * artifact and role, versioned release, smoke test, summary).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { dispatchInputs } from '../../src/deploys/dispatch.js';
import { DISPATCH_INPUT_NAMES } from '../../src/domain/ports.js';
import { findDeployIds } from '../../src/domain/request.js';
import { productionRequest } from '../support/requests.js';

const ROOT = path.resolve(__dirname, '../..');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  needs?: string | string[];
  environment?: { name: string } | string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  'run-name': string;
  on: { workflow_dispatch: { inputs: Record<string, { type: string; required?: boolean; default?: string; options?: string[] }> } } & Record<string, unknown>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = readFileSync(path.join(ROOT, 'examples/foxy-backend/.github/workflows/deploy.yml'), 'utf8');
const workflow = parse(text) as Workflow;

/** Renders `${{ inputs.x }}` / `${{ env.x }}` the way Actions does for plain values. */
const render = (template: string, inputs: Record<string, string>): string =>
  template.replace(
    /\$\{\{\s*(inputs|env)\.([a-z_A-Z]+)\s*\}\}/g,
    (_m, ctx: string, key: string): string => (ctx === 'inputs' ? inputs[key] : render(workflow.env[key] ?? '', inputs)) ?? '',
  );

const stepsOf = (job: string) => workflow.jobs[job]!.steps;
const allSteps = () => Object.values(workflow.jobs).flatMap((j) => j.steps);

describe('the dispatch contract with foxops', () => {
  it('declares exactly the inputs foxops sends', () => {
    // Prepare
    const declared = Object.keys(workflow.on.workflow_dispatch.inputs);

    // Act: the inputs of a real dispatch, as the use case builds them
    const sent = Object.keys(dispatchInputs({ ...productionRequest(), sha: 'a'.repeat(40), approvals: [{ userId: 'U0ALICE', at: '2026-01-01T00:00:00Z' }] }));

    // Assess: GitHub rejects a dispatch with an undeclared input, and foxops fills every one, in the documented order
    expect(declared.sort()).toEqual([...sent].sort());
    expect(sent).toEqual([...DISPATCH_INPUT_NAMES]);
  });

  it('is started only by workflow_dispatch', () => {
    // Prepare, Act
    const triggers = Object.keys(workflow.on);

    // Assess
    expect(triggers).toEqual(['workflow_dispatch']);
  });

  it('takes every input as text, requiring the ones a deploy cannot do without', () => {
    // Prepare
    const inputs = workflow.on.workflow_dispatch.inputs;

    // Act
    const required = Object.entries(inputs)
      .filter(([, i]) => i.required)
      .map(([k]) => k)
      .sort();

    // Assess
    expect(required).toEqual(['deploy_id', 'environment', 'sha']);
    for (const input of Object.values(inputs)) expect(['string', 'choice']).toContain(input.type);
  });

  it('offers every environment that foxops.yml deploys foxy-backend to', () => {
    // Prepare
    const catalogFile = path.join(ROOT, 'foxops.yml');
    const catalog = existsSync(catalogFile)
      ? (parse(readFileSync(catalogFile, 'utf8')) as { services?: Record<string, { targets?: Record<string, unknown> }> })
      : {};
    const targets = Object.keys(catalog.services?.['foxy-backend']?.targets ?? { staging: {}, production: {} });

    // Act
    const options = workflow.on.workflow_dispatch.inputs.environment!.options ?? [];

    // Assess
    expect(options).toEqual(expect.arrayContaining(targets));
  });

  it('names the run with the deploy id in the form foxops looks for', () => {
    // Prepare
    const inputs = {
      environment: 'production',
      sha: '3f2a9c1d4e5b6a7980f1e2d3c4b5a69788796a5b',
      deploy_id: 'd-7k2m9x4p1q',
      requested_by: 'U0ALICE',
      approved_by: 'U0BOB',
    };

    // Act
    const title = render(workflow['run-name'], inputs);

    // Assess
    expect(workflow['run-name']).toContain('${{ inputs.deploy_id }}');
    expect(findDeployIds(title)).toEqual(['d-7k2m9x4p1q']);
    expect(title).toBe('Deploy production 3f2a9c1d4e5b6a7980f1e2d3c4b5a69788796a5b [d-7k2m9x4p1q]');
  });
});

describe("the seed's production pipeline", () => {
  it('runs one deploy per environment at a time and never cancels one halfway', () => {
    // Prepare, Act
    const { group, 'cancel-in-progress': cancel } = workflow.concurrency;

    // Assess
    expect(render(group, { environment: 'production' })).toBe('deploy-production');
    expect(render(group, { environment: 'staging' })).toBe('deploy-staging');
    expect(cancel).toBe(false);
  });

  it('checks out the exact SHA, and builds and tests once', () => {
    // Prepare
    const checkouts = allSteps().filter((s) => s.uses?.startsWith('actions/checkout@'));

    // Act
    const runs = allSteps().map((s) => s.run ?? '');

    // Assess
    expect(checkouts).toHaveLength(1);
    expect(checkouts[0]!.with).toMatchObject({ ref: '${{ inputs.sha }}' });
    expect(runs.filter((r) => /^npm (test|run build)$/.test(r.trim()))).toEqual(['npm test', 'npm run build']);
    expect(stepsOf('deploy').some((s) => s.uses?.startsWith('actions/checkout@') || /npm (ci|test|run build)/.test(s.run ?? ''))).toBe(false);
    expect([workflow.jobs.deploy!.needs].flat()).toEqual(['build']);
  });

  it('ships a per-environment artifact from the build job to the deploy job', () => {
    // Prepare
    const upload = stepsOf('build').find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    const download = stepsOf('deploy').find((s) => s.uses?.startsWith('actions/download-artifact@'))!;

    // Act
    const names = [upload.with!.name, download.with!.name].map((n) => render(String(n), { environment: 'production' }));

    // Assess
    expect(names).toEqual(['foxy-backend-production.zip', 'foxy-backend-production.zip']);
    expect(render(String(upload.with!.name), { environment: 'staging' })).toBe('foxy-backend-staging.zip');
  });

  it("assumes the environment's deploy role through OIDC, in the GitHub environment of the same name", () => {
    // Prepare
    const deployJob = workflow.jobs.deploy!;
    const credentials = deployJob.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;

    // Act
    const environment = typeof deployJob.environment === 'string' ? deployJob.environment : deployJob.environment?.name;

    // Assess
    expect(environment).toBe('${{ inputs.environment }}');
    expect(deployJob.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(credentials.with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ vars.AWS_REGION }}' });
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  });

  it('updates the code, publishes a version, moves live, smoke-tests and rolls back on failure', () => {
    // Prepare
    const scripts = stepsOf('deploy').map((s) => s.run ?? '');

    // Act
    const at = (pattern: RegExp) => scripts.findIndex((r) => pattern.test(r));

    // Assess: in this order
    const order = [
      at(/aws lambda update-function-code/),
      at(/aws lambda publish-version[\s\S]*--code-sha256/),
      at(/aws lambda update-alias[\s\S]*\$version/),
      at(/aws lambda invoke/),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const release = scripts[order[1]!]!;
    expect(release.indexOf('publish-version')).toBeLessThan(release.indexOf('update-alias'));
    const rollback = stepsOf('deploy').find((s) => /update-alias.*\$PREVIOUS/.test(s.run ?? ''))!;
    expect(rollback.if).toContain('failure()');
  });

  it('writes a job summary with who asked, who approved and how to roll back, whatever the outcome', () => {
    // Prepare
    const summary = stepsOf('deploy').find((s) => (s.run ?? '').includes('$GITHUB_STEP_SUMMARY'))!;

    // Act
    const env = summary.env ?? {};

    // Assess
    expect(summary.if).toBe('always()');
    expect(env).toMatchObject({ REQUESTED_BY: '${{ inputs.requested_by }}', APPROVED_BY: '${{ inputs.approved_by }}', DEPLOY_ID: '${{ inputs.deploy_id }}' });
    expect(summary.run).toContain('aws lambda update-alias');
  });

  it('never puts an input straight into a shell script', () => {
    // Prepare: `${{ inputs.x }}` inside `run:` is a script injection; inputs go through env instead

    // Act
    const injected = allSteps().filter((s) => /\$\{\{\s*inputs\./.test(s.run ?? ''));

    // Assess
    expect(injected.map((s) => s.name)).toEqual([]);
  });
});
