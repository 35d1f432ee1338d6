// The DApp as the browser tests drive it: a page with the test wallet, and what a user does
// on it, by role, label and test id.
import assert from 'node:assert/strict';

import { installWallet } from './wallet.mjs';

const TASK = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';

/**
 * Opens the app of `server` (network profile `network`, `e2e` unless named) in a new browser
 * context whose wallet holds user `n`'s key of `devnet`.
 */
export async function openApp({ browser, devnet, server }, n, wallet = {}, network = 'e2e') {
  const user = devnet.accounts.users[n];
  assert.ok(user, `user ${n} exists: start the network with more --users`);
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await installWallet(context, { privateKey: user.private_key, rpcUrl: devnet.rpcUrl, ...wallet });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}?network=${network}`);
  return { context, page, errors, app: new AppPage(page) };
}

/** What the tests do on the page, by role, label and test id. */
export class AppPage {
  constructor(page) {
    this.page = page;
  }
  /** Presses "Connect wallet" and waits for the account. */
  async connect() {
    await this.page.getByRole('button', { name: 'Connect wallet' }).click();
    await this.page.getByTestId('account').waitFor({ state: 'attached' });
  }
  /** After a reload: the wallet that still grants the site is back with no press. */
  async reconnected() {
    await this.page.getByTestId('account').waitFor({ state: 'attached' });
    assert.equal(await this.page.getByRole('button', { name: 'Connect wallet' }).count(), 0);
  }
  /** Shows the view named `name` from the header. */
  async goTo(name) {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click();
    await this.page.locator('nav.views a[aria-current="page"]', { hasText: name }).waitFor();
  }
  text(id) {
    return this.page.getByTestId(id).textContent();
  }
  async waitForText(id, pattern) {
    await this.page.waitForFunction(
      ([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
      [id, pattern.source],
    );
  }
  /** Approves the fees of `count` tasks (1, 5, 10 or 20) in Wallet & settings, then goes
   * back to the view it was on. */
  async approveTasks(count) {
    const back = await this.page.evaluate(() => location.hash);
    await this.goTo('Wallet & settings');
    await this.page.getByTestId('approval-amount').selectOption(`${count}`);
    await this.page.getByTestId('approve').click();
    await this.waitForText('allowance', new RegExp(`^${30 * count} CNX$`));
    await this.page.evaluate((hash) => { location.hash = hash || '#/images'; }, back);
  }
  /** Waits in the History view until the newest task's state matches `pattern`, then goes
   * back to the view it was on. */
  async historyState(pattern) {
    const back = await this.page.evaluate(() => location.hash);
    await this.goTo('History');
    await this.waitForText('history-state', pattern);
    await this.page.evaluate((hash) => { location.hash = hash; }, back);
  }
  /** Shows the builder of `name` tasks: 'Image' or 'Chat'. */
  async chooseType(name) {
    const view = name === 'Image' ? 'Images' : 'Chat';
    await this.goTo(view);
    assert.equal(await this.page.getByRole('link', { name: view, exact: true }).getAttribute('aria-current'), 'page');
  }
  async chooseImage({ prompt, images }) {
    await this.chooseType('Image');
    await this.page.getByLabel('Prompt', { exact: true }).fill(prompt);
    await this.page.getByLabel('Images', { exact: true }).fill(`${images}`);
  }
  /** Shows the page on a 360 px phone in dark mode and checks nothing overflows sideways. */
  async asPhoneInDarkMode() {
    await this.page.setViewportSize({ width: 360, height: 740 });
    await this.page.emulateMedia({ colorScheme: 'dark' });
    const overflow = await this.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await this.page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
      .map((e) => `${e.tagName}.${e.className}[${e.dataset.testid ?? ''}]`).slice(0, 8).join(' '));
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport: ${wide}`);
  }
  /** The arguments as the JSON editor shows them (the editor is opened, then closed). */
  async argsText() {
    const summary = this.page.getByTestId('builder').locator('details.json-editor summary');
    await summary.click();
    const text = await this.page.getByTestId('json').inputValue();
    await summary.click();
    await this.page.getByTestId('json').waitFor({ state: 'detached' });
    return text;
  }
  /** Waits until the current task's timeline shows `label` done. */
  async stageDone(label) {
    await this.page.locator('.studio-results [data-testid="task"] [data-testid="timeline"] li.done', { hasText: label }).waitFor();
  }
  /** Whether the current task's timeline shows `label` done. */
  stageIsDone(label) {
    return this.page.locator('.studio-results [data-testid="task"] [data-testid="timeline"] li.done', { hasText: label }).isVisible();
  }
  async imagesShown(count) {
    await this.page.waitForFunction(
      (n) => [...document.querySelectorAll('[data-testid="gallery"] img')].filter((img) => img.complete && img.naturalWidth > 0).length === n,
      count,
    );
  }
}

/** createTask transactions the wallet was asked to send. */
export function createTaskSends(calls) {
  return calls.filter((c) => c.method === 'eth_sendTransaction' && c.params[0].to.toLowerCase() === TASK);
}

/** Resolves once `condition()` (async) holds, checking every 100 ms for at most `ms`. */
export async function until(condition, what, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Bytes of a `width`×`height` image made in the page: noise (incompressible) or a drawing. */
export async function makeImage(page, { width, height, type, noise }) {
  const bytes = await page.evaluate(async ({ width, height, type, noise }) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (noise) {
      const pixels = context.createImageData(width, height);
      for (let i = 0; i < pixels.data.length; i += 65536) crypto.getRandomValues(pixels.data.subarray(i, i + 65536));
      for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
      context.putImageData(pixels, 0, 0);
    } else {
      context.fillStyle = '#fff';
      context.fillRect(0, 0, width, height);
      context.strokeStyle = '#000';
      context.lineWidth = 12;
      context.beginPath();
      context.arc(width / 2, height / 3, height / 8, 0, 2 * Math.PI);
      context.moveTo(width / 2, height / 3 + height / 8);
      context.lineTo(width / 2, height * 0.8);
      context.stroke();
    }
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, type, 0.9));
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, { width, height, type, noise });
  return Buffer.from(bytes);
}

/** Asserts axe-core finds nothing (WCAG 2.1 A and AA, and best practices) on the page. */
export async function assertAccessible(page, where) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const found = violations.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  assert.deepEqual(found, [], `axe-core on ${where}`);
}

/** Where an element is on the page (scrolled to the top): its top and bottom in pixels. */
export function placeOf(locator) {
  return locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
  });
}
