// The session wallet end to end, against a relay that accepts only raw-hash signatures (the
// era's, which browser wallets cannot make): made in the browser, funded with two wallet
// prompts, then three image tasks with no wallet request at all; after a reload it unlocks
// only with its passphrase and the results are still there; withdrawing returns everything
// to the main account, on chain; forgetting it offers the withdrawal first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { openApp, until } from './lib/app.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startDevnet } from './lib/devnet.mjs';
import { serveDir } from './lib/static-server.mjs';
import { walletCalls } from './lib/wallet.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
const PASSPHRASE = 'a passphrase of mine';
let browser;
let devnet;
let server;

before(async () => {
  await mkdir(out, { recursive: true });
  devnet = await startDevnet({ chainPort: 18565, relayPort: 18101, users: 1, signatureSchemes: ['raw'] });
  server = await serveDir(dist, { '/networks/e2e.json': devnet.profile });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await devnet?.stop();
});

test('a session wallet pays three image tasks on a raw-only relay with no wallet prompt, survives a reload, and gives everything back', async () => {
  assert.match(devnet.relayOutput(), /signatures: raw\)/);
  const { context, page, errors, app } = await openApp({ browser, devnet, server }, 0);
  const main = devnet.accounts.users[0].address;
  // Fields of the parts of the panel not shown stay in the page, hidden.
  const field = (label) => page.getByLabel(label, { exact: true }).filter({ visible: true });
  await app.connect();
  await app.waitForText('payer', /^Your wallet pays/);
  await app.goTo('Wallet & settings');

  // Made in the browser, under a passphrase typed twice.
  await field('Passphrase').fill(PASSPHRASE);
  await field('Passphrase again').fill(`${PASSPHRASE}!`);
  await page.getByText('The two passphrases differ.').waitFor();
  assert.ok(await page.getByTestId('create-session').isDisabled());
  await field('Passphrase again').fill(PASSPHRASE);
  let started = Date.now();
  await page.getByTestId('create-session').click();
  await page.getByTestId('session-address').waitFor();
  console.log(`metric session_create_ms ${Date.now() - started} (key drawn, PBKDF2 600 000, AES-GCM, stored)`);
  const session = (await app.text('session-address')).trim();
  await app.waitForText('payer', /^The session wallet pays/);
  assert.equal((await app.text('payer')).endsWith(session), true);
  await app.waitForText('cnx', /^0 CNX$/);
  assert.equal(await page.getByTestId('idle-minutes').inputValue(), '15');
  await page.getByTestId('no-cnx').waitFor();

  // Funded for 5 tasks: two wallet prompts (the CNX, then the ETH).
  assert.equal(await page.getByTestId('fund-cnx').inputValue(), '150');
  const suggestedEth = Number(await page.getByTestId('fund-eth').inputValue());
  assert.ok(suggestedEth > 0, 'ETH for the gas of 5 tasks is suggested');
  const beforeFunding = (await walletCalls(page)).length;
  await page.getByTestId('fund').click();
  await app.waitForText('cnx', /^150 CNX$/);
  const funding = (await walletCalls(page)).slice(beforeFunding);
  assert.deepEqual(funding.map((c) => c.method), ['eth_sendTransaction', 'eth_sendTransaction']);
  assert.equal(await devnet.cnx(session), 150);
  assert.equal(await devnet.cnx(main), 850);
  await page.getByTestId('session-panel').screenshot({ path: `${out}/session-funded.png` });

  // Three image tasks: paid, uploaded (raw signatures), followed, downloaded, verified.
  const afterFunding = (await walletCalls(page)).length;
  for (const n of [1, 2, 3]) {
    await app.chooseImage({ prompt: `session task ${n} <img src=x onerror=alert(1)>`, images: 2 });
    await page.getByTestId('create').click();
    await until(async () => (await devnet.tasksCreatedBy(session)).length === n, `task ${n} on chain`);
    await app.stageDone('Succeeded');
    await app.imagesShown(2);
    await until(async () => (await page.getByTestId('verified').count()) === 2, `task ${n} verified`);
  }
  const requestsForTasks = (await walletCalls(page)).length - afterFunding;
  console.log(`metric session_wallet_requests_for_3_sd_tasks ${requestsForTasks}`);
  assert.equal(requestsForTasks, 0, 'no wallet request for the three tasks');
  assert.deepEqual(await devnet.tasksCreatedBy(main), []);
  assert.equal(await devnet.cnx(session), 60);
  await app.waitForText('cnx', /^60 CNX$/);
  const lastTask = (await app.text('task')).match(/Task (\d+)/)[1];
  await app.goTo('History');
  await until(async () => (await page.getByTestId('history-row').count()) === 3, 'three tasks in the history');
  assert.match(await app.text('history-payer'), new RegExp(`funded by ${main}`, 'i'));

  // A reload: locked until the passphrase is typed; a wrong one is refused and loses nothing.
  await page.reload();
  await app.goTo('Wallet & settings');
  await page.getByTestId('unlock').waitFor();
  assert.match(await app.text('session-panel'), /Locked\./);
  await field('Passphrase').fill('not my passphrase');
  await page.getByTestId('unlock').click();
  await app.waitForText('unlock-error', /^Wrong passphrase/);
  assert.match(await app.text('session-panel'), /Locked\./);
  await field('Passphrase').fill(PASSPHRASE);
  started = Date.now();
  await page.getByTestId('unlock').click();
  await app.waitForText('payer', /^The session wallet pays/);
  console.log(`metric session_unlock_ms ${Date.now() - started}`);
  // The last task and its results are back, downloaded again without a prompt.
  await app.goTo('Images');
  await app.waitForText('task', new RegExp(`Task ${lastTask}`));
  await app.imagesShown(2);
  await app.goTo('History');
  await until(async () => (await page.getByTestId('history-row').count()) === 3, 'the history after the reload');
  await app.asPhoneInDarkMode();
  await page.screenshot({ path: `${out}/session-after-reload-phone-dark.png`, fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
  await app.goTo('Wallet & settings');

  // Export shows the key after the passphrase again.
  await page.locator('details.export summary').click();
  await field('Passphrase').fill(PASSPHRASE);
  await page.getByTestId('export').click();
  await app.waitForText('exported-key', /^0x[0-9a-f]{64}$/);
  await page.getByRole('button', { name: 'Hide the key' }).click();

  // Everything back to the main account.
  await page.getByTestId('withdraw').click();
  await page.getByTestId('withdrawn').waitFor({ timeout: 30_000 });
  assert.equal(await devnet.cnx(session), 0);
  assert.equal(await devnet.eth(session), 0n);
  assert.equal(await devnet.cnx(main), 910);
  await page.getByTestId('low-eth').waitFor();

  // Forgetting offers the withdrawal first; with nothing left, it just forgets.
  await page.getByTestId('forget').click();
  await app.waitForText('forget-holdings', /^It holds nothing\.$/);
  await page.getByTestId('forget-now').click();
  await page.getByTestId('create-session').waitFor();
  assert.equal(await page.evaluate(() => Object.keys(localStorage).some((k) => k.endsWith('session-wallet'))), false);
  // Since the reload the wallet was only asked, silently, whether it still grants the site.
  const prompts = (await walletCalls(page)).filter((c) => !['eth_accounts', 'eth_chainId'].includes(c.method));
  assert.deepEqual(prompts, [], 'no wallet prompt since the reload');
  assert.deepEqual(errors, []);
  await context.close();
});
