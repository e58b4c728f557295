/**
 * A mirror on local disk for the Node fetcher: `--base-url` and `download.baseUrl` name "a folder holding
 * buffalo_l.zip", so a folder path or a `file:` URL is read from disk through the same streaming, size and digest
 * checks as a download. Global fetch has no `file:` scheme (undici answers "not implemented... yet..."), and a bare
 * path is no URL at all. Node-only; the browser loader keeps its page-relative URLs.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FetchError } from './errors.js';

/** The schemes a mirror may use: the two fetch downloads over, and local files. */
const MIRROR_SCHEMES = new Set(['http:', 'https:', 'file:']);

/**
 * `baseUrl` as an absolute URL: a URL stays as it is, a folder path (absolute or relative to the working
 * directory) becomes its `file:` URL. A one-letter "scheme" is a Windows drive (`C:\mirror`), so a path.
 */
export function mirrorBaseUrl(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(baseUrl);
  if (scheme !== null) return baseUrl;
  return pathToFileURL(resolve(baseUrl)).href;
}

/**
 * A fetch that reads `file:` URLs from disk (a regular file, with its size as Content-Length) and hands every
 * other URL to `inner` (default the global fetch). A scheme no mirror has (`ftp:`) is a FetchError naming the
 * ones it may have, instead of undici's "unknown scheme".
 */
export function fetchWithFiles(inner: typeof globalThis.fetch | undefined): typeof globalThis.fetch {
  const next = inner ?? globalThis.fetch;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
    if (protocol !== undefined && !MIRROR_SCHEMES.has(protocol)) {
      throw new FetchError(url, 'network', `a mirror is an http: or https: URL, a file: URL or a folder; not ${protocol}`);
    }
    if (protocol !== 'file:') return next(input, init);
    const file = fileURLToPath(url);
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new FetchError(url, 'network', `${file} is not a regular file`);
      size = info.size;
    } catch (error) {
      if (error instanceof FetchError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new FetchError(url, 'network', `cannot read ${file} (${code})`, undefined, { cause: error });
    }
    const signal = init?.signal ?? undefined;
    const body = Readable.toWeb(createReadStream(file, signal === undefined ? {} : { signal })) as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers: { 'content-length': String(size) } });
  };
}
