/**
 * The URL of a file under a mirror's base URL. The name joins the base's path and any query stays after it, so a
 * presigned base (`https://host/path?sig=abc`) gives `https://host/path/buffalo_l.zip?sig=abc`, not a name inside
 * the signature. Shared by the Node fetcher (models/manifest.ts) and the browser loader; no Node module.
 */

/** `name` (a `/`-separated path, each part percent-encoded) under `baseUrl`, an absolute URL or a page-relative one. */
export function fileUnderBase(baseUrl: string, name: string): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  const url = absoluteUrl(baseUrl);
  if (url !== undefined) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
    return url.href;
  }
  // A page-relative base ('/models/?v=2') has no origin to parse against here: its path is the part before ? or #.
  const tailAt = baseUrl.search(/[?#]/);
  const head = tailAt < 0 ? baseUrl : baseUrl.slice(0, tailAt);
  const tail = tailAt < 0 ? '' : baseUrl.slice(tailAt);
  return `${head.replace(/\/+$/, '')}/${path}${tail}`;
}

function absoluteUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
