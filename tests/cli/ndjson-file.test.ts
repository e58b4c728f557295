import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ResultsFileError } from '../../cli/batch/errors.js';
import { NdjsonResultsFile } from '../../cli/batch/ndjson-file.js';
import type { RunHeader } from '../../cli/batch/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-ndjson-'));
const header: RunHeader = { det_size: [320, 320], det_thresh: 0.5, max_num: 0, models: { detection: 'scrfd_2.5g_bnkps.onnx' } };
const lines = [
  header,
  { image: 'a.jpg', width: 2, height: 1, faces: [] },
  // Longer than the 1 MiB read chunk, with multi-byte characters across the chunk's end.
  { image: 'b.jpg', error: { type: 'ImageError', message: 'é'.repeat(700_000) } },
  { image: 'sub/c.jpg', width: 3, height: 4, faces: [] },
].map((l) => `${JSON.stringify(l)}\n`);

describe('NdjsonResultsFile', () => {
  it('writes the header first and appends whole lines', async () => {
    const file = path.join(dir, 'fresh', 'out.ndjson');
    const { out, done } = await NdjsonResultsFile.open(file, header, false);
    out.append({ image: 'a.jpg', width: 2, height: 1, faces: [] });
    out.close();
    assert.equal(done.size, 0);
    assert.equal(readFileSync(file, 'utf8'), lines[0]! + lines[1]!);
  });

  it('resumes across read chunks: the images done, the failures, and a torn tail cut off', async () => {
    const file = path.join(dir, 'torn.ndjson');
    writeFileSync(file, lines.join('') + '{"image":"d.jp');
    const { out, done, failed } = await NdjsonResultsFile.open(file, header, true);
    out.append({ image: 'd.jpg', width: 1, height: 1, faces: [] });
    out.close();
    assert.deepEqual([...done], ['a.jpg', 'b.jpg', 'sub/c.jpg']);
    assert.deepEqual(failed.map((f) => f.image), ['b.jpg']);
    assert.equal(readFileSync(file, 'utf8'), `${lines.join('')}{"image":"d.jpg","width":1,"height":1,"faces":[]}\n`);
  });

  it('rewrites a torn header, and resumes a file of the header alone', async () => {
    const torn = path.join(dir, 'torn-header.ndjson');
    writeFileSync(torn, lines[0]!.slice(0, 20));
    (await NdjsonResultsFile.open(torn, header, true)).out.close();
    assert.equal(readFileSync(torn, 'utf8'), lines[0]);
    const { done } = await NdjsonResultsFile.open(torn, header, true);
    assert.equal(done.size, 0);
  });

  it('refuses, unchanged: an existing file without resume, other settings, a bad complete line', async () => {
    const file = path.join(dir, 'whole.ndjson');
    const text = lines.join('');
    writeFileSync(file, text);
    await assert.rejects(NdjsonResultsFile.open(file, header, false), (e) => e instanceof ResultsFileError && /exists/.test(e.message));
    await assert.rejects(NdjsonResultsFile.open(file, { ...header, det_thresh: 0.6 }, true), (e) => e instanceof ResultsFileError && /other settings/.test(e.message));
    const bad = path.join(dir, 'bad.ndjson');
    const badText = lines[0]! + '{"image":"a.jpg","width":2\n' + lines[3]!;
    writeFileSync(bad, badText);
    await assert.rejects(NdjsonResultsFile.open(bad, header, true), (e) => e instanceof ResultsFileError && /line 2 is not JSON/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), text);
    assert.equal(readFileSync(bad, 'utf8'), badText);
  });

  it('a new file through a dangling link is made where the link points, its missing folder first', async () => {
    // The folder made used to be the link's own (there already); the target's stayed missing and the open failed
    // with an untyped ENOENT.
    const link = path.join(dir, 'linked.ndjson');
    symlinkSync(path.join('later', 'real.ndjson'), link);
    const { out } = await NdjsonResultsFile.open(link, header, false);
    out.close();
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.equal(readFileSync(path.join(dir, 'later', 'real.ndjson'), 'utf8'), lines[0]);
  });

  // fdatasync is for a file on a disk: on /dev/null or a pipe (--ndjson /dev/stdout | jq, --ndjson >(gzip > f.gz))
  // the system answers EINVAL, which ended the run after its settings line.
  it('writes to /dev/null and to a FIFO, which cannot be synced to a disk', { skip: existsSync('/dev/null') && process.platform !== 'win32' ? false : 'no /dev/null or FIFOs here' }, async () => {
    const sink = await NdjsonResultsFile.open('/dev/null', header, false);
    sink.out.append({ image: 'a.jpg', width: 2, height: 1, faces: [] });
    sink.out.close();
    const fifo = path.join(dir, 'lines.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // A reader opened first (non-blocking), so the writer's open does not wait for one.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const { out } = await NdjsonResultsFile.open(fifo, header, false);
      out.append({ image: 'a.jpg', width: 2, height: 1, faces: [] });
      out.close();
      const bytes = Buffer.alloc(4096);
      const read = readSync(reader, bytes, 0, bytes.length, null);
      assert.equal(bytes.subarray(0, read).toString('utf8'), lines[0]! + lines[1]!);
    } finally {
      closeSync(reader);
    }
  });
});
