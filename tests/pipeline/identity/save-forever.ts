/**
 * A child process for the kill-mid-save test: builds a 10 MB index and saves it to argv[2] over and over, until it is
 * killed, so that at almost any moment a save's temporary file is being written beside the target.
 */
import { FaceIndex } from '../../../src/pipeline/identity/index.js';

const file = process.argv[2]!;
const index = new FaceIndex({ dim: 512 });
const row = new Float32Array(512);
for (let i = 0; i < 5000; i++) {
  row.fill(0.01);
  row[i % 512] = 1;
  row[(i * 7 + 3) % 512] = -0.5;
  index.add(`id${i}`, row);
}
for (;;) await index.save(file);
