/**
 * A child process for digest-record.test.ts: records `count` packs named `<prefix>-<i>` into the models folder
 * given, one recordPackDigests call each, as that many fetches of different packs into one root would.
 */
import { recordPackDigests } from '../../models/fetch/digest-record.js';

const [modelsDir, prefix, count] = process.argv.slice(2) as [string, string, string];
const digest = { bytes: 1, sha256: '0'.repeat(64) };
for (let i = 0; i < Number(count); i++) {
  await recordPackDigests(modelsDir, `${prefix}-${i}`, {
    zip: digest,
    files: { 'model.onnx': digest },
    recordedAt: new Date(0).toISOString(),
    source: `http://127.0.0.1/${prefix}-${i}.zip`,
  });
}
