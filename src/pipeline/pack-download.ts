import type { OptionShape } from '../core/option-shape.js';
/**
 * How `FaceAnalysis.create({ models: 'buffalo_l', download: true })` gets a missing pack, as InsightFace's
 * `ensure_available` does. The fetcher itself (models/fetch: release URL, sha256 digests, atomic install) is a
 * Node tool outside the library's stages, so the Node entry (`insightgpu` under Node) registers it here; a
 * caller can pass its own downloader instead.
 */

/** Bytes received so far for the pack being downloaded. */
export interface PackDownloadProgress {
  /** The pack being downloaded. */
  readonly pack: string;
  /** The zip's URL. */
  readonly url: string;
  /** Bytes received so far. */
  readonly receivedBytes: number;
  /** From the server's Content-Length; undefined when it sends none. */
  readonly totalBytes: number | undefined;
}

/** Where and how to download; every field is optional. */
export interface PackDownloadOptions {
  /** A mirror holding `<pack>.zip` instead of InsightFace's official release: an http(s) URL, or a folder on disk (a path or a `file:` URL). */
  readonly baseUrl?: string;
  /**
   * A manifest document (path, in models/manifest.json's format, as `fetch-models --manifest` takes) describing
   * the pack on a mirror with its own files and digests; default the built-in manifest.
   */
  readonly manifest?: string;
  /**
   * InsightFace root (default $INSIGHTFACE_HOME, else ~/.insightface); the pack is looked for in, and lands in,
   * `<root>/models/<pack>/`.
   */
  readonly root?: string;
  /** Receives the download's progress; by default FaceAnalysis's `log` gets a line every tenth of the file. */
  readonly onProgress?: (progress: PackDownloadProgress) => void;
  /** Replaces the registered downloader (e.g. one that copies from a local store). */
  readonly downloader?: PackDownloader;
}

/** download's names and value kinds. @internal */
export const PACK_DOWNLOAD_SHAPE: OptionShape<PackDownloadOptions> = {
  baseUrl: 'string', manifest: 'string', root: 'string', onProgress: 'function', downloader: 'function',
};

/** Installs the named pack and returns the folder that now holds its verified files. */
export type PackDownloader = (pack: string, options: Omit<PackDownloadOptions, 'downloader'>) => Promise<string>;

let registered: PackDownloader | undefined;

/** Makes `downloader` the one `download: true` uses (the Node entry registers models/fetch's fetchPack). */
export function registerPackDownloader(downloader: PackDownloader): void {
  registered = downloader;
}

/** The downloader `download: true` uses, if an entry registered one. */
export function registeredPackDownloader(): PackDownloader | undefined {
  return registered;
}

/** A progress callback that writes one line per tenth of the file (the default when none is given). */
export function progressLines(log: (message: string) => void): (progress: PackDownloadProgress) => void {
  let lastTenth = -1;
  return (p) => {
    const tenth = p.totalBytes ? Math.floor((10 * p.receivedBytes) / p.totalBytes) : -1;
    if (p.totalBytes === undefined || tenth === lastTenth) return;
    lastTenth = tenth;
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    log(`downloading ${p.url}: ${mb(p.receivedBytes)} of ${mb(p.totalBytes)} MB`);
  };
}
