/**
 * Forges buffalo_l replicas off the page's main thread (w600k_r50 is 174 MB and takes seconds to build), handing
 * each file's bytes back as a transferred buffer. Only the pure forge is imported: no file system in a browser.
 */
import { forgeModel, selectReplicas } from '../../models/forge/forge.js';
import type { ForgeReply, ForgeRequest } from './forge-client.js';

const reply = (message: ForgeReply, transfer: Transferable[] = []): void => postMessage(message, { transfer });

addEventListener('message', (event: MessageEvent<ForgeRequest>) => {
  try {
    const names = selectReplicas(event.data.names);
    for (const name of names) {
      reply({ kind: 'start', name });
      const started = performance.now();
      const bytes = ownBuffer(forgeModel(name, event.data.seed));
      reply({ kind: 'file', name, bytes, milliseconds: performance.now() - started }, [bytes.buffer]);
    }
    reply({ kind: 'end' });
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

/** The bytes in an ArrayBuffer of their own: protobufjs may hand out a view into a shared pool, which must not be transferred. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? new Uint8Array(bytes.buffer as ArrayBuffer) : new Uint8Array(bytes);
}
