import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible chat-completions server for tests (127.0.0.1, port 0). Each
 * request is answered by `reply(request, n)` (n = 1-based request number); it records
 * every request and the highest number in flight at once.
 */
export interface RecordedRequest {
  n: number;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  at: number;
}

export type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; text?: string; delayMs?: number }
  | 'hang';

export interface JudgeServer {
  baseUrl: string;
  requests: RecordedRequest[];
  maxInFlight: () => number;
  close(): Promise<void>;
}

/** A chat completion whose message content is `content`. */
export function completion(content: string, usage: Record<string, unknown> | null = { prompt_tokens: 1000, completion_tokens: 50 }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
  if (usage) body.usage = usage;
  return body;
}

export const scoreReply = (score: number, reason = 'fine', usage?: Record<string, unknown> | null): Reply => ({ json: completion(JSON.stringify({ score, reason }), usage) });

export async function startJudgeServer(reply: (req: RecordedRequest) => Reply): Promise<JudgeServer> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        /* recorded as {} */
      }
      const rec: RecordedRequest = { n: requests.length + 1, path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      requests.push(rec);
      const r = reply(rec);
      res.on('close', () => inFlight--);
      if (r === 'hang') return; // never answers: the client must time out
      const send = () => {
        const text = r.text ?? JSON.stringify(r.json ?? {});
        res.writeHead(r.status ?? 200, { 'content-type': r.json !== undefined ? 'application/json' : 'text/plain', ...r.headers });
        res.end(text);
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
