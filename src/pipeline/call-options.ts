import { checkOptionShape, describeValue, type OptionShape } from '../core/option-shape.js';
import { WEBGPU_OPTIONS_SHAPE } from '../backends/options.js';
import { SESSION_OPTIONS_SHAPE, type SessionOptions } from '../session/session.js';
import { PipelineOptionError } from './errors.js';

export { describeValue };

/**
 * A call's options bag as a plain-JS caller may pass it: undefined gives the defaults, an object is used once its
 * names and value kinds fit `shape` (a misspelt name or a wrong-typed value is refused, not ignored), and anything
 * else (null, a number, a string) is a PipelineOptionError naming the call, rather than a TypeError from deep inside
 * it. @internal
 */
export function optionsObject<T extends object>(value: T | undefined, call: string, shape: OptionShape<T>, path = ''): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PipelineOptionError(path === '' ? 'options' : path.slice(0, -1), `${call} takes an options object, got ${describeValue(value)}`);
  }
  checkOptionShape(value, shape, call, (option, why) => new PipelineOptionError(option, why), path);
  return value;
}

/** A list argument (images, faces) checked to be an array, so a string is not read as a list of characters. @internal */
export function requireArray<T>(value: readonly T[], option: string, call: string): readonly T[] {
  if (!Array.isArray(value)) throw new PipelineOptionError(option, `${call} takes an array, got ${describeValue(value)}`);
  return value;
}

/** sessionOptions' names: a session's, less `backend` (the calling class's own option). */
const { backend: _backend, ...SESSION_SHAPE_LESS_BACKEND } = SESSION_OPTIONS_SHAPE;

/**
 * A `sessionOptions` passed through FaceAnalysis.create, getModel or INSwapper.create, checked as the calling
 * class's option (`sessionOptions.webgpu.precison` is refused by that name, before any file is read). @internal
 */
export function checkSessionOptionsBag(value: Omit<SessionOptions, 'backend'> | undefined, call: string): void {
  const options = optionsObject(value, call, SESSION_SHAPE_LESS_BACKEND, 'sessionOptions.');
  if (options.webgpu !== undefined) optionsObject(options.webgpu, call, WEBGPU_OPTIONS_SHAPE, 'sessionOptions.webgpu.');
}
