/**
 * The protection rule job's edges that the integration tests cannot reach cheaply: the decision deadline, a store that
 * fails, GitHub refusing or failing the answer, and a foxops without App credentials.
 */
import { answerProtectionRule } from '../../src/deploys/protection-rule.js';
import type { ProtectionRuleJob, ProtectionRules, ProtectionVerdict, WaitingRun } from '../../src/domain/ports.js';
import { protectionComment } from '../../src/github/protection-comments.js';
import { memoryContext } from '../support/memory-context.js';
import { productionRequest } from '../support/requests.js';

const job: ProtectionRuleJob = {
  type: 'protection_rule',
  repo: 'foxy-org/foxy-backend',
  runId: 77,
  environment: 'production',
  installationId: 1,
  deploymentId: 5,
  delivery: 'd1',
};

/** A GitHub whose run read is `readRun` and whose answers are recorded (or fail with `answerStatus`). */
function github(readRun: () => Promise<WaitingRun | undefined>, answerStatus?: number) {
  const answers: ProtectionVerdict[] = [];
  const rules: ProtectionRules = {
    readRun,
    answer: async (_repo, _runId, _environment, verdict) => {
      if (answerStatus !== undefined) throw Object.assign(new Error(`HTTP ${answerStatus}`), { status: answerStatus });
      answers.push(verdict);
    },
  };
  return { rules, answers };
}

test('a decision that does not come within the deadline is a rejection that says so', async () => {
  // Prepare
  const m = memoryContext();
  const gh = github(() => new Promise(() => {}));
  m.ctx.protectionRules = async () => gh.rules;

  // Act
  const outcome = await answerProtectionRule(m.ctx, job, 20);

  // Assess
  expect(outcome).toEqual({ answered: expect.objectContaining({ state: 'rejected', undecided: 'timeout' }) });
  expect(protectionComment(gh.answers[0]!)).toMatch(
    /^Rejected: foxops could not decide in time\. Re-run the run to ask again\. .*`\/deploy production foxy-backend <ref>`/,
  );
  expect(m.logger.lines.some((l) => l.event === 'protection_rule.undecided' && l.reason === 'timeout')).toBe(true);
});

test('a store that fails while deciding is a rejection, not a hanging run', async () => {
  // Prepare
  const request = productionRequest({ id: 'd-0123456789' });
  const m = memoryContext({ requests: [request] });
  m.ctx.requests.get = async () => {
    throw new Error('DynamoDB is down');
  };
  const gh = github(async () => ({ runId: 77, attempt: 1, title: 'Deploy production [d-0123456789]', headSha: 'a'.repeat(40) }));
  m.ctx.protectionRules = async () => gh.rules;

  // Act
  const outcome = await answerProtectionRule(m.ctx, job);

  // Assess
  expect(outcome).toEqual({ answered: expect.objectContaining({ state: 'rejected', undecided: 'store_unavailable' }) });
  expect(gh.answers).toHaveLength(1);
});

test('an answer GitHub refuses (4xx) is final; one it fails (5xx) is thrown so the job is delivered again', async () => {
  // Prepare
  const m = memoryContext();
  const missing = async () => undefined;

  // Act
  m.ctx.protectionRules = async () => github(missing, 422).rules;
  const refused = await answerProtectionRule(m.ctx, job);
  m.ctx.protectionRules = async () => github(missing, 502).rules;
  const failed = answerProtectionRule(m.ctx, job);

  // Assess
  expect(refused).toMatchObject({ unanswered: 'answer_refused', status: 422, verdict: { state: 'rejected', undecided: 'run_not_found' } });
  await expect(failed).rejects.toMatchObject({ status: 502 });
});

test('a foxops without GitHub App credentials cannot answer and says how to fix it', async () => {
  // Prepare
  const m = memoryContext();

  // Act
  const outcome = await answerProtectionRule(m.ctx, job);

  // Assess
  expect(outcome).toEqual({ unanswered: 'no_app_credentials' });
  expect(m.logger.lines.find((l) => l.event === 'protection_rule.no_app')?.fix).toContain('GITHUB_APP_ID');
});

test('a queued protection rule job is read back bounded: a repository that is no owner/name is refused', async () => {
  // Prepare
  const { readJob } = await import('../../src/jobs/parse.js');
  const { jobKey } = await import('../../src/jobs/keys.js');

  // Act
  const read = readJob(JSON.parse(JSON.stringify(job)));
  const bad = readJob({ ...job, repo: '../../etc/passwd' });
  const rerun = jobKey({ ...job, deploymentId: 6 });

  // Assess
  expect(read).toEqual({ job });
  expect(bad).toEqual({ problem: expect.stringContaining('repo: expected owner/name') });
  expect(rerun).not.toBe(jobKey(job));
});
