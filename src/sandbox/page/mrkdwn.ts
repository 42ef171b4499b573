/**
 * Slack mrkdwn → safe HTML, for the sandbox page. Pure (no DOM), so jest can test it and the page can bundle it.
 *
 * Text from foxops is data, never markup: every character that is not one of Slack's own tokens is HTML-escaped,
 * and only the markup this file writes reaches the page.
 */

/** How the page names the ids that mrkdwn mentions. */
export interface RenderContext {
  /** A user's display name (`Dave`), or undefined when unknown. */
  userName(id: string): string | undefined;
  /** A user group's handle without `@` (`release`), or undefined when unknown. */
  groupHandle(id: string): string | undefined;
  /** A channel's name without `#` (`production`), or undefined when unknown. */
  channelName(id: string): string | undefined;
}

/** A context that knows no names: mentions show their ids. */
export const NO_NAMES: RenderContext = { userName: () => undefined, groupHandle: () => undefined, channelName: () => undefined };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Slack's three entities back to characters: foxops escapes user text with them (src/slack/blocks/text.ts). */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A URL the page may link to or load: http(s), mailto, or page-relative. Anything else (javascript:, data:) is refused. */
export function safeUrl(url: string): string | undefined {
  const u = url.trim();
  if (/^(https?:\/\/|mailto:)/i.test(u)) return u;
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  return undefined;
}

/** The shortcodes foxops uses (grep -o ':[a-z_]*:' src/slack), and a few common ones; others stay as text. */
const EMOJI: Record<string, string> = {
  alarm_clock: '⏰',
  arrow_double_up: '⏫',
  arrows_counterclockwise: '🔄',
  bell: '🔔',
  calendar: '📆',
  double_vertical_bar: '⏸️',
  eyes: '👀',
  fast_forward: '⏩',
  floppy_disk: '💾',
  fox_face: '🦊',
  grey_question: '❔',
  heavy_check_mark: '✔️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  inbox_tray: '📥',
  information_source: 'ℹ️',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  ledger: '📒',
  lock: '🔒',
  no_bell: '🔕',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  octagonal_sign: '🛑',
  point_right: '👉',
  red_circle: '🔴',
  rewind: '⏪',
  rocket: '🚀',
  rotating_light: '🚨',
  snowflake: '❄️',
  tada: '🎉',
  thinking_face: '🤔',
  thumbsup: '👍',
  '+1': '👍',
  unlock: '🔓',
  warning: '⚠️',
  white_check_mark: '✅',
  white_circle: '⚪',
  x: '❌',
};

/** The emoji for a shortcode name, if the page knows it. */
export function emoji(name: string): string | undefined {
  return EMOJI[name];
}

// Placeholders sit in the Unicode private-use area, which neither escaping nor the formatting rules touch.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `<!date^…^format|fallback>` in the reader's own time zone, as Slack shows it. */
function formatSlackDate(seconds: number, format: string): string {
  const d = new Date(seconds * 1000);
  const today = new Date();
  const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  const yesterday = new Date(today.getTime() - 86_400_000);
  const tomorrow = new Date(today.getTime() + 86_400_000);
  const shortDate = `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`;
  const longDate = `${LONG_MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`;
  const pretty = (plain: string) => (sameDay(d, today) ? 'Today' : sameDay(d, yesterday) ? 'Yesterday' : sameDay(d, tomorrow) ? 'Tomorrow' : plain);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const ago = (): string => {
    const s = Math.round((today.getTime() - d.getTime()) / 1000);
    const abs = Math.abs(s);
    const n =
      abs < 60
        ? `${abs} seconds`
        : abs < 3600
          ? `${Math.round(abs / 60)} minutes`
          : abs < 86_400
            ? `${Math.round(abs / 3600)} hours`
            : `${Math.round(abs / 86_400)} days`;
    return s >= 0 ? `${n} ago` : `in ${n}`;
  };
  const tokens: Record<string, () => string> = {
    date_num: () => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date: () => longDate,
    date_pretty: () => pretty(longDate),
    date_short: () => shortDate,
    date_short_pretty: () => pretty(shortDate),
    date_long: () => `${d.toLocaleDateString('en-US', { weekday: 'long' })}, ${longDate}`,
    date_long_pretty: () => pretty(`${d.toLocaleDateString('en-US', { weekday: 'long' })}, ${longDate}`),
    time: () => time,
    time_secs: () => `${time}:${pad(d.getSeconds())}`,
    ago,
  };
  return format.replace(/\{(\w+)\}/g, (whole, name: string) => tokens[name]?.() ?? whole);
}

/** One `<…>` token of Slack's: a mention, a link or a date. Unknown tokens are shown as the text they were. */
function renderToken(body: string, ctx: RenderContext, inline: (text: string) => string): string {
  const bar = body.indexOf('|');
  const head = bar < 0 ? body : body.slice(0, bar);
  const label = bar < 0 ? undefined : body.slice(bar + 1);
  if (head.startsWith('@U') || head.startsWith('@W') || head.startsWith('@B')) {
    const id = head.slice(1);
    const name = ctx.userName(id) ?? label ?? id;
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (head.startsWith('#C') || head.startsWith('#G') || head.startsWith('#D')) {
    const id = head.slice(1);
    const name = ctx.channelName(id) ?? label ?? id;
    return `<span class="mention channel-mention" data-channel="${escapeHtml(id)}">#${escapeHtml(name)}</span>`;
  }
  if (head.startsWith('!subteam^')) {
    const id = head.slice('!subteam^'.length);
    const handle = ctx.groupHandle(id) ?? label?.replace(/^@/, '') ?? id;
    return `<span class="mention group-mention" data-group="${escapeHtml(id)}">@${escapeHtml(handle)}</span>`;
  }
  if (head === '!here' || head === '!channel' || head === '!everyone') return `<span class="mention broadcast">@${head.slice(1)}</span>`;
  if (head.startsWith('!date^')) {
    const [, seconds, format = '{date_short} {time}', link] = head.split('^');
    const n = Number(seconds);
    if (!Number.isFinite(n)) return escapeHtml(label ?? body);
    const text = escapeHtml(formatSlackDate(n, format));
    const iso = escapeHtml(new Date(n * 1000).toISOString());
    const url = link ? safeUrl(decodeSlackEntities(link)) : undefined;
    const time = `<time datetime="${iso}" title="${iso}">${text}</time>`;
    return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${time}</a>` : time;
  }
  // Only absolute links: `</script>` must not become a link to the page's own `/script`.
  const url = /^(https?:\/\/|mailto:)/i.test(head) ? safeUrl(decodeSlackEntities(head)) : undefined;
  if (url)
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${label === undefined ? escapeHtml(decodeSlackEntities(head)) : inline(label)}</a>`;
  // Not a token Slack knows (e.g. an unescaped `<script>`): show it as the text it is.
  return escapeHtml(`<${decodeSlackEntities(body)}>`);
}

/** Bold, italic, strike and emoji on text that is already escaped (placeholders stand for code and tokens). */
function formatInline(html: string): string {
  return html
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1<b>$2</b>')
    .replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, '$1<i>$2</i>')
    .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

/**
 * Renders Slack mrkdwn as HTML: `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```pre``` ````, `>` quotes,
 * `<url|label>` links, user, group and channel mentions, `<!here>`, `<!date>`, entities, newlines and a few emoji.
 */
export function renderMrkdwn(text: string, ctx: RenderContext = NO_NAMES): string {
  const saved: string[] = [];
  const keep = (html: string) => `${OPEN}${saved.push(html) - 1}${CLOSE}`;
  // A link's label is mrkdwn too (foxops writes <url|`sha`>), without tokens of its own.
  const inline = (label: string) => {
    const withCode = stripPlaceholders(label).replace(/`([^`\n]+)`/g, (_, code: string) => keep(`<code>${escapeHtml(decodeSlackEntities(code))}</code>`));
    return restore(formatInline(escapeHtml(decodeSlackEntities(withCode))), saved);
  };
  let s = stripPlaceholders(text);
  s = s.replace(/<([^<>\n]*)>/g, (_, body: string) => keep(renderToken(body, ctx, inline)));
  s = s.replace(/```\n?([\s\S]*?)```/g, (_, code: string) => keep(`<pre class="mrkdwn-pre">${escapeHtml(decodeSlackEntities(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code: string) => keep(`<code>${escapeHtml(decodeSlackEntities(code))}</code>`));
  const lines = escapeHtml(decodeSlackEntities(s)).split('\n');
  // Consecutive `>` lines become one quote, as in Slack.
  const out: string[] = [];
  let quote: string[] | undefined;
  for (const line of lines) {
    const m = /^&gt; ?(.*)$/.exec(line);
    if (m) {
      quote ??= [];
      quote.push(formatInline(m[1] ?? ''));
      continue;
    }
    if (quote) {
      out.push(`<blockquote>${quote.join('<br>')}</blockquote>`);
      quote = undefined;
    }
    out.push(`${formatInline(line)}<br>`);
  }
  if (quote) out.push(`<blockquote>${quote.join('<br>')}</blockquote>`);
  return restore(
    out
      .join('')
      .replace(/<br>$/, '')
      .replace(/<br>(<pre|<blockquote)/g, '$1'),
    saved,
  );
}

/** Plain text (a `plain_text` object): escaped, newlines kept, emoji when `emoji` is not false. */
export function renderPlainText(text: string, withEmoji = true): string {
  const html = escapeHtml(text).replace(/\n/g, '<br>');
  return withEmoji ? html.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole) : html;
}

/** Text from outside must not smuggle in placeholders of its own. */
function stripPlaceholders(text: string): string {
  return text.replace(/[\uE000\uE001]/g, '');
}

function restore(html: string, saved: string[]): string {
  let out = html;
  // Placeholders nest (a link inside a code block): undo until none is left.
  for (let i = 0; i < 4 && out.includes(OPEN); i++) out = out.replace(PLACEHOLDER, (_, n: string) => saved[Number(n)] ?? '');
  return out;
}
