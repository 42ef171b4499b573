/**
 * The pre-flight checks other than CI: the decisions from compare results and settings (src/domain/preflight-rules.ts),
 * the `checks:`, `risky_paths` and `max_commits` keys of foxops.yml, and the card's words for them.
 */
import { parse as parseYaml } from 'yaml';
import { parseCatalog } from '../../src/config/index.js';
import type { PreflightCheck } from '../../src/domain/preflight.js';
import {
  authorsByCount,
  globToRegExp,
  isFridayAfternoon,
  orderingCheck,
  preflightFailure,
  preflightSettingsOf,
  provenanceCheck,
  riskCheck,
  workflowCheck,
} from '../../src/domain/preflight-rules.js';
import { localWeekTime } from '../../src/domain/week-time.js';
import { failureText } from '../../src/slack/blocks/failures.js';
import { preflightLine, preflightText } from '../../src/slack/blocks/preflight.js';

const DEPLOYED = 'a'.repeat(40);
const SHA = 'b'.repeat(40);
const MONDAY_NOON = { weekday: 1, hour: 12 };

describe('settings', () => {
  it('refuses by default where deploys need approvals, warns where they need none, and keeps what was written', () => {
    expect(preflightSettingsOf({ approvals: 2 })).toEqual({ provenance: 'refuse', ordering: 'refuse', workflow: 'warn', allowedRefs: [] });
    expect(preflightSettingsOf({ approvals: 0 })).toEqual({ provenance: 'warn', ordering: 'warn', workflow: 'warn', allowedRefs: [] });
    expect(preflightSettingsOf({ approvals: 2, checks: { provenance: 'off', allowedRefs: ['release/*'] } })).toMatchObject({
      provenance: 'off',
      ordering: 'refuse',
      allowedRefs: ['release/*'],
    });
  });
});

describe('provenance', () => {
  const base = { defaultBranch: 'main', allowedRefs: [] };
  it('passes a SHA on the default branch (identical or behind its head)', () => {
    expect(provenanceCheck('refuse', { ...base, reaches: [{ branch: 'main', status: 'behind' }] })).toMatchObject({ verdict: 'pass', code: 'reachable' });
    expect(provenanceCheck('refuse', { ...base, reaches: [{ branch: 'main', status: 'identical' }] })?.verdict).toBe('pass');
  });
  it('refuses a SHA only on a feature branch where the mode is refuse, warns where it is warn, says nothing when off', () => {
    const reaches = [{ branch: 'main', status: 'ahead' as const }];
    expect(provenanceCheck('refuse', { ...base, reaches })).toMatchObject({ verdict: 'fail', code: 'not_reachable' });
    expect(provenanceCheck('warn', { ...base, reaches })).toMatchObject({ verdict: 'warn', code: 'not_reachable' });
    expect(provenanceCheck('off', { ...base, reaches })).toBeUndefined();
  });
  it('passes a SHA on an allowed branch, and warns when GitHub answered nothing', () => {
    const reaches = [
      { branch: 'main', status: 'diverged' as const },
      { branch: 'release/1.2', status: 'identical' as const },
    ];
    expect(provenanceCheck('refuse', { defaultBranch: 'main', allowedRefs: ['release/*'], reaches })).toMatchObject({
      verdict: 'pass',
      params: { branch: 'release/1.2' },
    });
    expect(provenanceCheck('refuse', { ...base, reaches: [{ branch: 'main' }] })).toMatchObject({ verdict: 'warn', code: 'unreadable' });
  });
});

describe('ordering', () => {
  it('passes ahead, identical and a first deploy', () => {
    expect(orderingCheck('refuse', { deployedSha: DEPLOYED, status: 'ahead', aheadBy: 3 })).toMatchObject({ verdict: 'pass', code: 'ahead' });
    expect(orderingCheck('refuse', { deployedSha: DEPLOYED, status: 'identical' })).toMatchObject({ verdict: 'pass', code: 'same' });
    expect(orderingCheck('refuse', {})).toMatchObject({ verdict: 'pass', code: 'first_deploy' });
  });
  it('refuses behind and diverged with how many commits and whose, or warns', () => {
    const behind = orderingCheck('refuse', { deployedSha: DEPLOYED, status: 'behind', behindBy: 2, takenOutAuthors: ['bob', 'carol'] });
    expect(behind).toMatchObject({ verdict: 'fail', code: 'behind', params: { behindBy: 2 }, items: ['bob', 'carol'] });
    expect(orderingCheck('refuse', { deployedSha: DEPLOYED, status: 'diverged', behindBy: 1, aheadBy: 1 })).toMatchObject({
      verdict: 'fail',
      code: 'diverged',
    });
    expect(orderingCheck('warn', { deployedSha: DEPLOYED, status: 'behind', behindBy: 1 })?.verdict).toBe('warn');
    expect(orderingCheck('refuse', { deployedSha: DEPLOYED })).toMatchObject({ verdict: 'warn', code: 'unreadable' });
  });
  it('lists authors by how many commits they wrote', () => {
    expect(authorsByCount([{ author: 'carol' }, { author: 'bob' }, { author: 'bob' }])).toEqual(['bob', 'carol']);
  });
});

describe('workflow file', () => {
  const base = {
    ref: 'feature/x',
    defaultBranch: 'main',
    path: '.github/workflows/deploy.yml',
    read: true,
    diffUrl: 'https://github.com/o/r/compare/main...b',
  };
  it('warns when the ref changes the workflow file, with the diff', () => {
    expect(workflowCheck('warn', { ...base, defaultBlob: '1', refBlob: '2' })).toMatchObject({
      verdict: 'warn',
      code: 'changed',
      params: { diffUrl: base.diffUrl },
    });
    expect(workflowCheck('warn', { ...base, defaultBlob: '1', refBlob: '1' })).toMatchObject({ verdict: 'pass', code: 'same' });
  });
  it('does not run for the default branch, a workflow id, or when off', () => {
    expect(workflowCheck('warn', { ...base, ref: 'main', defaultBlob: '1', refBlob: '2' })).toBeUndefined();
    expect(workflowCheck('warn', { ...base, path: undefined })).toBeUndefined();
    expect(workflowCheck('off', { ...base, defaultBlob: '1', refBlob: '2' })).toBeUndefined();
  });
});

describe('risk hints', () => {
  const base = { maxCommits: 20, files: [], riskyPaths: [], local: MONDAY_NOON, timeZone: 'UTC' };
  it('passes when nothing is unusual', () => {
    expect(riskCheck({ ...base, commits: 20 })).toEqual({ check: 'risk', verdict: 'pass' });
  });
  it('warns (never fails) for many commits, risky files and a Friday afternoon', () => {
    const check = riskCheck({
      ...base,
      commits: 21,
      files: ['src/a.ts', 'migrations/001.sql', 'infra/db/main.tf'],
      riskyPaths: ['migrations/**', 'infra/**'],
      local: { weekday: 5, hour: 15 },
      timeZone: 'Europe/Berlin',
    });
    expect(check).toMatchObject({
      verdict: 'warn',
      code: 'many_commits+risky_files+friday_afternoon',
      params: { commits: 21, maxCommits: 20, riskyFiles: 2, timeZone: 'Europe/Berlin' },
      items: ['migrations/001.sql', 'infra/db/main.tf'],
    });
  });
  it('knows globs and Friday afternoons in the environment zone', () => {
    expect(globToRegExp('migrations/**').test('migrations/2026/001.sql')).toBe(true);
    expect(globToRegExp('**/*.sql').test('db/x.sql')).toBe(true);
    expect(globToRegExp('**/*.sql').test('x.sql')).toBe(true);
    expect(globToRegExp('infra/*.tf').test('infra/a/b.tf')).toBe(false);
    expect(isFridayAfternoon({ weekday: 5, hour: 11 })).toBe(false);
    // Friday 2026-12-04 11:30 UTC is 12:30 in Berlin: afternoon there, morning in UTC.
    const at = new Date('2026-12-04T11:30:00Z');
    expect(isFridayAfternoon(localWeekTime(at, 'Europe/Berlin'))).toBe(true);
    expect(isFridayAfternoon(localWeekTime(at, 'UTC'))).toBe(false);
  });
});

describe('configuration', () => {
  const yaml = (service: string, env: string) => `
services:
  api:
    repo: o/api
    workflow: deploy.yml
${service}
environments:
  production:
    channels: [C0PROD]
    approvals: 1
    approvers: [U0ALICE]
${env}
`;
  it('reads checks, risky_paths and max_commits, and leaves them out when not written', () => {
    const parsed = parseCatalog(
      parseYaml(
        yaml(
          '    risky_paths: [migrations/**]\n    max_commits: 5',
          '    checks:\n      provenance: warn\n      workflow: off\n      allowed_refs: [release/*]',
        ),
      ),
      'f.yml',
    );
    if (!('catalog' in parsed)) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.catalog.services[0]).toMatchObject({ riskyPaths: ['migrations/**'], maxCommits: 5 });
    expect(parsed.catalog.environments[0]?.checks).toEqual({ provenance: 'warn', workflow: 'off', allowedRefs: ['release/*'] });
    const plain = parseCatalog(parseYaml(yaml('', '')), 'f.yml');
    if (!('catalog' in plain)) throw new Error('expected a catalog');
    expect(plain.catalog.environments[0]?.checks).toBeUndefined();
    expect(plain.catalog.services[0]?.maxCommits).toBeUndefined();
  });
  it('says how to fix a bad mode or max_commits', () => {
    const parsed = parseCatalog(parseYaml(yaml('    max_commits: 0', '    checks:\n      ordering: block')), 'f.yml');
    if ('catalog' in parsed) throw new Error('expected problems');
    const fixes = parsed.problems.map((p) => `${p.where} ${p.fix}`).join('\n');
    expect(fixes).toMatch(/checks\.ordering .*`refuse`.*`warn`.*`off`/);
    expect(fixes).toMatch(/max_commits .*max_commits: 20/);
  });
});

describe('words', () => {
  it('shows each check as a line, with the diff and compare links', () => {
    const checks: PreflightCheck[] = [
      { check: 'provenance', verdict: 'fail', code: 'not_reachable', params: { defaultBranch: 'main' } },
      { check: 'ordering', verdict: 'fail', code: 'behind', params: { deployedSha: DEPLOYED, behindBy: 2, compareUrl: 'https://c' }, items: ['bob'] },
      { check: 'workflow', verdict: 'warn', code: 'changed', params: { path: '.github/workflows/deploy.yml', defaultBranch: 'main', diffUrl: 'https://d' } },
      { check: 'ci', verdict: 'pending', code: 'running' },
    ];
    const text = preflightText({ preflight: checks, breakGlass: { reason: 'outage' } })!;
    expect(text).toContain('*Pre-flight* (✗ overridden by break-glass, audited)');
    expect(text).toContain('✗ Provenance: not on `main`: merge it first.');
    expect(text).toContain('<https://c|behind what runs (`aaaaaaa`)>: would take out 2 commit(s) by `bob`');
    expect(text).toContain('<https://d|see the diff>');
    // The CI check's words are its own (src/slack/blocks/preflight.ts `ci` case); here only that it has a ⏳ line.
    expect(preflightLine(checks[3]!)).toMatch(/^⏳ CI/);
    expect(preflightText({ preflight: [] })).toBeUndefined();
  });
  it('says the way out of a refusal: merge, the setting that allows it, or /deploy rollback', () => {
    const failed = [
      provenanceCheck('refuse', { defaultBranch: 'main', allowedRefs: [], reaches: [{ branch: 'main', status: 'ahead' }] })!,
      orderingCheck('refuse', { deployedSha: DEPLOYED, status: 'diverged', behindBy: 3, aheadBy: 1, takenOutAuthors: ['carol'] })!,
    ];
    const text = failureText(preflightFailure(failed, { environment: 'production', service: 'api', ref: 'feature/x', sha: SHA }));
    expect(text).toContain('is not on `main`: merge it first');
    expect(text).toContain('`checks: { allowed_refs: [...] }`');
    expect(text).toContain('`checks: { provenance: warn }`');
    expect(text).toContain('would take out 3 commit(s) by carol');
    expect(text).toContain('`/deploy rollback production api`');
  });
});
