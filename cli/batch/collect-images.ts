import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
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
 * Symbolic links are followed, but a folder already walked (a link loop, or two links to one place) is walked once.
 * Throws ImageListError for a PATH that does not exist.
 */
export async function collectImages(paths: readonly string[], suffixes: readonly string[]): Promise<ImageEntry[]> {
  const entries: ImageEntry[] = [];
  const walked = new Set<string>();
  for (const given of paths) {
    const info = await stat(given).catch((error: unknown) => {
      throw new ImageListError('does not exist or cannot be read', given, { cause: error });
    });
    if (!info.isDirectory()) {
      entries.push({ file: given, name: path.basename(given) });
      continue;
    }
    await walk(given, '', suffixes, walked, entries);
  }
  return entries;
}

async function walk(dir: string, relative: string, suffixes: readonly string[], walked: Set<string>, out: ImageEntry[]): Promise<void> {
  const real = await realpath(dir);
  if (walked.has(real)) return;
  walked.add(real);
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    // A dangling link or an entry removed since the listing is not an image of the collection.
    if (!info) continue;
    const rel = relative === '' ? name : `${relative}/${name}`;
    if (info.isDirectory()) await walk(file, rel, suffixes, walked, out);
    else if (info.isFile() && suffixes.some((s) => name.toLowerCase().endsWith(s))) out.push({ file, name: rel });
  }
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
