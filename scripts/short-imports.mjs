// Short names for the imports the main module takes from its wasm-bindgen glue. wasm-bindgen
// names each one after the function it wraps and a hash (`__wbg_body_5f971cbc6950ca4f`),
// written once in the module and once in the glue: 7 KB of names, whose hashes brotli cannot
// compress. Renamed `$0`, `$1`… in both, the first load is about 5 KB smaller.

const uleb = (n) => {
  const out = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 0x80);
  } while (n);
  return Buffer.from(out);
};
const name = (text) => {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([uleb(bytes.length), bytes]);
};

/** Renames the imports of `wasm` (a Buffer) from `module` to short names, in the module's
 * import section and in `glue` (the JavaScript that provides them, where each name must be
 * written exactly once); returns both rewritten. */
export function shortImportNames(wasm, glue, module) {
  let at = 8;
  const readUleb = () => {
    let value = 0;
    for (let shift = 1; ; shift *= 0x80) {
      const byte = wasm[at++];
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
  };
  const readName = () => {
    const length = readUleb();
    return wasm.toString('utf8', at, (at += length));
  };
  const sections = [wasm.subarray(0, 8)];
  const renamed = new Map();
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at++];
    const end = readUleb() + at;
    if (id !== 2) {
      sections.push(wasm.subarray(start, (at = end)));
      continue;
    }
    const count = readUleb();
    const imports = [uleb(count)];
    for (let i = 0; i < count; i++) {
      const from = readName();
      const field = readName();
      const descriptor = at;
      const kind = wasm[at++];
      // A function's type index; a table's element type, then limits; a memory's limits; a
      // global's value type and mutability.
      if (kind === 0) readUleb();
      else if (kind === 1 || kind === 2) {
        if (kind === 1) at++;
        const hasMaximum = wasm[at++] & 1;
        readUleb();
        if (hasMaximum) readUleb();
      } else if (kind === 3) at += 2;
      else throw new Error(`import ${from}.${field} is of kind ${kind}, which this does not read`);
      if (from === module) renamed.set(field, `$${renamed.size.toString(36)}`);
      imports.push(name(from), name(renamed.get(field) ?? field), wasm.subarray(descriptor, at));
    }
    if (at !== end) throw new Error('the import section did not end where it said');
    const body = Buffer.concat(imports);
    sections.push(Buffer.from([2]), uleb(body.length), body);
  }
  for (const [long, short] of renamed) {
    const written = new RegExp(`(?<![\\w$])${long.replaceAll('$', '\\$')}(?![\\w$])`, 'g');
    const times = glue.match(written)?.length ?? 0;
    if (times !== 1) throw new Error(`the glue writes the import ${long} ${times} times, not once`);
    glue = glue.replace(written, short);
  }
  return { wasm: Buffer.concat(sections), glue };
}
