import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { ImageError } from '../../src/pipeline/index.js';
import { MissingPackageError } from '../../src/core/errors.js';
import { ImageListError } from './errors.js';

/** One image of a run: where to read it and the name its result line carries. */
export interface ImageEntry {
  readonly file: string;
  /**
   * The record's "image": the basename for a file given on the command line (as --json always wrote it); for a
   * file found in a folder, its path relative to that folder with '/' separators, so equal basenames in different
   * sub-folders stay apart.
   */
  readonly name: string;
  /** Why the image cannot be read, known from the listing (a link whose target is missing): its error line's error. */
  readonly unreadable?: ImageError;
}

/**
 * File name endings of the formats sharp (the Node decoder) reads from files. SVG is left out (a vector drawing is
 * rasterised, not read as a photo, and cv2.imread refuses it), and so is libvips' own .v format.
 */
export async function decodableSuffixes(): Promise<readonly string[]> {
  // Installed with --omit=optional, sharp is absent: the command says which package to add, not a stack trace.
  const { default: sharp } = await import('sharp').catch((error: unknown) => {
    throw new MissingPackageError('sharp', 'reading image files', { cause: error });
  });
  const suffixes: string[] = [];
  for (const [name, info] of Object.entries(sharp.format)) {
    const input = info.input as { file: boolean; fileSuffix?: string[] };
    if (name === 'svg' || name === 'vips' || !input.file) continue;
    suffixes.push(...(input.fileSuffix ?? []));
  }
  return suffixes.map((s) => s.toLowerCase());
}

/**
 * The images named by the command line's PATHs, in order: a file as given (whatever its type, so a bad file gets
 * its error line), a folder walked recursively for decodable files, sorted by name (JavaScript's default string order) at each level.
 * Symbolic links are followed, but a folder already walked (a link loop, or two links to one place) is walked once,
 * and a file already listed (the same device and inode: given twice, given and found in a given folder, a link to
 * it) is listed once, under the name it was first listed by. A link whose target is missing, given or found with an
 * image suffix, is an image that cannot be read: an entry carrying its ImageError, so it gets its error line. A link
 * loop (ELOOP) in a folder is passed over, as a folder loop is. An image whose name is not UTF-8 (no string path
 * opens it) is an entry carrying an ImageError that says so.
 * Throws ImageListError for a PATH that does not exist and for a folder that cannot be listed.
 */
export async function collectImages(paths: readonly string[], suffixes: readonly string[]): Promise<ImageEntry[]> {
  const list = new Listing(suffixes);
  for (const given of paths) {
    const info = await stat(given, { bigint: true }).catch((error: unknown) => error as Error);
    if (info instanceof Error) {
      const unreadable = await danglingLink(given, info);
      if (unreadable === undefined) throw new ImageListError('does not exist or cannot be read', given, { cause: info });
      list.add({ file: given, name: path.basename(given), unreadable }, `link ${path.resolve(given)}`);
    } else if (info.isDirectory()) {
      await list.walk(given, '');
    } else {
      list.add({ file: given, name: path.basename(given) }, fileKey(info));
    }
  }
  return list.entries;
}

/** A file's identity: two paths to one file (links, `./a.jpg` and `a.jpg`) share it. */
const fileKey = (info: BigIntStats): string => `${info.dev}:${info.ino}`;

/** The entries of a run being listed, each file once and each real folder walked once. */
class Listing {
  readonly entries: ImageEntry[] = [];
  private readonly walked = new Set<string>();
  private readonly listed = new Set<string>();
  constructor(private readonly suffixes: readonly string[]) {}

  add(entry: ImageEntry, key: string): void {
    if (this.listed.has(key)) return;
    this.listed.add(key);
    this.entries.push(entry);
  }

  async walk(dir: string, relative: string): Promise<void> {
    const real = await realpath(dir);
    if (this.walked.has(real)) return;
    this.walked.add(real);
    const raw = await readdir(dir, { encoding: 'buffer' }).catch((error: unknown) => {
      throw new ImageListError(`is a folder that cannot be listed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, dir, { cause: error });
    });
    // Names as bytes: one that is not UTF-8 decodes with U+FFFD in place of its bytes, a path no call can open.
    const names = raw.map((bytes) => ({ name: bytes.toString('utf8'), bytes })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, bytes } of names) {
      const file = path.join(dir, name);
      const rel = relative === '' ? name : `${relative}/${name}`;
      const isImage = this.suffixes.some((s) => name.toLowerCase().endsWith(s));
      if (!Buffer.from(name, 'utf8').equals(bytes)) {
        if (isImage) {
          const unreadable = new ImageError(`its name is not UTF-8 (bytes ${bytes.toString('hex')}), so it cannot be opened by name here; rename it`, file);
          this.add({ file, name: rel, unreadable }, `bytes ${path.resolve(dir)} ${bytes.toString('hex')}`);
        }
        continue;
      }
      const info = await stat(file, { bigint: true }).catch((error: unknown) => error as Error);
      if (info instanceof Error) {
        // Only an entry with an image's name is known to be an image; one removed since the listing is none.
        const unreadable = isImage ? await danglingLink(file, info) ?? unreadableEntry(file, info) : undefined;
        if (unreadable !== undefined) this.add({ file, name: rel, unreadable }, `link ${path.resolve(file)}`);
      } else if (info.isDirectory()) {
        await this.walk(file, rel);
      } else if (info.isFile() && isImage) {
        this.add({ file, name: rel }, fileKey(info));
      }
    }
  }
}

/**
 * The error of a link `file` whose target is missing (stat failed with ENOENT, lstat finds a link), or undefined
 * when `file` is no such link: absent itself, or a link loop.
 */
async function danglingLink(file: string, error: Error): Promise<ImageError | undefined> {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  const link = await lstat(file).catch(() => undefined);
  if (!link?.isSymbolicLink()) return undefined;
  const target = await readlink(file).catch(() => '?');
  return new ImageError(`is a symbolic link to '${target}', whose target does not exist`, file, { cause: error });
}

/**
 * The error of an image-named folder entry stat refused for a reason other than its absence or a link loop (EACCES
 * in a folder that may be listed but not searched, say), or undefined for those two.
 */
function unreadableEntry(file: string, error: Error): ImageError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ELOOP') return undefined;
  return new ImageError(`cannot be read (${code ?? error.message})`, file, { cause: error });
}

/** Refuses two images with one record name: --resume tells images apart by it. */
export function checkDistinctNames(entries: readonly ImageEntry[]): void {
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const other = seen.get(entry.name);
    if (other !== undefined) throw new ImageListError(`'${other}' and '${entry.file}' both record as '${entry.name}'; give them distinct names or analyse their folder`, entry.name);
    seen.set(entry.name, entry.file);
  }
}
