/**
 * What the sandbox page and the sandbox server say to each other. The page is a small Slack client: it reads the
 * whole state once (`GET /api/state`), then follows changes (`GET /api/events`, server-sent events, one JSON
 * {@link SandboxChange} per `data:` line), and acts through the POST routes below. Only the server talks to foxops,
 * and it does so as Slack, GitHub and AWS do: signed Slack requests, signed GitHub webhooks, SNS and EventBridge events.
 *
 * Routes (JSON bodies; answers `{ ok: true, ... }` or `{ ok: false, error }` with a 4xx):
 * - `GET  /api/state` → {@link SandboxState}
 * - `GET  /api/events` → server-sent events of {@link SandboxChange}
 * - `GET  /api/files/<id>` → the bytes of an uploaded file (the alarm graph)
 * - `POST /api/command` {@link CommandRequest} → {@link CommandAnswer}
 * - `POST /api/action` {@link ActionRequest}
 * - `POST /api/view` {@link ViewSubmitRequest} → `{ ok, errors? }` (errors per block id, as `response_action: errors`)
 * - `POST /api/view/close` `{ user, viewId }`
 * - `POST /api/home` `{ user }` (the App Home tab was opened: `app_home_opened`)
 * - `POST /api/github/next-run` `{ outcome }` ({@link RunOutcome}: what the next dispatched run does)
 * - `POST /api/github/commits` `{ count?, message? }` (push commits to the default branch)
 * - `POST /api/github/ci` `{ sha?, state }` (CI of a commit, default the head: `success` | `failure` | `pending`)
 * - `POST /api/github/manual-run` {@link ManualRunRequest} → `{ ok, runId }` (a run of deploy.yml started in GitHub by
 *   hand, on the default branch's head, with no deploy id: foxops never approved it)
 * - `POST /api/aws/alarm` {@link AlarmRequest}
 * - `POST /api/reset` (forget everything: foxops' table and every simulator, then the page reloads its state)
 */

/** A person one can act as (the person switcher). */
export interface SandboxPerson {
  /** Slack user id, e.g. `U0DAVE`. */
  id: string;
  /** Display name, e.g. `Dave`. */
  name: string;
  /** What this person may do, in words: `requester`, `approver`, `approver through @release`, `not allowed`. */
  role: string;
}

/** A channel (or direct message with foxops) shown in the sidebar. */
export interface SandboxChannel {
  /** Slack channel id, e.g. `C0PROD`; a direct message is `D…`. */
  id: string;
  /** Without `#`, e.g. `production`. */
  name: string;
  kind: 'channel' | 'dm';
  /** For a DM: whose it is (only that person sees it). */
  user?: string;
  /** What the channel is for, one line. */
  topic?: string;
}

/** A file foxops uploaded (the alarm graph). */
export interface SandboxFile {
  id: string;
  name: string;
  title?: string;
  /** Page-relative URL of the bytes: `/api/files/<id>`. */
  url: string;
  mimetype: string;
}

/** A message in a channel, with every `chat.update` applied. */
export interface SandboxMessage {
  channel: string;
  ts: string;
  /** Set on thread replies: the parent's ts. */
  threadTs?: string;
  /** Who posted it: foxops' bot user id, or a person's id for plain messages typed in the composer. */
  user: string;
  text?: string;
  blocks?: unknown[];
  /** Legacy attachments (colour bars); each may carry `color`, `blocks`, `text`, `fallback`. */
  attachments?: unknown[];
  files?: SandboxFile[];
  /** How many times `chat.update` changed it (the page shows "(edited)"). */
  edits: number;
  /** When Slack (the simulator) received its last post or update, in ms since the epoch: the page notes how soon it drew it. */
  changedAt?: number;
}

/** An ephemeral message: only `user` sees it. From `chat.postEphemeral`, a command's answer or a `response_url`. */
export interface SandboxEphemeral {
  id: string;
  channel: string;
  /** The only person who sees it. */
  user: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  /** Milliseconds since the epoch, for ordering among messages. */
  at: number;
}

/** A modal open for one person (`views.open`, then `views.update` / `views.push`). */
export interface SandboxModal {
  /** Slack view id, `V…`. */
  id: string;
  user: string;
  /** The view as foxops sent it: `{ type: 'modal', title, blocks, submit?, close?, callback_id, private_metadata }`. */
  view: Record<string, unknown>;
}

/** A step of a simulated job. */
export interface SandboxStep {
  name: string;
  status: string;
  conclusion: string | null;
}

/** A simulated workflow run. */
export interface SandboxRun {
  id: number;
  title: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  /** What this run was told to do when it was dispatched. */
  outcome: RunOutcome;
  jobs: Array<{ name: string; status: string; conclusion: string | null; steps: SandboxStep[] }>;
  createdAt: string;
  /** Started in GitHub by hand ("Run workflow"), not dispatched by foxops: it names no deploy. */
  manual?: boolean;
  /** What foxops answered the run's verify job, once it asked. */
  verification?: SandboxVerification;
}

/** foxops' answer to a run's verify job (`POST /github/verify`), as the job's log would show it. */
export interface SandboxVerification {
  /** The HTTP status: 200 lets the run go on. */
  status: number;
  /** foxops' `code` when it refused, e.g. `unknown_deploy`. */
  code?: string;
  /** foxops' `reason`, in words. */
  reason?: string;
}

/** What a simulated run does. */
export type RunOutcome = 'succeed' | 'fail' | 'hang';

/** Simulated GitHub, as the side panel shows it. */
export interface SandboxGitHub {
  repo: string;
  defaultBranch: string;
  /** Newest first. */
  commits: Array<{ sha: string; message: string; author: string; date: string; ci: 'success' | 'failure' | 'pending' | 'none' }>;
  /** Newest first. */
  runs: SandboxRun[];
  nextRun: RunOutcome;
}

/** Simulated AWS, as the side panel shows it. */
export interface SandboxAws {
  functions: Array<{ name: string; alias: string; aliasVersion: string | undefined; versions: Array<{ version: string; description: string }> }>;
  alarms: Array<{ name: string; state: string; service: string; environment: string }>;
  stacks: Array<{ name: string; status: string }>;
}

/** Everything the page draws. */
export interface SandboxState {
  /** foxops' bot user id: messages from it are drawn as foxops. */
  botUserId: string;
  people: SandboxPerson[];
  /** User groups, for `<!subteam^S…>` mentions: id → handle and members. */
  groups: Record<string, { handle: string; users: string[] }>;
  channels: SandboxChannel[];
  messages: SandboxMessage[];
  /** Every ephemeral message; the page shows a person only theirs. */
  ephemerals: SandboxEphemeral[];
  /** App Home view per user id (`views.publish`). */
  homes: Record<string, unknown>;
  /** Open modals, oldest first (the top one per person is shown). */
  modals: SandboxModal[];
  github: SandboxGitHub;
  aws: SandboxAws;
}

/** One change, pushed over server-sent events. The page applies it to its copy of the state. */
export type SandboxChange =
  | { kind: 'message'; message: SandboxMessage }
  | { kind: 'ephemeral'; ephemeral: SandboxEphemeral }
  | { kind: 'home'; user: string; view: unknown }
  | { kind: 'modal'; modal: SandboxModal }
  | { kind: 'modal_closed'; id: string }
  | { kind: 'github'; github: SandboxGitHub }
  | { kind: 'aws'; aws: SandboxAws }
  /** Everything changed (reset): read `/api/state` again. */
  | { kind: 'reset' };

/** `POST /api/command`: a line typed in the composer. */
export interface CommandRequest {
  user: string;
  channel: string;
  /** `/deploy prod` is sent as Slack sends a slash command; anything else is posted as a plain message. */
  text: string;
  /** Typed in a thread: the parent's ts (slash commands ignore it, as in Slack). */
  threadTs?: string;
}

/** The answer to a command: the HTTP status foxops gave, and the ephemeral it became (also pushed as a change). */
export interface CommandAnswer {
  ok: boolean;
  status?: number;
  ephemeral?: SandboxEphemeral;
  error?: string;
}

/** `POST /api/action`: a button click, in a message, an ephemeral message, App Home or a modal. */
export interface ActionRequest {
  user: string;
  actionId: string;
  blockId?: string;
  value?: string;
  /** Where the button is. */
  container: { type: 'message'; channel: string; ts: string } | { type: 'ephemeral'; id: string } | { type: 'home' } | { type: 'modal'; viewId: string };
}

/** `POST /api/view`: a modal's submit button, with the text of each input (`values[blockId][actionId]`). */
export interface ViewSubmitRequest {
  user: string;
  viewId: string;
  values: Record<string, Record<string, string>>;
}

/** `POST /api/github/manual-run`: someone clicks "Run workflow" on deploy.yml in GitHub, bypassing foxops. */
export interface ManualRunRequest {
  /** `staging` or `production`. */
  environment: string;
  /** Who clicks (a person's id), shown as the run's actor; default Dave. */
  user?: string;
}

/** `POST /api/aws/alarm`: fire (or clear) a CloudWatch alarm through the path AWS uses. */
export interface AlarmRequest {
  /** An alarm name from {@link SandboxAws.alarms}. */
  alarm: string;
  /** Default `ALARM`. */
  state?: 'ALARM' | 'OK';
  /** Default `sns`. */
  via?: 'sns' | 'eventbridge';
}
