/**
 * What GitHub's failed requests leave in foxops' log: Octokit logs each failed attempt, and the caller decides
 * what the failure means. A 404 that means "no such run" is no error; GitHub failing is a warning per attempt.
 */
import { createOctokit } from '../../src/github/octokit.js';
import { GitHubSourceControl } from '../../src/github/source-control.js';
import { memoryLogger } from '../../src/log.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/index.js';

const REPO = 'foxy-org/foxy-backend';
let fake: FakeGitHub;

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.addRepo(REPO, { defaultBranch: 'main', workflows: ['deploy.yml'] });
});
afterAll(async () => {
  await fake?.close();
});

async function sourceControl(throttleId: string) {
  const logger = memoryLogger();
  const octokit = await createOctokit({ auth: { kind: 'token', token: 'ghp_test' }, baseUrl: fake.url, logger, retryBaseMs: 1, throttleId });
  return { github: new GitHubSourceControl(octokit, logger, 1), logger };
}

test('a run GitHub does not know is no run, and its 404 is logged for debugging, not as an error', async () => {
  const { github, logger } = await sourceControl('request-log-404');
  await expect(github.getRun(REPO, 4040404)).resolves.toBeUndefined();
  expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  expect(logger.lines.filter((l) => l.event === 'github.octokit')).toEqual([
    expect.objectContaining({ level: 'debug', status: 404, msg: expect.stringContaining('/actions/runs/4040404 - 404') }),
  ]);
});

test('GitHub answering 500 is a warning per attempt, and the caller gets the failure to report', async () => {
  const { github, logger } = await sourceControl('request-log-500');
  fake.failNext({ pathIncludes: '/actions/runs/5000005', status: 500, times: 10 });
  await expect(github.getRun(REPO, 5000005)).rejects.toMatchObject({ name: 'SourceControlError', code: 'unavailable' });
  const attempts = logger.lines.filter((l) => l.event === 'github.octokit');
  // The first try and the retry plugin's retries.
  expect(attempts.length).toBeGreaterThan(1);
  expect(attempts).toEqual(attempts.map(() => expect.objectContaining({ level: 'warn', status: 500 })));
  expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
});
