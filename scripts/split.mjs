// Trunk post-build hook, release builds only: splits the app's module at its lazily loaded
// parts (src/lazy.rs), so that the first screen fetches only the main module and the rest
// is fetched behind it. Trunk cannot split: this replaces its wasm and
// glue in the staging folder with
//   - wasm-split-cli's main module, run through wasm-bindgen with the exports the parts
//     link to (`--keep-lld-exports`), under trunk's names;
//   - the lazily loaded parts and their loader (`__wasm_split`), named by their content;
// each module optimised by wasm-opt -Oz (index.html asks trunk for none: it cannot read a
// module with relocations), and the glue and the loader minified by terser (trunk minified
// the glue it wrote, not this one), the imports of the main module renamed short
// (scripts/short-imports.mjs), the loader preloaded by index.html. build.rs keeps the
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
const optimise = (file) => run('wasm-opt', ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', file, '-o', file]);
const minified = async (text) => (await minify(text, { module: true })).code;
const contentName = (file, ext) => `${file}-${createHash('sha256').update(readFileSync(join(work, file + ext))).digest('hex').slice(0, 16)}${ext}`;

const work = mkdtempSync(join(tmpdir(), 'crynux-split-'));
try {
  run('wasm-split-cli', [input, work, '--target', 'web', '--out-name', name]);
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--keep-lld-exports', '--no-demangle', '--out-name', name,
    '--out-dir', dir, join(work, `${name}.wasm`)]);
  rmSync(join(work, `${name}.wasm`));
  optimise(join(dir, `${name}_bg.wasm`));
  // The parts, then the loader that names them, then the glue that imports the loader.
  let loader = readFileSync(join(work, '__wasm_split.js'), 'utf8');
  for (const part of readdirSync(work).filter((f) => f.endsWith('.wasm'))) {
    optimise(join(work, part));
    const named = contentName(basename(part, '.wasm'), '.wasm');
    renameSync(join(work, part), join(dir, named));
    loader = loader.replaceAll(`"./${part}"`, `"./${named}"`);
  }
  writeFileSync(join(work, '__wasm_split.js'), await minified(loader));
  const loaderName = contentName('__wasm_split', '.js');
  renameSync(join(work, '__wasm_split.js'), join(dir, loaderName));
  // The glue imports the loader: fetched beside the glue rather than after it, the module
  // graph is ready, and the wasm asked for, one round trip sooner.
  const page = join(dir, 'index.html');
  const html = readFileSync(page, 'utf8');
  // Trunk's loader, and the folder it imports the glue from (trunk's public URL).
  const loaderScript = new RegExp(`<script type="?module"?>import init, \\* as bindings from '([^']*)${glue.replaceAll('.', '\\.')}'`);
  const [script, base] = html.match(loaderScript) ?? [];
  if (!script) throw new Error(`index.html has no loader importing ${glue}`);
  writeFileSync(page, html.replace(script, `<link rel="modulepreload" href="${base}${loaderName}">${script}`));
  const glueFile = join(dir, glue);
  const mainFile = join(dir, `${name}_bg.wasm`);
  const short = shortImportNames(readFileSync(mainFile), readFileSync(glueFile, 'utf8'), `./${name}_bg.js`);
  writeFileSync(mainFile, short.wasm);
  // Only where it is imported: the wasm's own import names the loader as `./__wasm_split.js`.
  writeFileSync(glueFile, await minified(short.glue.replaceAll('from "./__wasm_split.js"', `from "./${loaderName}"`)));
  const parts = readdirSync(dir).filter((f) => f.endsWith('.wasm') && !f.startsWith(name));
  console.log(`split: ${name}_bg.wasm, its loader ${loaderName}, then ${parts.join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
