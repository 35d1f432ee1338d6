// Trunk post-build hook, release builds only: splits the app's module at its lazily loaded
// parts (src/lazy.rs), so that the first screen fetches only the main module and the rest
// is fetched behind it. Trunk cannot split: this replaces its wasm and glue in the staging
// folder with
//   - wasm-split-cli's main module, run through wasm-bindgen with the exports the parts
//     link to (`--keep-lld-exports`);
//   - the lazily loaded parts and their loader (`__wasm_split`);
// each module optimised by wasm-opt -Oz (index.html asks trunk for none: it cannot read a
// module with relocations) and its toolchain's custom sections dropped, the imports of the
// main module renamed short (scripts/short-imports.mjs), the glue and the loader minified by
// terser (trunk minified the glue it wrote, not this one), the loader preloaded by
// index.html, and every file named by its content, so that the app server may cache it as
// immutable (trunk's names hash what trunk wrote, not what this writes). build.rs keeps the
// relocations in release builds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

import { shortImportNames } from './short-imports.mjs';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('scripts/split.mjs runs as a trunk post_build hook (TRUNK_STAGING_DIR)');
if (process.env.TRUNK_PROFILE !== 'release') process.exit(0);

const root = fileURLToPath(new URL('..', import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const input = join(targetDir, 'wasm32-unknown-unknown/release/crynux-dapp.wasm');
// Trunk writes its hash as hex without leading zeros: 16 digits or fewer.
const glue = readdirSync(dir).find((f) => /^crynux-dapp-[0-9a-f]{1,16}\.js$/.test(f));
if (!glue) throw new Error(`no crynux-dapp-….js in ${dir}`);
const name = basename(glue, '.js');
// Quiet unless it fails (wasm-opt warns of each module's name section).
const run = (command, args) => execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
// `--low-memory-unused`: the module's first 1 KB of memory is never read or written, so that
// an address plus a constant may be folded into the access's offset. Rust links the stack
// first (1 MB below the data, growing down to 0): its lowest kilobyte is used only by a
// stack 1 KB short of overflowing, which fails either way. Brotli: main −0.7 KB, parts −1.1 KB.
const optimise = (file) => run('wasm-opt', ['-Oz', '--low-memory-unused', '--strip-producers', '--strip-target-features', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', file, '-o', file]);
const minified = async (text) => (await minify(text, { module: true })).code;
const digest = (...contents) => contents.reduce((hash, c) => hash.update(c), createHash('sha256')).digest('hex').slice(0, 16);
const contentName = (file, ext) => `${file}-${digest(readFileSync(join(work, file + ext)))}${ext}`;

const work = mkdtempSync(join(tmpdir(), 'crynux-split-'));
try {
  run('wasm-split-cli', [input, work, '--target', 'web', '--out-name', name]);
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--keep-lld-exports', '--no-demangle', '--out-name', name,
    '--out-dir', work, join(work, `${name}.wasm`)]);
  rmSync(join(work, `${name}.wasm`));
  const mainWasm = join(work, `${name}_bg.wasm`);
  optimise(mainWasm);
  // The parts, then the loader that names them.
  let loader = readFileSync(join(work, '__wasm_split.js'), 'utf8');
  for (const part of readdirSync(work).filter((f) => f.endsWith('.wasm') && f !== `${name}_bg.wasm`)) {
    optimise(join(work, part));
    const named = contentName(basename(part, '.wasm'), '.wasm');
    renameSync(join(work, part), join(dir, named));
    loader = loader.replaceAll(`"./${part}"`, `"./${named}"`);
  }
  const short = shortImportNames(readFileSync(mainWasm), readFileSync(join(work, glue), 'utf8'), `./${name}_bg.js`);
  // The glue imports the loader and the loader imports the glue, so the two and the main
  // module share one name: the hash of the three as written with that name left as zeros.
  // The wasm's own imports keep the names the glue gives them (`./__wasm_split.js`,
  // `./NAME_bg.js`); only the files' addresses change.
  const unnamed = '0'.repeat(16);
  const glueFile = `crynux-dapp-${unnamed}.js`;
  const wasmFile = `crynux-dapp-${unnamed}_bg.wasm`;
  const loaderFile = `__wasm_split-${unnamed}.js`;
  const glueText = await minified(short.glue
    .replaceAll('from "./__wasm_split.js"', `from "./${loaderFile}"`)
    .replaceAll(`${name}_bg.wasm`, wasmFile));
  const loaderText = await minified(loader.replaceAll(`./${glue}`, `./${glueFile}`));
  for (const [file, text, times] of [[glue, glueText, 2], ['__wasm_split.js', loaderText, 1]]) {
    const found = text.split(unnamed).length - 1;
    if (found !== times) throw new Error(`${file} names the others ${found} times, not ${times}`);
  }
  const jointHash = digest(short.wasm, glueText, loaderText);
  const named = (text) => text.replaceAll(unnamed, jointHash);
  writeFileSync(join(dir, named(wasmFile)), short.wasm);
  writeFileSync(join(dir, named(glueFile)), named(glueText));
  writeFileSync(join(dir, named(loaderFile)), named(loaderText));
  rmSync(join(dir, glue));
  rmSync(join(dir, `${name}_bg.wasm`));
  // Trunk's loader, and the folder it imports the glue from (trunk's public URL). The glue
  // imports the loader: fetched beside the glue rather than after it, the module graph is
  // ready, and the wasm asked for, one round trip sooner.
  const page = join(dir, 'index.html');
  const html = readFileSync(page, 'utf8');
  const loaderScript = new RegExp(`<script type="?module"?>import init, \\* as bindings from '([^']*)${glue.replaceAll('.', '\\.')}'`);
  const [script, base] = html.match(loaderScript) ?? [];
  if (!script) throw new Error(`index.html has no loader importing ${glue}`);
  const wasmAddress = `'${base}${name}_bg.wasm'`;
  if (html.split(wasmAddress).length !== 2) throw new Error(`index.html does not load ${wasmAddress} once`);
  writeFileSync(page, html
    .replace(script, `<link rel="modulepreload" href="${base}${named(loaderFile)}">${script.replace(glue, named(glueFile))}`)
    .replace(wasmAddress, `'${base}${named(wasmFile)}'`));
  const parts = readdirSync(dir).filter((f) => /^split_.*\.wasm$/.test(f));
  console.log(`split: ${named(wasmFile)}, its glue and loader, then ${parts.join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
