/**
 * One HTTP GET streamed chunk by chunk to a caller-supplied sink, with progress, a stall timeout, an abort
 * signal and a byte count checked against Content-Length. Shared by the Node fetcher (sink = file + hash) and
 * the browser loader (sink = memory), so it only uses what both have: fetch, ReadableStream, AbortController.
 */
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { describeValue } from '../../src/core/option-shape.js';
import { FetchError, StallTimeoutError, TruncatedDownloadError } from './errors.js';

export interface TransferProgress {
  readonly url: string;
  readonly receivedBytes: number;
  /** From Content-Length (or the manifest when the server sends none); undefined when unknown. */
  readonly totalBytes: number | undefined;
}

export interface StreamDownloadOptions {
  /** Receives every body chunk in order; awaited, so a slow sink applies back-pressure. */
  readonly onChunk: (chunk: Uint8Array) => void | Promise<void>;
  readonly onProgress?: (progress: TransferProgress) => void;
  /**
   * Called once the headers arrived with an OK status, before the body is read. May throw to refuse the
   * body (e.g. a Content-Length that contradicts the manifest); caller errors pass through unchanged.
   */
  readonly onStart?: (sizes: { readonly announcedBytes: number | undefined; readonly totalBytes: number | undefined }) => void;
  /** Size the caller knows the body must have (from a manifest): the progress total without a Content-Length. */
  readonly expectedBytes?: number;
  readonly signal?: AbortSignal;
  /**
   * Longest silence tolerated, in ms, while waiting for headers or for the next chunk. A stall, not a
   * total-duration limit: a 300 MB pack on a slow link must still finish. Default 30 s; 0 disables, and so
   * does a finite value above setTimeout's range (2^31 - 1 ms). Anything but a finite number ≥ 0 (a negative,
   * NaN, Infinity, a string) is a PipelineOptionError naming `stallTimeoutMs` (checkStallTimeout).
   */
  readonly stallTimeoutMs?: number;
  /** Injected for runtimes without a global fetch; defaults to globalThis.fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

export interface StreamDownloadResult {
  readonly receivedBytes: number;
  readonly totalBytes: number | undefined;
}

export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/**
 * Refuses a `stallTimeoutMs` that is not a finite number ≥ 0 with a PipelineOptionError naming it; undefined is the
 * default. Infinity is refused rather than read as "no limit", since 0 already says that and a value computed
 * from something else (a division by zero) should not turn the guard off unseen.
 */
export function checkStallTimeout(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new PipelineOptionError('stallTimeoutMs', `${describeValue(value)} is not a finite number of milliseconds ≥ 0 (0 turns the stall timeout off)`);
  }
}

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Aborts a controller when neither headers nor data arrive for `ms`; `touch` restarts the clock. */
class StallGuard {
  readonly controller = new AbortController();
  timedOut = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onUserAbort = (): void => this.controller.abort();

  constructor(private readonly ms: number, private readonly userSignal: AbortSignal | undefined) {
    if (userSignal?.aborted) this.controller.abort();
    userSignal?.addEventListener('abort', this.onUserAbort, { once: true });
    this.touch();
  }

  touch(): void {
    // setTimeout takes at most 2^31 - 1 ms and fires at once for more (Infinity included): a silence that long
    // (24.8 days) is no limit at all, so it is treated as 0, none.
    if (this.ms <= 0 || this.ms > MAX_TIMER_MS) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }
}

function contentLengthOf(response: Response): number | undefined {
  // With a Content-Encoding the header counts compressed bytes while the stream yields decoded ones.
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/** Streams `url` into `options.onChunk`; throws FetchError / TruncatedDownloadError, never a bare error. */
export async function streamDownload(url: string, options: StreamDownloadOptions): Promise<StreamDownloadResult> {
  checkStallTimeout(options.stallTimeoutMs);
  const guard = new StallGuard(options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, options.signal);
  const doFetch = options.fetch ?? globalThis.fetch;
  let receivedBytes = 0;
  let totalBytes: number | undefined;
  let inBody = false;
  // Errors of the caller's callbacks (disk full, a refused size, ...) surface unchanged, not as "truncated".
  let callerError: { error: unknown } | undefined;
  function callerStep<T>(step: () => T): T {
    try {
      const result = step();
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          callerError = { error };
          throw error;
        }) as T;
      }
      return result;
    } catch (error) {
      callerError = { error };
      throw error;
    }
  }

  // Explains a failure of fetch() or of a body read in terms of what the caller did or what the network did.
  const classify = (error: unknown): FetchError => {
    if (error instanceof FetchError) return error;
    if (guard.timedOut) {
      return new StallTimeoutError(url, options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, options.stallTimeoutMs === undefined, inBody ? receivedBytes : undefined, { cause: error });
    }
    if (options.signal?.aborted) {
      return new FetchError(url, 'aborted', `aborted by the caller after ${receivedBytes} bytes`, undefined, { cause: options.signal.reason ?? error });
    }
    if (inBody) return new TruncatedDownloadError(url, receivedBytes, totalBytes, { cause: error });
    const detail = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
    return new FetchError(url, 'network', detail, undefined, { cause: error });
  };

  try {
    const response = await doFetch(url, { signal: guard.controller.signal, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new FetchError(url, 'http-status', response.statusText || 'unexpected status', response.status);
    }
    if (response.body === null) throw new FetchError(url, 'network', 'response has no body', response.status);

    const announcedBytes = contentLengthOf(response);
    totalBytes = announcedBytes ?? options.expectedBytes;
    callerStep(() => options.onStart?.({ announcedBytes, totalBytes }));
    callerStep(() => options.onProgress?.({ url, receivedBytes, totalBytes }));

    inBody = true;
    guard.touch();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        guard.touch();
        receivedBytes += value.byteLength;
        if (totalBytes !== undefined && receivedBytes > totalBytes) {
          throw new FetchError(url, 'size-mismatch', `received more than the expected ${totalBytes} bytes`);
        }
        await callerStep(() => options.onChunk(value));
        callerStep(() => options.onProgress?.({ url, receivedBytes, totalBytes }));
      }
    } finally {
      reader.releaseLock();
    }
    if (totalBytes !== undefined && receivedBytes < totalBytes) throw new TruncatedDownloadError(url, receivedBytes, totalBytes);
    return { receivedBytes, totalBytes };
  } catch (error) {
    guard.controller.abort(); // closes the connection if we stopped reading early
    if (callerError !== undefined) throw callerError.error;
    throw classify(error);
  } finally {
    guard.dispose();
  }
}
