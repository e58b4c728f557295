/** The page's side of the forge worker: forge the chosen replicas and resolve with their bytes, in catalog order. */
import type { BenchModelSource } from './bench-core.js';

export interface ForgeRequest {
  readonly names: readonly string[];
  readonly seed?: number;
}

export type ForgeReply =
  | { readonly kind: 'start'; readonly name: string }
  | { readonly kind: 'file'; readonly name: string; readonly bytes: Uint8Array<ArrayBuffer>; readonly milliseconds: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

class ForgeWorkerError extends Error {
  override readonly name = 'ForgeWorkerError';
}

export interface ForgedModel extends BenchModelSource {
  /** Transferred from the worker: a plain (never shared) ArrayBuffer, as crypto.subtle.digest wants. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly replica: string;
  readonly milliseconds: number;
}

/** The label a forged replica carries in the table, so it is never mistaken for the real buffalo_l file. */
export const forgedLabel = (replica: string): string => `${replica}.onnx (forged)`;

export function forgeInWorker(request: ForgeRequest, onStart: (name: string) => void): Promise<ForgedModel[]> {
  const worker = new Worker(new URL('./forge-worker.ts', import.meta.url), { type: 'module' });
  const forged: ForgedModel[] = [];
  return new Promise<ForgedModel[]>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<ForgeReply>) => {
      const m = event.data;
      if (m.kind === 'start') onStart(m.name);
      else if (m.kind === 'file') forged.push({ name: forgedLabel(m.name), replica: m.name, bytes: m.bytes, milliseconds: m.milliseconds });
      else if (m.kind === 'end') resolve(forged);
      else reject(new ForgeWorkerError(`forging failed: ${m.message}`));
    });
    worker.addEventListener('error', (event) => reject(new ForgeWorkerError(`forge worker failed: ${event.message || 'could not start'}`)));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
