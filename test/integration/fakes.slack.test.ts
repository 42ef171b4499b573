/**
 * The Slack fake driven by the real @slack/web-api WebClient: if these pass, app code using WebClient
 * (or Bolt's client) against `fake.apiUrl` sees the same wire behaviour as against slack.com.
 */
import { LogLevel, WebClient, WebClientEvent, type WebAPIPlatformError } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../fakes/index.js';

const BOT_TOKEN = 'xoxb-test-bot';

describe('fake Slack with the real WebClient', () => {
  let fake: FakeSlack;

  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  /** Fast retries so injected failures do not slow the suite down. */
  const client = (token = BOT_TOKEN) =>
    new WebClient(token, {
      slackApiUrl: fake.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 1, factor: 1, minTimeout: 10, maxTimeout: 20 },
    });

  const platformError = async (call: Promise<unknown>): Promise<string | undefined> => {
    try {
      await call;
    } catch (error) {
      return (error as WebAPIPlatformError).data?.error;
    }
    throw new Error('expected the Slack call to fail');
  };

  it('answers auth.test and records the bot token from the Authorization header', async () => {
    // Act
    const result = await client().auth.test();

    // Assess
    expect(result).toMatchObject({ ok: true, user_id: 'U0FOXOPS', team_id: 'T0FOXY', bot_id: 'B0FOXOPS' });
    expect(fake.callsTo('auth.test')).toHaveLength(1);
    expect(fake.calls[0]?.token).toBe(BOT_TOKEN);
  });

  it('decodes form-encoded blocks, issues increasing ts and applies chat.update to the stored card', async () => {
    // Prepare
    const web = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* queued' } }];

    // Act
    const first = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'Deploy queued', blocks });
    const second = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'Other', thread_ts: first.ts });
    const updated = await web.chat.update({
      channel: 'C0DEPLOYS',
      ts: first.ts as string,
      text: 'Deploy running',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* running' } }],
    });

    // Assess
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message?.blocks).toEqual(blocks);
    expect(fake.callsTo('chat.postMessage')[0]?.args.blocks).toEqual(blocks); // parsed, not a JSON string
    expect(updated).toMatchObject({ ok: true, channel: 'C0DEPLOYS', ts: first.ts });
    const card = fake.message('C0DEPLOYS', first.ts as string);
    expect(card).toMatchObject({ text: 'Deploy running', updates: 1 });
    expect(card?.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* running' } }]);
    expect(fake.lastMessageIn('C0DEPLOYS')).toMatchObject({ ts: second.ts, thread_ts: first.ts });
  });

  it('rejects chat.update of an unknown message and permalinks only known ones', async () => {
    // Prepare
    const web = client();
    const posted = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'hi' });

    // Act
    const updateError = await platformError(web.chat.update({ channel: 'C0DEPLOYS', ts: '1.000000', text: 'x' }));
    const link = await web.chat.getPermalink({ channel: 'C0DEPLOYS', message_ts: posted.ts as string });
    const ephemeral = await web.chat.postEphemeral({ channel: 'C0DEPLOYS', user: 'U0CAROL', text: 'only you' });

    // Assess
    expect(updateError).toBe('message_not_found');
    expect(link.permalink).toBe(`https://foxy.slack.com/archives/C0DEPLOYS/p${(posted.ts as string).replace('.', '')}`);
    expect(ephemeral.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.ephemerals).toEqual([expect.objectContaining({ channel: 'C0DEPLOYS', user: 'U0CAROL', text: 'only you' })]);
  });

  it('lists user group members, and answers no_such_subteam for unknown groups', async () => {
    // Prepare
    fake.setUserGroup('S0RELEASE', ['U0CAROL', 'U0DAVE']);
    const web = client();

    // Act
    const members = await web.usergroups.users.list({ usergroup: 'S0RELEASE' });
    const unknown = await platformError(web.usergroups.users.list({ usergroup: 'S0NOPE' }));

    // Assess
    expect(members.users).toEqual(['U0CAROL', 'U0DAVE']);
    expect(unknown).toBe('no_such_subteam');
  });

  it('answers users.info, views.publish and conversations.info minimally', async () => {
    // Prepare
    fake.setUser('U0CAROL', { name: 'carol', real_name: 'Carol Fox' });
    const web = client();
    const view = { type: 'home' as const, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Recent deploys' } }] };

    // Act
    const carol = await web.users.info({ user: 'U0CAROL' });
    const stranger = await web.users.info({ user: 'U0ZED' });
    const published = await web.views.publish({ user_id: 'U0CAROL', view });
    const channel = await web.conversations.info({ channel: 'C0DEPLOYS' });

    // Assess
    expect(carol.user).toMatchObject({ id: 'U0CAROL', name: 'carol', real_name: 'Carol Fox' });
    expect(stranger.user).toMatchObject({ id: 'U0ZED', name: 'u0zed' });
    expect(published.view).toMatchObject({ type: 'home' });
    expect(fake.homeViews.get('U0CAROL')).toEqual(view);
    expect(channel.channel).toMatchObject({ id: 'C0DEPLOYS', is_member: true });
  });

  it('answers unknown_method for methods it does not implement', async () => {
    // Act
    const error = await platformError(client().apiCall('reminders.add', { text: 'x', time: 'in 1 minute' }));

    // Assess
    expect(error).toBe('unknown_method');
  });

  it('rate-limits with 429 + Retry-After, which WebClient honours before retrying', async () => {
    // Prepare
    fake.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    const web = client();
    const rateLimited: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
    const started = Date.now();

    // Act
    const result = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'after the limit' });

    // Assess
    expect(result.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(2);
    expect(fake.lastMessageIn('C0DEPLOYS')?.text).toBe('after the limit');
  });

  it('injects ok:false errors and HTTP failures, then recovers', async () => {
    // Prepare
    fake.failNext('chat.update', { error: 'cant_update_message' });
    fake.failNext('auth.test', { status: 503, times: 2 });
    const web = client();

    // Act
    const slackError = await platformError(web.chat.update({ channel: 'C0DEPLOYS', ts: '1.000000', text: 'x' }));
    const httpError = await web.auth.test().catch((error: { code?: string; statusCode?: number }) => error);
    const recovered = await web.auth.test();

    // Assess
    expect(slackError).toBe('cant_update_message');
    expect(httpError).toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    expect(recovered.ok).toBe(true);
    expect(fake.callsTo('auth.test')).toHaveLength(3); // first attempt + 1 retry failed, then success
  });

  it('rejects other tokens with invalid_auth once a token is required', async () => {
    // Prepare
    fake.requireToken(BOT_TOKEN);

    // Act
    const wrong = await platformError(client('xoxb-someone-else').auth.test());
    const right = await client().auth.test();

    // Assess
    expect(wrong).toBe('invalid_auth');
    expect(right.ok).toBe(true);
  });

  it('records JSON posted to response_url like Bolt respond() sends it', async () => {
    // Prepare
    const url = fake.responseUrl('cmd-1');
    fake.failNext('response_url', { status: 404 });

    // Act (Bolt's respond(): POST, JSON body, no token)
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const expired = await post({ text: 'too late' });
    const ok = await post({ response_type: 'ephemeral', text: 'Deploy requested' });

    // Assess
    expect(url).toBe(`${fake.url}/respond/cmd-1`);
    expect(expired.status).toBe(404);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    expect(fake.responsesTo('cmd-1').map((r) => r.body)).toEqual([{ text: 'too late' }, { response_type: 'ephemeral', text: 'Deploy requested' }]);
    expect(fake.calls).toHaveLength(0);
  });

  it('waits for calls the code under test makes asynchronously', async () => {
    // Prepare
    const web = client();
    setTimeout(() => void web.chat.postMessage({ channel: 'C0ALERTS', text: 'alarm' }), 30);

    // Act
    const call = await fake.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0ALERTS');

    // Assess
    expect(call.args.text).toBe('alarm');
  });

  it('opens a direct message and takes files the external way: upload URL, the bytes, completion with a comment', async () => {
    // Prepare
    const web = client();
    const bytes = Buffer.from('at,actor\r\n2025-03-10T09:00:00.000Z,U0ALICE\r\n');

    // Act
    const dm = await web.conversations.open({ users: 'U0ALICE' });
    const url = await web.files.getUploadURLExternal({ filename: 'audit.csv', length: bytes.length });
    const pending = await platformError(web.files.completeUploadExternal({ files: [{ id: url.file_id! }], channel_id: dm.channel!.id! }));
    const upload = await fetch(url.upload_url!, { method: 'POST', body: bytes });
    const done = await web.files.completeUploadExternal({
      files: [{ id: url.file_id!, title: 'Audit' }],
      channel_id: dm.channel!.id!,
      initial_comment: 'Here',
    });

    // Assess
    expect(dm.channel?.id).toBe('D0ALICE');
    expect(fake.dmChannel('U0ALICE')).toBe('D0ALICE');
    expect(url.upload_url).toBe(`${fake.url}/upload/${url.file_id}`);
    expect(pending).toBe('file_not_found');
    expect(upload.status).toBe(200);
    expect(await upload.text()).toBe(`OK - ${bytes.length}`);
    expect(done.files).toEqual([{ id: url.file_id, title: 'Audit' }]);
    expect(fake.filesIn('D0ALICE')).toEqual([
      expect.objectContaining({
        id: url.file_id,
        filename: 'audit.csv',
        length: bytes.length,
        content: bytes,
        title: 'Audit',
        initialComment: 'Here',
        completed: true,
      }),
    ]);
  });

  it('fails an upload on request, and refuses a group DM and bad upload arguments', async () => {
    // Prepare
    const web = client();
    const url = await web.files.getUploadURLExternal({ filename: 'a.jsonl', length: 3 });
    fake.failNext('file_upload', { status: 500 });

    // Act
    const failed = await fetch(url.upload_url!, { method: 'POST', body: 'abc' });
    const retried = await fetch(url.upload_url!, { method: 'POST', body: 'abc' });
    const group = await platformError(web.conversations.open({ users: 'U0ALICE,U0BOB' }));
    const noName = await platformError(web.files.getUploadURLExternal({ filename: '', length: 3 }));

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(fake.uploads[0]?.content?.toString()).toBe('abc');
    expect(group).toBe('method_not_supported_for_channel_type');
    expect(noName).toBe('invalid_arguments');
  });
});
