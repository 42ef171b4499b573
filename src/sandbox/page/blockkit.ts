/**
 * Block Kit → HTML for the sandbox page. Pure (no DOM): blocks in, an HTML string out, so jest can test it.
 *
 * Every string from foxops goes through mrkdwn.ts (escaped). A block or element this file cannot draw is shown
 * as its JSON in a `<pre class="bk-unknown">`, never dropped: a sandbox that hid what foxops sent would lie.
 *
 * Buttons carry what a click needs as data attributes (`data-action-id`, `data-block-id`, `data-value`,
 * `data-url`, `data-confirm`); the page finds the container (message, ephemeral, home, modal) from the ancestors.
 */
import { escapeHtml, NO_NAMES, type RenderContext, renderMrkdwn, renderPlainText, safeUrl } from './mrkdwn.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What the JSON fallback looks like: the thing itself, pretty-printed and escaped. */
export function renderUnknown(value: unknown, what: 'block' | 'element' = 'block'): string {
  let json: string;
  try {
    json = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    json = String(value);
  }
  return `<pre class="bk-unknown" data-testid="unknown-${what}" title="The sandbox cannot draw this ${what}: its JSON">${escapeHtml(json)}</pre>`;
}

/** A text object (`mrkdwn` or `plain_text`); anything else falls back to JSON. */
export function renderTextObject(text: unknown, ctx: RenderContext = NO_NAMES): string {
  if (!isObj(text) || typeof text.text !== 'string') return renderUnknown(text, 'element');
  if (text.type === 'mrkdwn') return renderMrkdwn(text.text, ctx);
  if (text.type === 'plain_text') return renderPlainText(text.text, text.emoji !== false);
  return renderUnknown(text, 'element');
}

/** A text object's words, for attributes and dialogs: plain text without markup. */
function plainOf(text: unknown): string {
  return isObj(text) && typeof text.text === 'string' ? text.text : '';
}

/** An element: button, image, or text (in context blocks); others as JSON. */
export function renderElement(el: unknown, ctx: RenderContext = NO_NAMES, blockId?: string): string {
  if (!isObj(el)) return renderUnknown(el, 'element');
  switch (el.type) {
    case 'button':
      return renderButton(el, ctx, blockId);
    case 'image': {
      const url = safeUrl(str(el.image_url) ?? '');
      if (!url) return renderUnknown(el, 'element');
      return `<img class="bk-el-image" src="${escapeHtml(url)}" alt="${escapeHtml(str(el.alt_text) ?? '')}">`;
    }
    case 'mrkdwn':
    case 'plain_text':
      return `<span class="bk-text">${renderTextObject(el, ctx)}</span>`;
    default:
      return renderUnknown(el, 'element');
  }
}

function renderButton(el: Obj, ctx: RenderContext, blockId?: string): string {
  const style = el.style === 'primary' || el.style === 'danger' ? el.style : undefined;
  const attrs: string[] = [`class="bk-button${style ? ` bk-${style}` : ''}"`, 'type="button"'];
  const actionId = str(el.action_id);
  if (actionId !== undefined) attrs.push(`data-action-id="${escapeHtml(actionId)}"`);
  if (blockId !== undefined) attrs.push(`data-block-id="${escapeHtml(blockId)}"`);
  const value = str(el.value);
  if (value !== undefined) attrs.push(`data-value="${escapeHtml(value)}"`);
  if (style) attrs.push(`data-style="${style}"`);
  const url = str(el.url) === undefined ? undefined : safeUrl(str(el.url) ?? '');
  if (url) attrs.push(`data-url="${escapeHtml(url)}"`);
  // The dialog is drawn by the page when clicked; the attribute keeps the confirm object as foxops sent it.
  if (isObj(el.confirm)) attrs.push(`data-confirm="${escapeHtml(JSON.stringify(el.confirm))}"`);
  return `<button ${attrs.join(' ')}>${renderTextObject(el.text, ctx)}${url ? ' <span class="bk-ext">↗</span>' : ''}</button>`;
}

/** The HTML of a confirm dialog's parts, for the page's dialog. */
export function renderConfirmParts(
  confirm: unknown,
  ctx: RenderContext = NO_NAMES,
): { title: string; text: string; confirm: string; deny: string; style?: 'primary' | 'danger' } {
  const c = isObj(confirm) ? confirm : {};
  return {
    title: escapeHtml(plainOf(c.title) || 'Are you sure?'),
    text: isObj(c.text) ? renderTextObject(c.text, ctx) : '',
    confirm: escapeHtml(plainOf(c.confirm) || 'Yes'),
    deny: escapeHtml(plainOf(c.deny) || 'Cancel'),
    ...(c.style === 'primary' || c.style === 'danger' ? { style: c.style } : {}),
  };
}

function blockIdAttr(block: Obj): string {
  const id = str(block.block_id);
  return id === undefined ? '' : ` data-block-id="${escapeHtml(id)}"`;
}

function renderSection(block: Obj, ctx: RenderContext): string {
  const blockId = str(block.block_id);
  const parts: string[] = [];
  if (block.text !== undefined) parts.push(`<div class="bk-section-text">${renderTextObject(block.text, ctx)}</div>`);
  if (Array.isArray(block.fields))
    parts.push(`<div class="bk-fields">${block.fields.map((f) => `<div class="bk-field">${renderTextObject(f, ctx)}</div>`).join('')}</div>`);
  const body = `<div class="bk-section-body">${parts.join('')}</div>`;
  const accessory =
    block.accessory === undefined
      ? ''
      : `<div class="bk-accessory">${
          isObj(block.accessory) && block.accessory.type === 'image'
            ? renderElement({ ...block.accessory }, ctx, blockId).replace('class="bk-el-image"', 'class="bk-accessory-image"')
            : renderElement(block.accessory, ctx, blockId)
        }</div>`;
  return `<div class="bk-block bk-section"${blockIdAttr(block)}>${body}${accessory}</div>`;
}

function renderInput(block: Obj, ctx: RenderContext, values: InputValues): string {
  const blockId = str(block.block_id) ?? '';
  const el = block.element;
  const label = `${renderTextObject(block.label, ctx)}${block.optional === true ? ' <span class="bk-optional">(optional)</span>' : ''}`;
  let control: string;
  if (isObj(el) && el.type === 'plain_text_input') {
    const actionId = str(el.action_id) ?? '';
    const value = values[blockId]?.[actionId] ?? str(el.initial_value) ?? '';
    const placeholder = isObj(el.placeholder) ? ` placeholder="${escapeHtml(plainOf(el.placeholder))}"` : '';
    const max = typeof el.max_length === 'number' ? ` maxlength="${el.max_length}"` : '';
    const common = `class="bk-input" data-testid="modal-input" data-block-id="${escapeHtml(blockId)}" data-action-id="${escapeHtml(actionId)}"${placeholder}${max}`;
    control =
      el.multiline === true ? `<textarea ${common} rows="4">${escapeHtml(value)}</textarea>` : `<input type="text" ${common} value="${escapeHtml(value)}">`;
  } else {
    control = renderUnknown(el, 'element');
  }
  const hint = block.hint === undefined ? '' : `<div class="bk-hint">${renderTextObject(block.hint, ctx)}</div>`;
  return (
    `<div class="bk-block bk-input-block"${blockIdAttr(block)}><label class="bk-label">${label}</label>${control}${hint}` +
    `<div class="bk-input-error" data-testid="input-error" data-error-for="${escapeHtml(blockId)}" hidden></div></div>`
  );
}

/** Inline rich text elements (text with styles, links, mentions, emoji). */
function renderRichElements(elements: unknown, ctx: RenderContext): string | undefined {
  if (!Array.isArray(elements)) return undefined;
  const out: string[] = [];
  for (const e of elements) {
    if (!isObj(e)) return undefined;
    let html: string;
    switch (e.type) {
      case 'text':
        html = renderPlainText(str(e.text) ?? '', false);
        break;
      case 'link': {
        const url = safeUrl(str(e.url) ?? '');
        if (!url) return undefined;
        html = `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(str(e.text) ?? url)}</a>`;
        break;
      }
      case 'user':
        html = renderMrkdwn(`<@${str(e.user_id) ?? ''}>`, ctx);
        break;
      case 'channel':
        html = renderMrkdwn(`<#${str(e.channel_id) ?? ''}>`, ctx);
        break;
      case 'usergroup':
        html = renderMrkdwn(`<!subteam^${str(e.usergroup_id) ?? ''}>`, ctx);
        break;
      case 'broadcast':
        html = renderMrkdwn(`<!${str(e.range) ?? 'here'}>`, ctx);
        break;
      case 'emoji':
        html = renderMrkdwn(`:${str(e.name) ?? ''}:`, ctx);
        break;
      default:
        return undefined;
    }
    const style = isObj(e.style) ? e.style : {};
    if (style.code === true) html = `<code>${html}</code>`;
    if (style.bold === true) html = `<b>${html}</b>`;
    if (style.italic === true) html = `<i>${html}</i>`;
    if (style.strike === true) html = `<s>${html}</s>`;
    out.push(html);
  }
  return out.join('');
}

function renderRichText(block: Obj, ctx: RenderContext): string | undefined {
  if (!Array.isArray(block.elements)) return undefined;
  const parts: string[] = [];
  for (const part of block.elements) {
    if (!isObj(part)) return undefined;
    if (part.type === 'rich_text_list') {
      if (!Array.isArray(part.elements)) return undefined;
      const items = part.elements.map((item) => (isObj(item) ? renderRichElements(item.elements, ctx) : undefined));
      if (items.some((i) => i === undefined)) return undefined;
      const tag = part.style === 'ordered' ? 'ol' : 'ul';
      parts.push(`<${tag}>${items.map((i) => `<li>${i}</li>`).join('')}</${tag}>`);
      continue;
    }
    const inner = renderRichElements(part.elements, ctx);
    if (inner === undefined) return undefined;
    if (part.type === 'rich_text_section') parts.push(`<div>${inner}</div>`);
    else if (part.type === 'rich_text_preformatted') parts.push(`<pre class="mrkdwn-pre">${inner}</pre>`);
    else if (part.type === 'rich_text_quote') parts.push(`<blockquote>${inner}</blockquote>`);
    else return undefined;
  }
  return `<div class="bk-block bk-rich-text"${blockIdAttr(block)}>${parts.join('')}</div>`;
}

/** Text typed in a modal's inputs, kept across a re-render: `values[blockId][actionId]`. */
export type InputValues = Record<string, Record<string, string>>;

/** One block. Unknown types, and known types whose shape is not understood, fall back to JSON. */
export function renderBlock(block: unknown, ctx: RenderContext = NO_NAMES, values: InputValues = {}): string {
  if (!isObj(block)) return renderUnknown(block);
  switch (block.type) {
    case 'section':
      return renderSection(block, ctx);
    case 'context':
      if (!Array.isArray(block.elements)) return renderUnknown(block);
      return `<div class="bk-block bk-context"${blockIdAttr(block)}>${block.elements.map((e) => renderElement(e, ctx, str(block.block_id))).join('')}</div>`;
    case 'divider':
      return `<hr class="bk-block bk-divider"${blockIdAttr(block)}>`;
    case 'header':
      return `<div class="bk-block bk-header"${blockIdAttr(block)}>${renderTextObject(block.text, ctx)}</div>`;
    case 'image': {
      const url = safeUrl(str(block.image_url) ?? '');
      if (!url) return renderUnknown(block);
      const title = block.title === undefined ? '' : `<figcaption class="bk-image-title">${renderTextObject(block.title, ctx)}</figcaption>`;
      return `<figure class="bk-block bk-image"${blockIdAttr(block)}>${title}<img src="${escapeHtml(url)}" alt="${escapeHtml(str(block.alt_text) ?? '')}" loading="lazy"></figure>`;
    }
    case 'actions':
      if (!Array.isArray(block.elements)) return renderUnknown(block);
      return `<div class="bk-block bk-actions"${blockIdAttr(block)}>${block.elements.map((e) => renderElement(e, ctx, str(block.block_id))).join('')}</div>`;
    case 'input':
      return renderInput(block, ctx, values);
    case 'rich_text':
      return renderRichText(block, ctx) ?? renderUnknown(block);
    default:
      return renderUnknown(block);
  }
}

/** A list of blocks (a message's, a view's), in a `.bk-blocks` wrapper. */
export function renderBlocks(blocks: unknown, ctx: RenderContext = NO_NAMES, values: InputValues = {}): string {
  if (!Array.isArray(blocks)) return blocks === undefined ? '' : renderUnknown(blocks);
  return `<div class="bk-blocks">${blocks.map((b) => renderBlock(b, ctx, values)).join('')}</div>`;
}

const NAMED_COLORS: Record<string, string> = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' };

/** An attachment's colour bar: Slack's names or a hex colour; anything else is grey. */
export function attachmentColor(color: unknown): string {
  if (typeof color !== 'string') return '#dddddd';
  if (NAMED_COLORS[color]) return NAMED_COLORS[color];
  const hex = color.startsWith('#') ? color : `#${color}`;
  return /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(hex) ? hex : '#dddddd';
}

/** Legacy attachments: a colour bar with blocks, or with pretext/title/text/fields. */
export function renderAttachments(attachments: unknown, ctx: RenderContext = NO_NAMES): string {
  if (!Array.isArray(attachments) || attachments.length === 0) return '';
  return attachments
    .map((a) => {
      if (!isObj(a)) return renderUnknown(a);
      const parts: string[] = [];
      if (typeof a.pretext === 'string') parts.push(`<div class="att-pretext">${renderMrkdwn(a.pretext, ctx)}</div>`);
      if (typeof a.title === 'string') {
        const link = typeof a.title_link === 'string' ? safeUrl(a.title_link) : undefined;
        const title = escapeHtml(a.title);
        parts.push(`<div class="att-title">${link ? `<a href="${escapeHtml(link)}" target="_blank" rel="noopener noreferrer">${title}</a>` : title}</div>`);
      }
      if (Array.isArray(a.blocks)) parts.push(renderBlocks(a.blocks, ctx));
      else if (typeof a.text === 'string') parts.push(`<div class="att-text">${renderMrkdwn(a.text, ctx)}</div>`);
      else if (typeof a.fallback === 'string') parts.push(`<div class="att-text">${renderMrkdwn(a.fallback, ctx)}</div>`);
      if (Array.isArray(a.fields))
        parts.push(
          `<div class="bk-fields">${a.fields
            .map((f) =>
              isObj(f) ? `<div class="bk-field"><b>${escapeHtml(str(f.title) ?? '')}</b><br>${renderMrkdwn(str(f.value) ?? '', ctx)}</div>` : renderUnknown(f),
            )
            .join('')}</div>`,
        );
      return `<div class="attachment" data-testid="attachment" style="border-left-color:${attachmentColor(a.color)}">${parts.join('')}</div>`;
    })
    .join('');
}

/** A message's body: its blocks when it has some (Slack then shows `text` only in notifications), else its text. */
export function renderMessageBody(message: { text?: string; blocks?: unknown; attachments?: unknown }, ctx: RenderContext = NO_NAMES): string {
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  const body = hasBlocks ? renderBlocks(message.blocks, ctx) : message.text ? `<div class="msg-text">${renderMrkdwn(message.text, ctx)}</div>` : '';
  return body + renderAttachments(message.attachments, ctx);
}
