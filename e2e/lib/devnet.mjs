// The local Crynux network for the browser tests: `crynux devnet` (anvil, contracts, simulated
// nodes) and `crynux relay` as its own process, so a test can stop and restart the relay.
// Both listen on 127.0.0.1 and are stopped by their PID.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const crynux = `${root}target/debug/crynux`;

/** Starts `command args…` and resolves once a line of its output matches `ready`. */
function start(args, ready, label) {
  const child = spawn(crynux, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
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
 * text), its accounts, and controls for the relay.
 */
export async function startDevnet({ chainPort, relayPort, users }) {
  const stateDir = `${root}target/e2e-devnet`;
  await rm(stateDir, { recursive: true, force: true });
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const network = await start(
    ['devnet', '--no-app', '--no-relay', '--compute-ms', '0', '--port', `${chainPort}`,
      '--users', `${users}`, '--relay-url', relayUrl, '--state-dir', stateDir],
    /Crynux devnet ready/,
    'crynux devnet',
  );
  const profile = await readFile(`${stateDir}/network.json`, 'utf8');
  const accounts = JSON.parse(await readFile(`${stateDir}/accounts.json`, 'utf8'));
  const relayArgs = ['relay', '--profile', `${stateDir}/network.json`, '--listen', `127.0.0.1:${relayPort}`,
    '--data-dir', `${stateDir}/relay`];
  const startRelay = () => start(relayArgs, /Relay ready/, 'crynux relay');
  let relay = await startRelay();
  return {
    profile,
    accounts,
    rpcUrl: `http://127.0.0.1:${chainPort}`,
    async stopRelay() {
      await stop(relay);
    },
    async restartRelay() {
      relay = await startRelay();
    },
    async stop() {
      await stop(relay);
      await stop(network);
    },
  };
}
