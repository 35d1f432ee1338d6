// The local Crynux network for the browser tests: `crynux devnet` (anvil, contracts, simulated
// nodes) and `crynux relay` as its own process, so a test can stop and restart the relay.
// Both listen on 127.0.0.1 and are stopped by their PID.
import { spawn } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// topic0 of TaskCreated(uint256,uint256,address,address,bytes32,bytes32,uint256)
const TASK_CREATED = '0xbb7c6b96a3c44e4d2f31e6c30253c53b53f88b24017a672bc1781402f646a8ad';
const crynux = `${root}target/debug/crynux`;

/** Starts `crynux args…` and resolves once its output matches `ready`; `child.output` is
 * what it printed. */
function start(args, ready, label) {
  const child = spawn(crynux, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      child.output = output;
      if (ready.test(output)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready:\n${output}`)));
  });
}

/** Stops a process by its PID and waits for it to exit. */
function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  return exited;
}

/**
 * Starts chain, nodes and relay on the given ports; resolves to the network's profile (as
 * text), its accounts, controls for the relay, and JSON-RPC calls to the chain. `nodes`
 * (`NAME:VRAM[:FAULT]`, default: the devnet's) and `taskTimeout` (seconds) shape the network;
 * `signatureSchemes` (e.g. `['raw']`) restricts the relay, and the profile says so. With
 * `appOrigin` (`http://127.0.0.1:PORT`) the relay offers sign-in to that app, and the profile
 * says so. The nodes cancel a task left open `cancelGrace` seconds after its deadline.
 */
export async function startDevnet({ chainPort, relayPort, users, nodes = [], taskTimeout = 900, signatureSchemes, appOrigin, cancelGrace = 60 }) {
  const stateDir = `${root}target/e2e-devnet-${chainPort}`;
  await rm(stateDir, { recursive: true, force: true });
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const network = await start(
    ['devnet', '--no-app', '--no-relay', '--compute-ms', '0', '--port', `${chainPort}`,
      '--users', `${users}`, '--relay-url', relayUrl, '--state-dir', stateDir,
      '--task-timeout', `${taskTimeout}`, '--cancel-grace-secs', `${cancelGrace}`, ...nodes.flatMap((node) => ['--node', node])],
    /Crynux devnet ready/,
    'crynux devnet',
  );
  let profile = await readFile(`${stateDir}/network.json`, 'utf8');
  const accounts = JSON.parse(await readFile(`${stateDir}/accounts.json`, 'utf8'));
  const relayArgs = ['relay', '--profile', `${stateDir}/network.json`, '--listen', `127.0.0.1:${relayPort}`,
    '--data-dir', `${stateDir}/relay`];
  if (signatureSchemes) {
    relayArgs.push('--signature-schemes', signatureSchemes.join(','));
    profile = JSON.stringify({ ...JSON.parse(profile), relay_signature_schemes: signatureSchemes });
  }
  if (appOrigin) {
    relayArgs.push('--app-origin', appOrigin);
    profile = JSON.stringify({ ...JSON.parse(profile), relay_sign_in: true });
  }
  const startRelay = () => start(relayArgs, /Relay ready/, 'crynux relay');
  let relay = await startRelay();
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  const rpc = async (method, params = []) => {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const answer = await response.json();
    if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  };
  const { contracts } = JSON.parse(profile);
  return {
    profile,
    accounts,
    rpcUrl,
    relayUrl,
    rpc,
    /** Ids of the tasks `address` created, from the chain's TaskCreated logs. */
    async tasksCreatedBy(address) {
      const logs = await rpc('eth_getLogs', [{
        address: contracts.task,
        topics: [TASK_CREATED, `0x${address.slice(2).toLowerCase().padStart(64, '0')}`],
        fromBlock: '0x0',
        toBlock: 'latest',
      }]);
      return [...new Set(logs.map((log) => BigInt(log.data.slice(0, 66))))];
    },
    /** CNX of `address`, in whole tokens. */
    async cnx(address) {
      const data = `0x70a08231${address.slice(2).toLowerCase().padStart(64, '0')}`;
      return Number(BigInt(await rpc('eth_call', [{ to: contracts.token, data }, 'latest'])) / 10n ** 18n);
    },
    /** Stops mining (transactions wait in the pool) or mines them and goes on mining. */
    async pauseMining() {
      await rpc('evm_setAutomine', [false]);
    },
    async resumeMining() {
      await rpc('evm_setAutomine', [true]);
      await rpc('evm_mine', []);
    },
    /** Mines what waits in the pool in one block, and goes on pausing. */
    async mineBlock() {
      await rpc('evm_mine', []);
    },
    /** What the relay printed when it started. */
    relayOutput() {
      return relay.output;
    },
    /** ETH of `address`, in wei. */
    async eth(address) {
      return BigInt(await rpc('eth_getBalance', [address, 'latest']));
    },
    async stopRelay() {
      await stop(relay);
    },
    async restartRelay() {
      relay = await startRelay();
    },
    /** Restarts the relay with a new database: its sessions are gone. */
    async resetRelay() {
      await stop(relay);
      await rm(`${stateDir}/relay`, { recursive: true, force: true });
      relay = await startRelay();
    },
    async stop() {
      await stop(relay);
      await stop(network);
    },
  };
}

/**
 * Serves a copy of the built app `dir`, with the `extra` files written into it (a network
 * profile), by the devnet's own app server (`crynux devnet app`: brotli and gzip, cache
 * headers) on 127.0.0.1:`port`.
 */
export async function serveApp(dir, extra, port) {
  const copy = `${root}target/app-${port}`;
  await rm(copy, { recursive: true, force: true });
  await cp(dir, copy, { recursive: true });
  for (const [path, body] of Object.entries(extra)) await writeFile(`${copy}${path}`, body);
  const server = await start(['devnet', 'app', '--dir', copy, '--port', `${port}`], /App ready/, 'crynux devnet app');
  return { url: `http://127.0.0.1:${port}/`, close: () => stop(server) };
}
