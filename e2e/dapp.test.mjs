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
import { prompts, refuseNext, signedText, walletCalls } from './lib/wallet.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
const metricsFile = fileURLToPath(new URL('../target/tmp/e2e-metrics.txt', import.meta.url));
const metrics = [];
// The app's own port: the relay offers sign-in to this origin only.
const appPort = 18082;
let devnet;
let server;
let browser;

const openApp = (n, wallet) => open({ browser, devnet, server }, n, wallet);

function metric(line) {
  metrics.push(line);
  console.log(`metric ${line}`);
}

before(async () => {
  await mkdir(out, { recursive: true });
  devnet = await startDevnet({ chainPort: 18545, relayPort: 18081, users: 13, appOrigin: `http://127.0.0.1:${appPort}` });
  server = await serveDir(dist, { '/networks/e2e.json': devnet.profile }, appPort);
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
  await app.approveTasks(1);
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
  metric(`wallet_requests_per_sd_task_of_3_signing_in ${methods.length} (${methods.join(', ')})`);
  // createTask, then one sign-in for the upload and the three downloads.
  assert.deepEqual(methods, ['eth_sendTransaction', 'personal_sign']);
  assert.match(signedText(calls[1]), /wants you to sign in with your Ethereum account/);
  await app.waitForText('cnx', /^970 CNX$/);
  // Its seed can be taken for the next task.
  const seedField = page.getByLabel('Seed', { exact: true });
  await seedField.fill('1');
  await page.getByTestId('last-seed').click();
  assert.equal(await seedField.inputValue(), seed);
  // A finished task does not hold back the next one.
  await app.approveTasks(1);
  await page.waitForFunction(() => !document.querySelector('[data-testid="create"]').disabled);
  await page.screenshot({ path: `${out}/dapp-sd-3-images.png`, fullPage: true });

  // The wallet moves to another account and back: the chip shows each one's own CNX, and
  // at no moment one account's address with the other's CNX.
  await page.evaluate(() => {
    window.__chipsShown = [];
    const chip = document.querySelector('[data-testid="account-chip"]');
    new MutationObserver(() => window.__chipsShown.push(chip.textContent))
      .observe(chip, { childList: true, subtree: true, characterData: true });
  });
  const short = (address) => `${address.slice(0, 6)}…${address.slice(-4)}`;
  const [mine, other] = [devnet.accounts.users[0].address, devnet.accounts.users[1].address];
  await page.evaluate((account) => window.__wallet.emit('accountsChanged', [account]), other);
  await app.waitForText('cnx', /^1000 CNX$/);
  await page.evaluate((account) => window.__wallet.emit('accountsChanged', [account]), mine);
  await app.waitForText('cnx', /^970 CNX$/);
  const chips = await page.evaluate(() => window.__chipsShown);
  for (const wrong of [`${short(other)}970 CNX`, `${short(mine)}1000 CNX`]) {
    assert.ok(!chips.some((chip) => chip.toLowerCase() === wrong.toLowerCase()), chips.join(' | '));
  }
  assert.ok(chips.some((chip) => chip.toLowerCase() === `${short(other)}1000 CNX`.toLowerCase()), chips.join(' | '));
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
  await app.approveTasks(1);
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

test('a conversation: two turns sent with Enter, a refused payment keeps the message, regenerate, edit and send again, back after a reload and from the chain', async () => {
  const { context, page, errors, app } = await openApp(6);
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.connect();
  await app.waitForText('cnx', /^1000 CNX$/);
  await app.goTo('Chat');
  // HTML and script in the model id, a message and (the simulated model quotes the question)
  // the replies: all shown as text, none runs.
  const model = '<script>window.__owned=2</script><b>gpt2</b>';
  await page.getByLabel('Model', { exact: true }).fill(model);
  await page.getByTestId('system-prompt').fill('You answer in one line.');
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  const send = page.getByRole('button', { name: /^Send/ });
  const words = () => page.locator('.thread .bubble .words').allTextContents();
  const replies = page.locator('.thread [data-testid="reply"]');

  // Turn 1: the allowance is short, so the one Enter approves (five fees), then pays.
  assert.equal(await send.textContent(), 'Send (approve first) · 30 CNX');
  await composer.fill('What is a GPU?');
  const before = (await walletCalls(page)).length;
  // The sign-in is refused (this tab then signs each request, as on a relay without
  // sign-in), and so is the signature of the upload: paid, the message is in the thread,
  // and the reply's place shows the task's stage, what went wrong and how to go on.
  await refuseNext(page, 'personal_sign');
  await refuseNext(page, 'personal_sign');
  await composer.press('Enter');
  const pending = page.getByTestId('pending');
  await pending.getByTestId('task-error').waitFor();
  assert.match(await pending.getByTestId('task-error').textContent(), /declined.*paid for and saved/s);
  assert.deepEqual(await words(), ['What is a GPU?']);
  assert.equal(await composer.inputValue(), '', 'the sent message left the composer');
  assert.ok(await pending.locator('[data-testid="timeline"] li.done', { hasText: 'Paid and created on chain' }).isVisible());
  await page.screenshot({ path: `${out}/chat-reply-placeholder.png` });
  await pending.getByTestId('go-on').click();
  await replies.first().getByTestId('verified').waitFor();
  const first = await replies.first().locator('.words').textContent();
  assert.ok(first.startsWith('You asked: What is a GPU?.'), first);
  const turnOne = (await walletCalls(page)).slice(before);
  const calls = turnOne.filter((c) => c.method === 'eth_sendTransaction');
  assert.equal(calls.length, 2, 'the approval, then createTask');
  const signed = turnOne.filter((c) => c.method === 'personal_sign').map(signedText);
  assert.match(signed[0], /wants you to sign in/, 'the sign-in, refused');
  assert.ok(signed.slice(1).every((text) => !/sign in/.test(text)), 'then per-request signatures');
  assert.equal(await send.textContent(), 'Send · 30 CNX');

  // Turn 2: the payment is refused; the message stays in the composer, the thread as it was.
  const second = 'And a <b>TPU</b>? <img src=x onerror="window.__owned=1">\nIn one line.';
  await composer.fill(second);
  await refuseNext(page, 'eth_sendTransaction');
  await composer.press('Enter');
  await app.waitForText('send-error', /You declined the request/);
  assert.equal(await composer.inputValue(), second);
  assert.deepEqual(await words(), ['What is a GPU?', first]);
  await composer.press('Enter');
  await replies.nth(1).getByTestId('verified').waitFor();
  const thread = await words();
  assert.equal(thread.length, 4, JSON.stringify(thread));
  assert.deepEqual(thread.slice(0, 3), ['What is a GPU?', first, second]);
  assert.ok(thread[3].startsWith('You asked: And a <b>TPU</b>?'), thread[3]);
  assert.match(await page.locator('.thread .system-note').textContent(), /System prompt\s*You answer in one line\./);
  assert.equal(await page.locator('.thread [data-testid="verified"]').count(), 2, 'each reply has its badge');
  assert.match(await replies.nth(1).getByTestId('usage').textContent(), /^Task \d+ · .*gpt2.* model · \d+ prompt \+ \d+ reply tokens = \d+$/);
  // The second task sent the whole conversation.
  const args = JSON.parse(await app.argsText());
  assert.deepEqual(args.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'assistant']);
  assert.equal(args.model, model);
  assert.equal(await page.locator('main img[src="x"], main b, main script').count(), 0);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  await page.screenshot({ path: `${out}/chat-desktop-light.png` });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await assertAccessible(page, `Chat with a conversation, ${scheme}`);
  }
  await page.screenshot({ path: `${out}/chat-desktop-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });

  // Regenerate: a new task replaces the last reply.
  const lastTask = await replies.nth(1).getByTestId('usage').textContent();
  const callsBefore = (await walletCalls(page)).length;
  await replies.nth(1).getByTestId('regenerate').click();
  await page.waitForFunction((old) => {
    const usage = [...document.querySelectorAll('.thread [data-testid="reply"] [data-testid="usage"]')];
    return usage.length === 2 && usage[1].textContent !== old;
  }, lastTask);
  const turn = (await walletCalls(page)).slice(callsBefore).map((c) => c.method);
  metric(`wallet_requests_per_chat_turn_sign_in_refused ${turn.length} (${turn.join(', ')})`);
  assert.deepEqual(turn, ['eth_sendTransaction', 'personal_sign', 'personal_sign'], 'createTask, then the upload and the download');
  const regenerated = await words();
  assert.equal(regenerated.length, 4);
  assert.deepEqual(regenerated.slice(0, 3), thread.slice(0, 3));

  // On a 360 px phone: edit the first message and send again from there.
  await app.asPhoneInDarkMode();
  await page.getByRole('button', { name: 'Edit message 1' }).click();
  await page.getByRole('textbox', { name: 'Edit message 1' }).fill('What is a CPU?');
  await page.getByRole('button', { name: /^Send from here/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('.thread [data-testid="reply"] [data-testid="verified"]').length === 1
    && document.querySelectorAll('.thread .bubble').length === 2);
  const edited = await words();
  assert.equal(edited[0], 'What is a CPU?');
  assert.ok(edited[1].startsWith('You asked: What is a CPU?.'), edited[1]);
  assert.equal(createTaskSends(await walletCalls(page)).length, 5, 'four paid, one refused');
  await app.waitForText('cnx', /^880 CNX$/);
  await page.screenshot({ path: `${out}/chat-phone-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: `${out}/chat-phone-light.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The blocks the history reads for the account's tasks (eth_getLogs on the creator topic).
  const deployment = JSON.parse(devnet.profile).deployment_block;
  let scans = [];
  page.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().startsWith(devnet.rpcUrl)) return;
    const body = JSON.parse(request.postData());
    if (body.method === 'eth_getLogs' && body.params[0].topics.length === 2) scans.push(Number(body.params[0].fromBlock));
  });

  // A reload: the conversation is back from this browser, the wallet with no press.
  await page.reload();
  await app.reconnected();
  await page.locator('.thread .bubble').nth(1).waitFor();
  assert.deepEqual(await words(), edited);
  await page.locator('.thread [data-testid="verified"]').waitFor();

  // The history lists the four chats, reading only blocks it had not read; with the
  // browser's storage cleared, the chain still lists them.
  await app.goTo('History');
  const rows = page.getByTestId('history-row');
  await rows.nth(3).waitFor();
  assert.equal(await rows.count(), 4);
  assert.ok(scans.every((from) => from > deployment), `history scans from ${scans}`);
  scans = [];
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await app.reconnected();
  await rows.nth(3).waitFor();
  assert.deepEqual(scans, [deployment], 'read from the deployment block again');
  for (const row of await rows.all()) assert.match(await row.textContent(), /Arguments only on the relay.*Succeeded/);

  // ...and the newest opens back into the thread: its messages from the relay (checked
  // against the chain's hash), its reply downloaded and checked.
  await app.goTo('Chat');
  assert.equal(await page.locator('.thread .bubble').count(), 0);
  await page.getByTestId('past-chats').locator('summary').click();
  await page.getByTestId('past-chats').getByRole('button').first().click();
  await page.locator('.thread [data-testid="reply"] [data-testid="verified"]').waitFor();
  assert.deepEqual(await words(), edited);
  assert.equal(await page.locator('.thread .system-note').count(), 1);
  // New chat: an empty thread.
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.locator('.thread .bubble').first().waitFor({ state: 'detached' });
  assert.match(await page.getByTestId('thread').textContent(), /Ask anything/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the studio: one press approves and generates, 9 images fit one desktop screen, the lightbox and every view work by keyboard and pass axe', async () => {
  const { context, page, errors, app } = await openApp(8);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('builder').waitFor();
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
  // The one-task approval is spent, once the balances are read again after the task.
  await page.waitForFunction(() => /^Approve and generate · 30 CNX$/.test(document.querySelector('[data-testid="create"]').textContent));

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
  // After the reload the results come back with no press: this tab is signed in to the
  // relay, so downloading them again asks nothing.
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

// Last: it restarts the relay with a new database.
test('sign-in: an SD task of 9 images costs 2 prompts on a fresh page, the next 1; a reload mid-task asks nothing; signing out ends the session; a relay with a new database gets one more sign-in; another network drops it; injected scripts do not run', async () => {
  const { context, page, errors, app } = await openApp(10);
  await app.connect();
  await app.approveTasks(5);
  const task = async (prompt, images) => {
    await app.chooseImage({ prompt, images });
    const before = (await walletCalls(page)).length;
    await page.getByTestId('create').click();
    await app.stageDone('Succeeded');
    await app.imagesShown(images);
    await page.getByTestId('verified').nth(images - 1).waitFor();
    return (await walletCalls(page)).slice(before);
  };
  const sessionKeys = () => page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('crynux/relay-session/')));
  const signsIn = (calls) => {
    assert.deepEqual(calls.map((c) => c.method), ['eth_sendTransaction', 'personal_sign']);
    assert.match(signedText(calls[1]), /wants you to sign in/);
  };

  // A fresh page with the allowance set: createTask, then one sign-in for the upload and the
  // nine downloads.
  const first = await task('one prompt per task', 9);
  signsIn(first);
  metric(`wallet_prompts_per_sd_task_of_9_first_with_sign_in ${prompts(first)}`);
  const origin = `http://127.0.0.1:${appPort}`;
  const lines = signedText(first[1]).split('\n');
  assert.equal(lines[1].toLowerCase(), devnet.accounts.users[10].address.toLowerCase());
  assert.deepEqual(lines.slice(0, 9).map((line, i) => (i === 1 ? 'ADDRESS' : line.replace(/^(Nonce: )\w{24}$/, '$1N'))), [
    `127.0.0.1:${appPort} wants you to sign in with your Ethereum account:`,
    'ADDRESS',
    '',
    'Send task arguments and download results of your Crynux tasks from this relay',
    '',
    `URI: ${origin}`,
    'Version: 1',
    'Chain ID: 31337',
    'Nonce: N',
  ]);
  const [issued, expires] = lines.slice(9).map((line) => Date.parse(line.split(': ')[1]));
  assert.equal(expires - issued, 24 * 3600 * 1000, 'a session of 24 hours');

  // The next task: createTask only. A reload while the nodes work asks nothing.
  await app.chooseImage({ prompt: 'the second task', images: 9 });
  const before = (await walletCalls(page)).length;
  await page.getByTestId('create').click();
  await app.stageDone('Arguments sent to the relay');
  const second = (await walletCalls(page)).slice(before);
  assert.deepEqual(second.map((c) => c.method), ['eth_sendTransaction']);
  metric(`wallet_prompts_per_sd_task_of_9_signed_in ${prompts(second)}`);
  await page.reload();
  await app.reconnected();
  await app.stageDone('Succeeded');
  await app.imagesShown(9);
  assert.equal(prompts(await walletCalls(page)), 0, 'no prompt after the reload');

  // "Sign out of the relay" in the wallet menu: the relay no longer takes the token, and the
  // next task signs in again.
  const [key] = await sessionKeys();
  const { token } = JSON.parse(await page.evaluate((k) => sessionStorage.getItem(k), key)).Session;
  const id = (await app.text('task')).match(/Task (\d+)/)[1];
  const asRelay = () => fetch(`${devnet.relayUrl}/v1/inference_tasks/${id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await asRelay()).status, 200);
  await page.getByTestId('account-chip').click();
  await page.screenshot({ path: `${out}/sign-in-account-menu.png` });
  await page.getByTestId('relay-sign-out').click();
  await page.getByTestId('relay-sign-out').waitFor({ state: 'detached' });
  await page.getByTestId('account-chip').click();
  assert.equal((await asRelay()).status, 401);
  assert.deepEqual(await sessionKeys(), []);
  signsIn(await task('signed out', 1));

  // The relay restarts with a new database: its sessions are gone. The upload is refused
  // (401), the app signs in once more and the task completes.
  await devnet.resetRelay();
  signsIn(await task('after the relay forgot us', 1));

  // The wallet moves to another network: the session is dropped.
  assert.equal((await sessionKeys()).length, 1);
  await page.evaluate(() => window.__wallet.emit('chainChanged', '0x1'));
  await page.getByTestId('wrong-chain').waitFor();
  assert.deepEqual(await sessionKeys(), []);

  // The Content-Security-Policy: an injected inline script does not run.
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  // The hashes are those of index.html's own four inline scripts (the profile's preload, the
  // notice of a stop, the first paint's, the loader).
  assert.match(policy, /^script-src 'self' 'wasm-unsafe-eval'( 'sha256-[^']+'){4}; object-src 'none'; base-uri 'none'$/);
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.head.append(script);
    return window.__injected;
  });
  assert.equal(ran, undefined);
  assert.deepEqual(errors, []);
  await context.close();
});
