/// <reference lib="dom" />
/**
 * The sandbox page's client: a small Slack look-alike over src/sandbox/protocol.ts. Bundled by assets.ts (esbuild, IIFE).
 * It reads the state once, follows server-sent changes, and redraws only what a change touches (one element per
 * message), so a `chat.update` shows at once.
 *
 * Hooks for browser tests (keep them stable):
 * - `[data-testid=person-switcher]`: a <select>; option values are user ids. `[data-testid=person-role]`: the role.
 * - `[data-testid=channel-<id>]`: a sidebar channel or DM; `[data-testid=home-tab]`: foxops' App Home. Active: `.active`.
 * - `[data-testid=message-list]`; `[data-testid=message]` with `data-channel`, `data-ts` (and `data-thread-ts` on replies);
 *   `[data-testid=ephemeral]` with `data-id`, its `[data-testid=dismiss]`; `[data-testid=edited]`; `[data-testid=attachment]`.
 * - Block Kit buttons: `<button data-action-id data-block-id data-value>`; a JSON fallback: `[data-testid=unknown-block]`,
 *   `[data-testid=unknown-element]`.
 * - `[data-testid=thread-link]` (N replies), `[data-testid=thread-pane]`, `[data-testid=thread-list]`,
 *   `[data-testid=thread-composer]`, `[data-testid=thread-close]`.
 * - `[data-testid=composer]` (Enter sends to `/api/command`).
 * - `[data-testid=home-view]` (App Home blocks).
 * - `[data-testid=modal]` with `data-view-id`, `[data-testid=modal-input]` (data-block-id, data-action-id),
 *   `[data-testid=input-error]` (data-error-for = block id), `[data-testid=modal-submit]`, `[data-testid=modal-close]`.
 * - `[data-testid=confirm-dialog]`, `[data-testid=confirm-ok]`, `[data-testid=confirm-cancel]`.
 * - `[data-testid=sim-panel]`, `[data-testid=sim-toggle]`, `[data-testid=sim-github]`, `[data-testid=sim-aws]`,
 *   `[data-testid=push-commit]`, `[data-testid=ci-pass]`, `[data-testid=ci-fail]`, `[data-testid=next-run]` (select),
 *   `[data-testid=manual-run]` (a button per environment, data-environment: a run started by hand in GitHub),
 *   `[data-testid=commit]`, `[data-testid=run]` (data-run-id, data-manual on a run by hand), `[data-testid=run-verification]`, `[data-testid=function-<name>]`, `[data-testid=alarm-via]` (select),
 *   `[data-testid=alarm-<name>]`, `[data-testid=fire-alarm-<name>]`, `[data-testid=clear-alarm-<name>]`, `[data-testid=stack-<name>]`,
 *   `[data-testid=reset]`.
 * - `[data-testid=toast]` (`.error` for failed requests). `body[data-ready]` once the first state is drawn.
 */
import type {
  ActionRequest,
  CommandAnswer,
  SandboxAws,
  SandboxChange,
  SandboxEphemeral,
  SandboxGitHub,
  SandboxMessage,
  SandboxModal,
  SandboxState,
} from '../protocol.js';
import { type InputValues, renderBlocks, renderConfirmParts, renderMessageBody, renderUnknown } from './blockkit.js';
import { escapeHtml, type RenderContext, safeUrl } from './mrkdwn.js';

type View = { kind: 'channel'; id: string } | { kind: 'home' };

let state: SandboxState | undefined;
/** The page remembers who one acts as and where, across reloads; storage may be refused (privacy modes), which only forgets. */
const remembered = {
  get: (key: string): string => {
    try {
      return localStorage.getItem(`foxops.sandbox.${key}`) ?? '';
    } catch {
      return '';
    }
  },
  set: (key: string, value: string): void => {
    try {
      localStorage.setItem(`foxops.sandbox.${key}`, value);
    } catch {
      // Not remembered: fine.
    }
  },
};

let me = remembered.get('user');
let view: View = { kind: 'channel', id: remembered.get('channel') };
let thread: { channel: string; ts: string } | undefined;
const dismissed = new Set<string>();
const unread = new Set<string>();
const openRuns = new Set<number>();
/** One element per message or ephemeral shown, by key, in the channel list and in the thread pane. */
const mainEls = new Map<string, HTMLElement>();
const threadEls = new Map<string, HTMLElement>();
const history: string[] = [];
let historyAt = -1;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const personSwitcher = $<HTMLSelectElement>('person-switcher');
const messageList = $('message-list');
const homeView = $('home-view');
const threadPane = $('thread-pane');
const threadList = $('thread-list');
const composer = $<HTMLTextAreaElement>('composer');
const threadComposer = $<HTMLTextAreaElement>('thread-composer');

// ---- names --------------------------------------------------------------------------------------------------------

const ctx: RenderContext = {
  userName: (id) => (id === state?.botUserId ? 'foxops' : state?.people.find((p) => p.id === id)?.name),
  groupHandle: (id) => state?.groups[id]?.handle.replace(/^@/, ''),
  channelName: (id) => state?.channels.find((c) => c.id === id)?.name,
};

const messageKey = (m: Pick<SandboxMessage, 'channel' | 'ts'>) => `m:${m.channel}:${m.ts}`;
const ephemeralKey = (e: Pick<SandboxEphemeral, 'id'>) => `e:${e.id}`;
const isReply = (m: SandboxMessage) => m.threadTs !== undefined && m.threadTs !== m.ts;

function visibleChannels() {
  return (state?.channels ?? []).filter((c) => c.kind === 'channel' || c.user === me);
}

// ---- requests -----------------------------------------------------------------------------------------------------

/** Shows a short note in the corner; errors stay longer. */
function toast(text: string, kind: 'error' | 'info' = 'error'): void {
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.dataset.testid = 'toast';
  el.textContent = text;
  el.addEventListener('click', () => el.remove());
  $('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3000);
}

/** POSTs JSON; a failure (`ok: false`, a 4xx/5xx, no answer) is shown as a toast and returns undefined. */
async function post<T extends { ok?: boolean; error?: string }>(path: string, body: unknown): Promise<T | undefined> {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    let answer: T | undefined;
    try {
      answer = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      answer = undefined;
    }
    if (!res.ok || answer?.ok === false) {
      toast(`${path}: ${answer?.error ?? (text.slice(0, 200) || `HTTP ${res.status}`)}`);
      return answer?.ok === false ? answer : undefined;
    }
    return answer ?? ({ ok: true } as T);
  } catch (err) {
    toast(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

// ---- messages -----------------------------------------------------------------------------------------------------

const PALETTE = ['#4a154b', '#1264a3', '#2bac76', '#e8912d', '#cd2553', '#0b4c8c', '#7c3085', '#1d9bd1'];

function avatar(user: string): string {
  if (user === state?.botUserId) return '<div class="avatar bot">🦊</div>';
  const name = ctx.userName(user) ?? user;
  let h = 0;
  for (const ch of user) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `<div class="avatar" style="background:${PALETTE[h % PALETTE.length]}">${escapeHtml(name.slice(0, 1).toUpperCase())}</div>`;
}

function author(user: string): string {
  if (user === state?.botUserId) return '<span class="author">foxops</span><span class="app-badge">APP</span>';
  return `<span class="author">${escapeHtml(ctx.userName(user) ?? user)}</span>`;
}

function timeOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `<time class="msg-time" datetime="${d.toISOString()}" title="${escapeHtml(d.toLocaleString())}">${hm}</time>`;
}

function filesHtml(m: SandboxMessage): string {
  if (!m.files?.length) return '';
  return `<div class="files">${m.files
    .map((f) => {
      const url = safeUrl(f.url);
      const title = escapeHtml(f.title ?? f.name);
      if (!url) return renderUnknown(f, 'element');
      if (f.mimetype.startsWith('image/'))
        return `<figure class="file" data-testid="file"><figcaption>${title}</figcaption><a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer"><img src="${escapeHtml(url)}" alt="${title}"></a></figure>`;
      return `<a class="file file-link" data-testid="file" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">📄 ${title}</a>`;
    })
    .join('')}</div>`;
}

function repliesOf(m: Pick<SandboxMessage, 'channel' | 'ts'>): SandboxMessage[] {
  return (state?.messages ?? []).filter((r) => r.channel === m.channel && r.threadTs === m.ts && r.ts !== m.ts);
}

function messageElement(m: SandboxMessage, inThread: boolean): HTMLElement {
  const el = document.createElement('div');
  el.className = 'msg';
  el.dataset.testid = 'message';
  el.dataset.channel = m.channel;
  el.dataset.ts = m.ts;
  if (m.threadTs) el.dataset.threadTs = m.threadTs;
  el.dataset.sort = String(Number(m.ts));
  const replies = inThread ? [] : repliesOf(m);
  const last = replies.at(-1);
  const thread = replies.length
    ? `<a href="#" class="thread-link" data-testid="thread-link" data-channel="${escapeHtml(m.channel)}" data-ts="${escapeHtml(m.ts)}">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</a>` +
      (last ? `<span class="muted small"> last reply ${timeOf(Number(last.ts))}</span>` : '')
    : '';
  el.innerHTML =
    `${avatar(m.user)}<div class="msg-main"><div class="msg-head">${author(m.user)}${timeOf(Number(m.ts))}` +
    `${m.edits > 0 ? '<span class="edited" data-testid="edited">(edited)</span>' : ''}</div>` +
    `<div class="msg-body">${renderMessageBody(m, ctx)}${filesHtml(m)}</div>${thread ? `<div class="msg-thread">${thread}</div>` : ''}</div>`;
  return el;
}

function ephemeralElement(e: SandboxEphemeral): HTMLElement {
  const el = document.createElement('div');
  el.className = 'msg ephemeral';
  el.dataset.testid = 'ephemeral';
  el.dataset.id = e.id;
  el.dataset.channel = e.channel;
  el.dataset.sort = String(e.at / 1000);
  el.innerHTML =
    `${avatar(state?.botUserId ?? '')}<div class="msg-main"><div class="msg-head">${author(state?.botUserId ?? '')}${timeOf(e.at / 1000)}</div>` +
    `<div class="msg-body">${renderMessageBody(e, ctx)}</div>` +
    `<div class="ephemeral-note">👁 Only visible to you · <a href="#" data-testid="dismiss" data-id="${escapeHtml(e.id)}">Dismiss message</a></div></div>`;
  return el;
}

/** Puts `el` in `list` by its `data-sort`, replacing the element it stands for. */
function placeSorted(list: HTMLElement, els: Map<string, HTMLElement>, key: string, el: HTMLElement): void {
  const old = els.get(key);
  els.set(key, el);
  if (old?.parentElement === list) {
    old.replaceWith(el);
    return;
  }
  const sort = Number(el.dataset.sort);
  let after: Element | null = list.lastElementChild;
  while (after && Number((after as HTMLElement).dataset.sort) > sort) after = after.previousElementSibling;
  if (after) after.after(el);
  else list.prepend(el);
}

function removeEl(els: Map<string, HTMLElement>, key: string): void {
  els.get(key)?.remove();
  els.delete(key);
}

/** Keeps the list at its bottom when the reader was there. */
function stickToBottom(list: HTMLElement, change: () => void): void {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  change();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

const myEphemerals = () => (state?.ephemerals ?? []).filter((e) => e.user === me && !dismissed.has(e.id));

function renderMessageList(): void {
  mainEls.clear();
  messageList.replaceChildren();
  if (!state || view.kind !== 'channel') return;
  const channel = view.id;
  const items: Array<{ sort: number; key: string; el: HTMLElement }> = [];
  for (const m of state.messages)
    if (m.channel === channel && !isReply(m)) items.push({ sort: Number(m.ts), key: messageKey(m), el: messageElement(m, false) });
  for (const e of myEphemerals()) if (e.channel === channel && !e.threadTs) items.push({ sort: e.at / 1000, key: ephemeralKey(e), el: ephemeralElement(e) });
  items.sort((a, b) => a.sort - b.sort);
  if (items.length === 0) {
    const c = state.channels.find((x) => x.id === channel);
    messageList.innerHTML = `<div class="empty">This is the very beginning of <b>${c?.kind === 'dm' ? 'your direct messages with foxops' : `#${escapeHtml(c?.name ?? channel)}`}</b>. Type <code>/deploy help</code> below to start.</div>`;
  }
  for (const i of items) {
    mainEls.set(i.key, i.el);
    messageList.append(i.el);
  }
  messageList.scrollTop = messageList.scrollHeight;
}

function renderThread(): void {
  threadEls.clear();
  threadList.replaceChildren();
  if (!state || !thread) {
    threadPane.hidden = true;
    return;
  }
  const { channel, ts } = thread;
  threadPane.hidden = false;
  $('thread-channel').textContent = `#${ctx.channelName(channel) ?? channel}`;
  const parent = state.messages.find((m) => m.channel === channel && m.ts === ts);
  const items: Array<{ sort: number; key: string; el: HTMLElement }> = [];
  if (parent) items.push({ sort: Number(parent.ts), key: messageKey(parent), el: messageElement(parent, true) });
  for (const r of repliesOf({ channel, ts })) items.push({ sort: Number(r.ts), key: messageKey(r), el: messageElement(r, true) });
  for (const e of myEphemerals())
    if (e.channel === channel && e.threadTs === ts) items.push({ sort: e.at / 1000, key: ephemeralKey(e), el: ephemeralElement(e) });
  items.sort((a, b) => a.sort - b.sort);
  for (const i of items) {
    threadEls.set(i.key, i.el);
    threadList.append(i.el);
  }
  const count = items.length - (parent ? 1 : 0);
  if (parent) items[0]?.el.insertAdjacentHTML('afterend', `<div class="thread-count">${count} ${count === 1 ? 'reply' : 'replies'}</div>`);
  threadList.scrollTop = threadList.scrollHeight;
}

/** Redraws one message where it shows: the channel list, the thread pane, and its parent's reply count. */
function showMessage(m: SandboxMessage): void {
  const inChannel = view.kind === 'channel' && view.id === m.channel;
  if (inChannel && !isReply(m)) {
    messageList.querySelector('.empty')?.remove();
    stickToBottom(messageList, () => placeSorted(messageList, mainEls, messageKey(m), messageElement(m, false)));
  }
  if (isReply(m) && inChannel && m.threadTs) {
    const parent = state?.messages.find((p) => p.channel === m.channel && p.ts === m.threadTs);
    if (parent) placeSorted(messageList, mainEls, messageKey(parent), messageElement(parent, false));
  }
  if (thread && thread.channel === m.channel && (m.ts === thread.ts || m.threadTs === thread.ts)) {
    if (threadEls.has(messageKey(m)) || m.ts === thread.ts) {
      const el = messageElement(m, true);
      const old = threadEls.get(messageKey(m));
      if (old) {
        old.replaceWith(el);
        threadEls.set(messageKey(m), el);
      } else renderThread();
    } else renderThread();
  }
  if (!inChannel && !isReply(m) && m.user !== me) {
    unread.add(m.channel);
    document.querySelector(`[data-testid="channel-${CSS.escape(m.channel)}"]`)?.classList.add('unread');
  }
}

function showEphemeral(e: SandboxEphemeral): void {
  if (e.user !== me || dismissed.has(e.id)) return;
  if (e.threadTs) {
    if (thread && thread.channel === e.channel && thread.ts === e.threadTs)
      stickToBottom(threadList, () => placeSorted(threadList, threadEls, ephemeralKey(e), ephemeralElement(e)));
    return;
  }
  if (view.kind === 'channel' && view.id === e.channel) {
    messageList.querySelector('.empty')?.remove();
    stickToBottom(messageList, () => placeSorted(messageList, mainEls, ephemeralKey(e), ephemeralElement(e)));
  }
}

// ---- sidebar, header, home ----------------------------------------------------------------------------------------

function renderPeople(): void {
  if (!state) return;
  personSwitcher.innerHTML = state.people
    .map((p) => `<option value="${escapeHtml(p.id)}"${p.id === me ? ' selected' : ''}>${escapeHtml(p.name)} — ${escapeHtml(p.role)}</option>`)
    .join('');
  $('person-role').textContent = state.people.find((p) => p.id === me)?.role ?? '';
}

function renderNav(): void {
  const item = (testid: string, label: string, active: boolean, attrs: string, extra = '') =>
    `<a href="#" class="nav-item${active ? ' active' : ''}${extra}" data-testid="${escapeHtml(testid)}" ${attrs}>${label}</a>`;
  const channels = visibleChannels();
  const html = [
    item('home-tab', '<span class="nav-icon">🦊</span> foxops <span class="muted-nav">Home</span>', view.kind === 'home', 'data-home="1"'),
    '<div class="nav-section">Channels</div>',
    ...channels
      .filter((c) => c.kind === 'channel')
      .map((c) =>
        item(
          `channel-${c.id}`,
          `<span class="nav-icon">#</span> ${escapeHtml(c.name)}`,
          view.kind === 'channel' && view.id === c.id,
          `data-channel="${escapeHtml(c.id)}"`,
          unread.has(c.id) ? ' unread' : '',
        ),
      ),
    '<div class="nav-section">Direct messages</div>',
    ...channels
      .filter((c) => c.kind === 'dm')
      .map((c) =>
        item(
          `channel-${c.id}`,
          `<span class="nav-icon">🦊</span> ${escapeHtml(c.name)} <span class="app-badge dark">APP</span>`,
          view.kind === 'channel' && view.id === c.id,
          `data-channel="${escapeHtml(c.id)}"`,
          unread.has(c.id) ? ' unread' : '',
        ),
      ),
  ];
  $('nav').innerHTML = html.join('');
}

function renderHeader(): void {
  const header = $('main-header');
  if (view.kind === 'home') {
    header.innerHTML = '<div class="title">🦊 foxops</div><div class="topic">App Home: what runs where, and your notification choices</div>';
    return;
  }
  const id = view.id;
  const c = state?.channels.find((x) => x.id === id);
  header.innerHTML =
    `<div class="title">${c?.kind === 'dm' ? '🦊 ' : '# '}${escapeHtml(c?.name ?? id)}</div>` +
    (c?.topic ? `<div class="topic">${escapeHtml(c.topic)}</div>` : '');
}

function renderHome(): void {
  if (view.kind !== 'home') return;
  const home = state?.homes[me];
  if (home === undefined) {
    homeView.innerHTML = '<div class="empty">Opening App Home…</div>';
    return;
  }
  const blocks = typeof home === 'object' && home !== null ? (home as { blocks?: unknown }).blocks : undefined;
  homeView.innerHTML = `<div class="home-inner">${blocks === undefined ? renderUnknown(home) : renderBlocks(blocks, ctx)}</div>`;
}

function renderMain(): void {
  renderHeader();
  const home = view.kind === 'home';
  messageList.hidden = home;
  homeView.hidden = !home;
  $('composer-wrap').hidden = home;
  composer.placeholder =
    view.kind === 'channel'
      ? `Message ${state?.channels.find((c) => c.id === (view as { id: string }).id)?.kind === 'dm' ? 'foxops' : `#${ctx.channelName(view.id) ?? ''}`}`
      : '';
  if (home) {
    messageList.replaceChildren();
    mainEls.clear();
    renderHome();
  } else renderMessageList();
}

/** Sends `app_home_opened` for the current person. */
function openHome(): void {
  void post('/api/home', { user: me });
}

function select(next: View): void {
  view = next;
  if (next.kind === 'channel') {
    remembered.set('channel', next.id);
    unread.delete(next.id);
  }
  renderNav();
  renderMain();
  if (next.kind === 'home') openHome();
  else composer.focus();
}

/** Falls back to a channel the current person may see. */
function fixSelection(): void {
  if (!state) return;
  if (!state.people.some((p) => p.id === me)) me = state.people[0]?.id ?? '';
  const current = view;
  if (current.kind === 'channel' && !visibleChannels().some((c) => c.id === current.id)) {
    const first = visibleChannels().find((c) => c.kind === 'channel') ?? visibleChannels()[0];
    view = first ? { kind: 'channel', id: first.id } : { kind: 'home' };
  }
  if (thread && !visibleChannels().some((c) => c.id === thread?.channel)) thread = undefined;
}

function renderAll(): void {
  fixSelection();
  renderPeople();
  renderNav();
  renderMain();
  renderThread();
  renderModal();
  renderGitHub();
  renderAws();
}

// ---- modal --------------------------------------------------------------------------------------------------------

const topModal = (): SandboxModal | undefined => state?.modals.filter((m) => m.user === me).at(-1);

function inputValues(root: ParentNode): InputValues {
  const values: InputValues = {};
  for (const input of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('[data-testid=modal-input]')) {
    const blockId = input.dataset.blockId ?? '';
    const actionId = input.dataset.actionId ?? '';
    values[blockId] = { ...(values[blockId] ?? {}), [actionId]: input.value };
  }
  return values;
}

function renderModal(): void {
  const root = $('modal-root');
  const modal = topModal();
  if (!modal) {
    root.replaceChildren();
    return;
  }
  // views.update keeps what was typed in inputs whose ids stay, as Slack does.
  const shown = root.querySelector<HTMLElement>('[data-testid=modal]');
  const kept = shown?.dataset.viewId === modal.id ? inputValues(shown) : {};
  const v = modal.view;
  const text = (t: unknown, fallback: string) =>
    escapeHtml(typeof t === 'object' && t !== null && typeof (t as { text?: unknown }).text === 'string' ? (t as { text: string }).text : fallback);
  const stack = state?.modals.filter((m) => m.user === me).length ?? 1;
  root.innerHTML =
    `<div class="overlay"><form class="modal" data-testid="modal" data-view-id="${escapeHtml(modal.id)}" novalidate>` +
    `<header class="modal-head"><span>${stack > 1 ? '<span class="muted">‹ </span>' : ''}${text(v.title, 'foxops')}</span><button type="button" class="icon-button" data-modal-close title="Close">✕</button></header>` +
    `<div class="modal-body">${Array.isArray(v.blocks) ? renderBlocks(v.blocks, ctx, kept) : renderUnknown(v)}</div>` +
    `<footer class="modal-foot"><button type="button" class="bk-button" data-testid="modal-close" data-modal-close>${text(v.close, 'Cancel')}</button>` +
    (v.submit ? `<button type="submit" class="bk-button bk-primary" data-testid="modal-submit">${text(v.submit, 'Submit')}</button>` : '') +
    '</footer></form></div>';
  const form = root.querySelector<HTMLFormElement>('form');
  form?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submitModal(modal, form);
  });
  if (!shown) root.querySelector<HTMLElement>('[data-testid=modal-input]')?.focus();
}

async function submitModal(modal: SandboxModal, form: HTMLFormElement): Promise<void> {
  const button = form.querySelector<HTMLButtonElement>('[data-testid=modal-submit]');
  if (button) button.disabled = true;
  for (const e of form.querySelectorAll<HTMLElement>('[data-testid=input-error]')) e.hidden = true;
  const answer = await post<{ ok: boolean; errors?: Record<string, string> }>('/api/view', { user: me, viewId: modal.id, values: inputValues(form) });
  if (button) button.disabled = false;
  for (const [blockId, message] of Object.entries(answer?.errors ?? {})) {
    const slot = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(blockId)}"]`);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    } else toast(message);
  }
  // Without errors foxops closes or updates the view; the change arrives as an event.
}

function closeModal(): void {
  const modal = topModal();
  if (!modal || !state) return;
  state.modals = state.modals.filter((m) => m.id !== modal.id);
  renderModal();
  void post('/api/view/close', { user: me, viewId: modal.id });
}

// ---- confirm dialog -----------------------------------------------------------------------------------------------

/** Slack's confirm dialog: resolves true on the confirm button, false on deny, Escape or a click outside. */
function askConfirm(confirm: unknown): Promise<boolean> {
  const parts = renderConfirmParts(confirm, ctx);
  const root = $('confirm-root');
  root.innerHTML =
    `<div class="overlay confirm-overlay"><div class="modal confirm" data-testid="confirm-dialog" role="dialog">` +
    `<header class="modal-head"><span>${parts.title}</span></header><div class="modal-body">${parts.text}</div>` +
    `<footer class="modal-foot"><button type="button" class="bk-button" data-testid="confirm-cancel">${parts.deny}</button>` +
    `<button type="button" class="bk-button ${parts.style === 'danger' ? 'bk-danger' : 'bk-primary'}" data-testid="confirm-ok">${parts.confirm}</button></footer></div></div>`;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      root.replaceChildren();
      document.removeEventListener('keydown', onKey, true);
      resolve(ok);
    };
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') done(false);
    };
    document.addEventListener('keydown', onKey, true);
    root.querySelector('[data-testid=confirm-ok]')?.addEventListener('click', () => done(true));
    root.querySelector('[data-testid=confirm-cancel]')?.addEventListener('click', () => done(false));
    root.querySelector('.overlay')?.addEventListener('click', (ev) => {
      if (ev.target === ev.currentTarget) done(false);
    });
    root.querySelector<HTMLElement>('[data-testid=confirm-ok]')?.focus();
  });
}

// ---- Block Kit buttons --------------------------------------------------------------------------------------------

/**
 * How soon each change of a message on screen was drawn after Slack (the simulator) received it, for the browser test's
 * measure (`window.__foxopsSandbox.drawn`); the frame callback runs just before the browser paints it.
 */
const drawn: Array<{ key: string; lagMs: number }> = [];
(window as unknown as { __foxopsSandbox: { drawn: typeof drawn } }).__foxopsSandbox = { drawn };
function noteDrawn(m: SandboxMessage): void {
  const changedAt = m.changedAt;
  if (changedAt === undefined) return;
  const el = document.querySelector(`[data-testid=message][data-channel="${CSS.escape(m.channel)}"][data-ts="${CSS.escape(m.ts)}"]`);
  if (!el) return;
  requestAnimationFrame(() => {
    drawn.push({ key: `${m.channel}:${m.ts}`, lagMs: Date.now() - changedAt });
    if (drawn.length > 500) drawn.shift();
  });
}

function containerOf(el: HTMLElement): ActionRequest['container'] | undefined {
  const holder = el.closest<HTMLElement>('[data-testid=ephemeral], [data-testid=message], [data-testid=home-view], [data-testid=modal]');
  switch (holder?.dataset.testid) {
    case 'ephemeral':
      return { type: 'ephemeral', id: holder.dataset.id ?? '' };
    case 'message':
      return { type: 'message', channel: holder.dataset.channel ?? '', ts: holder.dataset.ts ?? '' };
    case 'home-view':
      return { type: 'home' };
    case 'modal':
      return { type: 'modal', viewId: holder.dataset.viewId ?? '' };
    default:
      return undefined;
  }
}

async function clickButton(button: HTMLButtonElement): Promise<void> {
  const { actionId, blockId, value, url, confirm } = button.dataset;
  const container = containerOf(button);
  if (confirm) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(confirm);
    } catch {
      parsed = {};
    }
    if (!(await askConfirm(parsed))) return;
  }
  // A link button opens its page; foxops has no listener for it, so nothing is sent.
  if (url) {
    window.open(url, '_blank', 'noopener');
    return;
  }
  if (!container || actionId === undefined) {
    toast('This button is not in a message, App Home or a modal.');
    return;
  }
  // Slack greys a button while its click is on the way; a double click would send two actions.
  button.disabled = true;
  const enable = setTimeout(() => {
    button.disabled = false;
  }, 1500);
  const body: ActionRequest = { user: me, actionId, container, ...(blockId !== undefined ? { blockId } : {}), ...(value !== undefined ? { value } : {}) };
  await post('/api/action', body);
  clearTimeout(enable);
  setTimeout(() => {
    button.disabled = false;
  }, 300);
}

// ---- composer -----------------------------------------------------------------------------------------------------

async function send(input: HTMLTextAreaElement, threadTs?: string): Promise<void> {
  const text = input.value.trim();
  const channel = threadTs ? thread?.channel : view.kind === 'channel' ? view.id : undefined;
  if (!text || !channel) return;
  input.value = '';
  autosize(input);
  if (history.at(-1) !== text) history.push(text);
  historyAt = -1;
  const answer = await post<CommandAnswer>('/api/command', { user: me, channel, text, ...(threadTs ? { threadTs } : {}) });
  if (!answer || (answer.ok === false && !answer.ephemeral)) {
    // Keep what was typed when it could not be sent (the toast says why).
    if (!input.value) input.value = text;
    return;
  }
  if (answer.ephemeral) applyChange({ kind: 'ephemeral', ephemeral: answer.ephemeral });
  else if (answer.status !== undefined && answer.status >= 400) toast(`foxops answered HTTP ${answer.status}`);
}

function autosize(input: HTMLTextAreaElement): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

function wireComposer(input: HTMLTextAreaElement, threadTs: () => string | undefined): void {
  input.addEventListener('input', () => autosize(input));
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      void send(input, threadTs());
      return;
    }
    // ↑ on an empty composer (or while paging) recalls earlier lines, as a shell does.
    if (ev.key === 'ArrowUp' && history.length && (input.value === '' || historyAt >= 0)) {
      ev.preventDefault();
      historyAt = historyAt < 0 ? history.length - 1 : Math.max(0, historyAt - 1);
      input.value = history[historyAt] ?? '';
    } else if (ev.key === 'ArrowDown' && historyAt >= 0) {
      ev.preventDefault();
      historyAt = historyAt + 1 < history.length ? historyAt + 1 : -1;
      input.value = historyAt < 0 ? '' : (history[historyAt] ?? '');
    } else if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') historyAt = -1;
  });
}

// ---- simulated GitHub and AWS -------------------------------------------------------------------------------------

const badge = (text: string, tone: string) => `<span class="badge ${tone}">${escapeHtml(text)}</span>`;

function toneOf(status: string, conclusion: string | null | undefined): string {
  const s = (conclusion ?? status).toLowerCase();
  if (['success', 'succeeded', 'completed', 'ok', 'create_complete', 'update_complete'].includes(s)) return 'good';
  if (['failure', 'failed', 'cancelled', 'timed_out', 'alarm'].includes(s) || s.includes('failed') || s.includes('rollback')) return 'bad';
  if (['in_progress', 'queued', 'pending', 'waiting', 'requested'].includes(s) || s.includes('in_progress')) return 'busy';
  return 'neutral';
}

const CI_BADGE: Record<SandboxGitHub['commits'][number]['ci'], string> = {
  success: badge('✓ CI', 'good'),
  failure: badge('✗ CI', 'bad'),
  pending: badge('● CI', 'busy'),
  none: badge('no CI', 'neutral'),
};

function renderGitHub(): void {
  const gh = state?.github;
  const el = $('sim-github');
  if (!gh) {
    el.innerHTML = '';
    return;
  }
  const commits = gh.commits
    .slice(0, 8)
    .map(
      (c) =>
        `<li class="commit" data-testid="commit" data-sha="${escapeHtml(c.sha)}"><code>${escapeHtml(c.sha.slice(0, 7))}</code> ` +
        `<span class="commit-msg" title="${escapeHtml(c.message)}">${escapeHtml(c.message.split('\n')[0] ?? '')}</span> ${CI_BADGE[c.ci] ?? badge(c.ci, 'neutral')}` +
        `<div class="muted small">${escapeHtml(c.author)} · ${escapeHtml(new Date(c.date).toLocaleString())}</div></li>`,
    )
    .join('');
  const runs = gh.runs
    .slice(0, 6)
    .map((r) => {
      const jobs = r.jobs
        .map(
          (j) =>
            `<div class="job"><div>${badge(j.conclusion ?? j.status, toneOf(j.status, j.conclusion))} <b>${escapeHtml(j.name)}</b></div><ol class="steps">${j.steps
              .map(
                (s) =>
                  `<li class="${toneOf(s.status, s.conclusion)}">${escapeHtml(s.name)} <span class="muted small">${escapeHtml(s.conclusion ?? s.status)}</span></li>`,
              )
              .join('')}</ol></div>`,
        )
        .join('');
      // What the verify job's curl printed: foxops' status and, when it refused, why.
      const verification = r.verification
        ? `<div class="small verification ${r.verification.status === 200 ? 'ok' : 'refused'}" data-testid="run-verification">foxops answered ${r.verification.status}` +
          `${r.verification.code ? ` <code>${escapeHtml(r.verification.code)}</code>` : ''}${r.verification.reason ? `: ${escapeHtml(r.verification.reason)}` : ''}</div>`
        : '';
      return (
        `<details class="run" data-testid="run" data-run-id="${r.id}"${r.manual ? ' data-manual="true"' : ''}${openRuns.has(r.id) ? ' open' : ''}><summary>${badge(r.conclusion ?? r.status, toneOf(r.status, r.conclusion))} ` +
        `<span class="run-title">${escapeHtml(r.title)}</span><div class="muted small">#${r.id} · <code>${escapeHtml(r.headSha.slice(0, 7))}</code> · ${r.manual ? 'started by hand' : `told to ${escapeHtml(r.outcome)}`}</div></summary>` +
        `${verification}${jobs || '<div class="muted small">no jobs yet</div>'}</details>`
      );
    })
    .join('');
  const option = (v: string, label: string) => `<option value="${v}"${gh.nextRun === v ? ' selected' : ''}>${label}</option>`;
  el.innerHTML =
    `<h3><span class="logo">⌥</span> GitHub <span class="muted small">${escapeHtml(gh.repo)}</span></h3>` +
    `<h4>Commits on ${escapeHtml(gh.defaultBranch)}</h4>` +
    `<div class="sim-row"><button type="button" class="sim-button" data-sim="push" data-testid="push-commit">Push a commit</button>` +
    `<span class="sim-gap"></span>CI of head: <button type="button" class="sim-button" data-sim="ci" data-state="success" data-testid="ci-pass">pass</button>` +
    `<button type="button" class="sim-button danger" data-sim="ci" data-state="failure" data-testid="ci-fail">fail</button></div>` +
    `<ul class="commits">${commits || '<li class="muted">no commits</li>'}</ul>` +
    `<h4>Workflow runs</h4><label class="sim-row small">Next run will <select data-testid="next-run" id="next-run">${option('succeed', 'succeed')}${option('fail', 'fail')}${option('hang', 'hang (never finish)')}</select></label>` +
    // "Run workflow" in GitHub, around foxops: its verify job is refused and it deploys nothing.
    `<div class="sim-row small" title="As if someone clicked Run workflow on deploy.yml in GitHub: no deploy id, never approved in Slack">Start a run by hand:` +
    `<button type="button" class="sim-button danger" data-sim="manual-run" data-environment="production" data-testid="manual-run">production</button>` +
    `<button type="button" class="sim-button" data-sim="manual-run" data-environment="staging" data-testid="manual-run">staging</button></div>` +
    `<div class="runs">${runs || '<div class="muted small">No runs yet: approve a deploy to dispatch one.</div>'}</div>`;
}

function renderAws(): void {
  const aws: SandboxAws | undefined = state?.aws;
  const el = $('sim-aws');
  if (!aws) {
    el.innerHTML = '';
    return;
  }
  const via = (document.getElementById('alarm-via') as HTMLSelectElement | null)?.value ?? 'sns';
  const functions = aws.functions
    .map(
      (f) =>
        `<li data-testid="function-${escapeHtml(f.name)}"><b>${escapeHtml(f.name)}</b><div class="small">alias <code>${escapeHtml(f.alias)}</code> → ${
          f.aliasVersion ? badge(`v${f.aliasVersion}`, 'good') : badge('none', 'neutral')
        }</div><div class="muted small">versions: ${f.versions.map((v) => `<span title="${escapeHtml(v.description)}">v${escapeHtml(v.version)}</span>`).join(', ') || 'none'}</div></li>`,
    )
    .join('');
  const alarms = aws.alarms
    .map(
      (a) =>
        `<li data-testid="alarm-${escapeHtml(a.name)}"><div><b class="alarm-name">${escapeHtml(a.name)}</b> ${badge(a.state, toneOf(a.state, undefined))}</div>` +
        `<div class="muted small">${escapeHtml(a.service)} · ${escapeHtml(a.environment)}</div><div class="sim-row">` +
        `<button type="button" class="sim-button danger" data-sim="alarm" data-state="ALARM" data-alarm="${escapeHtml(a.name)}" data-testid="fire-alarm-${escapeHtml(a.name)}">Fire</button>` +
        `<button type="button" class="sim-button" data-sim="alarm" data-state="OK" data-alarm="${escapeHtml(a.name)}" data-testid="clear-alarm-${escapeHtml(a.name)}">Clear</button></div></li>`,
    )
    .join('');
  const stacks = aws.stacks
    .map((s) => `<li data-testid="stack-${escapeHtml(s.name)}"><b>${escapeHtml(s.name)}</b> ${badge(s.status, toneOf(s.status, undefined))}</li>`)
    .join('');
  el.innerHTML =
    `<h3><span class="logo">☁</span> AWS</h3><h4>Lambda functions</h4><ul class="plain">${functions || '<li class="muted">none</li>'}</ul>` +
    `<h4>CloudWatch alarms</h4><label class="sim-row small">Deliver through <select id="alarm-via" data-testid="alarm-via">` +
    `<option value="sns"${via === 'sns' ? ' selected' : ''}>SNS</option><option value="eventbridge"${via === 'eventbridge' ? ' selected' : ''}>EventBridge</option></select></label>` +
    `<ul class="plain">${alarms || '<li class="muted">none</li>'}</ul><h4>CloudFormation stacks</h4><ul class="plain">${stacks || '<li class="muted">none</li>'}</ul>`;
}

async function simClick(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    switch (button.dataset.sim) {
      case 'push':
        await post('/api/github/commits', { count: 1 });
        break;
      case 'ci':
        await post('/api/github/ci', { state: button.dataset.state });
        break;
      case 'manual-run':
        await post('/api/github/manual-run', { environment: button.dataset.environment, user: me });
        break;
      case 'alarm': {
        const via = (document.getElementById('alarm-via') as HTMLSelectElement | null)?.value ?? 'sns';
        await post('/api/aws/alarm', { alarm: button.dataset.alarm, state: button.dataset.state, via });
        break;
      }
    }
  } finally {
    button.disabled = false;
  }
}

// ---- state and changes --------------------------------------------------------------------------------------------

function upsert<T>(list: T[], item: T, same: (a: T) => boolean): void {
  const i = list.findIndex(same);
  if (i < 0) list.push(item);
  else list[i] = item;
}

function applyChange(change: SandboxChange): void {
  if (change.kind === 'reset') {
    void loadState();
    return;
  }
  if (!state) return;
  switch (change.kind) {
    case 'message': {
      const m = change.message;
      upsert(state.messages, m, (x) => x.channel === m.channel && x.ts === m.ts);
      showMessage(m);
      noteDrawn(m);
      break;
    }
    case 'ephemeral': {
      const e = change.ephemeral;
      upsert(state.ephemerals, e, (x) => x.id === e.id);
      showEphemeral(e);
      break;
    }
    case 'home':
      state.homes[change.user] = change.view;
      if (change.user === me) renderHome();
      break;
    case 'modal':
      upsert(state.modals, change.modal, (x) => x.id === change.modal.id);
      if (change.modal.user === me) renderModal();
      break;
    case 'modal_closed':
      state.modals = state.modals.filter((m) => m.id !== change.id);
      renderModal();
      break;
    case 'github':
      state.github = change.github;
      renderGitHub();
      break;
    case 'aws':
      state.aws = change.aws;
      renderAws();
      break;
  }
}

async function loadState(): Promise<void> {
  try {
    const res = await fetch('/api/state');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    state = (await res.json()) as SandboxState;
  } catch (err) {
    toast(`Could not read the sandbox state (${err instanceof Error ? err.message : String(err)}); trying again…`);
    setTimeout(() => void loadState(), 2000);
    return;
  }
  renderAll();
  document.body.dataset.ready = '1';
}

function follow(): void {
  const events = new EventSource('/api/events');
  let broken = false;
  events.onmessage = (ev: MessageEvent<string>) => {
    try {
      applyChange(JSON.parse(ev.data) as SandboxChange);
    } catch (err) {
      toast(`Could not apply a change: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  events.onerror = () => {
    if (!broken) toast('Lost the connection to the sandbox; reconnecting…', 'info');
    broken = true;
  };
  // Changes sent while the connection was down are lost: read everything again.
  events.onopen = () => {
    if (broken) void loadState();
    broken = false;
  };
}

// ---- events -------------------------------------------------------------------------------------------------------

document.addEventListener('click', (ev) => {
  const target = ev.target as HTMLElement;
  const button = target.closest<HTMLButtonElement>('button[data-action-id]');
  if (button) {
    void clickButton(button);
    return;
  }
  const sim = target.closest<HTMLButtonElement>('button[data-sim]');
  if (sim) {
    void simClick(sim);
    return;
  }
  if (target.closest('[data-modal-close]')) {
    closeModal();
    return;
  }
  const link = target.closest<HTMLElement>('[data-testid=thread-link]');
  if (link) {
    ev.preventDefault();
    thread = { channel: link.dataset.channel ?? '', ts: link.dataset.ts ?? '' };
    renderThread();
    threadComposer.focus();
    return;
  }
  const dismiss = target.closest<HTMLElement>('[data-testid=dismiss]');
  if (dismiss) {
    ev.preventDefault();
    const id = dismiss.dataset.id ?? '';
    dismissed.add(id);
    removeEl(mainEls, `e:${id}`);
    removeEl(threadEls, `e:${id}`);
    return;
  }
  const nav = target.closest<HTMLElement>('.nav-item');
  if (nav) {
    ev.preventDefault();
    select(nav.dataset.home ? { kind: 'home' } : { kind: 'channel', id: nav.dataset.channel ?? '' });
  }
});

personSwitcher.addEventListener('change', () => {
  me = personSwitcher.value;
  remembered.set('user', me);
  renderAll();
  if (view.kind === 'home') openHome();
});

$('thread-close').addEventListener('click', () => {
  thread = undefined;
  renderThread();
});

$('sim-toggle').addEventListener('click', () => {
  const collapsed = $('app').classList.toggle('sim-collapsed');
  $('sim-toggle').textContent = collapsed ? '⟨' : '⟩';
  $('sim-toggle').title = collapsed ? 'Show simulated GitHub & AWS' : 'Hide';
});

$('sim-panel').addEventListener('change', (ev) => {
  const target = ev.target as HTMLElement;
  if (target.id === 'next-run') void post('/api/github/next-run', { outcome: (target as HTMLSelectElement).value });
});

// <details> toggles do not bubble: listen in the capture phase to remember which runs are open across redraws.
$('sim-panel').addEventListener(
  'toggle',
  (ev) => {
    const el = ev.target as HTMLElement;
    if (!(el instanceof HTMLDetailsElement) || !el.dataset.runId) return;
    const id = Number(el.dataset.runId);
    if (el.open) openRuns.add(id);
    else openRuns.delete(id);
  },
  true,
);

$('reset').addEventListener('click', async () => {
  const ok = await askConfirm({
    title: { type: 'plain_text', text: 'Reset the sandbox?' },
    text: { type: 'mrkdwn', text: 'Every deploy, message, modal and simulator change is forgotten; the sandbox starts over.' },
    confirm: { type: 'plain_text', text: 'Reset' },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: 'danger',
  });
  if (!ok) return;
  if (await post('/api/reset', {})) {
    dismissed.clear();
    unread.clear();
    thread = undefined;
    await loadState();
  }
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !$('confirm-root').hasChildNodes() && topModal()) closeModal();
});

wireComposer(composer, () => undefined);
wireComposer(threadComposer, () => thread?.ts);

void loadState().then(follow);
