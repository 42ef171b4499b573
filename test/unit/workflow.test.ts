/**
 * The example deploy workflow (examples/foxy-backend/.github/workflows/deploy.yml) against what foxops sends
 * and expects: exactly the inputs `dispatchInputs` builds (src/deploys/dispatch.ts), a run name that carries the deploy
 * id in the form foxops searches for, and the seed's production pipeline shape (one build, per-environment
 * artifact and role, versioned release, smoke test, summary).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    expect([workflow.jobs.deploy!.needs].flat().sort()).toEqual(['build', 'verify']);
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

/** Runs a step's script the way Actions runs a `run:` without `shell:` on Linux (`bash -e {0}`: no pipefail), in `cwd`. */
const runScript = (script: string, cwd: string, env: Record<string, string>) =>
  spawnSync('bash', ['-e', '-c', script], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });

/** A scratch folder with a `bin` of fake commands (name -> bash body), removed after each test. */
let scratch: string | undefined;
const sandbox = (fakes: Record<string, string>) => {
  scratch = mkdtempSync(path.join(tmpdir(), 'foxops-workflow-'));
  execFileSync('mkdir', ['-p', path.join(scratch, 'bin')]);
  for (const [name, body] of Object.entries(fakes)) writeFileSync(path.join(scratch, 'bin', name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return { dir: scratch, PATH: `${path.join(scratch, 'bin')}:${process.env.PATH}` };
};
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

const stepRunning = (job: string, pattern: RegExp) => stepsOf(job).find((s) => pattern.test(s.run ?? ''));
const envNameOf = (job: Job) => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

describe('foxops says yes before any AWS credential (POST /github/verify)', () => {
  it('runs a verify job in the GitHub environment of the deploy, which the build and the deploy need', () => {
    // Prepare
    const { verify, build, deploy } = workflow.jobs;

    // Act
    const withIdToken = Object.entries(workflow.jobs).filter(([, j]) => j.permissions?.['id-token'] === 'write');

    // Assess: the token carries `environment` only from a job in that environment, the same one the role trusts
    expect(verify).toBeDefined();
    expect(envNameOf(verify!)).toBe('${{ inputs.environment }}');
    expect(envNameOf(verify!)).toBe(envNameOf(deploy!));
    expect(verify!.permissions).toEqual({ 'id-token': 'write' });
    expect(verify!.needs).toBeUndefined();
    expect([build!.needs].flat()).toContain('verify');
    expect([deploy!.needs].flat()).toContain('verify');
    for (const [name, job] of withIdToken) if (name !== 'verify') expect([job.needs].flat()).toContain('verify');
  });

  it('asks GitHub for a token with audience foxops and sends it with the deploy id and the SHA it deploys, inputs through env', () => {
    // Prepare
    const step = stepRunning('verify', /github\/verify/)!;

    // Act
    const script = step.run ?? '';

    // Assess
    expect(step.env).toEqual({ FOXOPS_URL: '${{ vars.FOXOPS_URL }}', DEPLOY_ID: '${{ inputs.deploy_id }}', SHA: '${{ inputs.sha }}' });
    expect(script).toContain('"$ACTIONS_ID_TOKEN_REQUEST_URL&audience=foxops"');
    expect(script).toContain('Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN');
    expect(script).toMatch(/-X POST "\$\{FOXOPS_URL%\/\}\/github\/verify"/);
    // every curl fails the step on an HTTP error, and shows foxops' reason
    expect(script.match(/\bcurl\b/g)?.length).toBe(script.match(/\bcurl -sS --fail-with-body\b/g)?.length);
  });

  it.each([
    ['foxops says yes', 0, true],
    ['foxops says no (403)', 22, false],
  ])('passes only when %s', (_what, curlExit, passes) => {
    // Prepare: curl answers the token request, then foxops with `curlExit` (22 = --fail-with-body on 4xx/5xx)
    const box = sandbox({
      curl: [
        'printf "%s\\n" "$*" >> "$CALLS"',
        'for a in "$@"; do [[ "$a" == *"&audience=foxops" ]] && { echo \'{"value":"the.oidc.token"}\'; exit 0; }; done',
        'echo \'{"ok":false,"reason":"not_approved"}\'; exit "$VERIFY_EXIT"',
      ].join('\n'),
    });
    const calls = path.join(box.dir, 'calls');
    writeFileSync(calls, '');
    const script = stepRunning('verify', /github\/verify/)!.run!;

    // Act
    const result = runScript(script, box.dir, {
      PATH: box.PATH,
      CALLS: calls,
      VERIFY_EXIT: String(curlExit),
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/idtoken?api-version=2.0',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      FOXOPS_URL: 'https://abc123.lambda-url.eu-west-1.on.aws/',
      DEPLOY_ID: 'd-7k2m9x4p1q',
      SHA: '3f786850e387550fdab836ed7e6dc881de23001b',
    });

    // Assess
    expect(result.status === 0).toBe(passes);
    const [tokenCall, verifyCall] = readFileSync(calls, 'utf8').trim().split('\n');
    expect(tokenCall).toContain('https://pipelines.example/idtoken?api-version=2.0&audience=foxops');
    expect(verifyCall).toContain('-X POST https://abc123.lambda-url.eu-west-1.on.aws/github/verify');
    expect(verifyCall).toContain('Authorization: Bearer the.oidc.token');
    expect(verifyCall).toContain('{"deploy_id":"d-7k2m9x4p1q","sha":"3f786850e387550fdab836ed7e6dc881de23001b"}');
    expect(result.stdout).toContain('::add-mask::the.oidc.token');
  });

  it('stops when FOXOPS_URL is not set, without asking for a token', () => {
    // Prepare
    const box = sandbox({ curl: 'echo called >&2; exit 0' });

    // Act
    const result = runScript(stepRunning('verify', /github\/verify/)!.run!, box.dir, { PATH: box.PATH, FOXOPS_URL: '', DEPLOY_ID: 'd-1' });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('::error::the variable FOXOPS_URL is not set');
    expect(result.stderr).not.toContain('called');
  });

  it('stops when GitHub gives no token, without calling foxops', () => {
    // Prepare: the token request answers, but with no value (e.g. an error body)
    const box = sandbox({ curl: '[[ "$*" == *github/verify* ]] && { echo verify-called >&2; exit 0; }; echo \'{"message":"nope"}\'' });

    // Act
    const result = runScript(stepRunning('verify', /github\/verify/)!.run!, box.dir, {
      PATH: box.PATH,
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/idtoken?api-version=2.0',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      FOXOPS_URL: 'https://foxops.example',
      DEPLOY_ID: 'd-1',
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('::error::GitHub gave no OIDC token');
    expect(result.stderr).not.toContain('verify-called');
  });

  it('requires a deploy id and offers no default one (a run started by hand has nothing foxops approved)', () => {
    // Prepare, Act
    const input = workflow.on.workflow_dispatch.inputs.deploy_id!;

    // Assess
    expect(input.required).toBe(true);
    expect(input.default).toBeUndefined();
    expect(text).not.toMatch(/default:\s*manual/);
  });
});

describe('supply chain and the commit', () => {
  it('pins every action to a full commit SHA, with its version in a comment', () => {
    // Prepare
    const lines = text.split('\n').filter((l) => /^\s*(?:-\s+)?uses:/.test(l));

    // Act
    const unpinned = lines.filter((l) => !/uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$/.test(l));

    // Assess: every `uses:` of the parsed workflow is one of these lines
    expect(lines.length).toBe(allSteps().filter((s) => s.uses).length);
    expect(lines.length).toBeGreaterThan(0);
    expect(unpinned).toEqual([]);
  });

  it('builds only a SHA that is reachable from the dispatched ref, checked before anything runs', () => {
    // Prepare
    const steps = stepsOf('build');
    const checkout = steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
    const check = steps.findIndex((s) => /git merge-base --is-ancestor/.test(s.run ?? ''));
    const install = steps.findIndex((s) => (s.run ?? '').trim() === 'npm ci');

    // Act
    const order = [checkout, check, install];

    // Assess: the whole history is fetched, so the ancestry is known
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps[checkout]!.with).toMatchObject({ 'fetch-depth': 0 });
    expect(steps[check]!.env).toEqual({ SHA: '${{ inputs.sha }}' });
  });

  it.each([
    ['a commit of the dispatched branch', 'onMain', 0],
    ['a commit of another branch only', 'onOther', 1],
  ])('lets through %s', (_what, which, expectedStatus) => {
    // Prepare: main = A - C, other = A - B; the run was dispatched on main (GITHUB_SHA = C)
    const box = sandbox({});
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
        cwd: box.dir,
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    git('checkout', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'A');
    const onMain = git('rev-parse', 'HEAD');
    git('checkout', '-q', '-b', 'other');
    git('commit', '-q', '--allow-empty', '-m', 'B');
    const onOther = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'C');
    const head = git('rev-parse', 'HEAD');
    const script = stepRunning('build', /git merge-base --is-ancestor/)!.run!;

    // Act
    const result = runScript(script, box.dir, { SHA: which === 'onMain' ? onMain : onOther, GITHUB_SHA: head, GITHUB_REF: 'refs/heads/main' });

    // Assess
    expect(result.status).toBe(expectedStatus);
    if (expectedStatus) expect(result.stdout).toContain('is not reachable from refs/heads/main');
  });

  it.each([
    ['a 200', { statusCode: 200, body: '{"ok":true}' }, {}, 0],
    ['a 404 (no health route, but the function answers)', { statusCode: 404 }, {}, 0],
    ['a 503', { statusCode: 503, body: 'Service Unavailable' }, {}, 1],
    ['a 500', { statusCode: 500 }, {}, 1],
    ['a function error', { errorMessage: 'boom' }, { FunctionError: 'Unhandled' }, 1],
  ])('smoke-tests the new version: %s', (_what, response, invoke, expectedStatus) => {
    // Prepare: `aws lambda invoke` writes the function's answer to its last argument and prints the invoke result
    const box = sandbox({
      aws: 'printf "%s" "$FAKE_RESPONSE" > "${@: -1}"; printf "%s" "$FAKE_INVOKE"',
    });
    const smoke = stepRunning('deploy', /aws lambda invoke/)!;

    // Act
    const result = runScript(smoke.run!, box.dir, {
      PATH: box.PATH,
      FUNCTION: 'foxy-backend-production',
      ALIAS: 'live',
      FAKE_RESPONSE: JSON.stringify(response),
      FAKE_INVOKE: JSON.stringify({ StatusCode: 200, ExecutedVersion: '7', ...invoke }),
    });

    // Assess
    expect(result.status).toBe(expectedStatus);
    if (expectedStatus) expect(result.stdout).toContain('::error::the new version failed its smoke test');
  });
});
