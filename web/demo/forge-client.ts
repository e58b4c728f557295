/**
 * The demo's side of its forge worker: forges one replica (a buffalo_l model, or inswapper_128 at a chosen width)
 * off the main thread and resolves with its bytes. The forge is deterministic, so the page need not cache the file.
 */
import type { ForgeName } from '../../models/forge/names.js';

export interface DemoForgeRequest {
  readonly name: ForgeName;
  readonly seed: number;
  /** inswapper_128's channel width (1024 is the real model's); ignored for the other models. */
  readonly width?: number;
}

export type DemoForgeReply =
  | { readonly kind: 'file'; readonly bytes: Uint8Array<ArrayBuffer>; readonly milliseconds: number }
  | { readonly kind: 'error'; readonly message: string };

export class DemoForgeError extends Error {
  override readonly name = 'DemoForgeError';
}

export interface ForgedFile {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly milliseconds: number;
}

export function forgeInWorker(request: DemoForgeRequest): Promise<ForgedFile> {
  const worker = new Worker(new URL('./forge-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ForgedFile>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<DemoForgeReply>) => {
      const m = event.data;
      if (m.kind === 'file') resolve({ bytes: m.bytes, milliseconds: m.milliseconds });
      else reject(new DemoForgeError(`forging ${request.name} failed: ${m.message}`));
    });
    worker.addEventListener('error', (event) => reject(new DemoForgeError(`forge worker failed: ${event.message || 'could not start'}`)));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
