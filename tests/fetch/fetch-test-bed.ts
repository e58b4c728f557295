/**
 * What the fetch tests share: a loopback pack server started before and closed after the file's tests, fresh
 * InsightFace roots removed at the end, and files served under unique prefixes so tests never see each other's routes.
 */
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { tempRoot } from './pack-fixtures.js';
import { startPackServer, type PackServer } from './pack-server.js';

export interface FetchTestBed {
  /** Set by the `before` hook. */
  server: PackServer;
  /** A new temporary root, removed after the file's tests. */
  freshRoot(): string;
  /** Serves `handler` as `<prefix>/<file>` under a new prefix; returns the base URL (`…/<prefix>`). */
  serve(file: string, handler: Parameters<PackServer['route']>[1]): string;
}

export function fetchTestBed(): FetchTestBed {
  const roots: string[] = [];
  let routes = 0;
  const bed: FetchTestBed = {
    server: undefined as unknown as PackServer,
    freshRoot() {
      const root = tempRoot();
      roots.push(root);
      return root;
    },
    serve(file, handler) {
      const prefix = `/r${routes++}`;
      bed.server.route(`${prefix}/${file}`, handler);
      return `${bed.server.baseUrl}${prefix}`;
    },
  };
  before(async () => { bed.server = await startPackServer(); });
  after(async () => {
    await bed.server.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  return bed;
}
