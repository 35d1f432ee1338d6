// Transfer sizes of a built app folder: raw, gzip -9 and brotli q11 per file, and the total.
// As a script it prints them: node scripts/sizes.mjs dist
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Raw, gzip and brotli sizes of `bytes`. */
export function transferSizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** One row per file under `root` (`file` relative to it), sorted by name. */
export function folderSizes(root) {
  const files = (function walk(dir) {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  })(root).sort();
  return files.map((path) => ({ file: relative(root, path), ...transferSizes(readFileSync(path)) }));
}

/** The sum of `rows`, as a row named `file`. */
export function total(rows, file = 'total') {
  return rows.reduce((sum, r) => ({ file, raw: sum.raw + r.raw, gzip: sum.gzip + r.gzip, brotli: sum.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = folderSizes(process.argv[2] ?? 'dist');
  rows.push(total(rows));
  const width = Math.max(...rows.map((r) => r.file.length));
  console.log(`${'file'.padEnd(width)}  ${'raw'.padStart(9)}  ${'gzip'.padStart(9)}  ${'brotli'.padStart(9)}`);
  for (const r of rows) {
    console.log(`${r.file.padEnd(width)}  ${String(r.raw).padStart(9)}  ${String(r.gzip).padStart(9)}  ${String(r.brotli).padStart(9)}`);
  }
}
