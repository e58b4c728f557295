/**
 * fromRawImage (raw RGB/RGBA/BGR/BGRA/grey pixels → the pipeline's BGR image, the copy holdInput makes per get) at t1.jpg's
 * size and 1920×1080: median, min and max of 40 runs after 5 warm-ups, one process per run of this script.
 * Alternate it with the previous code in fresh processes to compare on a shared box.
 *
 *   node --import tsx bench/node/bench-raw-to-bgr.ts [path/to/image.ts]
 */
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import type { RawImage, BgrImage } from '../../src/pipeline/image.js';

const modulePath = process.argv[2];
const { fromRawImage } = (modulePath ? await import(pathToFileURL(modulePath).href) : await import('../../src/pipeline/image.js')) as { fromRawImage: (raw: RawImage) => BgrImage };
const cases: [number, number][] = [[1280, 886], [1920, 1080]];
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [w, h] of cases) {
  for (const format of ['rgb', 'rgba', 'bgr', 'bgra', 'gray'] as const) {
    const channels = format === 'rgba' || format === 'bgra' ? 4 : format === 'gray' ? 1 : 3;
    const data = new Uint8Array(w * h * channels);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const raw: RawImage = { data, width: w, height: h, format };
    for (let i = 0; i < 5; i++) fromRawImage(raw);
    const t: number[] = [];
    for (let i = 0; i < 40; i++) { const s = performance.now(); fromRawImage(raw); t.push(performance.now() - s); }
    t.sort((a, b) => a - b);
    console.log(`${w}x${h} ${format}: median ${t[20]!.toFixed(2)} ms (min ${t[0]!.toFixed(2)}, max ${t[39]!.toFixed(2)})`);
  }
}
