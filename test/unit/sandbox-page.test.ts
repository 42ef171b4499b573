/**
 * The sandbox page's Block Kit and mrkdwn renderer (src/sandbox/page/blockkit.ts, mrkdwn.ts) on the blocks foxops
 * really sends, built with the real builders: every block type foxops uses is drawn, what the renderer cannot draw
 * shows as JSON, text never becomes markup, and buttons carry what a click needs. And the page's files stay small.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KnownBlock } from '@slack/types';
import type { AlarmReport } from '../../src/domain/alarm.js';
import type { DeploymentRecord } from '../../src/domain/ports.js';
import type { DeployRequest, RequestStatus } from '../../src/domain/request.js';
import { buildPageAssets } from '../../src/sandbox/page/assets.js';
import { attachmentColor, renderAttachments, renderBlock, renderBlocks, renderConfirmParts, renderMessageBody } from '../../src/sandbox/page/blockkit.js';
import { escapeHtml, type RenderContext, renderMrkdwn, safeUrl } from '../../src/sandbox/page/mrkdwn.js';
import { ACTION_IDS } from '../../src/slack/blocks/action-ids.js';
import { alarmMessage } from '../../src/slack/blocks/alarm.js';
import { deliveryBlocks } from '../../src/slack/blocks/delivery.js';
import { deployCard } from '../../src/slack/blocks/deploy-card.js';
import { notificationBlocks } from '../../src/slack/blocks/home-notifications.js';
import { rejectModal } from '../../src/slack/blocks/reject-modal.js';
import { historyMessage, statusBlocks } from '../../src/slack/blocks/status.js';
import { productionRequest, deploymentRecord } from '../support/requests.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

const CTX: RenderContext = {
  userName: (id) => ({ U0DAVE: 'Dave', U0ALICE: 'Alice', U0CAROL: 'Carol', U0FOXOPS: 'foxops' })[id],
  groupHandle: (id) => ({ S0RELEASE: 'release' })[id],
  channelName: (id) => ({ C0PROD: 'production' })[id],
};

/** A production request of foxy-backend in `status`, resolved to SHA, with one approval and a user-typed ref. */
function request(status: RequestStatus, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    ...productionRequest({ now: NOW, ref: 'fix/<script>alert(1)</script>' }),
    status,
    sha: SHA,
    shaUrl: `https://github.com/foxy-org/foxy-backend/commit/${SHA}`,
    baseSha: '9a0364b9e99bb480dd25e1f0284c8555c1ef2b2f',
    commits: [{ sha: 'a'.repeat(40), message: 'Fix *checkout* <script>', author: 'dave', url: 'https://github.com/foxy-org/foxy-backend/commit/aaa' }],
    totalCommits: 1,
    approvals: [{ userId: 'U0ALICE', at: NOW.toISOString() }],
    ...overrides,
  };
}

const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => deploymentRecord({ finishedAt: '2030-01-01T11:50:00.000Z', version: '6', ...over });

const alarmReport: AlarmReport = {
  alarm: { name: 'foxy-backend-production-errors', state: 'ALARM', reason: 'Threshold <crossed> & more', at: NOW.toISOString() },
  target: { service: 'foxy-backend', environment: 'production' },
  current: record(),
  previous: record({ sha: '5'.repeat(40), requestId: 'd-5555555555', version: '5', finishedAt: '2030-01-01T09:00:00.000Z' }),
  likelyCause: true,
  inFlight: [],
};

/** Block lists foxops sends, by what they are: cards in every state with buttons, an alarm, App Home, status, history, the reject dialog. */
function foxopsBlockLists(): Array<[string, unknown[]]> {
  const statuses: RequestStatus[] = ['awaiting_approval', 'queued_behind', 'running', 'succeeded', 'failed', 'dispatch_failed', 'rejected', 'expired'];
  return [
    ...statuses.map((s): [string, unknown[]] => [`deploy card ${s}`, deployCard(request(s)).blocks]),
    ['alarm', alarmMessage(alarmReport).blocks],
    ['home notifications', notificationBlocks({})],
    [
      'status',
      statusBlocks(
        [
          {
            service: 'foxy-backend',
            environments: [{ environment: 'production', current: record(), inFlight: [], waiting: [request('awaiting_approval')], locks: [] }],
          },
        ],
        NOW,
      ),
    ],
    ['history', historyMessage('foxy-backend', 'production', [record()])[1]],
    ['delivery', deliveryBlocks([], 30)],
    ['reject modal', (rejectModal(request('awaiting_approval'), 'U0ALICE').blocks ?? []) as KnownBlock[]],
  ];
}

/** Every `type` of a block and of the elements inside it. */
function typesIn(blocks: unknown[]): Set<string> {
  const types = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string') types.add(o.type);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return types;
}

/** The `type: '…'` literals in foxops' Slack code: what it may send. */
function typeLiteralsInSlackCode(): Set<string> {
  const root = path.resolve(__dirname, '../../src/slack');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const types = new Set<string>();
  for (const f of files) for (const m of readFileSync(path.join(root, f), 'utf8').matchAll(/type: '([a-z_]+)'/g)) if (m[1]) types.add(m[1]);
  return types;
}

describe('renderBlocks on what foxops sends', () => {
  test.each(foxopsBlockLists())('draws every block of the %s, with no JSON fallback', (_, blocks) => {
    // Act
    const html = renderBlocks(blocks, CTX);

    // Assess
    expect(html).not.toContain('bk-unknown');
    expect(html).not.toMatch(/<script/i);
  });

  test('the lists above cover every block and element type foxops writes in src/slack', () => {
    // Prepare: types that are not blocks or elements of a message (views, text objects, response types).
    const notDrawnAlone = new Set(['modal', 'home', 'ephemeral', 'in_channel', 'mrkdwn', 'plain_text']);
    const covered = new Set(foxopsBlockLists().flatMap(([, blocks]) => [...typesIn(blocks)]));

    // Act
    const missing = [...typeLiteralsInSlackCode()].filter((t) => !notDrawnAlone.has(t) && !covered.has(t));

    // Assess
    expect(missing).toEqual([]);
    expect([...covered]).toEqual(expect.arrayContaining(['section', 'context', 'divider', 'header', 'actions', 'button', 'input', 'plain_text_input']));
  });

  test('a card: fields, mentions by name, the SHA link with its code label, user text escaped', () => {
    // Act
    const html = renderBlocks(deployCard(request('awaiting_approval')).blocks, CTX);

    // Assess
    expect(html).toContain('class="bk-fields"');
    expect(html).toContain('@Carol');
    expect(html).toContain('@Alice');
    expect(html).not.toContain('&lt;@U0');
    expect(html).toContain(
      `<a href="https://github.com/foxy-org/foxy-backend/commit/${SHA}" target="_blank" rel="noopener noreferrer"><code>3f78685</code></a>`,
    );
    expect(html).toContain('fix/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
  });

  test('buttons carry action id, block id, value and style; a confirm travels with its button', () => {
    // Prepare
    const card = deployCard(request('awaiting_approval'));

    // Act
    const html = renderBlocks(card.blocks, CTX);
    const approve = /<button [^>]*data-action-id="deploy_approve"[^>]*>/.exec(html)?.[0] ?? '';
    const reject = /<button [^>]*data-action-id="deploy_reject"[^>]*>/.exec(html)?.[0] ?? '';

    // Assess
    expect(approve).toContain('data-value="d-0123456789"');
    expect(approve).toContain('bk-primary');
    expect(approve).toContain('data-confirm="');
    expect(reject).toContain('bk-danger');
    expect(reject).toContain('data-value="d-0123456789"');
    const confirm = JSON.parse(
      approve
        .match(/data-confirm="([^"]*)"/)?.[1]
        ?.replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&') ?? '{}',
    );
    expect(confirm.confirm.text).toBe('Approve');
  });

  test("an alarm's Roll back button keeps its block id and confirm; the dialog's parts are rendered", () => {
    // Prepare
    const blocks = alarmMessage(alarmReport).blocks;
    const actions = blocks.find((b) => b.type === 'actions') as { elements: Array<{ confirm: unknown }> };

    // Act
    const html = renderBlocks(blocks, CTX);
    const parts = renderConfirmParts(actions.elements[0]?.confirm, CTX);

    // Assess
    expect(html).toMatch(
      new RegExp(`<button [^>]*data-action-id="${ACTION_IDS.alarmRollback}" data-block-id="alarm_actions:d-6666666666" data-value="d-6666666666"`),
    );
    expect(html).toContain('Threshold &lt;crossed&gt; &amp; more');
    expect(parts).toEqual(expect.objectContaining({ title: 'Ask for a rollback?', confirm: 'Ask', deny: 'Cancel' }));
    expect(parts.text).toContain('<b>foxy-backend</b>');
  });

  test('a section accessory button in App Home', () => {
    // Act
    const html = renderBlocks(notificationBlocks({ failureDm: false }), CTX);

    // Assess
    expect(html).toContain('<hr class="bk-block bk-divider">');
    expect(html).toMatch(/<div class="bk-accessory"><button [^>]*data-action-id="home_failure_dm" data-block-id="home_notifications" data-value="on"/);
  });

  test('the reject dialog: a multiline, optional input with its ids, and typed text kept', () => {
    // Prepare
    const blocks = rejectModal(request('awaiting_approval'), 'U0ALICE').blocks;

    // Act
    const html = renderBlocks(blocks, CTX, { reason: { reason_input: 'because </textarea><b>' } });

    // Assess
    expect(html).toContain('<textarea class="bk-input" data-testid="modal-input" data-block-id="reason" data-action-id="reason_input"');
    expect(html).toContain('maxlength="500"');
    expect(html).toContain('(optional)');
    expect(html).toContain('because &lt;/textarea&gt;&lt;b&gt;</textarea>');
    expect(html).toContain('data-error-for="reason"');
  });

  test('a header block and a single-line input', () => {
    // Act
    const header = renderBlock({ type: 'header', text: { type: 'plain_text', text: 'foxy-backend <b>' } });
    const input = renderBlock({
      type: 'input',
      block_id: 'b',
      label: { type: 'plain_text', text: 'Name' },
      hint: { type: 'plain_text', text: 'A hint' },
      element: { type: 'plain_text_input', action_id: 'a', initial_value: 'x"y' },
    });

    // Assess
    expect(header).toBe('<div class="bk-block bk-header">foxy-backend &lt;b&gt;</div>');
    expect(input).toContain('<input type="text" class="bk-input" data-testid="modal-input" data-block-id="b" data-action-id="a" value="x&quot;y">');
    expect(input).toContain('<div class="bk-hint">A hint</div>');
  });
});

describe('what the renderer cannot draw', () => {
  test('an unknown block is shown as its JSON, escaped', () => {
    // Act
    const html = renderBlocks([{ type: 'video', title: '<script>alert(1)</script>' }], CTX);

    // Assess
    expect(html).toContain('data-testid="unknown-block"');
    expect(html).toContain('&quot;type&quot;: &quot;video&quot;');
    expect(html).not.toMatch(/<script/i);
  });

  test('an unknown element in actions, a section accessory or a context is shown as JSON beside what is drawn', () => {
    // Act
    const html = renderBlocks(
      [
        {
          type: 'actions',
          elements: [
            { type: 'static_select', action_id: 'pick' },
            { type: 'button', action_id: 'ok', text: { type: 'plain_text', text: 'OK' } },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: 'hi' }, accessory: { type: 'overflow', action_id: 'more' } },
        { type: 'context', elements: [{ type: 'weird' }] },
      ],
      CTX,
    );

    // Assess
    expect(html.match(/data-testid="unknown-element"/g)).toHaveLength(3);
    expect(html).toContain('data-action-id="ok"');
    expect(html).toContain('static_select');
    expect(html).toContain('overflow');
  });

  test('a known block of a shape it does not understand, and an image with a javascript: URL, fall back too', () => {
    // Act and assess
    expect(renderBlock({ type: 'actions' })).toContain('unknown-block');
    expect(renderBlock({ type: 'image', image_url: 'javascript:alert(1)', alt_text: 'x' })).toContain('unknown-block');
    expect(renderBlock('text')).toContain('unknown-block');
  });

  test('an image block, context images and rich text are drawn', () => {
    // Act
    const image = renderBlock({ type: 'image', image_url: '/api/files/F1', alt_text: 'graph "1"', title: { type: 'plain_text', text: 'Errors' } });
    const context = renderBlock({
      type: 'context',
      elements: [
        { type: 'image', image_url: 'https://x.test/a.png', alt_text: 'a' },
        { type: 'plain_text', text: 'b' },
      ],
    });
    const rich = renderBlock(
      {
        type: 'rich_text',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'text', text: 'bold <', style: { bold: true } },
              { type: 'user', user_id: 'U0DAVE' },
            ],
          },
          {
            type: 'rich_text_list',
            style: 'bullet',
            elements: [{ type: 'rich_text_section', elements: [{ type: 'link', url: 'https://x.test', text: 'l' }] }],
          },
        ],
      },
      CTX,
    );

    // Assess
    expect(image).toContain('<img src="/api/files/F1" alt="graph &quot;1&quot;"');
    expect(image).toContain('Errors');
    expect(context).toContain('<img class="bk-el-image" src="https://x.test/a.png" alt="a">');
    expect(rich).toContain('<b>bold &lt;</b>');
    expect(rich).toContain('@Dave');
    expect(rich).toContain('<ul><li><a href="https://x.test"');
    expect(rich).not.toContain('unknown');
  });
});

describe('renderMrkdwn', () => {
  test('markup in text stays text, whether foxops escaped it or not', () => {
    // Act and assess
    expect(renderMrkdwn('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(renderMrkdwn('&lt;script&gt; &amp; "q" \'s')).toBe('&lt;script&gt; &amp; &quot;q&quot; &#39;s');
    expect(renderMrkdwn('<img src=x onerror=alert(1)>')).not.toContain('<img');
  });

  test('bold, italic, strike, code, pre, quotes and newlines', () => {
    // Act and assess
    expect(renderMrkdwn('*Ref* and _why_ and ~old~')).toBe('<b>Ref</b> and <i>why</i> and <s>old</s>');
    expect(renderMrkdwn('snake_case_name and 2*3*4')).toBe('snake_case_name and 2*3*4');
    expect(renderMrkdwn('run `a *b* &lt;c&gt;`')).toBe('run <code>a *b* &lt;c&gt;</code>');
    expect(renderMrkdwn('```\nline <1>\n*x*```')).toBe('<pre class="mrkdwn-pre">line &lt;1&gt;\n*x*</pre>');
    expect(renderMrkdwn('one\n&gt; quoted\n> more\nafter')).toBe('one<blockquote>quoted<br>more</blockquote>after');
  });

  test('links: labels are mrkdwn, unsafe schemes are not links', () => {
    // Act and assess
    expect(renderMrkdwn('<https://x.test/a?b=1&amp;c=2|`abc1234`>')).toBe(
      '<a href="https://x.test/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer"><code>abc1234</code></a>',
    );
    expect(renderMrkdwn('<https://x.test>')).toContain('>https://x.test</a>');
    expect(renderMrkdwn('<javascript:alert(1)|click>')).not.toContain('<a');
    expect(safeUrl('/api/files/F1')).toBe('/api/files/F1');
    expect(safeUrl('//evil.test')).toBeUndefined();
  });

  test('mentions of users, groups and channels by name; broadcasts; unknown ids as they are', () => {
    // Act
    const html = renderMrkdwn('<@U0DAVE> <@U0NOBODY> <!subteam^S0RELEASE> <!subteam^S0OTHER|@ops> <#C0PROD> <#C0OTHER|misc> <!here> <!channel>', CTX);

    // Assess
    expect(html).toContain('>@Dave</span>');
    expect(html).toContain('>@U0NOBODY</span>');
    expect(html).toContain('>@release</span>');
    expect(html).toContain('>@ops</span>');
    expect(html).toContain('>#production</span>');
    expect(html).toContain('>#misc</span>');
    expect(html).toContain('>@here</span>');
    expect(html).toContain('>@channel</span>');
  });

  test('a name that is itself markup is escaped', () => {
    // Act
    const html = renderMrkdwn('<@U1>', { ...CTX, userName: () => '<img src=x>' });

    // Assess
    expect(html).toBe('<span class="mention" data-user="U1">@&lt;img src=x&gt;</span>');
  });

  test('dates show as a <time> with the ISO instant; emoji shortcodes foxops uses are mapped, others stay text', () => {
    // Act
    const date = renderMrkdwn('<!date^1893499200^{date_num}|2030-01-01T12:00:00.000Z>');
    const emoji = renderMrkdwn(':fox_face: :rotating_light: :no_such_emoji: 12:00:00');

    // Assess
    expect(date).toMatch(/^<time datetime="2030-01-01T12:00:00.000Z" title="2030-01-01T12:00:00.000Z">20\d\d-\d\d-\d\d<\/time>$/);
    expect(emoji).toBe('🦊 🚨 :no_such_emoji: 12:00:00');
  });

  test('private-use placeholders in text cannot pull in other markup', () => {
    // Act and assess
    expect(renderMrkdwn('\uE0000\uE001 <@U0DAVE>', CTX)).toBe('0 <span class="mention" data-user="U0DAVE">@Dave</span>');
  });
});

describe('message bodies and attachments', () => {
  test('text only when there are no blocks; attachments with a safe colour bar', () => {
    // Act
    const plain = renderMessageBody({ text: ':white_check_mark: <@U0ALICE> approved' }, CTX);
    const withBlocks = renderMessageBody({ text: 'fallback', blocks: [{ type: 'divider' }] }, CTX);
    const attachments = renderAttachments(
      [
        { color: 'danger', text: '*x*' },
        { color: 'red;background:url(x)', blocks: [{ type: 'divider' }] },
      ],
      CTX,
    );

    // Assess
    expect(plain).toBe('<div class="msg-text">✅ <span class="mention" data-user="U0ALICE">@Alice</span> approved</div>');
    expect(withBlocks).not.toContain('fallback');
    expect(attachments).toContain('border-left-color:#e01e5a');
    expect(attachments).toContain('<b>x</b>');
    expect(attachments).toContain('border-left-color:#dddddd');
    expect(attachmentColor('#36a64f')).toBe('#36a64f');
    expect(escapeHtml('<a href="x">')).toBe('&lt;a href=&quot;x&quot;&gt;');
  });
});

describe('buildPageAssets', () => {
  test('bundles the client and serves /, /app.js and /app.css, under 200 KB in all', async () => {
    // Act
    const { files } = await buildPageAssets();

    // Assess
    expect([...files.keys()].sort()).toEqual(['/', '/app.css', '/app.js']);
    expect(files.get('/')?.contentType).toMatch(/^text\/html/);
    expect(files.get('/app.js')?.contentType).toMatch(/^text\/javascript/);
    expect(files.get('/app.css')?.contentType).toMatch(/^text\/css/);
    expect(files.get('/')?.body.toString()).toContain('<script src="/app.js"></script>');
    expect(files.get('/app.js')?.body.toString()).toContain('/api/events');
    const total = [...files.values()].reduce((n, f) => n + f.body.length, 0);
    expect(total).toBeLessThan(200 * 1024);
  });
});
