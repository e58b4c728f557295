import type { Face } from '../../src/pipeline/index.js';
import { faceRecord, type ImageRecord, type ResultsFile } from '../results-format.js';

/** The first line of an NDJSON results file: the run's settings, i.e. a --json results file without its results. */
export type RunHeader = Omit<ResultsFile, 'results'>;

/** The line of an image that could not be analysed. */
export interface ErrorRecord {
  image: string;
  error: { type: string; message: string };
}

/** One image's line: its faces, or why it has none. */
export type ResultLine = ImageRecord | ErrorRecord;

export function isErrorRecord(line: ResultLine): line is ErrorRecord {
  return 'error' in line;
}

/** A good image's record in the golden format (Face.toJSON for each face, in InsightFace's order). */
export function imageRecord(name: string, width: number, height: number, faces: readonly Face[]): ImageRecord {
  return { image: name, width, height, faces: faces.map(faceRecord) };
}

/** A failed image's record: the error's class name (e.g. ImageError) and its message. */
export function errorRecord(name: string, error: unknown): ErrorRecord {
  const type = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { image: name, error: { type, message } };
}

/** True when a parsed NDJSON line has the shape of a result line (an image name and faces or an error). */
export function looksLikeResultLine(value: unknown): value is ResultLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (typeof v['image'] !== 'string') return false;
  const error = v['error'] as Record<string, unknown> | undefined;
  if (error !== undefined) return typeof error === 'object' && error !== null && typeof error['type'] === 'string' && typeof error['message'] === 'string';
  return Array.isArray(v['faces']) && typeof v['width'] === 'number' && typeof v['height'] === 'number';
}
