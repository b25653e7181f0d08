import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A stand-in for a Slack incoming webhook (or any JSON webhook) as a real HTTP server
 * on 127.0.0.1, for delivery tests that need real sockets, real status codes and real
 * refused connections. Records every POST; answers 200 "ok" unless scripted otherwise.
 */
export interface ReceivedRequest {
  /** Date.now() when the request body was complete. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  /** What the receiver answered. */
  status: number;
}

/** One scripted answer, used for the next `times` requests (default 1). */
export type ScriptStep =
  /** `delayMs`: answer only after this long (to make a client time out). */
  | { status: number; body?: string; retryAfter?: string | number; delayMs?: number; times?: number }
  | { redirect: string; status?: 301 | 302 | 307 | 308; times?: number }
  /** Accept the connection, then destroy it without answering. */
  | { hangUp: true; times?: number };

export interface SlackReceiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Requests answered 2xx: what a real Slack channel would show. */
  accepted(): ReceivedRequest[];
  /** Queue answers for the next requests (in order, after any already queued). */
  script(...steps: ScriptStep[]): void;
  /** Drop what is still queued: answer 200 from now on. */
  clearScript(): void;
  /** Go down: `refuse` (default) closes the listener (ECONNREFUSED); `reset` keeps it and destroys each connection. */
  down(mode?: 'refuse' | 'reset'): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSlackReceiver(opts: { path?: string } = {}): Promise<SlackReceiver> {
  const path = opts.path ?? '/services/T000/B000/secret-token';
  const received: ReceivedRequest[] = [];
  const queue: ScriptStep[] = [];
  const sockets = new Set<Socket>();
  let resetting = false;
  let listening = false;

  const nextStep = (): ScriptStep | null => {
    const step = queue[0];
    if (!step) return null;
    step.times = (step.times ?? 1) - 1;
    if (step.times <= 0) queue.shift();
    return step;
  };

  const answer = (res: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      if (resetting) {
        req.socket.destroy();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      const step = req.method === 'POST' ? nextStep() : null;
      const record = (status: number) => received.push({ at, path: req.url ?? '', headers: req.headers, body, status });
      if (req.method !== 'POST') return answer(res, 405, {}, 'method not allowed');
      if (step && 'hangUp' in step) {
        record(0);
        req.socket.destroy();
      } else if (step && 'redirect' in step) {
        record(step.status ?? 302);
        answer(res, step.status ?? 302, { location: step.redirect }, '');
      } else if (step) {
        const send = () => {
          record(step.status);
          answer(res, step.status, step.retryAfter !== undefined ? { 'retry-after': String(step.retryAfter) } : {}, step.body ?? (step.status >= 400 ? 'error' : 'ok'));
        };
        if (step.delayMs) setTimeout(send, step.delayMs);
        else send();
      } else {
        record(200);
        answer(res, 200, {}, 'ok');
      }
    });
  });
  server.on('connection', (s) => {
    if (resetting) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as { port: number }).port;
        listening = true;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}${path}`;
    },
    port,
    received,
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    script(...steps) {
      queue.push(...steps.map((s) => ({ ...s })));
    },
    clearScript() {
      queue.length = 0;
    },
    async down(mode = 'refuse') {
      if (mode === 'reset') {
        resetting = true;
        for (const s of sockets) s.destroy();
      } else {
        await close();
      }
    },
    async up() {
      resetting = false;
      if (!listening) await listen();
    },
    stop: close,
  };
}
