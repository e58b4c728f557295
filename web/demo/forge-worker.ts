/**
 * Forges one replica for the demo off the page's main thread (w600k_r50 is 174 MB; inswapper_128 is 15 MB at
 * width 128, 554 MB at full width) and hands the bytes back as a transferred buffer. Only the pure forge is
 * imported: no file system in a browser.
 */
import { forgeExtraModel, forgeModel, isExtraReplica, selectReplicas } from '../../models/forge/forge.js';
import type { DemoForgeReply, DemoForgeRequest } from './forge-client.js';

const reply = (message: DemoForgeReply, transfer: Transferable[] = []): void => postMessage(message, { transfer });

addEventListener('message', (event: MessageEvent<DemoForgeRequest>) => {
  try {
    const { name, seed, width } = event.data;
    const started = performance.now();
    const forged = isExtraReplica(name)
      ? forgeExtraModel(name, seed, width === undefined ? {} : { width })
      : forgeModel(selectReplicas([name])[0]!, seed);
    const bytes = ownBuffer(forged);
    reply({ kind: 'file', bytes, milliseconds: performance.now() - started }, [bytes.buffer]);
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

/** The bytes in an ArrayBuffer of their own: protobufjs may hand out a view into a shared pool, which must not be transferred. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? new Uint8Array(bytes.buffer as ArrayBuffer) : new Uint8Array(bytes);
}
