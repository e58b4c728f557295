/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) for the fetcher tests, with the failure modes a release
 * download meets in the wild: 404, a connection cut mid-body, a lying Content-Length, a server that hangs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface PackServer {
  readonly baseUrl: string;
  /** Paths requested so far, in order. */
  readonly requests: string[];
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startPackServer(): Promise<PackServer> {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const handler = routes.get(req.url ?? '');
    if (handler === undefined) {
      res.writeHead(404, 'Not Found', { 'content-type': 'text/plain' }).end('no such file');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    route: (path, handler) => void routes.set(path, handler),
    close: async () => {
      server.closeAllConnections(); // hanging handlers never end their responses
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole body with a correct Content-Length, written in `chunks` pieces so progress has steps to show. */
export function serveBytes(bytes: Uint8Array, chunks = 4): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(bytes.length) });
    const step = Math.ceil(bytes.length / chunks);
    const writeFrom = (at: number): void => {
      if (at >= bytes.length) {
        res.end();
        return;
      }
      res.write(bytes.subarray(at, at + step), () => setImmediate(() => writeFrom(at + step)));
    };
    writeFrom(0);
  };
}

/** Announces `announced` bytes (null: no Content-Length, chunked), sends the first `sent`, then drops the connection. */
export function serveCut(bytes: Uint8Array, sent: number, announced: number | null = bytes.length): Handler {
  return (_req, res) => {
    const headers: Record<string, string> = { 'content-type': 'application/zip' };
    if (announced !== null) headers['content-length'] = String(announced);
    res.writeHead(200, headers);
    res.write(bytes.subarray(0, sent), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

/** Accepts the request and never answers. */
export const serveNothing: Handler = () => undefined;

/** Sends headers and `sent` bytes, then goes silent with the connection open. */
export function serveThenStall(bytes: Uint8Array, sent: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, sent));
  };
}

/** The whole body in `chunks` pieces spread over about `totalMs`, so a progress bar has time to draw. */
export function serveSlowly(bytes: Uint8Array, chunks: number, totalMs: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(bytes.length) });
    const step = Math.ceil(bytes.length / chunks);
    const writeFrom = (at: number): void => {
      if (at >= bytes.length) {
        res.end();
        return;
      }
      res.write(bytes.subarray(at, at + step));
      setTimeout(() => writeFrom(at + step), totalMs / chunks);
    };
    writeFrom(0);
  };
}
