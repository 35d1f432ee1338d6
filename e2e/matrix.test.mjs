// The fault matrix, end to end: the relay failing (HTTP 500, never answering, down for 30 s) at
// the upload and at the download; the RPC server failing (JSON-RPC errors, stopped) for 10 s
// while the nodes work; a reload at each stage of a task; a refusal at each wallet prompt; and
// misbehaving nodes (cheat, error, no-upload, offline, slow), each on a network of its own
// whose three nodes all misbehave as the cell needs (the contract picks any three able nodes).
// Every cell asserts that the paid task is not lost (the history lists it with its true final
// state), that it was paid once, and that the screen said what happened. The relay and the
// RPC are reached through fault proxies (e2e/lib/fault-proxy.mjs). At the end a table: cell,
// outcome, pass/fail, then `N passed, M failed`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { createTaskSends, openApp as open, until } from './lib/app.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startDevnet } from './lib/devnet.mjs';
import { startFaultProxy } from './lib/fault-proxy.mjs';
import { serveDir } from './lib/static-server.mjs';
import { holdNext, refuseNext, signedText, walletCalls } from './lib/wallet.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
let browser;
// The shared network (relay, RPC, reload and refusal cells), its proxies and the app.
let devnet;
let relay;
let rpc;
let server;
const cells = [];

/** The app for user `n`; every wait allows for a fault of up to 35 s and the retries after it. */
async function openApp(n, wallet, network) {
  const opened = await open({ browser, devnet, server }, n, wallet, network);
  opened.page.setDefaultTimeout(90_000);
  return opened;
}
const address = (n) => devnet.accounts.users[n].address;
let nextUser = 0;

before(async () => {
  await mkdir(out, { recursive: true });
  browser = await launchBrowser();
  // The relay offers sign-in to the app (port 18123), but only the profile `e2e-sign-in`
  // says so: the other cells sign every relay request, as with the era's relays.
  devnet = await startDevnet({ chainPort: 18585, relayPort: 18121, users: 25, appOrigin: 'http://127.0.0.1:18123' });
  const profile = JSON.parse(devnet.profile);
  relay = await startFaultProxy({ port: 18122, target: profile.relay_url });
  rpc = await startFaultProxy({ port: 18586, target: devnet.rpcUrl });
  const proxied = { ...profile, relay_url: relay.url, rpc_url: rpc.url };
  server = await serveDir(dist, {
    '/networks/e2e.json': JSON.stringify({ ...proxied, relay_sign_in: false }),
    '/networks/e2e-sign-in.json': JSON.stringify(proxied),
  }, 18123);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await relay?.close();
  await rpc?.close();
  await devnet?.stop();
  const width = Math.max(...cells.map((c) => c.name.length));
  console.log(`\n${'cell'.padEnd(width)}  result  outcome`);
  for (const c of cells) console.log(`${c.name.padEnd(width)}  ${c.pass ? 'pass  ' : 'FAIL  '}  ${c.outcome}`);
  const failed = cells.filter((c) => !c.pass).length;
  console.log(`\nfault matrix: ${cells.length - failed} passed, ${failed} failed`);
});

/** A cell of the matrix: `body` resolves to what happened, in words, or throws. */
function cell(name, body) {
  test(name, async () => {
    try {
      cells.push({ name, outcome: await body(), pass: true });
    } catch (error) {
      cells.push({ name, outcome: error.message.split('\n')[0], pass: false });
      console.log(`${name} failed; its screen:\n${await screensOnFailure(name)}`);
      // The network is shared: a cell that failed with mining paused must not stop the next.
      await devnet.resumeMining();
      throw error;
    }
  });
}

/** What the open pages show, to tell why a cell failed: each page's screenshot (in e2e/out)
 * and its status lines, with the task it keeps in this browser. */
async function screensOnFailure(name) {
  const pages = browser.contexts().flatMap((context) => context.pages());
  const slug = name.replace(/\W+/g, '-');
  const said = await Promise.all(pages.map(async (page, i) => {
    await page.screenshot({ path: `${out}/failed-${slug}-${i}.png`, fullPage: true }).catch(() => {});
    return page.evaluate(() => JSON.stringify({
      url: location.href,
      status: [...document.querySelectorAll('[role="status"], [role="alert"]')].map((e) => e.textContent.trim()).filter(Boolean),
      kept: Object.fromEntries(Object.entries(localStorage).filter(([key]) => key.includes('task'))),
    })).then((text) => text.slice(0, 4000), (e) => `unreadable: ${e.message}`);
  }));
  return said.join('\n');
}

const UPLOAD = (req) => req.method === 'POST' && req.url === '/v1/inference_tasks';
const DOWNLOAD = (req) => req.method === 'GET' && /\/results\/\d+/.test(req.url);
const ANY = () => true;

/** After the fault: the task ends with its image, created once, paid once, listed once as
 * "Succeeded", with no transaction sent since `sendsBefore` but those asked for. */
async function completesOnce({ page, app, errors }, n, sendsBefore) {
  await app.imagesShown(1);
  assert.equal((await devnet.tasksCreatedBy(address(n))).length, 1, 'one task on chain');
  assert.equal(await devnet.cnx(address(n)), 970, 'the fee was paid once');
  await app.waitForText('cnx', /^970 CNX$/);
  const sends = (await walletCalls(page)).filter((c) => c.method === 'eth_sendTransaction');
  assert.equal(sends.length, sendsBefore, 'no transaction sent but those asked for');
  await page.getByTestId('verified').first().waitFor();
  await app.goTo('History');
  await app.waitForText('history-state', /^Succeeded$/);
  assert.equal(await page.getByTestId('history-row').count(), 1);
  await page.waitForFunction(() => document.querySelector('.history img.thumb')?.naturalWidth > 0);
  await app.goTo('Images');
  assert.deepEqual(errors, []);
}

/** Pays for the chosen task while the chain mines only the payment's block: the nodes'
 * transactions then wait in the pool, and the task cannot end until mining resumes (however
 * late the test sees the payment). */
async function payWhileTheNodesWait(page, app) {
  await devnet.pauseMining();
  await page.getByTestId('create').click();
  await app.waitForText('activity', /Waiting for the payment to be mined/);
  await devnet.mineBlock();
  await app.stageDone('Paid and created on chain');
}

/** A user of the shared network, connected, with one task's fee approved. */
async function readyUser() {
  const n = nextUser++;
  const opened = await openApp(n);
  await opened.app.connect();
  await opened.app.approveTasks(1);
  return { n, ...opened };
}

// The relay fails at a stage: the app says so, keeps trying, and the task completes once.
for (const [stage, match] of [['upload', UPLOAD], ['download', DOWNLOAD]]) {
  for (const { fault, ms, says } of [
    { fault: '500', ms: 10_000, says: /The relay failed \(HTTP 500/ },
    { fault: 'hang', ms: 35_000, says: /relay does not answer \(no answer in 30 s\)/ },
    { fault: 'down', ms: 30_000, says: /relay does not answer \(cannot connect\)/ },
  ]) {
    const what = { 500: 'answers HTTP 500 for 10 s', hang: 'never answers for 35 s', down: 'is down for 30 s' }[fault];
    cell(`relay ${what} at the ${stage}`, async () => {
      const { n, context, page, errors, app } = await readyUser();
      await app.chooseImage({ prompt: `relay ${fault} at the ${stage}`, images: 1 });
      const injected = relay.fail(fault, match, ms);
      await page.getByTestId('create').click();
      await app.waitForText('activity', says);
      const said = (await app.text('activity')).trim();
      await page.locator('.studio-results [data-testid="task"]').screenshot({ path: `${out}/matrix-relay-${fault}-${stage}.png` });
      const started = Date.now();
      await completesOnce({ page, app, errors }, n, 2);
      assert.ok(injected.hits > 0, 'the fault was met');
      await context.close();
      return `said "${said.slice(0, 60)}…", completed ${((Date.now() - started) / 1000).toFixed(1)} s later, paid once`;
    });
  }
}

// The relay is down when the app signs in: said, tried again, one sign-in, completed once.
cell('relay is down for 30 s at the sign-in', async () => {
  const n = nextUser++;
  const { context, page, errors, app } = await openApp(n, {}, 'e2e-sign-in');
  await app.connect();
  await app.approveTasks(1);
  await app.chooseImage({ prompt: 'relay down at the sign-in', images: 1 });
  const injected = relay.fail('down', (req) => req.url.startsWith('/v1/auth/'), 30_000);
  await page.getByTestId('create').click();
  await app.waitForText('activity', /relay does not answer \(cannot connect\)/);
  const said = (await app.text('activity')).trim();
  await completesOnce({ page, app, errors }, n, 2);
  const signatures = (await walletCalls(page)).filter((c) => c.method === 'personal_sign');
  assert.equal(signatures.length, 1, 'one signature: the sign-in');
  assert.match(signedText(signatures[0]), /wants you to sign in/);
  assert.ok(injected.hits > 0, 'the fault was met');
  await context.close();
  return `said "${said.slice(0, 60)}…", then signed in once and completed, paid once`;
});

// The RPC fails while the nodes work (mining paused meanwhile, so the task cannot end).
for (const { fault, what, says } of [
  { fault: 'rpc-error', what: 'answers JSON-RPC errors', says: /RPC server does not answer \(internal error/ },
  { fault: '500', what: 'answers HTTP 500', says: /RPC server does not answer \(HTTP 500/ },
  { fault: 'down', what: 'is stopped', says: /RPC server does not answer \(cannot connect\)/ },
]) {
  cell(`RPC ${what} for 10 s while the nodes work`, async () => {
    const { n, context, page, errors, app } = await readyUser();
    await app.chooseImage({ prompt: `rpc ${fault}`, images: 1 });
    await payWhileTheNodesWait(page, app);
    await app.stageDone('Arguments sent to the relay');
    const injected = rpc.fail(fault, ANY, 10_000);
    await app.waitForText('activity', says);
    const said = (await app.text('activity')).trim();
    await until(async () => !rpc.failing(), 'the end of the 10 s fault');
    await devnet.resumeMining();
    await completesOnce({ page, app, errors }, n, 2);
    assert.ok(injected.hits > 0, 'the fault was met');
    await context.close();
    return `said "${said.slice(0, 60)}…", then completed, paid once`;
  });
}

// A refusal at each wallet prompt: explained, nothing paid for it, and the task completes once.
cell('refused connection', async () => {
  const { context, page, errors, app } = await openApp(nextUser++);
  await refuseNext(page, 'eth_requestAccounts');
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await app.waitForText('wallet-error', /You declined the request in your wallet/);
  const said = await app.text('wallet-error');
  assert.equal(await page.getByTestId('account-chip').count(), 0, 'not connected');
  await app.connect();
  assert.equal(await page.getByTestId('wallet-error').count(), 0, 'the refusal is no longer shown');
  assert.deepEqual(errors, []);
  await context.close();
  return `said "${said.trim()}", connected on the second try`;
});

cell('refused network switch', async () => {
  const { context, page, errors, app } = await openApp(nextUser++, { chainId: '0x1', knownChains: ['0x1', '0x7a69'] });
  await app.connect();
  await app.waitForText('blocked', /Switch your wallet to/);
  await refuseNext(page, 'wallet_switchEthereumChain');
  const switchButton = page.getByRole('button', { name: /^Switch to / });
  await switchButton.click();
  await app.waitForText('wallet-error', /You declined the request in your wallet/);
  const said = await app.text('wallet-error');
  await app.waitForText('wrong-chain', /on chain 1, not on/);
  await switchButton.click();
  await page.getByTestId('chain-ok').waitFor();
  const sends = (await walletCalls(page)).filter((c) => /^eth_send|sign/.test(c.method));
  assert.deepEqual(sends, [], 'nothing sent or signed');
  assert.deepEqual(errors, []);
  await context.close();
  return `said "${said.trim()}", switched on the second try`;
});

cell('refused approval', async () => {
  const { context, page, errors, app } = await openApp(nextUser);
  const n = nextUser++;
  await app.connect();
  await app.goTo('Wallet & settings');
  await refuseNext(page, 'eth_sendTransaction');
  await page.getByTestId('approve').click();
  await app.waitForText('approve-error', /You declined the request in your wallet/);
  const said = await app.text('approve-error');
  await app.waitForText('allowance', /^0 CNX$/);
  await app.approveTasks(1);
  await app.chooseImage({ prompt: 'after a refused approval', images: 1 });
  await page.getByTestId('create').click();
  await completesOnce({ page, app, errors }, n, 3);
  await context.close();
  return `said "${said.trim()}", approved on the second try, paid once`;
});

cell('refused createTask', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'a refused payment', images: 1 });
  await refuseNext(page, 'eth_sendTransaction');
  await page.getByTestId('create').click();
  await app.waitForText('task-error', /You declined the request/);
  await app.waitForText('cnx', /^1000 CNX$/);
  assert.equal((await devnet.tasksCreatedBy(address(n))).length, 0, 'nothing paid');
  await page.screenshot({ path: `${out}/matrix-refused-create.png`, fullPage: true });
  await page.getByTestId('go-on').click();
  await completesOnce({ page, app, errors }, n, 3);
  assert.equal(createTaskSends(await walletCalls(page)).length, 2, 'asked twice, mined once');
  await context.close();
  return 'said "You declined the request", nothing paid; paid once on the second try';
});

cell('refused upload signature', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'a refused upload', images: 1 });
  await refuseNext(page, 'personal_sign');
  await page.getByTestId('create').click();
  await app.waitForText('task-error', /You declined the request[\s\S]*is paid for and saved/);
  assert.equal(await app.text('go-on'), 'Sign and upload the arguments');
  await app.waitForText('cnx', /^970 CNX$/);
  await app.historyState(/^Paid, its arguments not sent yet$/);
  await page.screenshot({ path: `${out}/matrix-refused-upload.png`, fullPage: true });
  await page.getByTestId('go-on').click();
  await completesOnce({ page, app, errors }, n, 2);
  await context.close();
  return 'said the task is paid for and saved; uploaded on request, paid once';
});

cell('refused download signature', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'a refused download', images: 1 });
  await page.getByTestId('create').click();
  await app.stageDone('Arguments sent to the relay');
  await refuseNext(page, 'personal_sign');
  await app.waitForText('task-error', /You declined the request/);
  assert.ok(await app.stageIsDone('Succeeded'));
  await page.getByTestId('go-on').click();
  await completesOnce({ page, app, errors }, n, 2);
  await context.close();
  return 'said "You declined the request" after success; downloaded on request, paid once';
});

// A reload at every stage of a task: it completes once, and its fee is paid once.

/** The keys of the page's localStorage. */
function storedKeys(page) {
  return page.evaluate(() => Object.keys(localStorage));
}

/** Reloads; the wallet, which still grants the site, is back with no press. */
async function reloadAndConnect(page, app) {
  await page.reload();
  await app.reconnected();
}

cell('reload while the approval is being mined', async () => {
  const { context, page, errors, app } = await openApp(nextUser);
  const n = nextUser++;
  await app.connect();
  await app.goTo('Wallet & settings');
  await page.getByTestId('approval-amount').selectOption('1');
  await devnet.pauseMining();
  await page.getByTestId('approve').click();
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.endsWith('/pending-approval')));
  await reloadAndConnect(page, app);
  await page.getByTestId('approving').waitFor();
  assert.equal(await page.getByTestId('approve').count(), 0, 'no second approval offered');
  await devnet.resumeMining();
  await app.waitForText('allowance', /^30 CNX$/);
  // The allowance can be read on a new block before the app sees the receipt and clears it.
  await until(async () => !(await storedKeys(page)).some((k) => k.endsWith('/pending-approval')), 'the pending approval cleared');
  await app.chooseImage({ prompt: 'after an approval across a reload', images: 1 });
  await page.getByTestId('create').click();
  await completesOnce({ page, app, errors }, n, 1);
  await context.close();
  return 'the pending approval was waited for, not asked again; paid once';
});

cell('reload after createTask was sent but its answer never came', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'a lost answer', images: 1 });
  await holdNext(page, 'eth_sendTransaction');
  await page.getByTestId('create').click();
  await until(async () => (await devnet.tasksCreatedBy(address(n))).length === 1, 'the task on chain');
  await reloadAndConnect(page, app);
  await completesOnce({ page, app, errors }, n, 0);
  await context.close();
  return 'the task was found on chain, not paid again';
});

cell('reload while createTask waits to be mined', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'a slow block', images: 1 });
  await devnet.pauseMining();
  await page.getByTestId('create').click();
  await app.waitForText('activity', /Waiting for the payment to be mined/);
  await reloadAndConnect(page, app);
  await app.waitForText('activity', /Waiting for the payment to be mined/);
  await devnet.resumeMining();
  await completesOnce({ page, app, errors }, n, 0);
  await context.close();
  return 'said "Waiting for the payment to be mined" again; its receipt was awaited';
});

cell('reload when paid but the arguments are not uploaded', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'an upload across a reload', images: 1 });
  await refuseNext(page, 'personal_sign');
  await page.getByTestId('create').click();
  await app.waitForText('task-error', /You declined the request/);
  await reloadAndConnect(page, app);
  await app.stageDone('Arguments sent to the relay');
  await completesOnce({ page, app, errors }, n, 0);
  await context.close();
  return 'the arguments were uploaded after the reload';
});

cell('reload while the nodes work', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'nodes at work', images: 1 });
  await payWhileTheNodesWait(page, app);
  await app.stageDone('Arguments sent to the relay');
  await reloadAndConnect(page, app);
  await app.waitForText('activity', /Waiting for the nodes/);
  assert.ok(!(await app.stageIsDone('Succeeded')));
  await devnet.resumeMining();
  await completesOnce({ page, app, errors }, n, 0);
  await context.close();
  return 'said "Waiting for the nodes"; the missed blocks were read';
});

cell('reload after success, before the download', async () => {
  const { n, context, page, errors, app } = await readyUser();
  await app.chooseImage({ prompt: 'results across a reload', images: 1 });
  await page.getByTestId('create').click();
  await app.stageDone('Arguments sent to the relay');
  await refuseNext(page, 'personal_sign'); // the download's signature
  await app.waitForText('task-error', /You declined the request/);
  assert.ok(await app.stageIsDone('Succeeded'));
  await reloadAndConnect(page, app);
  await completesOnce({ page, app, errors }, n, 0);
  await page.screenshot({ path: `${out}/matrix-resumed-download.png`, fullPage: true });

  // The task, opened from the history: its arguments, its seed, and running it again (each
  // takes the user to the Images view, with the opened task kept in History).
  const args = JSON.parse(await app.argsText());
  const seed = `${args.task_config.seed}`;
  const seedField = page.getByLabel('Seed', { exact: true });
  await seedField.fill('7');
  await app.goTo('History');
  await page.getByRole('button', { name: /^Open Task \d+$/ }).click();
  const past = page.getByTestId('past-task');
  await page.waitForFunction(() => document.activeElement?.id === 'past-task-title');
  await past.locator('summary', { hasText: 'Arguments' }).click();
  assert.deepEqual(JSON.parse(await past.getByTestId('past-args').textContent()), args);
  await past.getByTestId('use-seed').click();
  assert.equal(await seedField.inputValue(), seed);
  await page.getByLabel('Prompt', { exact: true }).fill('something else');
  await app.goTo('History');
  await past.getByTestId('run-again-new-seed').click();
  assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'results across a reload');
  assert.notEqual(await seedField.inputValue(), seed);
  await app.goTo('History');
  await past.getByTestId('run-again').click();
  assert.equal(await seedField.inputValue(), seed);
  assert.deepEqual(errors, []);
  await context.close();
  return 'the results were downloaded after the reload; the history opens it';
});

// Misbehaving nodes, each cell on a network of its own whose three nodes are the cell's.

/** Runs `scenario` against a network of `nodes`, with the app served and user 0's wallet. */
async function withNetwork({ nodes, taskTimeout, cancelGrace }, scenario) {
  const own = await startDevnet({ chainPort: 18555, relayPort: 18091, users: 1, nodes, taskTimeout, cancelGrace });
  const ownServer = await serveDir(dist, { '/networks/e2e.json': own.profile });
  try {
    const opened = await open({ browser, devnet: own, server: ownServer }, 0);
    await opened.app.connect();
    await opened.app.approveTasks(1);
    const user = own.accounts.users[0].address;
    const outcome = await scenario({ ...opened, devnet: own, user });
    assert.equal((await own.tasksCreatedBy(user)).length, 1, 'paid once');
    await opened.app.goTo('History');
    await opened.page.getByTestId('history-row').waitFor();
    assert.equal(await opened.page.getByTestId('history-row').count(), 1, 'listed once');
    assert.deepEqual(opened.errors, []);
    await opened.context.close();
    return outcome;
  } finally {
    await ownServer.close();
    await own.stop();
  }
}

const nodes = (fault, count = 3) => ['RTX A:24', 'RTX A:24', 'RTX A:24'].map((node, i) => (i < count ? `${node}:${fault}` : node));

cell('nodes: one cheats', () =>
  withNetwork({ nodes: nodes('cheat', 1) }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'two honest nodes', images: 2 });
    await page.getByTestId('create').click();
    await app.imagesShown(2);
    await page.getByTestId('verified').nth(1).waitFor();
    assert.equal(await page.getByTestId('unverified').count(), 0);
    // The two honest nodes are paid; the cheater's share comes back.
    await app.waitForText('cnx', /^980 CNX$/);
    assert.equal(await devnet.cnx(user), 980);
    await app.historyState(/^Succeeded$/);
    await page.screenshot({ path: `${out}/matrix-cheat-verified.png`, fullPage: true });
    return 'succeeded, 2 of 2 images verified; the cheater\'s share refunded (980 CNX)';
  }));

cell('nodes: all three cheat', () =>
  withNetwork({ nodes: nodes('cheat') }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'nobody agrees', images: 1 });
    await page.getByTestId('create').click();
    await app.waitForText('outcome', /three different results.*refunded/);
    await app.waitForText('cnx', /^1000 CNX$/);
    assert.equal(await devnet.cnx(user), 1000);
    await app.historyState(/^Aborted, the nodes disagreed: refunded$/);
    await page.screenshot({ path: `${out}/matrix-all-different.png`, fullPage: true });
    return 'aborted, "three different results", refunded (1000 CNX)';
  }));

cell('nodes: all three report an error', () =>
  withNetwork({ nodes: nodes('error') }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'a task no node can run', images: 1 });
    await page.getByTestId('create').click();
    await app.historyState(/^Aborted, the task could not run: fee paid to the nodes$/);
    const said = (await app.text('outcome')).trim();
    assert.match(said, /could not run/);
    await app.waitForText('cnx', new RegExp(`^${await devnet.cnx(user)} CNX$`));
    await page.screenshot({ path: `${out}/matrix-error.png`, fullPage: true });
    return `aborted: "${said.slice(0, 60)}…"`;
  }));

cell('nodes: the result node never uploads', () =>
  withNetwork({ nodes: nodes('no-upload'), taskTimeout: 15 }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'results that never come', images: 1 });
    await page.getByTestId('create').click();
    await app.stageDone('Succeeded');
    // No results: after the 15 s deadline, cancelling is offered; refused once, it is
    // offered again and nothing changed.
    await page.getByTestId('cancel').waitFor({ timeout: 40_000 });
    await refuseNext(page, 'eth_sendTransaction');
    await page.getByTestId('cancel').click();
    await app.waitForText('task-error', /You declined the request/);
    assert.equal(await devnet.cnx(user), 970, 'nothing refunded by a refused cancel');
    await page.getByTestId('cancel').click();
    await app.waitForText('outcome', /cancelled after its deadline/);
    const refund = await app.text('refund');
    const [, refunded, before, afterCancel] = refund.match(/^Refunded (\d+) CNX: your balance went from (\d+) CNX to (\d+) CNX\.$/);
    assert.equal(Number(afterCancel) - Number(before), Number(refunded));
    assert.ok(Number(refunded) > 0, refund);
    assert.equal(await devnet.cnx(user), Number(afterCancel));
    assert.equal(await page.getByTestId('cancel').count(), 0);
    await app.historyState(/^Cancelled: refunded$/);
    await page.screenshot({ path: `${out}/matrix-cancelled.png`, fullPage: true });
    return `no files; a refused cancel changed nothing; cancelled after the deadline, ${refund}`;
  }));

cell('nodes: all three go offline after committing; their first node cancels the task', () =>
  withNetwork({ nodes: nodes('offline'), taskTimeout: 15, cancelGrace: 0 }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'nodes that vanish', images: 1 });
    await page.getByTestId('create').click();
    await app.stageDone('Arguments sent to the relay');
    // Nobody presses Cancel: past the deadline, the task's first node cancels it, which
    // frees the nodes and refunds the creator.
    await app.waitForText('outcome', /cancelled after its deadline/);
    assert.equal(await page.getByTestId('cancel').count(), 0);
    await app.waitForText('cnx', /^1000 CNX$/);
    assert.equal(await devnet.cnx(user), 1000);
    await app.historyState(/^Cancelled: refunded$/);
    return 'never disclosed; cancelled by a node after the deadline, 30 CNX refunded';
  }));

cell('nodes: all three slow', () =>
  withNetwork({ nodes: nodes('slow') }, async ({ page, app, devnet, user }) => {
    await app.chooseImage({ prompt: 'slow nodes', images: 1 });
    const started = Date.now();
    await page.getByTestId('create').click();
    await app.waitForText('activity', /Waiting for the nodes/);
    await app.imagesShown(1);
    await page.getByTestId('verified').first().waitFor();
    await app.historyState(/^Succeeded$/);
    assert.equal(await devnet.cnx(user), 970);
    return `said "Waiting for the nodes", succeeded after ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }));
