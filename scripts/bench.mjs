// The benchmark report: the release build (dist), served by the devnet's own app server, in
// headless Chromium against a local network of its own (ports 18575, 18111, 18112), every
// number beside its target; Lighthouse (pinned) on the same server. Prints a table and writes
// target/bench.json. Needs `trunk build --release` and `cargo build -p crynux-cli` first.
// Usage: node scripts/bench.mjs [--full] (--full: the memory rows over 50 tasks, not 20)
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

import { makeImage, openApp, until } from '../e2e/lib/app.mjs';
import { CHROMIUM, FLAGS, launchBrowser } from '../e2e/lib/browser.mjs';
import { serveApp, startDevnet } from '../e2e/lib/devnet.mjs';
import { installWallet, prompts, refuseNext, walletCalls } from '../e2e/lib/wallet.mjs';
import { folderSizes, total, transferSizes } from './sizes.mjs';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const report = fileURLToPath(new URL('../target/bench.json', import.meta.url));
const KB = 1000;
const MB = 1024 * 1024;
const rows = [];

/** One line of the report: `value` against its target, `≤ limit` for a number, or `limit`
 * as written (`≥ 95`) with `ok` saying whether it is met. */
function row(name, value, unit, limit, ok = value <= limit) {
  const target = limit === undefined ? null : typeof limit === 'string' ? limit : `≤ ${limit}`;
  rows.push({ name, value, unit, target, met: limit === undefined ? null : ok });
  const shown = typeof value === 'number' ? (Number.isInteger(value) ? value : value.toFixed(2)) : value;
  console.log(`bench ${name} ${shown} ${unit}${target === null ? '' : ` (target ${target}: ${ok ? 'met' : 'MISSED'})`}`);
}

/** The prompts of one image task of 9 images, from the press to the last image. */
async function promptsOfTask(page, app) {
  await app.chooseImage({ prompt: 'a lighthouse at dawn', images: 9 });
  const before = (await walletCalls(page)).length;
  await page.getByTestId('create').click();
  await app.stageDone('Succeeded');
  await app.imagesShown(9);
  return prompts((await walletCalls(page)).slice(before));
}

/** One Lighthouse run (its default throttling) on `url` as `form` (mobile or desktop), in
 * the tests' headless Chromium with their flags. */
async function lighthouse(url, form) {
  const output = fileURLToPath(new URL(`../target/lighthouse-${form}.json`, import.meta.url));
  const flags = ['--headless=new', ...FLAGS].join(' ');
  await promisify(execFile)(fileURLToPath(new URL('../node_modules/.bin/lighthouse', import.meta.url)), [
    url, '--quiet', `--chrome-flags=${flags}`, '--output=json', `--output-path=${output}`,
    ...(form === 'desktop' ? ['--preset=desktop'] : []),
  ], { env: { ...process.env, CHROME_PATH: CHROMIUM } });
  return JSON.parse(await readFile(output, 'utf8'));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

// The relay offers sign-in to the app's own port.
const appPort = 18112;
const devnet = await startDevnet({ chainPort: 18575, relayPort: 18111, users: 5, appOrigin: `http://127.0.0.1:${appPort}` });
const server = await serveApp(dist, { '/networks/e2e.json': devnet.profile }, appPort);
const browser = await launchBrowser();
const users = devnet.accounts.users;
try {
  // 1. Sizes: everything the app can fetch (dist and the profile it is served), and what the
  // page fetched before it was interactive.
  const files = new Map(folderSizes(dist).map((r) => [`/${r.file}`, r]));
  files.set('/networks/e2e.json', { file: 'networks/e2e.json', ...transferSizes(Buffer.from(devnet.profile)) });
  const all = total([...files.values()]);

  // 2. A cold load, ten fresh contexts: navigation start → the first paint (index.html's own
  // header and studio), and → interactive (the app mounted, read its network profile and
  // found the wallet: its Connect button is in the page).
  const [paints, times] = [[], []];
  let firstLoad;
  for (let i = 0; i < 10; i++) {
    const context = await browser.newContext();
    await installWallet(context, { privateKey: users[0].private_key, rpcUrl: devnet.rpcUrl });
    // The page says when; polling for it (waitForFunction, evaluate) would run Playwright's
    // own script in the page while it loads, on its main thread: about 30 ms later.
    let tell;
    const interactiveAt = new Promise((resolve) => (tell = resolve));
    await context.exposeBinding('__interactive', (_source, at) => tell(at));
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const connect = [...document.querySelectorAll('button')].find((b) => b.textContent.startsWith('Connect') && !b.closest('.boot'));
        if (connect) {
          window.__interactiveAt = performance.now();
          window.__interactive(window.__interactiveAt);
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    await page.goto(`${server.url}?network=e2e`, { waitUntil: 'commit' });
    times.push(await interactiveAt);
    // The page and what it asked for before it was interactive (not the parts it fetches
    // behind the first screen).
    const fetched = ['/', ...await page.evaluate((origin) => performance.getEntriesByType('resource')
      .filter((r) => r.startTime <= window.__interactiveAt && r.name.startsWith(origin))
      .map((r) => new URL(r.name).pathname), server.url)];
    paints.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime));
    firstLoad ??= total(fetched.map((path) => files.get(path === '/' ? '/index.html' : path)).filter(Boolean), 'first load');
    await context.close();
  }
  for (const kind of ['raw', 'gzip', 'brotli']) {
    row(`first_load_${kind}`, firstLoad[kind], 'bytes', kind === 'brotli' ? 150 * KB : undefined);
    row(`total_${kind}`, all[kind], 'bytes', kind === 'brotli' ? 300 * KB : undefined);
  }
  // The parts split off (scripts/split.mjs), fetched behind the first screen.
  row('after_first_screen_brotli', all.brotli - firstLoad.brotli, 'bytes', undefined);
  row('time_to_first_paint_median_of_10', median(paints), 'ms', undefined);
  // Before the first paint of its own (#22) the app was interactive in 255 ms.
  row('time_to_interactive_median_of_10', median(times), 'ms', 255);

  // Lighthouse (mobile and desktop), the median score of 3 runs of each category.
  for (const form of ['mobile', 'desktop']) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await lighthouse(`${server.url}?network=e2e`, form));
    for (const category of ['performance', 'accessibility', 'best-practices', 'seo']) {
      const limit = category === 'performance' ? 95 : 100;
      const score = median(runs.map((r) => Math.round(r.categories[category].score * 100)));
      row(`lighthouse_${form}_${category.replace('-', '_')}`, score, 'score', `≥ ${limit}`, score >= limit);
    }
    const lcp = median(runs.map((r) => r.audits['largest-contentful-paint'].numericValue));
    const tbt = median(runs.map((r) => r.audits['total-blocking-time'].numericValue));
    row(`lighthouse_${form}_largest_paint`, lcp, 'ms', undefined);
    row(`lighthouse_${form}_total_blocking_time`, tbt, 'ms', undefined);
  }

  // 3. Validation per keystroke in the prompt, with a 200 KB ControlNet image in the arguments:
  // from the input to the next task (the reactive updates run as microtasks: all are done by
  // then). A frame the browser draws meanwhile (style, layout, paint: 2-4 ms, whatever the
  // app did) falls into about one keystroke in ten when they come back to back: those are
  // measured apart, and all of them together beside.
  {
    const { context, page, app } = await openApp({ browser, devnet, server }, 0);
    await app.chooseImage({ prompt: 'a dancer', images: 1 });
    const noise = await makeImage(page, { width: 236, height: 236, type: 'image/png', noise: true });
    await page.getByLabel('ControlNet: guide the picture with an image').check();
    await page.getByTestId('controlnet-file').setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: noise });
    await app.waitForText('controlnet-status', /^noise\.png: 236×236 PNG/);
    const argsBytes = (await app.argsText()).length;
    const keystrokes = await page.evaluate(async () => {
      const prompt = document.querySelector('#field-prompt');
      let [frames, typing] = [0, true];
      const count = () => {
        frames++;
        if (typing) requestAnimationFrame(count);
      };
      requestAnimationFrame(count);
      const measured = [];
      for (let i = 0; i < 200; i++) {
        const [started, framesBefore] = [performance.now(), frames];
        prompt.value += i % 10 === 9 ? ' ' : 'a';
        prompt.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = resolve;
          channel.port2.postMessage(0);
        });
        measured.push({ ms: performance.now() - started, framed: frames !== framesBefore });
      }
      typing = false;
      return measured;
    });
    const sorted = (list) => list.map((k) => k.ms).sort((a, b) => a - b);
    const own = sorted(keystrokes.filter((k) => !k.framed));
    const all = sorted(keystrokes);
    row('validation_args_bytes', argsBytes, 'bytes', undefined);
    row('validation_per_keystroke_p50', percentile(own, 50), 'ms', undefined);
    row('validation_per_keystroke_p95', percentile(own, 95), 'ms', 2);
    row('keystrokes_with_a_frame_drawn', keystrokes.length - own.length, `of ${keystrokes.length}`, undefined);
    row('keystroke_with_frames_p50', percentile(all, 50), 'ms', undefined);
    row('keystroke_with_frames_p95', percentile(all, 95), 'ms', undefined);
    await context.close();
  }

  // 4. The flow of an image task of 9 images, the wallet paying: click → arguments accepted,
  // TaskSuccess → first image, RPC requests per minute while the nodes work (mining paused
  // for 15 s right after the upload, so the task cannot end; the nodes wait up to 18 s for a
  // receipt), and wallet prompts: signing in on the first task, signed in on the next.
  {
    const { context, page, app } = await openApp({ browser, devnet, server }, 1);
    const rpc = [];
    page.on('request', (r) => r.url().startsWith(devnet.rpcUrl) && rpc.push(Date.now()));
    await app.connect();
    await app.approveTasks(5);
    await app.chooseImage({ prompt: 'a lighthouse at night', images: 9 });
    const before = (await walletCalls(page)).length;
    const clicked = Date.now();
    await page.getByTestId('create').click();
    await app.stageDone('Arguments sent to the relay');
    row('click_to_args_accepted', Date.now() - clicked, 'ms', 1500);
    await devnet.pauseMining();
    const waitStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const perMinute = (rpc.filter((t) => t >= waitStart).length * 60_000) / (Date.now() - waitStart);
    await devnet.resumeMining();
    row('rpc_requests_per_minute_while_waiting', perMinute, '/min', 60);
    await app.stageDone('Succeeded');
    const succeeded = Date.now();
    await page.locator('[data-testid="gallery"] img').first().waitFor();
    row('task_success_to_first_image', Date.now() - succeeded, 'ms', 1000);
    await app.imagesShown(9);
    row('wallet_prompts_per_sd_task_of_9_wallet_signing_in', prompts((await walletCalls(page)).slice(before)), 'prompts', undefined);
    row('wallet_prompts_per_sd_task_of_9_wallet_signed_in', await promptsOfTask(page, app), 'prompts', 1);
    await context.close();
  }
  // A wallet that refused the sign-in (on its first task): a signature per upload and per
  // download on the next, as on a relay without sign-in.
  {
    const { context, page, app } = await openApp({ browser, devnet, server }, 4);
    await app.connect();
    await app.approveTasks(5);
    await refuseNext(page, 'personal_sign');
    await promptsOfTask(page, app);
    row('wallet_prompts_per_sd_task_of_9_wallet_without_sign_in', await promptsOfTask(page, app), 'prompts', undefined);
    await context.close();
  }

  // 5. The session wallet: the same task with no prompt, then 20 tasks of 9 images (50 with
  // --full), whose history and results are browsed while the JS heap and the wasm memory are
  // read five times.
  {
    const tasks = process.argv.includes('--full') ? 50 : 20;
    const every = tasks / 5;
    // User 2 gets user 3's CNX (anvil's dev accounts are unlocked), enough for 50 fees.
    const transfer = `0xa9059cbb${users[2].address.slice(2).toLowerCase().padStart(64, '0')}${(1000n * 10n ** 18n).toString(16).padStart(64, '0')}`;
    const { token } = JSON.parse(devnet.profile).contracts;
    await devnet.rpc('eth_sendTransaction', [{ from: users[3].address, to: token, data: transfer }]);
    const { context, page, app } = await openApp({ browser, devnet, server }, 2);
    await context.addInitScript(() => {
      addEventListener('TrunkApplicationStarted', (e) => (window.__wasm = e.detail.wasm));
      // Object URLs alive: their blobs are held outside the JS heap until revoked.
      const live = (window.__objectUrls = new Set());
      const create = URL.createObjectURL;
      const revoke = URL.revokeObjectURL;
      URL.createObjectURL = (blob) => {
        const url = create(blob);
        live.add(url);
        return url;
      };
      URL.revokeObjectURL = (url) => {
        live.delete(url);
        revoke(url);
      };
    });
    await page.reload();
    const field = (label) => page.getByLabel(label, { exact: true }).filter({ visible: true });
    await app.connect();
    await app.goTo('Wallet & settings');
    await field('Passphrase').fill('bench passphrase');
    await field('Passphrase again').fill('bench passphrase');
    await page.getByTestId('create-session').click();
    await page.getByTestId('session-address').waitFor();
    await page.getByLabel('For this many tasks').fill(`${tasks}`);
    await page.getByTestId('fund').click();
    await app.waitForText('cnx', new RegExp(`^${tasks * 30} CNX$`));
    const before = (await walletCalls(page)).length;
    for (let n = 1; n <= tasks; n++) {
      await app.chooseImage({ prompt: `bench task ${n}`, images: 9 });
      await page.getByTestId('create').click();
      await app.waitForText('task', new RegExp(`Task \\d+`));
      await app.stageDone('Succeeded');
      await app.imagesShown(9);
      if (n === 1) row('wallet_prompts_per_sd_task_of_9_session', prompts((await walletCalls(page)).slice(before)), 'prompts', 0);
    }
    const cdp = await context.newCDPSession(page);
    const memory = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      const [wasm, urls] = await page.evaluate(() => [window.__wasm.memory.buffer.byteLength, window.__objectUrls.size]);
      return { heap: usedSize / MB, wasm: wasm / MB, urls };
    };
    await app.goTo('History');
    // The history shows a page at a time: "Load older" until every task is listed.
    await until(async () => {
      const older = page.getByTestId('load-older');
      if (await older.count()) await older.click();
      return (await page.getByTestId('history-row').count()) === tasks;
    }, 'every task in the history', 60_000);
    const readings = [];
    const open = page.getByRole('button', { name: /^Open Task \d+$/ });
    for (let i = 0; i < tasks; i++) {
      await open.nth(i).click();
      const past = page.getByTestId('past-task');
      const goOn = past.getByTestId('go-on');
      if (await goOn.isVisible()) await goOn.click();
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="past-task"] [data-testid="gallery"] img')]
        .filter((img) => img.complete && img.naturalWidth > 0).length === 9);
      if ((i + 1) % every === 0) readings.push({ tasks: i + 1, ...(await memory()) });
    }
    for (const r of readings) {
      row(`memory_after_${r.tasks}_tasks_js_heap`, r.heap, 'MB', 150);
      row(`memory_after_${r.tasks}_tasks_wasm`, r.wasm, 'MB', 150);
      row(`object_urls_alive_after_${r.tasks}_tasks`, r.urls, 'URLs', undefined);
    }
    const growth = readings.at(-1).heap + readings.at(-1).wasm - (readings[0].heap + readings[0].wasm);
    const span = `${readings[0].tasks}_to_${tasks}_tasks`;
    row(`memory_growth_${span}`, growth, 'MB', 5);
    // Only what is shown holds an object URL: the same number after the first and last views.
    row(`object_urls_alive_growth_${span}`, readings.at(-1).urls - readings[0].urls, 'URLs', 0);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await devnet.stop();
}

const met = rows.filter((r) => r.met === true).length;
const missed = rows.filter((r) => r.met === false);
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`\n${'measure'.padEnd(width)}  ${'value'.padStart(12)}  unit     target        result`);
for (const r of rows) {
  const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(2);
  console.log(`${r.name.padEnd(width)}  ${value.padStart(12)}  ${r.unit.padEnd(7)}  ${(r.target ?? '').padEnd(12)}  ${r.met === null ? '' : r.met ? 'met' : 'MISSED'}`);
}
console.log(`\n${met} targets met, ${missed.length} missed${missed.length ? `: ${missed.map((r) => r.name).join(', ')}` : ''}`);
await mkdir(fileURLToPath(new URL('../target', import.meta.url)), { recursive: true });
await writeFile(report, JSON.stringify({ measured_at: new Date().toISOString(), rows }, null, 2) + '\n');
console.log(`written to ${report}`);
