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
 * What is wrong with `baseUrl` as a mirror, or undefined when nothing is: the same rules the download applies (a
 * scheme of MIRROR_SCHEMES, a URL that parses, an http(s) host, a file: URL of this machine), told before anything
 * is made on disk or sent, instead of as a failed download of a URL that was never one (`http://` joined with
 * the file name read as `http:/buffalo_l.zip`). A text with no scheme is a folder path, and any such path is one.
 */
export function mirrorProblem(baseUrl: string): string | undefined {
  if (baseUrl === '') return "is empty; give a URL or a folder ('.' for the working folder)";
  const url = mirrorBaseUrl(baseUrl)!;
  if (!URL.canParse(url)) return `'${baseUrl}' is not a valid URL`;
  const parsed = new URL(url);
  if (!MIRROR_SCHEMES.has(parsed.protocol)) return `'${baseUrl}': a mirror is an http: or https: URL, a file: URL or a folder; not ${parsed.protocol}`;
  if (parsed.protocol !== 'file:') return parsed.hostname === '' ? `'${baseUrl}' has no host` : undefined;
  try {
    fileURLToPath(parsed);
    return undefined;
  } catch (error) {
    return `'${baseUrl}' is not a file of this machine (${error instanceof Error ? error.message : String(error)})`;
  }
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
