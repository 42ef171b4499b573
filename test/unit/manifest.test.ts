/**
 * manifest.yml against the code: the Slack Web API methods src/ calls, the events and command it listens to,
 * and the route the Lambda serves. A method used without a scope, a scope nothing needs, an event handled but not
 * subscribed (or the reverse) or a request URL off the route fails here, so the manifest and the code cannot drift.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');

interface Manifest {
  display_information: { name: string; description?: string };
  features: {
    app_home?: { home_tab_enabled?: boolean; messages_tab_enabled?: boolean; messages_tab_read_only_enabled?: boolean };
    bot_user?: { display_name: string };
    slash_commands?: Array<{ command: string; url: string; description: string; usage_hint?: string; should_escape?: boolean }>;
  };
  oauth_config: { scopes: { bot?: string[]; user?: string[] } };
  settings: {
    event_subscriptions?: { request_url: string; bot_events?: string[] };
    interactivity?: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
    org_deploy_enabled?: boolean;
  };
}

const manifestText = readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8');
const manifest = parse(manifestText) as Manifest;

/**
 * Bot scopes each Web API method needs, from Slack's method reference: any one of the listed scopes is enough,
 * an empty list means none. A method foxops starts to use must be added here with the scope Slack documents.
 * chat:write.public is deliberately nowhere: foxops posts only in channels it was invited to (see manifest.yml).
 */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.scheduleMessage': ['chat:write'],
  'chat.getPermalink': [],
  'views.publish': [],
  'views.open': [],
  'views.update': [],
  'views.push': [],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'users.info': ['users:read'],
  'users.list': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'bots.info': ['users:read'],
  'team.info': ['team:read'],
  'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.members': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.list': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.open': ['im:write', 'mpim:write'],
  'conversations.join': ['channels:join'],
  'conversations.history': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
  'reactions.add': ['reactions:write'],
  'reactions.remove': ['reactions:write'],
  'pins.add': ['pins:write'],
  'files.uploadV2': ['files:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'files.upload': ['files:write'],
};

/** Bot scopes each event subscription needs. */
const EVENT_SCOPES: Record<string, string[]> = {
  app_home_opened: [],
  app_mention: ['app_mentions:read'],
  'message.channels': ['channels:history'],
  'message.groups': ['groups:history'],
  'message.im': ['im:history'],
  member_joined_channel: ['channels:read', 'groups:read'],
  subteam_members_changed: ['usergroups:read'],
};

/** Web API method families; `client.<family>.<method>(` is a Slack call, anything else is not. */
const SLACK_FAMILIES = new Set([
  'admin',
  'apps',
  'assistant',
  'auth',
  'bookmarks',
  'bots',
  'calls',
  'canvases',
  'chat',
  'conversations',
  'dialog',
  'dnd',
  'emoji',
  'files',
  'pins',
  'reactions',
  'reminders',
  'search',
  'stars',
  'team',
  'usergroups',
  'users',
  'views',
  'workflows',
]);

/** What the source tells about its Slack use. */
interface SlackUse {
  methods: Map<string, string[]>;
  events: Set<string>;
  commands: Set<string>;
  interactive: boolean;
  messageListeners: boolean;
}

/** Reads Slack use from source texts by file: Web API calls, event/command/action listeners. */
function slackUse(sources: Record<string, string>): SlackUse {
  const use: SlackUse = { methods: new Map(), events: new Set(), commands: new Set(), interactive: false, messageListeners: false };
  const addMethod = (method: string, file: string) => use.methods.set(method, [...new Set([...(use.methods.get(method) ?? []), file])]);
  for (const [file, text] of Object.entries(sources)) {
    for (const m of text.matchAll(/\bclient\s*\.\s*([a-z]+(?:\s*\.\s*[a-zA-Z0-9]+)+)\s*\(/g)) {
      const method = m[1]!.replace(/\s+/g, '');
      if (SLACK_FAMILIES.has(method.split('.')[0]!)) addMethod(method, file);
    }
    for (const m of text.matchAll(/\bapiCall\(\s*['"]([a-z]+(?:\.[a-zA-Z0-9]+)+)['"]/g)) addMethod(m[1]!, file);
    for (const m of text.matchAll(/\.event\(\s*['"]([a-z_.]+)['"]/g)) use.events.add(m[1]!);
    for (const m of text.matchAll(/\.command\(\s*['"](\/[\w-]+)['"]/g)) use.commands.add(m[1]!);
    if (/\bapp\.(action|view|shortcut|options)\(/.test(text)) use.interactive = true;
    if (/\bapp\.message\(/.test(text)) use.messageListeners = true;
  }
  return use;
}

/** Problems between what the code uses and what the manifest grants and subscribes to. */
function scopeProblems(use: SlackUse, m: Manifest): string[] {
  const scopes = new Set(m.oauth_config.scopes.bot ?? []);
  const problems: string[] = [];
  const needed = new Set<string>();
  for (const [method, files] of use.methods) {
    const options = METHOD_SCOPES[method];
    if (!options) {
      problems.push(`${files.join(', ')} calls ${method}: add it to METHOD_SCOPES in test/unit/manifest.test.ts with the scope Slack documents`);
      continue;
    }
    if (options.length && !options.some((s) => scopes.has(s)))
      problems.push(`${files.join(', ')} calls ${method}, which needs ${options.join(' or ')}: add it to manifest.yml`);
    for (const s of options.filter((o) => scopes.has(o))) needed.add(s);
  }
  for (const event of m.settings.event_subscriptions?.bot_events ?? []) for (const s of (EVENT_SCOPES[event] ?? []).filter((o) => scopes.has(o))) needed.add(s);
  if (m.features.slash_commands?.length) needed.add('commands');
  for (const scope of scopes)
    if (!needed.has(scope)) problems.push(`manifest.yml asks for ${scope}, which no method, event or feature of foxops needs: remove it`);
  if (use.messageListeners)
    problems.push('src listens to messages (app.message): subscribe to message events and add the history scopes, or drop the listener');
  return problems;
}

function sourceFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, sourceFiles(full));
    else if (entry.name.endsWith('.ts')) out[path.relative(ROOT, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

const use = slackUse(sourceFiles(path.join(ROOT, 'src')));

describe('manifest.yml and the Slack calls in src/', () => {
  it('grants a scope for every Web API method the code calls, and no scope nothing needs', () => {
    // Prepare: `use`, read from every file under src/

    // Act
    const problems = scopeProblems(use, manifest);

    // Assess
    expect(problems).toEqual([]);
  });

  it('finds the Slack calls it checks', () => {
    // Prepare, Act: `use` above

    // Assess: cards are posted and updated whatever else the code does
    expect([...use.methods.keys()]).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update']));
  });

  it('flags a method used without its scope, an unknown method, and a scope nothing needs', () => {
    // Prepare
    const code = slackUse({ 'src/x.ts': 'await this.client.reactions.add({}); await client.stars.add({}); client.chat.postMessage({})' });
    const granted: Manifest = { ...manifest, oauth_config: { scopes: { bot: ['chat:write', 'commands', 'chat:write.public'] } } };

    // Act
    const problems = scopeProblems(code, granted);

    // Assess
    expect(problems).toEqual([
      'src/x.ts calls reactions.add, which needs reactions:write: add it to manifest.yml',
      'src/x.ts calls stars.add: add it to METHOD_SCOPES in test/unit/manifest.test.ts with the scope Slack documents',
      'manifest.yml asks for chat:write.public, which no method, event or feature of foxops needs: remove it',
    ]);
  });

  it('explains every scope with a comment above it', () => {
    // Prepare
    const lines = manifestText.split('\n');

    // Act
    const uncommented = (manifest.oauth_config.scopes.bot ?? []).filter((scope) => {
      const at = lines.findIndex((l) => l.trim() === `- ${scope}`);
      return at < 1 || !lines[at - 1]!.trim().startsWith('#');
    });

    // Assess
    expect(uncommented).toEqual([]);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });
});

describe('manifest.yml and the listeners in src/', () => {
  it('subscribes to exactly the events the code handles', () => {
    // Prepare, Act
    const subscribed = [...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort();

    // Assess
    expect(subscribed).toEqual([...use.events].sort());
    expect(subscribed).toContain('app_home_opened');
  });

  it('shows the App Home tab that app_home_opened publishes, and a read-only messages tab exactly when it sends direct messages', () => {
    // Prepare, Act
    const home = manifest.features.app_home ?? {};

    // Assess: the audit export's files arrive in the Messages tab; people cannot write there, and nothing would read it
    expect(home.home_tab_enabled).toBe(use.events.has('app_home_opened'));
    expect(home.messages_tab_enabled).toBe(use.methods.has('conversations.open'));
    expect(home.messages_tab_read_only_enabled).toBe(true);
    expect(use.events.has('message.im')).toBe(false);
  });

  it('declares the /deploy command the code registers, with its usage hint', () => {
    // Prepare, Act
    const commands = (manifest.features.slash_commands ?? []).map((c) => c.command).sort();

    // Assess
    expect(commands).toEqual([...use.commands].sort());
    expect(manifest.features.slash_commands?.[0]).toMatchObject({
      command: '/deploy',
      usage_hint: 'prod [service] [ref] | rollback <env> [service] [to <version>] | promote [service] | status | history <env> | help',
      should_escape: false,
    });
  });

  it('turns interactivity on for the card buttons, and Socket Mode off', () => {
    // Prepare, Act
    const { interactivity, socket_mode_enabled } = manifest.settings;

    // Assess
    expect(use.interactive).toBe(true);
    expect(interactivity?.is_enabled).toBe(true);
    expect(socket_mode_enabled).toBe(false);
  });
});

describe('manifest.yml as Slack imports it', () => {
  it("keeps within Slack's limits for the app's texts", () => {
    // Prepare
    const info = manifest.display_information as { name: string; description?: string; long_description?: string; background_color?: string };

    // Act
    const lengths = { name: info.name.length, description: info.description?.length ?? 0, long: info.long_description?.length ?? 0 };

    // Assess: name up to 35, description up to 140, long description 175 to 4000 characters, colour as #rrggbb
    expect(lengths.name).toBeLessThanOrEqual(35);
    expect(lengths.description).toBeLessThanOrEqual(140);
    expect(lengths.long).toBeGreaterThanOrEqual(175);
    expect(lengths.long).toBeLessThanOrEqual(4000);
    expect(info.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.features.bot_user?.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
  });
});

describe('manifest.yml request URLs', () => {
  const urls = [
    ...(manifest.features.slash_commands ?? []).map((c) => c.url),
    manifest.settings.event_subscriptions?.request_url,
    manifest.settings.interactivity?.request_url,
  ];

  it('all point at /slack/events of one Function URL, a clearly marked placeholder until deployed', () => {
    // Prepare, Act
    const bases = new Set(urls.map((u) => String(u).replace(/\/slack\/events$/, '')));

    // Assess
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/^https:\/\/[a-z0-9.-]+\/slack\/events$/);
    expect([...bases]).toEqual(['https://replace-with-your-function-url.lambda-url.eu-west-1.on.aws']);
  });

  it('end in the route the Lambda entry serves', () => {
    // Prepare
    const entry = readFileSync(path.join(ROOT, 'src/lambda/index.ts'), 'utf8');

    // Act
    const route = /['"](\/slack\/events)['"]/.exec(entry)?.[1];

    // Assess
    expect(route).toBe('/slack/events');
  });
});

describe('manifest.dev.yml, the Socket Mode app for a laptop', () => {
  const dev = parse(readFileSync(path.join(ROOT, 'manifest.dev.yml'), 'utf8')) as Manifest;

  it('asks for the same scopes, events and command as manifest.yml', () => {
    // Assess
    expect(dev.oauth_config.scopes).toEqual(manifest.oauth_config.scopes);
    expect(dev.settings.event_subscriptions?.bot_events).toEqual(manifest.settings.event_subscriptions?.bot_events);
    expect(dev.features.app_home).toEqual(manifest.features.app_home);
    expect(dev.features.slash_commands?.map(({ url: _url, ...command }) => command)).toEqual(
      manifest.features.slash_commands?.map(({ url: _url, ...command }) => command),
    );
    expect(dev.settings.interactivity?.is_enabled).toBe(true);
  });

  it('runs over Socket Mode with no request URL, under a name that cannot be mistaken for production', () => {
    // Assess
    expect(dev.settings.socket_mode_enabled).toBe(true);
    expect(dev.settings.event_subscriptions?.request_url).toBeUndefined();
    expect(dev.settings.interactivity?.request_url).toBeUndefined();
    for (const command of dev.features.slash_commands ?? []) expect(command.url).toBeUndefined();
    expect(dev.display_information.name).not.toBe(manifest.display_information.name);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });
});
