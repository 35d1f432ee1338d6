// A proxy in front of the relay or the chain's RPC, on 127.0.0.1, that passes requests through
// until told to fail the ones a test names, for a while: answer HTTP 500, answer a JSON-RPC
// error, hang (no answer until the fault ends, when the connection drops, as from a server
// restarted), or drop the connection (as a stopped server looks to a browser).
import http from 'node:http';

const CORS = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };

/** Starts the proxy on `port` for `target` (`http://127.0.0.1:PORT`). */
export async function startFaultProxy({ port, target }) {
  let fault = null;
  const hanging = new Set();
  const dropHanging = () => {
    for (const res of hanging) res.socket?.destroy();
  };
  /** Whether `fault` is in force; its first request starts it. */
  const inForce = (fault) => {
    if (fault.until === null) {
      fault.until = Date.now() + fault.ms;
      fault.ended = setTimeout(dropHanging, fault.ms);
    }
    return fault.until > Date.now();
  };
  const server = http.createServer((req, res) => {
    const active = fault && req.method !== 'OPTIONS' && fault.match(req) && inForce(fault);
    if (active) {
      fault.hits += 1;
      switch (fault.kind) {
        case '500':
          res.writeHead(500, CORS).end(JSON.stringify({ message: 'internal error (injected)' }));
          return;
        case 'rpc-error':
          res.writeHead(200, CORS).end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal error (injected)' } }));
          return;
        case 'hang':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'down':
          req.socket.destroy();
          return;
      }
    }
    const url = new URL(req.url, target);
    const upstream = http.request(url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    /**
     * Fails the requests `match(req)` accepts with `kind` ('500', 'rpc-error', 'hang', 'down')
     * for `ms` from the first of them (the stage the fault is meant for); returns a handle
     * whose `hits` counts the failed requests.
     */
    fail(kind, match, ms) {
      clearTimeout(fault?.ended);
      fault = { kind, match, ms, until: null, ended: null, hits: 0 };
      return fault;
    },
    /** Whether a fault is waiting for its first request or in force. */
    failing() {
      return fault !== null && (fault.until === null || Date.now() < fault.until);
    },
    /** Passes everything again; hanging requests are dropped. */
    heal() {
      clearTimeout(fault?.ended);
      fault = null;
      dropHanging();
    },
    async close() {
      this.heal();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
