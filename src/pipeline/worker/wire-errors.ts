import {
  BackendError, GraphError, InputError, InsightGpuError, MissingPackageError, ModelFormatError, ModelVersionError, PrecisionUnavailableError,
  ResourceLimitError, UnsupportedOpError,
} from '../../core/errors.js';
import { FrameReentryError, ImageError, ModelContractError, ModelPackError, PipelineOptionError } from '../errors.js';
import { FaceIndexError, IndexFormatError, IndexMemoryError } from '../identity/errors.js';
import { VideoDecoderMissingError, VideoError } from '../tracking/errors.js';

/** The worker failed as a whole (it could not start, it crashed, or it was terminated) or threw a non-engine error. */
export class WorkerError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'WorkerError';
  readonly code = 'WORKER';
  constructor(readonly why: string, /** The thrown error's class name inside the worker, when it was not an engine error. */ readonly remoteName?: string) {
    super(remoteName === undefined ? `face analysis worker: ${why}` : `face analysis worker: ${remoteName}: ${why}`);
  }
}

/** An error as it crosses the worker boundary: its class name, message, stack and own data fields. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

type ErrorClass = abstract new (...args: never[]) => InsightGpuError;

/**
 * Every engine error class, by its `name`: what the main side rebuilds. Keyed by the object's keys, not by the classes'
 * own `.name`: a minifying bundler renames the classes, differently in the page's bundle and in the worker's.
 */
const ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>(Object.entries({
  ModelFormatError, ModelVersionError, UnsupportedOpError, GraphError, InputError, ResourceLimitError, BackendError,
  ImageError, ModelPackError, ModelContractError, PipelineOptionError, FaceIndexError, IndexFormatError, VideoError,
  VideoDecoderMissingError, WorkerError, PrecisionUnavailableError, MissingPackageError, IndexMemoryError, FrameReentryError,
}));

/** Own fields that survive structured clone (numbers, strings, plain data); functions and the cause are left out. */
function cloneableFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'cause' || typeof value === 'function' || typeof value === 'symbol') continue;
    try {
      structuredClone(value);
      fields[key] = value;
    } catch {
      // Not cloneable (a GPU object, a DOM node): dropped, the message still says what went wrong.
    }
  }
  return fields;
}

/** What the worker posts for a thrown value. */
export function serialiseError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack, fields: cloneableFields(error) };
  return { name: 'Error', message: String(error), fields: {} };
}

/**
 * The same class on this side: an engine error is rebuilt with its prototype, message and fields (so `instanceof`,
 * `.code` and fields like `option` or `why` work as if it had been thrown here); anything else becomes a WorkerError.
 */
export function rebuildError(wire: WireError): InsightGpuError {
  const cls = ERROR_CLASSES.get(wire.name);
  if (!cls) return new WorkerError(wire.message, wire.name);
  // Built without its constructor, whose signature differs per class: the fields carry what it would have set.
  const error = Object.create(cls.prototype as object) as InsightGpuError;
  Object.assign(error, wire.fields);
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(error, 'name', { value: wire.name, writable: true, configurable: true, enumerable: false });
  const local = new Error(wire.message).stack ?? '';
  Object.defineProperty(error, 'stack', { value: `${wire.stack ?? ''}\n    --- in the worker, reported at ---\n${local}`, writable: true, configurable: true, enumerable: false });
  return error;
}
