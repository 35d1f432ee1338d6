// An EIP-1193 wallet for the browser tests that really signs: an ethers Wallet holding an anvil
// dev key signs messages (personal_sign, EIP-191) and transactions (sent raw to anvil), the way
// MetaMask does. It records every request in `window.__wallet.calls`, refuses the methods
// queued in `window.__wallet.refuse` (once each, as a user pressing "Reject" would), carries
// out but never answers those queued in `window.__wallet.hold` (an answer lost to a reload),
// can start on another chain, known to it or not, and announces changes on demand
// (`window.__wallet.emit`). Like MetaMask it remembers, across reloads and cleared site
// storage, that the site was granted the account: `eth_accounts` names it only after an
// `eth_requestAccounts`.
import { readFile } from 'node:fs/promises';

const ethers = await readFile(
  new URL('../../node_modules/ethers/dist/ethers.umd.min.js', import.meta.url),
  'utf8',
);

/** Installs the wallet in every page of `context`. */
export async function installWallet(context, { privateKey, rpcUrl, chainId = '0x7a69', knownChains }) {
  let granted = false;
  await context.exposeBinding('__walletGrant', (_source, grant) => {
    granted ||= grant === true;
    return granted;
  });
  await context.addInitScript({ content: ethers });
  await context.addInitScript(inPage, { privateKey, rpcUrl, chainId, knownChains: knownChains ?? [chainId, '0x7a69'] });
}

/** The requests the wallet received so far, as `{method, params}`. */
export function walletCalls(page) {
  return page.evaluate(() => window.__wallet.calls);
}

/** How many of `calls` a person had to answer: transactions and signatures. */
export function prompts(calls) {
  return calls.filter((c) => /^eth_send|sign/.test(c.method)).length;
}

/** The text of a `personal_sign` request. */
export function signedText(call) {
  return Buffer.from(call.params[0].slice(2), 'hex').toString('utf8');
}

/** Makes the wallet refuse the next request of `method` (code 4001). */
export function refuseNext(page, method) {
  return page.evaluate((m) => window.__wallet.refuse.push(m), method);
}

/** Makes the wallet carry out the next request of `method` but never answer it. */
export function holdNext(page, method) {
  return page.evaluate((m) => window.__wallet.hold.push(m), method);
}

function inPage({ privateKey, rpcUrl, chainId, knownChains }) {
  const signer = new window.ethers.Wallet(privateKey);
  const account = signer.address.toLowerCase();
  const state = { chainId, known: new Set(knownChains), refuse: [], hold: [], calls: [] };
  const listeners = {};
  const emit = (event, value) => (listeners[event] ?? []).forEach((listener) => listener(value));
  const rpc = async (method, params) => {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const answer = await response.json();
    if (answer.error) throw answer.error;
    return answer.result;
  };
  const provider = {
    on(event, listener) {
      (listeners[event] ??= []).push(listener);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
    async request({ method, params = [] }) {
      state.calls.push({ method, params: JSON.parse(JSON.stringify(params)) });
      const refused = state.refuse.indexOf(method);
      if (refused >= 0) {
        state.refuse.splice(refused, 1);
        throw { code: 4001, message: 'User rejected the request.' };
      }
      const held = state.hold.indexOf(method);
      if (held >= 0) {
        state.hold.splice(held, 1);
        await answer(method, params);
        return new Promise(() => {});
      }
      return answer(method, params);
    },
  };
  async function answer(method, params) {
    switch (method) {
      case 'eth_requestAccounts':
        await window.__walletGrant(true);
        return [account];
      case 'eth_accounts':
        return (await window.__walletGrant(false)) ? [account] : [];
      case 'eth_chainId':
        return state.chainId;
      case 'wallet_switchEthereumChain':
        if (!state.known.has(params[0].chainId)) throw { code: 4902, message: 'Unrecognized chain ID' };
        state.chainId = params[0].chainId;
        emit('chainChanged', state.chainId);
        return null;
      case 'wallet_addEthereumChain':
        state.known.add(params[0].chainId);
        return null;
      case 'personal_sign':
        if (params[1].toLowerCase() !== account) throw { code: 4100, message: 'unknown account' };
        return signer.signMessage(window.ethers.getBytes(params[0]));
      case 'eth_sendTransaction': {
        const tx = params[0];
        if (tx.from.toLowerCase() !== account) throw { code: 4100, message: 'unknown account' };
        const raw = await signer.signTransaction({
          type: 0,
          chainId: BigInt(await rpc('eth_chainId', [])),
          nonce: Number(await rpc('eth_getTransactionCount', [account, 'pending'])),
          gasPrice: BigInt(await rpc('eth_gasPrice', [])),
          gasLimit: BigInt(tx.gas),
          to: tx.to,
          data: tx.data,
          value: BigInt(tx.value ?? 0),
        });
        return rpc('eth_sendRawTransaction', [raw]);
      }
      default:
        return rpc(method, params);
    }
  }
  // A test can make the wallet announce an account or network change.
  state.emit = emit;
  window.__wallet = state;
  window.ethereum = provider;
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent('eip6963:announceProvider', {
        detail: Object.freeze({
          info: { uuid: '0b7c1a3e-test-wallet', name: 'Test Wallet', icon: 'data:image/svg+xml,<svg/>', rdns: 'test.wallet' },
          provider,
        }),
      }),
    );
  window.addEventListener('eip6963:requestProvider', announce);
}
