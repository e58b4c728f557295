import { statSync } from 'node:fs';
import path from 'node:path';
import { FaceIndex, PipelineOptionError, type Face } from '../src/pipeline/index.js';
import { parseArgs, optionValue } from './args.js';
import { prepareOutputFile } from './output-file.js';
import { DEFAULT_MAX_ENTRIES } from '../src/pipeline/identity/face-index-options.js';
import { failureSummary } from './analyze.js';
import { errorRecord, type ErrorRecord } from './batch/records.js';
import { cannotReadIndex, checkImageFiles, checkIndexMatchesModels, indexFileExists, loadIndexFile, probeWritable, withFileLock, FACE_OPTIONS, FACE_OPTIONS_HELP, facesOrError, NoFaceError, openRecognizer, required, roundBox } from './index-faces.js';

export const INDEX_ADD_USAGE = 'insightgpu index add --index FILE --models DIR [--id NAME] [--all-faces] IMAGE…';

const HELP = `usage: ${INDEX_ADD_USAGE}
  Enrols the largest face of each image under NAME (default: the image file's name without its extension); several
  images under one NAME give that identity several embeddings (its score is the best match). --all-faces enrols
  every face of an image as NAME#0, NAME#1, … left to right, so it refuses two images of one NAME (their NAME#0s
  are different people), and a NAME whose NAME#0, NAME#1, … FILE already holds (from an earlier --all-faces run).
  FILE is created when missing and written atomically, only after every image has been read (a missing IMAGE or a
  folder fails the command before the models load). An image that cannot be read
  (corrupt, not an image) or holds no face is listed under "errors" as {"image","error":{"type","message"}} (type
  ImageError or NoFaceError) and the others are enrolled. Runs adding to one FILE at once keep each
  other's faces (FILE.lock guards the save, as it guards FaceIndex.save; for a FILE that is a symbolic link, the lock is beside the file it
  points to, so a run through the link and one through the file's own name share it).
  Exit codes: 0 every image enrolled; 3 some images could not be read or held no face (the others are saved; a
  summary goes to stderr; when no image enrolled a face, FILE is unchanged); 1 a usage, model or index error.
${FACE_OPTIONS_HELP}`;

/**
 * What identifies one version of a file (its inode, size and change time; 'absent': ENOENT), to notice a save
 * meanwhile. A file that can no longer be looked at is an error, not 'absent': the save would replace it unread.
 */
function fileVersion(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw cannotReadIndex(file, error);
  }
}

/**
 * --all-faces onto NAME#0, NAME#1, … that the index already holds: this photo's NAME#0 is whoever sits leftmost in
 * it, not the earlier photo's, so one id would hold two people's embeddings (as two photos of one NAME in one run
 * would, which is refused too). Checked before the models load; the index is left as it is.
 */
function refuseEarlierAllFaces(index: FaceIndex, file: string, stems: readonly string[]): void {
  const ids = index.identities();
  for (const stem of new Set(stems)) {
    const taken = ids.filter((id) => id.startsWith(`${stem}#`) && /^\d+$/.test(id.slice(stem.length + 1)));
    if (taken.length === 0) continue;
    const shown = taken.length > 5 ? `${taken.slice(0, 5).join(', ')}, … (${taken.length})` : taken.join(', ');
    throw new PipelineOptionError('--all-faces', `${file} already holds ${shown} from an earlier --all-faces run; this photo's ${stem}#0 would be another person under that id: give it another --id (or index remove ${stem}#… first)`);
  }
}

const area = (f: Face): number => (f.bbox[2]! - f.bbox[0]!) * (f.bbox[3]! - f.bbox[1]!);

/** `insightgpu index add …`: returns the exit code. */
export async function indexAdd(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [...FACE_OPTIONS, 'id'], ['all-faces', 'help']);
  if (args.flags.has('help')) { process.stdout.write(`${HELP}\n`); return 0; }
  const file = required(args, 'index', 'the index file to create or extend');
  // '-' is stdout to analyze and video; here it would quietly create an index file named '-' in the working folder.
  if (file === '-') throw new PipelineOptionError('--index', "is a file (IGFX), not stdout ('-'); give ./- for a file so named");
  if (args.positional.length === 0) throw new PipelineOptionError('IMAGE', 'give at least one image');
  const name = optionValue(args, 'id');
  if (name !== undefined && name.length === 0) throw new PipelineOptionError('--id', 'is empty');
  // An index that is there but cannot be read fails first, in its own words, and is left as it is.
  await indexFileExists(file);
  // The file is written only at the end: a path that cannot take it fails now, before any image is read.
  await prepareOutputFile(file);
  await probeWritable(file);
  checkImageFiles(args.positional);
  const stemOf = (image: string): string => name ?? path.basename(image).replace(/\.[^.]*$/, '');
  if (args.flags.has('all-faces')) {
    // NAME#0 of one photo and NAME#0 of another are whoever sits leftmost in each: one id would mix two people.
    const seen = new Map<string, string>();
    for (const image of args.positional) {
      const stem = stemOf(image);
      const other = seen.get(stem);
      if (other !== undefined) {
        throw new PipelineOptionError('--all-faces', `${other} and ${image} would both enrol ${stem}#0, ${stem}#1, … (different people under one id); give each image its own --id in separate runs`);
      }
      seen.set(stem, image);
    }
  }
  const openIndex = async (): Promise<FaceIndex> => ((await indexFileExists(file)) ? loadIndexFile(file, 'cpu', DEFAULT_MAX_ENTRIES) : new FaceIndex());
  const loadedAs = fileVersion(file);
  let index = await openIndex();
  if (args.flags.has('all-faces')) refuseEarlierAllFaces(index, file, args.positional.map(stemOf));
  const app = await openRecognizer(args);
  try {
    checkIndexMatchesModels(index, app, file, optionValue(args, 'models')!);
  } catch (error) {
    await app.release();
    throw error;
  }
  const added: { id: string; image: string; bbox: number[] }[] = [];
  const enrolled: { id: string; face: Face; meta: { image: string; bbox: number[] } }[] = [];
  const failed: ErrorRecord[] = [];
  try {
    for (const image of args.positional) {
      const read = await facesOrError(app, image);
      if ('error' in read) {
        failed.push(read);
        continue;
      }
      const { faces } = read;
      if (faces.length === 0) {
        // As an unreadable image: one bad photo in a batch does not cost the others their enrolment.
        failed.push(errorRecord(image, new NoFaceError(image)));
        continue;
      }
      const stem = stemOf(image);
      const chosen = args.flags.has('all-faces')
        ? faces.map((f, i) => ({ id: `${stem}#${i}`, face: f }))
        : [{ id: stem, face: faces.reduce((a, b) => (area(b) > area(a) ? b : a)) }];
      for (const { id, face } of chosen) {
        const meta = { image: path.basename(image), bbox: roundBox(face) };
        index.add(id, face, index.has(id) ? undefined : meta);
        added.push({ id, ...meta });
        enrolled.push({ id, face, meta });
      }
    }
  } finally {
    await app.release();
  }
  const report = (): number => {
    if (failed.length === 0) return 0;
    process.stderr.write(failureSummary(failed, args.positional.length));
    return 3;
  };
  if (enrolled.length === 0) {
    // Every image failed (unreadable or faceless): there is nothing to save, so FILE is left as it was (not even created).
    process.stdout.write(`${JSON.stringify({ index: file, added, identities: index.size, entries: index.entries, errors: failed })}\n`);
    return report();
  }
  await withFileLock(file, async () => {
    if (fileVersion(file) !== loadedAs) {
      // Another run (or program) saved FILE while this one read its images: its entries would be lost by writing
      // the index as loaded, so this run's faces go onto the file as it is now.
      index = await openIndex();
      for (const { id, face, meta } of enrolled) index.add(id, face, index.has(id) ? undefined : meta);
    }
    await index.save(file);
  });
  process.stdout.write(`${JSON.stringify({ index: file, added, identities: index.size, entries: index.entries, ...(failed.length > 0 ? { errors: failed } : {}) })}\n`);
  return report();
}
