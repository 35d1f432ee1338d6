// The DApp end to end, in Chromium, against a real local network (anvil, the contracts, the
// relay, simulated nodes) with a wallet that really signs. Each scenario uses its own funded
// account and a fresh browser context. Screenshots go to e2e/out/; the measured numbers are
// printed as `metric …` lines and written to target/tmp/e2e-metrics.txt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { launchBrowser } from './lib/browser.mjs';
import { startDevnet } from './lib/devnet.mjs';
import { serveDir } from './lib/static-server.mjs';
import { assertAccessible, createTaskSends, makeImage, openApp as open, placeOf } from './lib/app.mjs';
import { walletCalls } from './lib/wallet.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
const metricsFile = fileURLToPath(new URL('../target/tmp/e2e-metrics.txt', import.meta.url));
const metrics = [];
let devnet;
let server;
let browser;

const openApp = (n, wallet) => open({ browser, devnet, server }, n, wallet);

/** A chat bubble's own text: without the hidden "You: "/"Model: " and the view's markers. */
const bubbleText = (p) => [...p.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');

function metric(line) {
  metrics.push(line);
  console.log(`metric ${line}`);
}

before(async () => {
  await mkdir(out, { recursive: true });
  devnet = await startDevnet({ chainPort: 18545, relayPort: 18081, users: 13 });
  server = await serveDir(dist, { '/networks/e2e.json': devnet.profile });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await devnet?.stop();
  await mkdir(fileURLToPath(new URL('../target/tmp', import.meta.url)), { recursive: true });
  await writeFile(metricsFile, metrics.join('\n') + '\n');
});

test('a Stable Diffusion task of 3 images: paid, uploaded, followed, shown and downloadable', async () => {
  const { context, page, errors, app } = await openApp(0);
  await app.connect();
  await app.waitForText('cnx', /^1000 CNX$/);
  await app.approveOneTask();
  await app.chooseImage({ prompt: 'a <b>red</b> cat & "friends"', images: 3 });
  const args = await app.argsText();
  assert.match(args, /"num_images": 3/);
  const seed = `${JSON.parse(args).task_config.seed}`;

  const callsBefore = (await walletCalls(page)).length;
  // Approved: the button generates, with the fee on it; the results have their region.
  await page.getByRole('button', { name: 'Generate · 30 CNX', exact: true }).click();
  await page.getByRole('region', { name: 'Results' }).waitFor();
  await app.stageDone('Arguments sent to the relay');
  assert.match(await app.text('nodes'), /^Selected nodes: 0x\w{4}…\w{4}, 0x\w{4}…\w{4}, 0x\w{4}…\w{4}$/);
  await app.stageDone('Succeeded');
  await app.imagesShown(3);

  // Each download link is a PNG of this task.
  const links = page.getByTestId('download');
  assert.equal(await links.count(), 3);
  const id = (await app.text('task')).match(/Task (\d+)/)[1];
  assert.equal(await links.nth(2).getAttribute('download'), `crynux-task-${id}-3.png`);
  const magic = await links.first().evaluate(async (a) => [...new Uint8Array(await (await fetch(a.href)).arrayBuffer()).slice(0, 4)]);
  assert.deepEqual(magic, [0x89, 0x50, 0x4e, 0x47]);
  // The prompt with HTML in it stayed text.
  assert.equal(await page.locator('main b').count(), 0);

  const calls = (await walletCalls(page)).slice(callsBefore);
  const methods = calls.map((c) => c.method);
  metric(`wallet_requests_per_sd_task_of_3 ${methods.length} (${[...new Set(methods)].map((m) => `${m}×${methods.filter((x) => x === m).length}`).join(', ')})`);
  assert.deepEqual(methods, ['eth_sendTransaction', 'personal_sign', 'personal_sign', 'personal_sign', 'personal_sign']);
  await app.waitForText('cnx', /^970 CNX$/);
  // Its seed can be taken for the next task.
  const seedField = page.getByLabel('Seed', { exact: true });
  await seedField.fill('1');
  await page.getByTestId('last-seed').click();
  assert.equal(await seedField.inputValue(), seed);
  // A finished task does not hold back the next one.
  await app.approveOneTask();
  await page.waitForFunction(() => !document.querySelector('[data-testid="create"]').disabled);
  await page.screenshot({ path: `${out}/dapp-sd-3-images.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a GPT task: the reply is shown as text, with token usage', async () => {
  const { context, page, errors, app } = await openApp(1);
  await app.connect();
  await app.approveOneTask();
  await app.chooseType('Chat');
  // HTML and script in the message and the model id; the simulated model quotes the question
  // in its reply, so the reply carries them too. All are shown as text, none runs.
  const message = '<img src=x onerror="window.__owned=1"> What is a GPU?';
  const model = '<script>window.__owned=2</script><b>gpt2</b>';
  await page.getByLabel('Model', { exact: true }).fill(model);
  await page.getByLabel('Message 1', { exact: true }).fill(message);
  await page.getByTestId('create').click();
  await page.getByTestId('reply').waitFor();
  assert.ok((await app.text('reply')).includes(`You asked: ${message}.`), await app.text('reply'));
  assert.match(await app.text('usage'), /prompt \+ \d+ reply tokens = \d+/);
  assert.equal(await page.locator('.chat .user').evaluate(bubbleText), message);
  assert.ok((await page.locator('main').textContent()).includes(model));
  assert.equal(await page.locator('main img[src="x"], main b, main script').count(), 0);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  const sends = createTaskSends(await walletCalls(page));
  assert.equal(sends.length, 1);
  await page.screenshot({ path: `${out}/dapp-gpt.png`, fullPage: true });
  // The same page on a 360 px phone in dark mode: nothing overflows sideways.
  await app.asPhoneInDarkMode();
  await page.screenshot({ path: `${out}/dapp-gpt-phone-dark.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

for (const { name, known, expected } of [
  { name: 'a wallet on another known chain is switched', known: ['0x1', '0x7a69'], expected: ['wallet_switchEthereumChain'] },
  {
    name: 'a wallet that does not know the chain adds it, then switches',
    known: ['0x1'],
    expected: ['wallet_switchEthereumChain', 'wallet_addEthereumChain', 'wallet_switchEthereumChain'],
  },
]) {
  test(name, async () => {
    const { context, page, errors, app } = await openApp(3, { chainId: '0x1', knownChains: known });
    await app.connect();
    await app.waitForText('wrong-chain', /on chain 1, not on Local devnet/);
    await app.waitForText('blocked', /Switch your wallet to Local devnet first/);
    await page.getByRole('button', { name: 'Switch to Local devnet' }).click();
    await page.getByTestId('chain-ok').waitFor();
    const calls = (await walletCalls(page)).map((c) => c.method).filter((m) => m.startsWith('wallet_'));
    assert.deepEqual(calls, expected);
    const added = (await walletCalls(page)).find((c) => c.method === 'wallet_addEthereumChain');
    if (added) assert.deepEqual(added.params[0].rpcUrls, [devnet.rpcUrl]);
    await page.screenshot({ path: `${out}/dapp-switch-${known.length}.png` });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('an SD task with an uploaded ControlNet image and a preprocess method runs to images', async () => {
  const { context, page, errors, app } = await openApp(5);
  await app.connect();
  await app.approveOneTask();
  await app.chooseImage({ prompt: 'a dancer, (red dress)1.2', images: 2 });
  await page.getByLabel('ControlNet: guide the picture with an image').check();
  const file = page.getByTestId('controlnet-file');

  // Refused before anything is sent: not an image, too large.
  await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('<b>hi</b>') });
  await app.waitForText('controlnet-status', /notes\.txt is not a PNG, JPEG or WebP image/);
  await file.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(30 << 20) });
  await app.waitForText('controlnet-status', /huge\.png is 30\.0 MB; the limit is 20 MB/);
  await app.waitForText('problems', /Choose an image|image_dataurl: must not be empty/);

  // A JPEG larger than the task, dropped on the picker, becomes a PNG of the task's size.
  const jpeg = await makeImage(page, { width: 800, height: 600, type: 'image/jpeg' });
  const dropped = await page.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'pose.jpg', { type: 'image/jpeg' }));
    return transfer;
  }, [...jpeg]);
  await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dropped });
  await app.waitForText('controlnet-status', /^pose\.jpg: 512×384 PNG, \d+ KB\.$/);
  await page.waitForFunction(() => document.querySelector('[data-testid="controlnet-preview"]')?.naturalWidth === 512);

  // A 200 KB image in the arguments (scripts/bench.mjs times validation per keystroke with it).
  const noise = await makeImage(page, { width: 236, height: 236, type: 'image/png', noise: true });
  await file.setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: noise });
  await app.waitForText('controlnet-status', /^noise\.png: 236×236 PNG/);
  const argsBytes = (await app.argsText()).length;
  assert.ok(argsBytes > 200_000, `the image makes the args ${argsBytes} bytes`);

  // A preprocess method with its own argument, then a saved preset.
  await page.getByTestId('preprocess').selectOption({ label: 'canny' });
  await page.getByLabel('Low threshold').fill('50');
  await page.locator('details.more').evaluateAll((all) => all.forEach((d) => { d.open = true; }));
  await page.getByLabel('Save these arguments as').fill('dancer <i>');
  await page.getByTestId('save-preset').click();
  await page.getByLabel('Prompt', { exact: true }).fill('something else');
  await page.getByLabel('Preset', { exact: true }).selectOption('dancer <i>');
  await page.waitForFunction(() => document.querySelector('#field-prompt').value.startsWith('a dancer'));
  const json = await app.argsText();
  assert.match(json, /"image_dataurl": "data:image\/png;base64,/);
  assert.match(json, /"method": "canny"/);
  assert.match(json, /"low_threshold": 50/);

  await page.getByTestId('create').click();
  await app.stageDone('Arguments sent to the relay');
  await app.imagesShown(2);
  await page.screenshot({ path: `${out}/dapp-sd-controlnet.png`, fullPage: true });
  assert.equal(await page.locator('main i').count(), 0);
  // Every section open on a 360 px phone in dark mode.
  await page.locator('details.more').evaluateAll((all) => all.forEach((d) => { d.open = true; }));
  await page.getByLabel('LoRA', { exact: true }).check();
  await app.asPhoneInDarkMode();
  await page.getByTestId('builder').screenshot({ path: `${out}/dapp-sd-builder-phone-dark.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a two-turn chat: the reply is taken on and answered again; the last arguments are remembered', async () => {
  const { context, page, errors, app } = await openApp(6);
  await app.connect();
  await app.approveOneTask();
  await app.chooseType('Chat');
  await page.getByTestId('system-prompt').fill('You answer in one line.');
  await app.chat({ label: 'Message 1', text: 'What is a GPU?' });
  await page.getByTestId('create').click();
  await page.getByTestId('reply').waitFor();
  const first = await page.getByTestId('reply').evaluate(bubbleText);

  await page.getByTestId('continue-chat').click();
  assert.equal(await page.getByLabel('Message 2', { exact: true }).inputValue(), first);
  await app.chat({ label: 'Message 3', text: 'And a <b>TPU</b>?' });
  await app.approveOneTask();
  await page.getByTestId('create').click();
  await app.stageDone('Succeeded');
  await page.getByTestId('reply').waitFor();
  // The conversation sent (system, question, first reply, second question) and the new reply.
  const bubbles = await page.locator('.chat .bubble').allTextContents();
  assert.deepEqual(bubbles.slice(0, 4), [
    'System: You answer in one line.', 'You: What is a GPU?', `Model: ${first}`, 'You: And a <b>TPU</b>?',
  ]);
  assert.equal(bubbles.length, 5);
  assert.notEqual(await page.getByTestId('reply').evaluate(bubbleText), first);
  assert.equal(createTaskSends(await walletCalls(page)).length, 2);
  await app.waitForText('cnx', /^940 CNX$/);
  await page.screenshot({ path: `${out}/dapp-chat-two-turns.png`, fullPage: true });
  // The Chat view with a reply: nothing for axe-core, light and dark.
  await assertAccessible(page, 'Chat with a reply, light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await assertAccessible(page, 'Chat with a reply, dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // The blocks the history reads for the account's tasks (eth_getLogs on the creator topic).
  const deployment = JSON.parse(devnet.profile).deployment_block;
  let scans = [];
  page.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().startsWith(devnet.rpcUrl)) return;
    const body = JSON.parse(request.postData());
    if (body.method === 'eth_getLogs' && body.params[0].topics.length === 2) scans.push(Number(body.params[0].fromBlock));
  });

  // A reload brings back the account's last chat arguments, and the wallet with no press.
  await page.reload();
  await app.reconnected();
  await app.chooseType('Chat');
  assert.equal(await page.getByLabel('Message 3', { exact: true }).inputValue(), 'And a <b>TPU</b>?');

  // The history lists both chats with the reply's first words, reading only blocks it had
  // not read; with the browser's storage cleared, the chain still lists both.
  await app.goTo('History');
  const rows = page.getByTestId('history-row');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.ok(scans.every((from) => from > deployment), `history scans from ${scans}`);
  scans = [];
  assert.match(await rows.nth(0).textContent(), /Chat .*What is a GPU\?.*Succeeded/);
  assert.equal(await page.locator('.history .reply-words').count(), 2);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await app.reconnected();
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.deepEqual(scans, [deployment], 'read from the deployment block again');
  for (const row of await rows.all()) assert.match(await row.textContent(), /Arguments only on the relay.*Succeeded/);
  await page.screenshot({ path: `${out}/dapp-history-from-chain.png`, fullPage: true });
  // The newest opens; its reply is downloaded again and checked against the chain.
  await page.getByRole('button', { name: /^Open Task \d+$/ }).first().click();
  const past = page.getByTestId('past-task');
  await past.getByTestId('args-elsewhere').waitFor();
  await past.getByTestId('go-on').click();
  await past.getByTestId('reply').waitFor();
  await past.getByTestId('verified').waitFor();
  // Read again after the download: still the same two tasks, now with the reply's words.
  await page.locator('.history .reply-words').waitFor();
  assert.equal(await rows.count(), 2);
  await app.asPhoneInDarkMode();
  await page.locator('#history-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${out}/dapp-past-task-phone-dark.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the studio: one press approves and generates, 9 images fit one desktop screen, the lightbox and every view work by keyboard and pass axe', async () => {
  const { context, page, errors, app } = await openApp(8);
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await assertAccessible(page, `Images before connecting, ${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: `${out}/studio-first-visit.png` });
  await app.connect();
  await app.waitForText('cnx', /^1000 CNX$/);

  // The allowance is short: one button approves (the amount chosen beside it), then pays.
  await app.chooseImage({ prompt: 'a lighthouse <b>at night</b>', images: 9 });
  const generate = page.getByTestId('create');
  await page.waitForFunction(() => /^Approve and generate · 30 CNX$/.test(document.querySelector('[data-testid="create"]').textContent));
  assert.equal(await page.getByTestId('approval-amount').inputValue(), '5', 'five fees unless chosen otherwise');
  await page.getByTestId('approval-amount').selectOption('1');
  const before = (await walletCalls(page)).length;
  // Ctrl+Enter in the prompt presses it.
  await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
  await page.waitForFunction(() => document.title === 'Generating… · Crynux');
  await app.stageDone('Succeeded');
  await app.imagesShown(9);
  const sends = (await walletCalls(page)).slice(before).filter((c) => c.method === 'eth_sendTransaction');
  assert.equal(sends.length, 2, 'the approval, then createTask');
  assert.equal(createTaskSends(sends).length, 1);
  await page.waitForFunction(() => document.title === 'Crynux');
  assert.match(await generate.textContent(), /^Approve and generate · 30 CNX$/, 'the one-task approval is spent');

  // 1280×800: Generate and the gallery's whole first row in the first screen; at most two
  // screens tall.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}/studio-desktop-light.png` });
  const button = await placeOf(generate);
  assert.ok(button.top >= 0 && button.bottom <= 800, `Generate at ${JSON.stringify(button)}`);
  const thumbs = page.getByTestId('gallery').locator('img');
  const first = await placeOf(thumbs.first());
  for (const thumb of await thumbs.all()) {
    const at = await placeOf(thumb);
    if (at.top === first.top) assert.ok(at.bottom <= 800, `an image of the first row ends at ${at.bottom}`);
  }
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height <= 1600, `the page is ${height} px tall`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${out}/studio-desktop-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });

  // The lightbox: → and ← move, Esc closes, and the focus is back on the thumbnail of the
  // image last shown.
  await page.getByRole('button', { name: 'Show image 1 large' }).click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.getAttribute('aria-label'), 'Image 1 of 9');
  await page.keyboard.press('ArrowRight');
  assert.equal(await dialog.getAttribute('aria-label'), 'Image 2 of 9');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await dialog.getAttribute('aria-label'), 'Image 9 of 9');
  await page.screenshot({ path: `${out}/studio-lightbox.png` });
  await assertAccessible(page, 'the lightbox');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'image-9');

  // A task that ends while another view is shown is announced there, with a link to it.
  await page.getByTestId('approval-amount').selectOption('1');
  await generate.click();
  await app.stageDone('Paid and created on chain');
  await app.goTo('History');
  await app.waitForText('task-notice', /^Task \d+: succeeded\. Open Images/);
  await page.getByTestId('task-notice').getByRole('link', { name: 'Open Images' }).click();
  await app.imagesShown(9);

  // The history filters by type and by state.
  await app.goTo('History');
  const rows = page.getByTestId('history-row');
  await rows.nth(1).waitFor();
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Chats' });
  await page.getByTestId('history-none').waitFor();
  assert.equal(await rows.count(), 0);
  await page.getByLabel('Type', { exact: true }).selectOption({ label: 'Images' });
  await page.getByLabel('State', { exact: true }).selectOption({ label: 'Succeeded' });
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  await page.getByLabel('State', { exact: true }).selectOption({ label: 'Running' });
  await page.getByTestId('history-none').waitFor();
  assert.equal(await rows.count(), 0);
  await page.getByLabel('State', { exact: true }).selectOption({ label: 'All' });

  // Every view: its own address, kept across a reload with ?network=, and nothing for axe.
  for (const [name, hash] of [['Images', '#/images'], ['Chat', '#/chat'], ['History', '#/history'], ['Wallet & settings', '#/wallet']]) {
    await app.goTo(name);
    assert.ok(page.url().endsWith(`?network=e2e${hash}`), page.url());
    await page.reload();
    await app.reconnected();
    assert.equal(await page.getByRole('link', { name, exact: true }).getAttribute('aria-current'), 'page');
    if (name === 'Images') {
      assert.equal(await page.getByTestId('approval-amount').inputValue(), '1', 'the approval amount is remembered');
    }
    if (name === 'History') await page.getByTestId('history-row').first().waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await assertAccessible(page, `${name}, connected, ${scheme}`);
      await page.screenshot({ path: `${out}/studio-desktop-${scheme}-${name.split(' ')[0].toLowerCase()}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  // 360×780 phone: the prompt and Generate in the first screen, the images right under it,
  // nothing wider than the screen on any view.
  await page.setViewportSize({ width: 360, height: 780 });
  await app.goTo('Images');
  // After the reload the wallet's results wait for a press (each download is a signature).
  await page.getByTestId('go-on').click();
  await app.imagesShown(9);
  await page.evaluate(() => window.scrollTo(0, 0));
  const prompt = await placeOf(page.getByLabel('Prompt', { exact: true }));
  const phoneButton = await placeOf(generate);
  assert.ok(prompt.bottom <= 780 && phoneButton.bottom <= 780, `prompt ${JSON.stringify(prompt)}, Generate ${JSON.stringify(phoneButton)}`);
  const firstImage = await placeOf(thumbs.first());
  assert.ok(firstImage.top - phoneButton.bottom < 780, `the first image is ${firstImage.top - phoneButton.bottom} px under Generate`);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const name of ['Images', 'Chat', 'History', 'Wallet & settings']) {
      await app.goTo(name);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} is ${overflow} px wider than a phone`);
      await page.screenshot({ path: `${out}/studio-phone-${scheme}-${name.split(' ')[0].toLowerCase()}.png`, fullPage: name !== 'History' });
    }
  }
  assert.deepEqual(errors, []);
  await context.close();
});
