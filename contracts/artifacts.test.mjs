// The committed ABIs and bytecode are what the contracts compile to, and our ABIs keep every
// function, event and constructor of the era's contracts with the same signature, outputs
// and indexing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildArtifacts, CONTRACTS, root } from '../scripts/contracts.mjs';

test('abi/ and contracts/bytecode/ match a fresh compile', () => {
  for (const [path, contents] of Object.entries(buildArtifacts())) {
    assert.equal(readFileSync(join(root, path), 'utf8'), contents, `${path} drifted: run node scripts/contracts.mjs`);
  }
});

const canonical = (param) =>
  param.type.startsWith('tuple')
    ? `(${param.components.map(canonical).join(',')})${param.type.slice('tuple'.length)}`
    : param.type;

// What a caller depends on, per entry: its signature and everything that shapes encoding.
const shape = (entry) => ({
  signature: `${entry.type} ${entry.name ?? ''}(${entry.inputs.map(canonical).join(',')})`,
  outputs: (entry.outputs ?? []).map(canonical),
  indexed: entry.inputs.map((input) => Boolean(input.indexed)),
  anonymous: Boolean(entry.anonymous),
  payable: entry.stateMutability === 'payable',
  view: ['view', 'pure'].includes(entry.stateMutability),
});

for (const name of CONTRACTS) {
  test(`${name}: every entry of the reference ABI is ours too`, () => {
    const reference = JSON.parse(readFileSync(join(root, '..', 'shared', 'reference', 'abi', `${name}.json`), 'utf8'));
    const ours = JSON.parse(readFileSync(join(root, 'abi', `${name}.json`), 'utf8'));
    const oursBySignature = new Map(ours.map((entry) => [shape(entry).signature, shape(entry)]));
    const entries = reference.filter((entry) => ['function', 'event', 'constructor'].includes(entry.type));
    assert.ok(entries.length > 10, 'the reference ABI was read');
    for (const entry of entries) {
      const expected = shape(entry);
      assert.deepEqual(oursBySignature.get(expected.signature), expected, expected.signature);
    }
  });
}

test('every revert string of the contracts is expected by a forge test', () => {
  const source = (dir, names) => names.map((n) => readFileSync(join(root, 'contracts', dir, n), 'utf8')).join('\n');
  const contracts = source('src', ['CrynuxToken.sol', 'Node.sol', 'Task.sol']);
  const tests = source('test', ['Base.sol', 'Node.t.sol', 'Task.t.sol']);
  const reasons = new Set([...contracts.matchAll(/(?:require\([^;]*?|revert\()"([^"]+)"\)/gs)].map((m) => m[1]));
  assert.ok(reasons.size > 20, `found ${reasons.size} revert strings`);
  const untested = [...reasons].filter((reason) => !tests.includes(`vm.expectRevert(bytes("${reason}"))`));
  assert.deepEqual(untested, []);
});
