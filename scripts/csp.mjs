// Trunk post-build hook: writes the Content-Security-Policy into the built index.html as a
// <meta>, first in <head>: scripts only from the app's own origin and the inline loader
// trunk wrote (by its hash), WebAssembly compiled by that loader, no plugins, no <base>.
// An injected script (HTML that slipped into a result, a foreign script) then cannot run,
// and cannot read the relay token kept in sessionStorage.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('scripts/csp.mjs runs as a trunk post_build hook (TRUNK_STAGING_DIR)');
const file = join(dir, 'index.html');
const html = await readFile(file, 'utf8');
// `trunk serve` fills its reload script's address in as it serves the page: hash what the
// browser gets (the address from TRUNK_SERVE_ADDRESS and TRUNK_SERVE_PORT, as trunk reads
// them, else Trunk.toml's 127.0.0.1:8080).
const served = (body) => body
  .replaceAll('{{__TRUNK_ADDRESS__}}', `${process.env.TRUNK_SERVE_ADDRESS ?? '127.0.0.1'}:${process.env.TRUNK_SERVE_PORT ?? 8080}`)
  .replaceAll('{{__TRUNK_WS_BASE__}}', '/');
const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
  ([, body]) => `'sha256-${createHash('sha256').update(served(body), 'utf8').digest('base64')}'`,
);
const policy = [
  `script-src 'self' 'wasm-unsafe-eval' ${inline.join(' ')}`.trim(),
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');
const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
if (html.includes('http-equiv="Content-Security-Policy"')) throw new Error('index.html already has a CSP');
// After the charset, as written or as minified (`<meta charset=utf-8>`).
const charset = /<meta charset="?utf-8"?\s*\/?>/i;
if (!charset.test(html)) throw new Error('index.html has no <meta charset="utf-8">');
await writeFile(file, html.replace(charset, (found) => `${found}${meta}`));
console.log(`CSP: ${policy}`);
