// Builds the contracts with forge (solc-js) and writes what the clients use:
//   abi/NAME.json                  the ABI, pretty-printed (the DApp and the Rust crates)
//   contracts/bytecode/NAME.hex    the creation bytecode (`crynux devnet` deploys it)
// Usage: node scripts/contracts.mjs          (write)
//        node scripts/contracts.mjs --check  (exit 1 if the committed files drifted)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const CONTRACTS = ['CrynuxToken', 'Node', 'Task'];
export const root = fileURLToPath(new URL('..', import.meta.url));

/// The files as they would be written now: path → contents.
export function buildArtifacts() {
  const contracts = join(root, 'contracts');
  execFileSync(join(root, 'node_modules/.bin/forge'), ['build', '--quiet'], { cwd: contracts, stdio: 'inherit' });
  const files = {};
  for (const name of CONTRACTS) {
    const out = JSON.parse(readFileSync(join(contracts, 'out', `${name}.sol`, `${name}.json`), 'utf8'));
    files[`abi/${name}.json`] = `${JSON.stringify(out.abi, null, 4)}\n`;
    files[`contracts/bytecode/${name}.hex`] = `${out.bytecode.object}\n`;
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = buildArtifacts();
  const check = process.argv.includes('--check');
  let drifted = 0;
  for (const [path, contents] of Object.entries(files)) {
    if (check) {
      let committed = '';
      try { committed = readFileSync(join(root, path), 'utf8'); } catch {}
      if (committed !== contents) {
        console.error(`${path} differs from the compiled contracts: run node scripts/contracts.mjs`);
        drifted++;
      }
    } else {
      writeFileSync(join(root, path), contents);
      console.log(`wrote ${path}`);
    }
  }
  process.exit(drifted ? 1 : 0);
}
