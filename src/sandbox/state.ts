/**
 * The simulators' state in the shapes the page draws (src/sandbox/protocol.ts), and each simulator change as the
 * page's {@link SandboxChange}. Pure: reads the simulators, changes nothing.
 */
import type { FakeCloudFormation } from './sim/cloudformation.js';
import type { FakeCheckRun, FakeCommit, FakeGitHub, FakeRun } from './sim/github.js';
import type { FakeLambda } from './sim/aws.js';
import type { FakeSlack, SlackChange, SlackEphemeral, SlackMessage, SlackUploadedFile } from './sim/slack.js';
import type {
  RunOutcome,
  SandboxAws,
  SandboxChange,
  SandboxChannel,
  SandboxEphemeral,
  SandboxFile,
  SandboxGitHub,
  SandboxMessage,
  SandboxModal,
  SandboxPerson,
  SandboxRun,
  SandboxState,
  SandboxVerification,
} from './protocol.js';

/** A CloudWatch alarm of a deployed service, as the sandbox set it in the CloudWatch simulator. */
export interface SandboxAlarm {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  service: string;
  environment: string;
  functionName: string;
  metricName: string;
  threshold: number;
  description: string;
}

/** What the sandbox itself keeps besides the simulators (persisted with them). */
export interface SandboxBook {
  alarms: SandboxAlarm[];
  nextRun: RunOutcome;
  /** What each dispatched run was told to do, by run id. */
  outcomes: Record<string, RunOutcome>;
  /** What foxops answered each run's verify job (`POST /github/verify`), by run id. */
  verifications: Record<string, SandboxVerification>;
  /** Who each generated trigger id belongs to (a modal opened with it is that person's). */
  triggers: Record<string, string>;
}

/** Where the side panels look: the repository and its branch, and each environment's function (its alias) and stack. */
export interface SandboxLayout {
  repo: string;
  defaultBranch: string;
  alias: string;
  environments: ReadonlyArray<{ functionName: string; stack: string }>;
}

/** A commit's CI as the side panel shows it, from its check runs in the simulator. */
function ciOf(checkRuns: FakeCheckRun[]): SandboxGitHub['commits'][number]['ci'] {
  if (checkRuns.length === 0) return 'none';
  if (checkRuns.some((c) => c.status !== 'completed')) return 'pending';
  return checkRuns.every((c) => (c.conclusion ?? 'success') === 'success' || c.conclusion === 'skipped' || c.conclusion === 'neutral') ? 'success' : 'failure';
}

/** The default branch's history in the simulator, newest first (the panel shows the newest `limit`). */
function historyOf(github: FakeGitHub, layout: SandboxLayout, limit = 50): FakeCommit[] {
  const commits: FakeCommit[] = [];
  for (let sha: string | undefined = github.headOf(layout.repo, layout.defaultBranch); sha && commits.length < limit; ) {
    const commit = github.commit(layout.repo, sha);
    if (!commit) break;
    commits.push(commit);
    sha = commit.parent;
  }
  return commits;
}

/** Everything {@link sandboxState} reads. */
export interface StateSources {
  botUserId: string;
  people: SandboxPerson[];
  groups: SandboxState['groups'];
  channels: SandboxChannel[];
  slack: FakeSlack;
  github: FakeGitHub;
  lambda: FakeLambda;
  cloudformation: FakeCloudFormation;
  book: SandboxBook;
  layout: SandboxLayout;
}

const fileOf = (u: SlackUploadedFile): SandboxFile => ({
  id: u.id,
  name: u.filename,
  ...(u.title ? { title: u.title } : {}),
  url: `/api/files/${u.id}`,
  mimetype: /\.png$/i.test(u.filename) ? 'image/png' : (u.headers?.contentType ?? 'application/octet-stream'),
});

/** A message as the page draws it. */
export function messageOf(m: SlackMessage): SandboxMessage {
  return {
    channel: m.channel,
    ts: m.ts,
    ...(m.thread_ts ? { threadTs: m.thread_ts } : {}),
    user: m.user,
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(Array.isArray(m.blocks) ? { blocks: m.blocks } : {}),
    ...(Array.isArray(m.attachments) ? { attachments: m.attachments } : {}),
    edits: m.updates,
    ...(m.changedAt !== undefined ? { changedAt: m.changedAt } : {}),
  };
}

/** A completed upload as the message Slack shows for it (the file, with the comment). */
export function fileMessageOf(u: SlackUploadedFile, botUserId: string): SandboxMessage | undefined {
  if (!u.completed || !u.channel || !u.ts) return undefined;
  return {
    channel: u.channel,
    ts: u.ts,
    ...(u.threadTs ? { threadTs: u.threadTs } : {}),
    user: botUserId,
    ...(u.initialComment ? { text: u.initialComment } : {}),
    files: [fileOf(u)],
    edits: 0,
  };
}

/** An ephemeral as the page draws it; its id is its `message_ts`. */
export function ephemeralOf(e: SlackEphemeral): SandboxEphemeral {
  return {
    id: e.message_ts,
    channel: e.channel,
    user: e.user,
    ...(e.thread_ts ? { threadTs: e.thread_ts } : {}),
    ...(e.text !== undefined ? { text: e.text } : {}),
    ...(Array.isArray(e.blocks) ? { blocks: e.blocks } : {}),
    at: e.at ?? 0,
  };
}

/** Open modals, oldest first; a modal whose trigger id the sandbox did not hand out is nobody's and left out. */
export function modalsOf(slack: FakeSlack, triggers: Record<string, string>): SandboxModal[] {
  const modals: SandboxModal[] = [];
  for (const opened of slack.openedViews) {
    const user = triggers[opened.triggerId];
    if (opened.closed || !user) continue;
    modals.push({ id: String(opened.view.id), user, view: opened.view });
  }
  return modals;
}

const runOf = (run: FakeRun, book: SandboxBook): SandboxRun => ({
  id: run.id,
  title: run.displayTitle,
  headSha: run.headSha,
  status: run.status,
  conclusion: run.conclusion,
  outcome: book.outcomes[String(run.id)] ?? 'succeed',
  ...(isManualRun(run) ? { manual: true } : {}),
  ...(book.verifications?.[String(run.id)] ? { verification: book.verifications[String(run.id)] } : {}),
  jobs: run.jobs.map((job) => ({
    name: job.name,
    status: job.status,
    conclusion: job.conclusion,
    steps: job.steps.map((step) => ({ name: step.name, status: step.status, conclusion: step.conclusion })),
  })),
  createdAt: run.createdAt,
});

/** A run someone started in GitHub ("Run workflow"), not foxops: it carries no deploy id. */
export const isManualRun = (run: FakeRun): boolean => typeof run.inputs.deploy_id !== 'string' || run.inputs.deploy_id === '';

/** Simulated GitHub for the side panel: commits and runs newest first. */
export function githubStateOf(github: FakeGitHub, book: SandboxBook, layout: SandboxLayout): SandboxGitHub {
  return {
    repo: layout.repo,
    defaultBranch: layout.defaultBranch,
    commits: historyOf(github, layout).map((c) => ({
      sha: c.sha,
      message: c.message,
      author: c.authorLogin,
      date: c.date,
      ci: ciOf(github.checkRunsOf(layout.repo, c.sha)),
    })),
    runs: [...github.runs.values()].sort((a, b) => b.id - a.id).map((run) => runOf(run, book)),
    nextRun: book.nextRun,
  };
}

/** Simulated AWS for the side panel. */
export function awsStateOf(lambda: FakeLambda, cloudformation: FakeCloudFormation, book: SandboxBook, layout: SandboxLayout): SandboxAws {
  return {
    functions: layout.environments.map(({ functionName: name }) => ({
      name,
      alias: layout.alias,
      aliasVersion: lambda.aliasVersion(name, layout.alias),
      versions: lambda.versionDetails(name).map((v) => ({ version: v.version, description: v.description })),
    })),
    alarms: book.alarms.map((a) => ({ name: a.name, state: a.state, service: a.service, environment: a.environment })),
    stacks: layout.environments.map(({ stack: name }) => ({ name, status: cloudformation.stacks.get(name)?.StackStatus ?? 'DOES_NOT_EXIST' })),
  };
}

/** The whole state, as `GET /api/state` answers it. */
export function sandboxState(s: StateSources): SandboxState {
  const messages = [...s.slack.messages.values()].map(messageOf);
  for (const upload of s.slack.uploads) {
    const message = fileMessageOf(upload, s.botUserId);
    if (message) messages.push(message);
  }
  messages.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return {
    botUserId: s.botUserId,
    people: s.people,
    groups: s.groups,
    channels: s.channels,
    messages,
    ephemerals: s.slack.ephemerals.map(ephemeralOf),
    homes: Object.fromEntries(s.slack.homeViews),
    modals: modalsOf(s.slack, s.book.triggers),
    github: githubStateOf(s.github, s.book, s.layout),
    aws: awsStateOf(s.lambda, s.cloudformation, s.book, s.layout),
  };
}

/**
 * The page's change for one Slack simulator change, or undefined when the page draws nothing for it. A deleted message
 * or ephemeral has no change of its own in the protocol: the page reloads (`reset`), which is rare enough.
 */
export function changeOfSlack(change: SlackChange, botUserId: string, triggers: Record<string, string>): SandboxChange | undefined {
  switch (change.kind) {
    case 'message':
      return { kind: 'message', message: messageOf(change.message) };
    case 'ephemeral':
      return { kind: 'ephemeral', ephemeral: ephemeralOf(change.ephemeral) };
    case 'home':
      return { kind: 'home', user: change.user, view: change.view };
    case 'view': {
      const user = triggers[change.triggerId];
      return user ? { kind: 'modal', modal: { id: String(change.view.id), user, view: change.view } } : undefined;
    }
    case 'view_closed':
      return { kind: 'modal_closed', id: change.id };
    case 'file': {
      const message = fileMessageOf(change.file, botUserId);
      return message ? { kind: 'message', message } : undefined;
    }
    case 'message_deleted':
    case 'ephemeral_deleted':
      return { kind: 'reset' };
    case 'response':
      // Applied as a message or an ephemeral, which made their own change.
      return undefined;
  }
}
