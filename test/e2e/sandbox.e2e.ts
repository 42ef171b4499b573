/**
 * The sandbox in a real browser, as a newcomer meets it: `npm start` on a fresh clone (no Slack settings, a fresh data
 * folder), then Debian's chromium on the URL it prints. Every check is on the rendered page. The scenarios follow one
 * another like a person trying foxops: request, approvals, the run, status, a rejection, a failing run, an alarm and a
 * rollback. Screenshots of the card and the alarm go to docs/images/ (the README shows them); the page's numbers
 * (first paint, asset size, how soon a `chat.update` shows) go to bench/sandbox-results.json and the output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, type StartedSandbox, startSandboxLikeNpmStart } from './support/sandbox.js';

const ROOT = path.resolve(__dirname, '../..');
const IMAGES = path.join(ROOT, 'docs/images');
/** A simulated run lasts this long here (about 20 s by default): long enough to see it job by job, short enough for CI. */
const RUN_MS = 8_000;
/** Generous: the page should show things in well under a second, but CI machines are slow and shared. */
const SHOWS = { timeout: 30_000 };

let sandbox: StartedSandbox;
let browser: Browser;
let page: Page;
const numbers: Record<string, number> = {};

beforeAll(async () => {
  // The browser first, ready on a blank page, so the first paint is timed from the moment the URL is printed.
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  sandbox = await startSandboxLikeNpmStart({ FOXOPS_SANDBOX_RUN_MS: String(RUN_MS) });
  mkdirSync(IMAGES, { recursive: true });
}, 90_000);

// What the page looked like at the end of each scenario, for whoever reads a failure (outside the repository).
afterEach(async () => {
  const name = (expect.getState().currentTestName ?? 'scenario').replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
  mkdirSync(path.join(tmpdir(), 'foxops-e2e'), { recursive: true });
  await page?.screenshot({ path: path.join(tmpdir(), 'foxops-e2e', `${name}.png`) }).catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  if (Object.keys(numbers).length) {
    writeFileSync(
      path.join(ROOT, 'bench/sandbox-results.json'),
      `${JSON.stringify({ at: new Date().toISOString(), node: process.version, ...numbers }, null, 2)}\n`,
    );
    process.stdout.write(
      `\nsandbox numbers: ${Object.entries(numbers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
  }
});

/** Acts as `userId` from now on (the person switcher). */
async function actAs(userId: string): Promise<void> {
  await page.selectOption('[data-testid=person-switcher]', userId);
}

async function openChannel(id: string): Promise<void> {
  await page.click(`[data-testid=channel-${id}]`);
  await page.locator(`[data-testid=channel-${id}].active`).waitFor(SHOWS);
}

/** Types a line in the composer and sends it, as a person does. */
async function send(text: string): Promise<void> {
  const composer = page.locator('[data-testid=composer]');
  await composer.fill(text);
  await composer.press('Enter');
}

/** The newest top-level message from foxops in a channel whose text has `marker`. */
function messageWith(channel: string, marker: string | RegExp): Locator {
  return page.locator(`[data-testid=message][data-channel=${channel}]:not([data-thread-ts])`).filter({ hasText: marker }).last();
}

/** The newest deploy card in #production. */
const prodCard = (): Locator => messageWith('C0PROD', /Requested by/);

/** The ephemeral that answers the current person, newest first, with `text`. */
function ephemeralWith(text: string | RegExp): Locator {
  return page.locator('[data-testid=ephemeral]').filter({ hasText: text }).last();
}

/** Clicks a card button and its confirm dialog, when it has one. */
async function click(container: Locator, actionId: string): Promise<void> {
  const button = container.locator(`button[data-action-id=${actionId}]`).first();
  const hasConfirm = (await button.getAttribute('data-confirm')) !== null;
  await button.click();
  if (hasConfirm) {
    await page.click('[data-testid=confirm-ok]');
    await page.locator('[data-testid=confirm-dialog]').waitFor({ state: 'hidden', ...SHOWS });
  }
}

/** The short SHA a card pinned its ref to. */
async function shortSha(card: Locator): Promise<string> {
  const text = (await card.textContent()) ?? '';
  // The card's Ref field: `main @ <sha>`.
  const match = /@\s*([0-9a-f]{7})/.exec(text);
  if (!match) throw new Error(`no short SHA on the card:\n${text}`);
  return match[1]!;
}

describe('the sandbox, in a browser, as npm start opens it', () => {
  it('paints its first screen within a second of printing the URL, from under 200 KB of assets', async () => {
    // Act
    const sizes: number[] = [];
    page.on('response', async (response) => {
      if (new URL(response.url()).pathname.startsWith('/api/')) return;
      sizes.push((await response.body().catch(() => Buffer.alloc(0))).length);
    });
    await page.goto(sandbox.url);
    await page.locator('body[data-ready]').waitFor(SHOWS);
    const firstPaint = await page.evaluate(() => performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint')?.startTime ?? 0);
    const navigationStart = await page.evaluate(() => performance.timeOrigin);

    // Assess
    numbers.startMs = sandbox.startMs;
    numbers.firstPaintAfterUrlMs = Math.round(navigationStart + firstPaint - sandbox.printedAt);
    numbers.assetBytes = sizes.reduce((a, b) => a + b, 0);
    expect(numbers.assetBytes).toBeLessThan(200 * 1024);
    expect(firstPaint).toBeGreaterThan(0);
    await expect(page.locator('[data-testid=channel-C0PROD]').textContent()).resolves.toContain('production');
  });

  it('1. Dave asks for /deploy prod and the card shows the pinned SHA and the commits that will ship', async () => {
    // Prepare
    await actAs('U0DAVE');
    await openChannel('C0PROD');

    // Act
    await send('/deploy prod');

    // Assess
    await ephemeralWith(/d-[0-9a-z]{10}/).waitFor(SHOWS);
    const card = prodCard();
    await card.filter({ hasText: 'Approvals' }).waitFor(SHOWS);
    await card.filter({ hasText: /[0-9a-f]{7}/ }).waitFor(SHOWS);
    // The seeded history: the card lists what ships since production's current version.
    await card.filter({ hasText: 'Log the request id on every error response' }).waitFor(SHOWS);
    await expect(card.locator('button[data-action-id=deploy_approve]').count()).resolves.toBe(1);
  });

  it("2. Dave's own Approve is refused, with the reason, only to him", async () => {
    // Act
    await click(prodCard(), 'deploy_approve');

    // Assess
    // Dave is a requester, not an approver: refused on both counts, and told who may approve.
    await ephemeralWith(/may approve|cannot approve/).waitFor(SHOWS);
    await expect(prodCard().textContent()).resolves.toContain('0 of 2');
  });

  it('3. Alice approves, then Carol approves through @release, and foxops dispatches the run', async () => {
    // Act
    await actAs('U0ALICE');
    await click(prodCard(), 'deploy_approve');
    await prodCard().filter({ hasText: '1 of 2' }).waitFor(SHOWS);
    await page.screenshot({ path: path.join(IMAGES, 'sandbox-approval.png') });
    await actAs('U0CAROL');
    await click(prodCard(), 'deploy_approve');

    // Assess
    await prodCard().filter({ hasText: '2 of 2' }).waitFor(SHOWS);
    await page.locator('[data-testid=run]').first().waitFor(SHOWS);
  });

  it('4. the card follows the run job by job to Succeeded, with a reply in its thread, and each edit shows at once', async () => {
    // Prepare: the page notes when each card edit is drawn; the server stamps when Slack received it.
    const card = prodCard();
    const ts = (await card.getAttribute('data-ts')) ?? '';

    // Assess
    await card
      .filter({ hasText: /build|deploy/ })
      .filter({ hasText: /Running|in progress|:hourglass|running/i })
      .waitFor(SHOWS);
    // Regular expressions: a string would match case-insensitively (`succeeded` in a step line).
    await card.filter({ hasText: /Succeeded( in|:)/ }).waitFor({ timeout: RUN_MS * 4 });
    await expect(card.textContent()).resolves.toContain('enforced by GitHub');
    await page.screenshot({ path: path.join(IMAGES, 'sandbox-succeeded.png') });
    const thread = card.locator('[data-testid=thread-link]');
    await thread.waitFor(SHOWS);
    await thread.click();
    await page
      .locator('[data-testid=thread-pane]')
      .filter({ hasText: /Succeeded|succeeded|deployed/ })
      .waitFor(SHOWS);
    await page.click('[data-testid=thread-close]');
    const drawn = await page.evaluate(
      (key) =>
        (window as unknown as { __foxopsSandbox?: { drawn: Array<{ key: string; lagMs: number }> } }).__foxopsSandbox?.drawn.filter((d) => d.key === key) ?? [],
      `C0PROD:${ts}`,
    );
    if (drawn.length) numbers.chatUpdateShownP100Ms = Math.max(...drawn.map((d) => d.lagMs));
  });

  it('5. /deploy status shows the SHA now in production', async () => {
    // Prepare
    const sha = await shortSha(prodCard());

    // Act
    await send('/deploy status');

    // Assess
    await ephemeralWith(sha).waitFor(SHOWS);
  });

  it('6. a rejected request shows who rejected it and why', async () => {
    // Prepare
    await actAs('U0DAVE');
    await send('/deploy prod');
    await prodCard().filter({ hasText: '0 of 2' }).waitFor(SHOWS);
    await actAs('U0BOB');

    // Act
    await click(prodCard(), 'deploy_reject');
    const modal = page.locator('[data-testid=modal]');
    await modal.waitFor(SHOWS);
    await modal.locator('[data-testid=modal-input]').first().fill('Wait for the payments freeze to end');
    await page.click('[data-testid=modal-submit]');

    // Assess
    await modal.waitFor({ state: 'detached', ...SHOWS });
    await prodCard().filter({ hasText: 'Wait for the payments freeze to end' }).waitFor(SHOWS);
    await expect(prodCard().textContent()).resolves.toMatch(/Rejected by\s*@?Bob/);
  });

  it('7. a failing run shows the failed job and step', async () => {
    // Prepare
    await page.selectOption('[data-testid=next-run]', 'fail');
    await actAs('U0DAVE');
    await send('/deploy prod');
    await prodCard().filter({ hasText: '0 of 2' }).waitFor(SHOWS);

    // Act
    await actAs('U0ALICE');
    await click(prodCard(), 'deploy_approve');
    await prodCard().filter({ hasText: '1 of 2' }).waitFor(SHOWS);
    await actAs('U0BOB');
    await click(prodCard(), 'deploy_approve');

    // Assess
    const failed = prodCard().filter({ hasText: /Failed( in|:)/ });
    await failed.waitFor({ timeout: RUN_MS * 4 });
    await expect(failed.textContent()).resolves.toMatch(/deploy/);
    await expect(failed.textContent()).resolves.toContain('Deploy to Lambda');
    await page.selectOption('[data-testid=next-run]', 'succeed');
  });

  it('8. an alarm names the likely cause and offers a rollback; approved, the alias is back on the previous version', async () => {
    // Prepare: production's alias moved to the version the successful run published.
    const fn = page.locator('[data-testid=function-foxy-backend-production]');
    const before = (await fn.textContent()) ?? '';
    const live = /live\D*(\d+)/.exec(before)?.[1];
    expect(live).toBeDefined();

    // Act
    await page.click('[data-testid=fire-alarm-foxy-backend-production-errors]');

    // Assess
    const alarm = messageWith('C0PROD', 'foxy-backend-production-errors');
    await alarm.waitFor(SHOWS);
    await alarm.filter({ hasText: /likely|Likely/ }).waitFor(SHOWS);
    await alarm.locator('button[data-action-id=alarm_rollback]').waitFor(SHOWS);
    // The graph of the metric arrives in the alarm's thread.
    await alarm.locator('[data-testid=thread-link]').click();
    await page.locator('[data-testid=thread-pane] img').first().waitFor(SHOWS);
    await page.screenshot({ path: path.join(IMAGES, 'sandbox-alarm.png') });
    await page.click('[data-testid=thread-close]');

    // Act: Bob asks for the rollback from the alarm, Alice approves it.
    await actAs('U0BOB');
    await click(alarm, 'alarm_rollback');
    const rollback = messageWith('C0PROD', /[Rr]oll/).filter({ has: page.locator('button[data-action-id=deploy_approve]') });
    await rollback.waitFor(SHOWS);
    await actAs('U0ALICE');
    await click(rollback, 'deploy_approve');

    // Assess
    await fn.filter({ hasText: new RegExp(`live\\D*${Number(live) - 1}(?!\\d)`) }).waitFor(SHOWS);
  });

  it('9. a run started by hand in GitHub, with no approval, is refused its credentials and the channel is told', async () => {
    // Prepare
    const before = (await page.locator('[data-testid=function-foxy-backend-production]').textContent()) ?? '';

    // Act
    await page.click('[data-testid=manual-run][data-environment=production]');

    // Assess
    await messageWith('C0PROD', /without approval/).waitFor(SHOWS);
    await page
      .locator('[data-testid=run]')
      .first()
      .filter({ hasText: /failure/ })
      .waitFor({ timeout: RUN_MS * 4 });
    await expect(page.locator('[data-testid=function-foxy-backend-production]').textContent()).resolves.toBe(before);
  });
});
