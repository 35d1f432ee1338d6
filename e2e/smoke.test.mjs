// The release build renders in a real browser: this catches a broken optimiser or loader
// that a green `trunk build` does not. Screenshots go to e2e/out/.
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { assertAccessible, until } from './lib/app.mjs';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { serveDir } from './lib/static-server.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
let server;
let browser;

before(async () => {
  await mkdir(out, { recursive: true });
  server = await serveDir(dist);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const looks = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'phone-dark', viewport: { width: 360, height: 740 }, colorScheme: 'dark' },
];

for (const look of looks) {
  test(`the release build shows the network profile (${look.name})`, async () => {
    const { context, page, errors } = await openPage(browser, `${server.url}#/wallet`, look);
    const panel = page.getByTestId('network-panel');
    await panel.waitFor();
    assert.equal(await page.getByTestId('chain-id').textContent(), '31337');
    assert.equal(await page.getByTestId('task-fee').textContent(), '30 CNX');
    assert.match(await panel.textContent(), /Local devnet/);
    // The profile was fetched once, by index.html's preload beside the app's code: the app's
    // own fetch took that answer.
    const profiles = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((r) => r.name.includes('/networks/')).map((r) => r.initiatorType));
    assert.deepEqual(profiles, ['link']);
    // The parts' loader, which the glue imports, was asked for by index.html beside the glue
    // (its import could ask only once the glue had arrived).
    const [[glue, ...moreGlue], [loader, ...moreLoaders]] = await page.evaluate(() => ['/crynux-dapp-', '/__wasm_split-']
      .map((name) => performance.getEntriesByType('resource').filter((r) => r.name.includes(name) && r.name.endsWith('.js'))
        .map(({ startTime, responseEnd }) => ({ startTime, responseEnd }))));
    assert.deepEqual([moreGlue, moreLoaders], [[], []], 'each asked for once');
    assert.ok(loader.startTime < glue.responseEnd, `loader asked for at ${loader.startTime} ms, the glue in at ${glue.responseEnd} ms`);
    // No wallet in this browser: "Connect wallet" says what to install.
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    assert.match(await page.getByTestId('no-wallet').textContent(), /Install MetaMask/);
    // Nothing overflows a phone screen sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
    await page.screenshot({ path: `${out}/smoke-${look.name}.png`, fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const look of looks) {
  test(`the first paint is the app's header and studio, in place (${look.name})`, async () => {
    const { context, page, errors } = await openPage(browser, 'about:blank', look);
    // Hold the wasm back: what shows then is index.html's own first paint.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route('**/*_bg.wasm', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(server.url);
    const boot = page.locator('.boot');
    await boot.waitFor();
    const boxes = async (selectors) => Promise.all(selectors.map((s) => page.locator(s).boundingBox()));
    const first = await boxes(['.boot .top-bar', '.boot .brand', '.boot textarea', '.boot .placeholder']);
    const shown = (await page.locator('.boot [inert]').allInnerTexts()).join('\n');
    await page.screenshot({ path: `${out}/first-paint-${look.name}.png` });
    // A screen reader hears a page that loads, not the picture of one.
    await assertAccessible(page, `the first paint, ${look.name}`);
    release();
    await page.getByTestId('builder').waitFor();
    assert.ok(await boot.isHidden(), 'the first paint is hidden once the app shows');
    // The app's header, prompt and results placeholder are where the first paint drew them.
    const app = await boxes(['body > header.top-bar', 'body > header .brand', '#field-prompt', 'body > main .placeholder']);
    for (const [i, box] of app.entries()) {
      for (const side of ['x', 'y', 'width', 'height']) {
        assert.ok(Math.abs(box[side] - first[i][side]) <= 1, `box ${i} ${side}: ${first[i][side]} then ${box[side]}`);
      }
    }
    // Every word of the first paint is on the app's page ("Generate" is "Generate · 30 CNX").
    const pageText = await page.locator('body').innerText();
    for (const line of shown.split('\n').map((l) => l.trim()).filter(Boolean)) {
      assert.ok(pageText.includes(line), `"${line}" is not on the app's page`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('the first paint of another view shows its tab, and no studio', async () => {
  const { context, page, errors } = await openPage(browser, 'about:blank');
  await page.route('**/*_bg.wasm', () => {});
  await page.goto(`${server.url}#/history`);
  await page.locator('.boot .top-bar').waitFor();
  assert.equal(await page.locator('.boot .views a[aria-current="page"]').textContent(), 'History');
  assert.ok(await page.locator('.boot .studio').isHidden());
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown network is explained on screen', async () => {
  const { context, page, errors } = await openPage(browser, `${server.url}?network=mainnet-x`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /There is no network profile at networks\/mainnet-x\.json/);
  await page.screenshot({ path: `${out}/smoke-unknown-network.png` });
  // The 404 itself is logged by the browser; nothing else may fail.
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await context.close();
});

test('a bug that stops the app is said on the page', async () => {
  const { context, page, errors } = await openPage(browser, 'about:blank', { viewport: { width: 360, height: 740 } });
  // The loader hands the module's exports to TrunkApplicationStarted.
  await page.addInitScript(() => addEventListener('TrunkApplicationStarted', ({ detail }) => {
    window.__exports = detail.wasm;
  }));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__exports);
  assert.equal(await page.locator('#crashed').count(), 0);
  // An allocation the module refuses (an alignment of 3) aborts it, as a panic does in a
  // release build: a trap, thrown in a promise's callback (a future's task) or a timer's.
  const trap = (how) => page.evaluate((how) => {
    const stop = () => window.__exports.__wbindgen_malloc(8, 3);
    if (how === 'promise') Promise.resolve().then(stop);
    else if (how === 'timer') setTimeout(stop);
    else setTimeout(() => { throw new Error('not a trap'); });
  }, how);
  const notices = () => page.locator('#crashed').count();
  const seen = (count) => until(() => errors.length === count, `${count} errors`);
  await trap('promise');
  const notice = page.getByRole('alert');
  await notice.waitFor();
  assert.match(await notice.textContent(), /^Something went wrong inside the app and it stopped\. Reload the page/);
  await page.screenshot({ path: `${out}/smoke-crashed.png` });
  await page.evaluate(() => document.getElementById('crashed').remove());
  // Another error is not the app's stop.
  await trap('error');
  await seen(2);
  assert.equal(await notices(), 0);
  await trap('timer');
  await seen(3);
  assert.equal(await notices(), 1);
  // Said once.
  await trap('timer');
  await seen(4);
  assert.equal(await notices(), 1);
  assert.deepEqual(errors.map((e) => e.split(':')[0]), ['pageerror', 'pageerror', 'pageerror', 'pageerror']);
  await context.close();
});

/** A minimal EIP-1193 wallet already on the devnet's chain (an init script). */
function minimalWallet() {
  window.ethereum = {
    on() {},
    removeListener() {},
    async request({ method }) {
      if (method === 'eth_requestAccounts') return ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8'];
      if (method === 'eth_chainId') return '0x7a69';
      throw { code: 4200, message: method };
    },
  };
}

test('a wallet connects on the release build', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(minimalWallet);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  const connect = page.getByRole('button', { name: 'Connect wallet' });
  await connect.focus();
  await page.screenshot({ path: `${out}/smoke-wallet-connect.png` });
  // Keyboard only: Enter on the focused button connects.
  await page.keyboard.press('Enter');
  await page.getByTestId('account').waitFor({ state: 'attached' });
  assert.equal(await page.getByTestId('account').textContent(), '0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  assert.match(await page.getByTestId('chain-ok').textContent(), /Local devnet/);
  await page.screenshot({ path: `${out}/smoke-wallet-connected.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

// scripts/short-imports.mjs; the tests above see the app run with them.
test('the main module takes its imports from the glue under short names', async () => {
  const file = (await readdir(dist)).find((f) => f.endsWith('_bg.wasm'));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(await readFile(`${dist}/${file}`)));
  const fromGlue = imports.filter((i) => i.module.endsWith('_bg.js'));
  assert.ok(fromGlue.length > 100, `${fromGlue.length} imports from the glue`);
  assert.deepEqual(fromGlue.map((i) => i.name).filter((name) => name.length > 3), []);
});

test('no module carries the toolchain\'s custom sections', async () => {
  const modules = (await readdir(dist)).filter((f) => f.endsWith('.wasm'));
  assert.ok(modules.length >= 2, modules.join());
  for (const file of modules) {
    const module = new WebAssembly.Module(await readFile(`${dist}/${file}`));
    const sections = ['producers', 'target_features', 'name'].filter((s) => WebAssembly.Module.customSections(module, s).length);
    assert.deepEqual(sections, [], file);
  }
});

// scripts/split.mjs rewrites the files trunk named; the app server caches them as immutable.
test('the app\'s code is named by its content', async () => {
  const files = await readdir(dist);
  const hash = (...contents) => contents.reduce((sha, c) => sha.update(c), createHash('sha256')).digest('hex').slice(0, 16);
  // The glue, the main module and the parts' loader name one another: one hash of the three,
  // with that name left as zeros.
  const [joint] = files.map((f) => f.match(/^crynux-dapp-([0-9a-f]{16})\.js$/)?.[1]).filter(Boolean);
  const unnamed = async (file) => (await readFile(`${dist}/${file}`, 'utf8')).replaceAll(joint, '0'.repeat(16));
  assert.equal(hash(await readFile(`${dist}/crynux-dapp-${joint}_bg.wasm`), await unnamed(`crynux-dapp-${joint}.js`),
    await unnamed(`__wasm_split-${joint}.js`)), joint);
  const parts = files.filter((f) => /^split_.*\.wasm$/.test(f));
  assert.ok(parts.length > 0);
  for (const part of parts) assert.equal(hash(await readFile(`${dist}/${part}`)), part.match(/-([0-9a-f]{16})\.wasm$/)?.[1], part);
});

test('the first screen needs none of the parts fetched later; a part that fails is said and fetched again', async () => {
  const { context, page, errors } = await openPage(browser, 'about:blank');
  // Every lazily loaded part (scripts/split.mjs) fails until the test lets it through.
  const asked = [];
  let failing = true;
  await page.route(/\/(split|chunk)_[^/]*\.wasm$/, (route) => {
    asked.push(new URL(route.request().url()).pathname);
    return failing ? route.abort('connectionfailed') : route.continue();
  });
  // The parts read the balances; there is no chain here: the requests are only seen.
  const { rpc_url: rpcUrl } = JSON.parse(await readFile(`${dist}/networks/devnet.json`, 'utf8'));
  const rpcMethods = [];
  await page.route(`${rpcUrl}/**`, (route) => {
    rpcMethods.push(route.request().postDataJSON()?.method);
    return route.abort('connectionfailed');
  });
  await page.addInitScript(minimalWallet);
  await page.goto(server.url);
  await page.getByTestId('builder').waitFor();
  await page.locator('#field-prompt').fill('a lighthouse at dusk');
  await until(() => asked.length > 0, 'the parts are fetched behind the first screen');
  // The arguments cannot be checked: the builder says so.
  const unchecked = page.getByRole('alert').filter({ hasText: 'The arguments cannot be checked' });
  await unchecked.waitFor();
  // A wallet connects without the parts; its balances wait for them.
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByTestId('account-chip').waitFor();
  // The Chat view cannot be fetched: the page says so, and offers to try again.
  await page.getByRole('link', { name: 'Chat', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Part of the app could not be downloaded\. Check your connection and try again\./);
  await assertAccessible(page, 'a part that could not be fetched');
  await page.screenshot({ path: `${out}/smoke-part-missing.png` });
  failing = false;
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'Conversation' }).waitFor();
  // The prompt typed before is still there; the next edit checks the arguments again.
  await page.getByRole('link', { name: 'Images', exact: true }).click();
  assert.equal(await page.locator('#field-prompt').inputValue(), 'a lighthouse at dusk');
  await page.locator('#field-task_config-steps').fill('500');
  await unchecked.waitFor({ state: 'detached' });
  await page.getByTestId('problems').filter({ hasText: '/task_config/steps' }).waitFor();
  // Now that the parts are here, the balances of the wallet connected before are read.
  await until(() => rpcMethods.includes('eth_getBalance'), 'the balances are read once the parts are here');
  // Only the failed fetches were logged: nothing panicked.
  assert.deepEqual(errors.filter((e) => !/Failed to fetch|ERR_CONNECTION_FAILED/.test(e)), []);
  await context.close();
});
