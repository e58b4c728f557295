/** progressLines, FaceAnalysis's default download progress: a line per tenth of a known size, per 25 MB of an unknown one. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { progressLines } from '../../src/pipeline/pack-download.js';

const url = 'http://mirror.invalid/buffalo_l.zip';

function linesFor(totalBytes: number | undefined, received: readonly number[]): string[] {
  const lines: string[] = [];
  const report = progressLines((line) => lines.push(line));
  for (const receivedBytes of received) report({ pack: 'buffalo_l', url, receivedBytes, totalBytes });
  return lines;
}

describe('progressLines', () => {
  it('writes one line per tenth of a known size', () => {
    const received = Array.from({ length: 101 }, (_, i) => i * 1e6); // 0 … 100 MB in 1 MB chunks
    const lines = linesFor(100e6, received);
    assert.equal(lines.length, 11);
    assert.equal(lines.at(-1), `downloading ${url}: 100.0 of 100.0 MB`);
  });

  it('writes a line per 25 MB when the server gives no size, instead of nothing', () => {
    const received = Array.from({ length: 101 }, (_, i) => i * 1e6);
    const lines = linesFor(undefined, received);
    assert.deepEqual(lines, [0, 25, 50, 75, 100].map((mb) => `downloading ${url}: ${mb.toFixed(1)} MB (size not given by the server)`));
  });
});
