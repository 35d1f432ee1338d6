// Misbehaving nodes, end to end: each scenario gets its own local network whose three nodes
// misbehave as the scenario needs (the contract picks any three able nodes, so the network
// holds exactly those), and the app must say what happened to the task and its fee.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { openApp } from './lib/app.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startDevnet } from './lib/devnet.mjs';
import { serveDir } from './lib/static-server.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
let browser;

before(async () => {
  await mkdir(out, { recursive: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Runs `scenario` against a network of `nodes`, with the app served and user 0's wallet. */
async function withNetwork({ nodes, taskTimeout }, scenario) {
  const devnet = await startDevnet({ chainPort: 18555, relayPort: 18091, users: 1, nodes, taskTimeout });
  const server = await serveDir(dist, { '/networks/e2e.json': devnet.profile });
  try {
    const opened = await openApp({ browser, devnet, server }, 0);
    await opened.app.connect();
    await opened.app.approveOneTask();
    await scenario({ ...opened, devnet, user: devnet.accounts.users[0].address });
    assert.deepEqual(opened.errors, []);
    await opened.context.close();
  } finally {
    await server.close();
    await devnet.stop();
  }
}

test('one cheating node: the two honest ones agree, and every image is verified against the chain', () =>
  withNetwork({ nodes: ['RTX A:24', 'RTX A:24', 'RTX A:24:cheat'] }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'two honest nodes', images: 2 });
    await page.getByTestId('create').click();
    await app.imagesShown(2);
    await page.getByTestId('verified').nth(1).waitFor();
    assert.equal(await page.getByTestId('unverified').count(), 0);
    // The two honest nodes are paid; the cheater's share comes back.
    await app.waitForText('cnx', /^980 CNX$/);
    assert.equal(await devnet.cnx(user), 980);
    await page.screenshot({ path: `${out}/faults-cheat-verified.png`, fullPage: true });
  }));

test('three cheating nodes, three different results: aborted, and the fee comes back', () =>
  withNetwork({ nodes: ['RTX A:24:cheat', 'RTX A:24:cheat', 'RTX A:24:cheat'] }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'nobody agrees', images: 1 });
    await page.getByTestId('create').click();
    await app.waitForText('outcome', /three different results.*refunded/);
    await app.waitForText('cnx', /^1000 CNX$/);
    assert.equal(await devnet.cnx(user), 1000);
    await app.waitForText('history-state', /^Aborted, the nodes disagreed: refunded$/);
    await page.screenshot({ path: `${out}/faults-all-different.png`, fullPage: true });
  }));

test('the result node never uploads: after the deadline the task is cancelled and the rest refunded', () =>
  withNetwork({ nodes: ['RTX A:24:no-upload', 'RTX A:24:no-upload', 'RTX A:24:no-upload'], taskTimeout: 15 },
    async ({ page, app, devnet, user }) => {
      await app.chooseImage({ prompt: 'results that never come', images: 1 });
      await page.getByTestId('create').click();
      await app.stageDone('Succeeded');
      // No results: after the 15 s deadline, cancelling is offered.
      await page.getByTestId('cancel').waitFor({ timeout: 40_000 });
      await page.getByTestId('cancel').click();
      await app.waitForText('outcome', /cancelled after its deadline/);
      const refund = await app.text('refund');
      const [, refunded, before, afterCancel] = refund.match(/^Refunded (\d+) CNX: your balance went from (\d+) CNX to (\d+) CNX\.$/);
      assert.equal(Number(afterCancel) - Number(before), Number(refunded));
      assert.ok(Number(refunded) > 0, refund);
      assert.equal(await devnet.cnx(user), Number(afterCancel));
      assert.equal(await page.getByTestId('cancel').count(), 0);
      await app.waitForText('history-state', /^Cancelled: refunded$/);
      await page.screenshot({ path: `${out}/faults-cancelled.png`, fullPage: true });
    }));
