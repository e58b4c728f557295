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
  /** From the server's Content-Length, else the manifest's size; undefined when neither gives one. */
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

/** Bytes between two lines when the size is unknown: a tenth of a typical pack (buffalo_l's zip is 289 MB). */
const UNKNOWN_SIZE_STEP = 25e6;

/**
 * A progress callback that writes one line per tenth of the file (the default when none is given). Without a size
 * (a mirror that sends no Content-Length, a manifest that gives none) it writes one line per 25 MB received, so a
 * long download still says it runs, instead of nothing until it ends.
 */
export function progressLines(log: (message: string) => void): (progress: PackDownloadProgress) => void {
  let lastStep = -1;
  return (p) => {
    const known = p.totalBytes !== undefined && p.totalBytes > 0;
    const step = known ? Math.floor((10 * p.receivedBytes) / p.totalBytes!) : Math.floor(p.receivedBytes / UNKNOWN_SIZE_STEP);
    if (step === lastStep) return;
    lastStep = step;
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    log(known
      ? `downloading ${p.url}: ${mb(p.receivedBytes)} of ${mb(p.totalBytes!)} MB`
      : `downloading ${p.url}: ${mb(p.receivedBytes)} MB (size not given by the server)`);
  };
}
