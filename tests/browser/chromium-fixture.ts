/**
 * One vite dev server and one headless chromium per test file: started in the file's `before` hook, closed in its
 * `after` hook, whatever the tests did. Each browser test file calls `useChromium()` once at its top level.
 */
import { after, before } from 'node:test';
import {
  collectPageErrors, launchBrowser, startWebServer, type HeadlessBrowser, type LaunchOptions, type Page, type WebServer,
} from '../../web/server/headless.js';

// Bounds on a hang of SwiftShader on a shared 2-core machine, not performance targets.
export const PAGE_LOAD_MS = 180_000;
export const RUN_MS = 600_000;

export interface ChromiumFixture {
  readonly server: WebServer;
  readonly browser: HeadlessBrowser;
  /**
   * A new page at `path` on the server (a path from the repository root), with page errors collected;
   * `defaultTimeoutMs` replaces playwright's 30 s default for the page's waits.
   */
  openPage(path: string, options?: { readonly defaultTimeoutMs?: number }): Promise<{ page: Page; errors: string[] }>;
}

export interface ChromiumFixtureOptions {
  /** chromium's launch options, made when the hook runs (e.g. a fake-camera clip written just before). */
  readonly launch?: () => LaunchOptions;
}

export function useChromium(options: ChromiumFixtureOptions = {}): ChromiumFixture {
  let server: WebServer | undefined;
  let browser: HeadlessBrowser | undefined;
  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser(options.launch?.() ?? {})]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is used before the test file's before hook started it`);
    return value;
  };
  return {
    get server() { return started(server, 'web server'); },
    get browser() { return started(browser, 'browser'); },
    async openPage(path, pageOptions = {}) {
      const page = await started(browser, 'browser').context.newPage();
      if (pageOptions.defaultTimeoutMs !== undefined) page.setDefaultTimeout(pageOptions.defaultTimeoutMs);
      const errors = collectPageErrors(page);
      await page.goto(`${started(server, 'web server').url}${path}`, { timeout: PAGE_LOAD_MS });
      return { page, errors };
    },
  };
}
