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
import { installWallet, refuseNext, walletCalls } from './lib/wallet.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const out = fileURLToPath(new URL('./out', import.meta.url));
const metricsFile = fileURLToPath(new URL('../target/tmp/e2e-metrics.txt', import.meta.url));
const TASK = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';
const metrics = [];
let devnet;
let server;
let browser;

function metric(line) {
  metrics.push(line);
  console.log(`metric ${line}`);
}

before(async () => {
  await mkdir(out, { recursive: true });
  devnet = await startDevnet({ chainPort: 18545, relayPort: 18081, users: 7 });
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

/** The app in a new browser context whose wallet holds user `n`'s key. */
async function openApp(n, wallet = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await installWallet(context, { privateKey: devnet.accounts.users[n].private_key, rpcUrl: devnet.rpcUrl, ...wallet });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}?network=e2e`);
  return { context, page, errors, app: new AppPage(page) };
}

/** What the tests do on the page, by role, label and test id. */
class AppPage {
  constructor(page) {
    this.page = page;
  }
  async connect() {
    await this.page.getByRole('button', { name: 'Connect Test Wallet' }).click();
    await this.page.getByTestId('account').waitFor();
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
  async approveOneTask() {
    await this.page.getByTestId('approve').click();
    await this.waitForText('allowance', /^30 CNX$/);
  }
  async chooseType(name) {
    await this.page.locator('.segmented label', { hasText: name }).click();
    assert.ok(await this.page.getByRole('radio', { name }).isChecked());
  }
  async chooseImage({ prompt, images }) {
    await this.chooseType('Image');
    await this.page.getByLabel('Prompt', { exact: true }).fill(prompt);
    await this.page.getByLabel('Images (1–10)').fill(`${images}`);
  }
  /** Shows the page on a 360 px phone in dark mode and checks nothing overflows sideways. */
  async asPhoneInDarkMode() {
    await this.page.setViewportSize({ width: 360, height: 740 });
    await this.page.emulateMedia({ colorScheme: 'dark' });
    const overflow = await this.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  }
  /** The arguments as the JSON editor shows them (the editor is opened, then closed). */
  async argsText() {
    const summary = this.page.locator('details.json-editor summary');
    await summary.click();
    const text = await this.page.getByTestId('json').inputValue();
    await summary.click();
    await this.page.getByTestId('json').waitFor({ state: 'detached' });
    return text;
  }
  async chat(message) {
    await this.page.getByLabel(message.label, { exact: true }).fill(message.text);
  }
  async stageDone(label) {
    await this.page.locator('[data-testid="timeline"] li.done', { hasText: label }).waitFor();
  }
  async imagesShown(count) {
    await this.page.waitForFunction(
      (n) => [...document.querySelectorAll('[data-testid="gallery"] img')].filter((img) => img.complete && img.naturalWidth > 0).length === n,
      count,
    );
  }
}

/** createTask transactions the wallet was asked to send. */
function createTaskSends(calls) {
  return calls.filter((c) => c.method === 'eth_sendTransaction' && c.params[0].to.toLowerCase() === TASK);
}

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
  const clicked = Date.now();
  await page.getByTestId('create').click();
  await app.stageDone('Arguments sent to the relay');
  metric(`click_to_args_accepted_ms ${Date.now() - clicked}`);
  assert.match(await app.text('nodes'), /^Selected nodes: 0x\w{4}…\w{4}, 0x\w{4}…\w{4}, 0x\w{4}…\w{4}$/);
  await app.stageDone('Succeeded');
  const succeeded = Date.now();
  await page.locator('[data-testid="gallery"] img').first().waitFor();
  metric(`task_success_to_first_image_ms ${Date.now() - succeeded}`);
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
  const message = '<img src=x onerror="window.__owned=1"> What is a GPU?';
  await page.getByLabel('Message 1', { exact: true }).fill(message);
  await page.getByTestId('create').click();
  await page.getByTestId('reply').waitFor();
  assert.ok((await app.text('reply')).length > 0);
  assert.match(await app.text('usage'), /prompt \+ \d+ reply tokens = \d+/);
  // The question is shown as written, never as HTML.
  assert.equal(await page.locator('.chat .user').evaluate((p) => p.lastChild.textContent), message);
  assert.equal(await page.locator('.chat img').count(), 0);
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

test('rejected approve, createTask and upload signature: explained, retried, paid once', async () => {
  const { context, page, errors, app } = await openApp(2);
  await app.connect();
  await app.waitForText('cnx', /^1000 CNX$/);

  await refuseNext(page, 'eth_sendTransaction');
  await page.getByTestId('approve').click();
  await app.waitForText('approve-error', /You declined the request in your wallet/);
  await app.approveOneTask();

  await app.chooseImage({ prompt: 'a lighthouse', images: 1 });
  await refuseNext(page, 'eth_sendTransaction');
  await page.getByTestId('create').click();
  await app.waitForText('task-error', /You declined the request/);
  await app.waitForText('cnx', /^1000 CNX$/);
  await page.screenshot({ path: `${out}/dapp-rejected-create.png`, fullPage: true });

  await refuseNext(page, 'personal_sign');
  await page.getByTestId('go-on').click();
  await app.waitForText('task-error', /You declined the request[\s\S]*is paid for and saved/);
  assert.equal(await app.text('go-on'), 'Sign and upload the arguments');
  await app.waitForText('cnx', /^970 CNX$/);
  await page.screenshot({ path: `${out}/dapp-rejected-upload.png`, fullPage: true });

  await page.getByTestId('go-on').click();
  await app.imagesShown(1);
  // Two createTask requests (one refused), one transaction mined: paid once.
  const calls = await walletCalls(page);
  assert.equal(createTaskSends(calls).length, 2);
  await app.waitForText('cnx', /^970 CNX$/);
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

test('the relay stopped for 10 s during the upload: the task completes after it returns', async () => {
  const { context, page, errors, app } = await openApp(4);
  await app.connect();
  await app.approveOneTask();
  await app.chooseImage({ prompt: 'a storm at sea', images: 2 });
  await devnet.stopRelay();
  await page.getByTestId('create').click();
  // The app saw the outage and says it keeps trying.
  await app.waitForText('activity', /relay does not answer/);
  await page.screenshot({ path: `${out}/dapp-relay-down.png`, fullPage: true });
  const down = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // the outage itself
  await devnet.restartRelay();
  await app.stageDone('Arguments sent to the relay');
  metric(`relay_back_to_args_accepted_ms ${Date.now() - down - 10_000}`);
  await app.imagesShown(2);
  const signatures = (await walletCalls(page)).filter((c) => c.method === 'personal_sign').length;
  assert.equal(signatures, 3, 'one signature for the upload, one per image');
  await page.screenshot({ path: `${out}/dapp-relay-back.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

/** Bytes of a `width`×`height` image made in the page: noise (incompressible) or a drawing. */
async function makeImage(page, { width, height, type, noise }) {
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

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
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

  // Validation while typing, with a 200 KB image in the arguments.
  const noise = await makeImage(page, { width: 236, height: 236, type: 'image/png', noise: true });
  await file.setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: noise });
  await app.waitForText('controlnet-status', /^noise\.png: 236×236 PNG/);
  const argsBytes = (await app.argsText()).length;
  // Per keystroke in the prompt: the reactive updates run as microtasks, so all are done
  // when the next task runs.
  const keystrokes = (count) => page.evaluate(async (count) => {
    const prompt = document.querySelector('#field-prompt');
    const times = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      prompt.value += i % 10 === 9 ? ' ' : 'a';
      prompt.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((resolve) => {
        const channel = new MessageChannel(); // a task without the 4 ms clamp of nested timers
        channel.port1.onmessage = resolve;
        channel.port2.postMessage(0);
      });
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  }, count);
  const report = (name, times) => metric(`${name} p50 ${percentile(times, 50).toFixed(2)} p95 ${percentile(times, 95).toFixed(2)} max ${times.at(-1).toFixed(2)} (${times.length} keystrokes, args ${argsBytes} bytes)`);
  report('validation_per_keystroke_ms', await keystrokes(100));
  await page.locator('details.json-editor summary').click();
  report('validation_per_keystroke_with_json_editor_open_ms', await keystrokes(20));
  assert.match(await page.getByTestId('json').inputValue(), /"prompt": "a dancer, \(red dress\)1\.2(a{9} ){12}"/);
  await page.locator('details.json-editor summary').click();
  assert.ok(argsBytes > 200_000, `the image makes the args ${argsBytes} bytes`);

  // A preprocess method with its own argument, then a saved preset.
  await page.getByTestId('preprocess').selectOption({ label: 'canny' });
  await page.getByLabel('Low threshold').fill('50');
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
  const first = await page.getByTestId('reply').evaluate((p) => p.lastChild.textContent);

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
  assert.notEqual(await page.getByTestId('reply').evaluate((p) => p.lastChild.textContent), first);
  assert.equal(createTaskSends(await walletCalls(page)).length, 2);
  await app.waitForText('cnx', /^940 CNX$/);
  await page.screenshot({ path: `${out}/dapp-chat-two-turns.png`, fullPage: true });

  // A reload brings back the account's last chat arguments.
  await page.reload();
  await app.connect();
  await app.chooseType('Chat');
  assert.equal(await page.getByLabel('Message 3', { exact: true }).inputValue(), 'And a <b>TPU</b>?');
  assert.deepEqual(errors, []);
  await context.close();
});
