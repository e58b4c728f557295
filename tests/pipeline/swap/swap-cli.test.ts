/**
 * `insightgpu swap` on t1.jpg with the test bed's replica: every face swapped in turn, one face, and the crops side
 * by side are each held to InsightFace's own output (≥ 99.5 % of values within ±1, none more than 8 off: the
 * issue's bound; what remains comes from the alignment matrix, see inswapper-golden.test.ts), and every refusal
 * names the file or face it is about. Faces come from our own detector (scrfd_2.5g at det 640, as the golden's).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureOutput } from '../capture-output.js';
import { onnx } from '../../parser/onnx-builder.js';
import { main } from '../../../cli/main.js';
import { ensureReplicas } from '../../../models/forge/cache.js';
import { toFloat16Model } from '../../../models/forge/float16.js';
import { decodeImageNode } from '../../../src/pipeline/decode-node.js';
import { createBgrImage, type BgrImage } from '../../../src/pipeline/image.js';
import { writePng } from '../../../cli/encode-png.js';
import { compareImages, describe as describeComparison, goldenDir, readGoldenImage, replicaPath, sharedDir, t1Path } from './golden-swap.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-swap-cli-'));
const detectorOnly = path.join(dir, 'detector');
mkdirSync(detectorOnly);
copyFileSync(path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx'), path.join(detectorOnly, 'scrfd_2.5g_bnkps.onnx'));
const embedding = path.join(goldenDir, 'golden.json');

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

const swap = (out: string, ...extra: string[]): string[] =>
  ['swap', '--models', detectorOnly, '--swapper', replicaPath, '--source-embedding', embedding, '--backend', 'cpu', '--out', out, ...extra, t1Path];

function assertWithinBound(ours: BgrImage, golden: BgrImage, what: string): void {
  const c = compareImages(ours, golden);
  // The bound: at least 99.5 % of values within ±1 of InsightFace's output, none more than 8 off.
  assert.ok(c.within1 >= 0.995 && c.maxDiff <= 8, `${what}: ${describeComparison(c)}`);
}

function crop(strip: BgrImage, k: number): BgrImage {
  const out = createBgrImage(128, 128);
  for (let y = 0; y < 128; y++) out.data.set(strip.data.subarray((y * strip.width + k * 128) * 3, (y * strip.width + (k + 1) * 128) * 3), y * 128 * 3);
  return out;
}

describe('insightgpu swap', () => {
  it('swaps every face in turn into one result (t1.all.png)', async () => {
    const out = path.join(dir, 'all.png');
    const { code, out: log } = await run(swap(out));
    assert.equal(code, 0, log);
    assert.match(log, /6 face\(s\) swapped/);
    assertWithinBound(await decodeImageNode(out), await readGoldenImage('t1.all.png'), 't1.all.png');
  });

  it('swaps one face (--target-face 3, t1.one.png)', async () => {
    const out = path.join(dir, 'one.png');
    assert.equal((await run(swap(out, '--target-face', '3'))).code, 0);
    assertWithinBound(await decodeImageNode(out), await readGoldenImage('t1.one.png'), 't1.one.png');
  });

  it('writes the 128×128 crops side by side with --no-paste-back (t1.faceJ.png)', async () => {
    const out = path.join(dir, 'crops.png');
    assert.equal((await run(swap(out, '--no-paste-back'))).code, 0);
    const strip = await decodeImageNode(out);
    assert.deepEqual([strip.width, strip.height], [6 * 128, 128]);
    for (let k = 0; k < 6; k++) assertWithinBound(crop(strip, k), await readGoldenImage(`t1.face${k}.png`), `t1.face${k}.png`);
  });

  it('refuses a face index out of range, naming the image and its face count', async () => {
    const { code, out } = await run(swap(path.join(dir, 'x.png'), '--target-face', '6'));
    assert.equal(code, 1);
    assert.match(out, /--target-face: 6 is out of range: .*t1\.jpg has 6 face\(s\), 0…5/);
  });

  it('refuses a file that is not an INSwapper, naming it', async () => {
    const recognizer = path.join(sharedDir, 'models/mobilefacenet.onnx');
    const { code, out } = await run(['swap', '--models', detectorOnly, '--swapper', recognizer, '--source-embedding', embedding, '--backend', 'cpu', '--out', path.join(dir, 'x.png'), t1Path]);
    assert.equal(code, 1);
    assert.match(out, /mobilefacenet\.onnx.*not an INSwapper/);
  });

  it('refuses a 128-d recognizer for a source photo, saying why', async () => {
    const pack = path.join(dir, 'pack128');
    mkdirSync(pack);
    for (const f of ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx']) copyFileSync(path.join(sharedDir, 'models', f), path.join(pack, f));
    const { code, out } = await run(['swap', '--models', pack, '--swapper', replicaPath, '--source', t1Path, '--backend', 'cpu', '--out', path.join(dir, 'x.png'), t1Path]);
    assert.equal(code, 1);
    assert.match(out, /INSwapper needs a 512-d ArcFace latent; this pack's recognizer \(mobilefacenet\.onnx\) gives 128/);
  });

  it('refuses a source photo with no face, and a source face index out of range', async () => {
    const pack = path.join(dir, 'pack512');
    mkdirSync(pack);
    copyFileSync(path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx'), path.join(pack, 'scrfd_2.5g_bnkps.onnx'));
    copyFileSync((await ensureReplicas(['w600k_r50'])).w600k_r50, path.join(pack, 'w600k_r50.onnx'));
    const blank = path.join(dir, 'blank.png');
    await writePng(createBgrImage(64, 48, new Uint8Array(64 * 48 * 3).fill(128)), blank);
    const common = ['swap', '--models', pack, '--swapper', replicaPath, '--backend', 'cpu', '--out', path.join(dir, 'x.png')];
    const none = await run([...common, '--source', blank, t1Path]);
    assert.equal(none.code, 1);
    assert.match(none.out, /blank\.png.*the source image has no face/);
    const far = await run([...common, '--source', t1Path, '--source-face', '7', t1Path]);
    assert.equal(far.code, 1);
    assert.match(far.out, /--source-face: 7 is out of range: .*t1\.jpg has 6 face\(s\)/);
  });

  it('refuses an embedding file of the wrong length, shape or all zeros by name, before any model loads', async () => {
    const golden = (JSON.parse(readFileSync(embedding, 'utf8')) as { source_normed_embedding: number[] }).source_normed_embedding;
    const cases: [string, unknown, RegExp][] = [
      ['short.json', golden.slice(0, 128), /--source-embedding: .*short\.json holds 128 numbers; INSwapper needs a 512-d/],
      ['nested.json', [golden], /--source-embedding: .*nested\.json holds a 1×512 array of arrays; give the 512 numbers as one flat array/],
      ['zero.json', { normed_embedding: new Array<number>(512).fill(0) }, /--source-embedding: .*zero\.json holds an all-zero embedding/],
    ];
    for (const [name, value, message] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify(value));
      // A models folder that does not exist: the embedding is refused before the pack (or the swapper) is read.
      const { code, out } = await run(['swap', '--models', path.join(dir, 'no-such-pack'), '--swapper', replicaPath, '--source-embedding', file, '--backend', 'cpu', '--out', path.join(dir, 'x.png'), t1Path]);
      assert.equal(code, 1, out);
      assert.match(out, message);
    }
  });

  it('refuses an --out named for another image format, before any model loads (the result is PNG)', async () => {
    const { code, out } = await run(['swap', '--models', path.join(dir, 'no-such-pack'), '--swapper', replicaPath, '--source-embedding', embedding, '--backend', 'cpu', '--out', path.join(dir, 'swapped.JPG'), t1Path]);
    assert.equal(code, 1, out);
    assert.match(out, /cannot write '.*swapped\.JPG': swap writes PNG only; name it \.png \(not \.jpg\)/);
  });

  it('refuses an --out that is the target or source image, leaving it as it was', async () => {
    const photo = path.join(dir, 'photo in place.jpg');
    copyFileSync(t1Path, photo);
    const before = readFileSync(photo);
    const asTarget = await run(swap(photo).slice(0, -1).concat(photo));
    assert.equal(asTarget.code, 1, asTarget.out);
    assert.match(asTarget.out, /cannot write '.*photo in place\.jpg': it is the input image/);
    const link = path.join(dir, 'photo-link.jpg');
    symlinkSync(photo, link);
    const asSource = await run(['swap', '--models', detectorOnly, '--swapper', replicaPath, '--source', photo, '--backend', 'cpu', '--out', link, t1Path]);
    assert.equal(asSource.code, 1, asSource.out);
    assert.match(asSource.out, /photo-link\.jpg': it is the input image/);
    assert.deepEqual(readFileSync(photo), before);
    const json = path.join(dir, 'identity.json');
    copyFileSync(embedding, json);
    const asEmbedding = await run(['swap', '--models', detectorOnly, '--swapper', replicaPath, '--source-embedding', json, '--backend', 'cpu', '--out', json, t1Path]);
    assert.equal(asEmbedding.code, 1, asEmbedding.out);
    assert.match(asEmbedding.out, /identity\.json': it is the input embedding file/);
    const swapperCopy = path.join(dir, 'swapper copy.onnx');
    copyFileSync(replicaPath, swapperCopy);
    const asSwapper = await run(['swap', '--models', detectorOnly, '--swapper', swapperCopy, '--source-embedding', embedding, '--backend', 'cpu', '--out', swapperCopy, t1Path]);
    assert.equal(asSwapper.code, 1, asSwapper.out);
    assert.match(asSwapper.out, /swapper copy\.onnx': it is the input swapper file/);
    assert.deepEqual(readFileSync(swapperCopy), readFileSync(replicaPath));
  });

  it('names a --swapper file that is not ONNX, or a folder, and checks it and --det-size before the pack loads', async () => {
    const junk = path.join(dir, 'junk swapper.onnx');
    writeFileSync(junk, 'not a model');
    const noPack = path.join(dir, 'no-such-pack');
    const base = ['swap', '--models', noPack, '--source-embedding', embedding, '--backend', 'cpu', '--out', path.join(dir, 'x.png')];
    const notOnnx = await run([...base, '--swapper', junk, t1Path]);
    assert.equal(notOnnx.code, 1, notOnnx.out);
    assert.match(notOnnx.out, /junk swapper\.onnx': not an INSwapper: not an ONNX file/);
    const wrong = await run([...base, '--swapper', path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx'), t1Path]);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /scrfd_2\.5g_bnkps\.onnx': not an INSwapper: has 1 input/);
    // The replica stamped with ai.onnx opset 99: refused naming the file, not only the graph.
    const tooNew = path.join(dir, 'too new swapper.onnx');
    const proto = onnx.ModelProto.decode(readFileSync(replicaPath));
    proto.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 99 })];
    writeFileSync(tooNew, onnx.ModelProto.encode(proto).finish());
    const newer = await run([...base, '--swapper', tooNew, t1Path]);
    assert.equal(newer.code, 1, newer.out);
    assert.match(newer.out, /too new swapper\.onnx': model .* imports opset 99 of domain ai\.onnx; this engine knows that domain's op semantics up to opset 25/);
    const folder = await run([...base, '--swapper', dir, t1Path]);
    assert.equal(folder.code, 1, folder.out);
    assert.match(folder.out, /--swapper: not a file/);
    const size = await run([...base, '--swapper', replicaPath, '--det-size', '320x', t1Path]);
    assert.equal(size.code, 1, size.out);
    assert.match(size.out, /--det-size: '320x' is not N or WxH/);
    const huge = await run([...base, '--swapper', replicaPath, '--det-size', '100000', t1Path]);
    assert.equal(huge.code, 1, huge.out);
    assert.match(huge.out, /--det-size: '100000' \(100000×100000\) exceeds the \d+-pixel image bound/);
  });

  it('writes the PNG to stdout with --out -, the same bytes as a file, and no file named -', async () => {
    // A child process: stdout must be a real pipe carrying binary bytes, not the captured text of this process.
    const args = swap('-', '--target-face', '3', '--no-paste-back', '--det-size', '320');
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, maxBuffer: 1 << 26 });
    assert.equal(child.status, 0, child.stderr.toString());
    assert.match(child.stderr.toString(), /1 face\(s\) swapped → stdout/);
    const file = path.join(dir, 'stdout-twin.png');
    assert.equal((await run(swap(file, '--target-face', '3', '--no-paste-back', '--det-size', '320'))).code, 0);
    assert.ok(child.stdout.equals(readFileSync(file)), 'stdout holds the PNG the file run wrote');
    assert.equal(existsSync(path.join(repo, '-')), false);
  });

  it('writes through a symlinked --out, leaving the link and no temporary file', async () => {
    const real = path.join(dir, 'real.png');
    writeFileSync(real, 'an earlier file');
    const link = path.join(dir, 'link.png');
    symlinkSync(real, link);
    const { code, out } = await run(swap(link, '--target-face', '3', '--det-size', '320'));
    assert.equal(code, 0, out);
    assert.ok(lstatSync(link).isSymbolicLink());
    const written = await decodeImageNode(real);
    assert.deepEqual([written.width, written.height], [1280, 886]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('finds the swapper in an installed pack\'s folder, and names a pack that is not installed', async () => {
    const home = path.join(dir, 'insightface home');
    const pack = path.join(home, 'models', 'mypack');
    mkdirSync(pack, { recursive: true });
    copyFileSync(path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx'), path.join(pack, 'scrfd_2.5g_bnkps.onnx'));
    copyFileSync(replicaPath, path.join(pack, 'swapper.onnx'));
    const saved = process.env['INSIGHTFACE_HOME'];
    process.env['INSIGHTFACE_HOME'] = home;
    try {
      const base = ['swap', '--source-embedding', embedding, '--backend', 'cpu', '--det-size', '320', '--target-face', '0', '--no-paste-back', '--out', path.join(dir, 'pack.png')];
      const found = await run(['swap', '--models', 'mypack', ...base.slice(1), t1Path]);
      assert.equal(found.code, 0, found.out);
      assert.match(found.out, /1 face\(s\) swapped/);
      const missing = await run(['swap', '--models', 'nopack', ...base.slice(1), t1Path]);
      assert.equal(missing.code, 1, missing.out);
      assert.match(missing.out, /model pack 'nopack': neither a folder nor an installed pack/);
    } finally {
      if (saved === undefined) delete process.env['INSIGHTFACE_HOME'];
      else process.env['INSIGHTFACE_HOME'] = saved;
    }
  });

  it('names a file of the models folder that is not ONNX while looking there for the swapper', async () => {
    const pack = path.join(dir, 'pack-with-junk');
    mkdirSync(pack);
    copyFileSync(path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx'), path.join(pack, 'scrfd_2.5g_bnkps.onnx'));
    writeFileSync(path.join(pack, 'broken.onnx'), 'not a model');
    const { code, out } = await run(['swap', '--models', pack, '--source-embedding', embedding, '--backend', 'cpu', '--out', path.join(dir, 'x.png'), t1Path]);
    assert.equal(code, 1, out);
    assert.match(out, /model pack '.*broken\.onnx': not an ONNX file/);
  });

  it('refuses a missing target or a broken source photo before the pack loads', async () => {
    const broken = path.join(dir, 'broken photo.jpg');
    writeFileSync(broken, 'not an image');
    const base = ['swap', '--models', path.join(dir, 'no-such-pack'), '--swapper', replicaPath, '--backend', 'cpu', '--out', path.join(dir, 'x.png')];
    const target = await run([...base, '--source-embedding', embedding, path.join(dir, 'no such target.jpg')]);
    assert.equal(target.code, 1, target.out);
    assert.match(target.out, /bad image '.*no such target\.jpg'/);
    const source = await run([...base, '--source', broken, t1Path]);
    assert.equal(source.code, 1, source.out);
    assert.match(source.out, /bad image '.*broken photo\.jpg'/);
  });

  it('an --out that cannot be created is named in the error, not the temporary file beside it', { skip: process.platform !== 'linux' }, async () => {
    // /proc takes no new files, even for root.
    const { code, out } = await run(swap('/proc/swapped.png', '--target-face', '0', '--det-size', '320'));
    assert.equal(code, 1, out);
    // ENOENT for root, EACCES for others: the system's reason, without the call and the temporary path.
    assert.match(out, /cannot write '\/proc\/swapped\.png': E[A-Z]+: [^,'\n]+\n/);
    assert.doesNotMatch(out, /\.tmp/);
  });

  it('takes a float16 swapper file (the forge\'s float16 variant of the replica)', async () => {
    const half = path.join(dir, 'inswapper_fp16.onnx');
    writeFileSync(half, toFloat16Model(readFileSync(replicaPath)).bytes);
    const out = path.join(dir, 'half.png');
    const { code, out: log } = await run(['swap', '--models', detectorOnly, '--swapper', half, '--source-embedding', embedding, '--backend', 'cpu', '--det-size', '320', '--target-face', '0', '--no-paste-back', '--out', out, t1Path]);
    assert.equal(code, 0, log);
    const crop = await decodeImageNode(out);
    assert.deepEqual([crop.width, crop.height], [128, 128]);
  });

  it('finds the swapper where fetch-models installs it, with $INSIGHTFACE_HOME starting with ~', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, 'ifh', 'models'), { recursive: true });
    copyFileSync(replicaPath, path.join(home, 'ifh', 'models', 'inswapper_128.onnx'));
    const saved = { HOME: process.env['HOME'], INSIGHTFACE_HOME: process.env['INSIGHTFACE_HOME'] };
    process.env['HOME'] = home;
    process.env['INSIGHTFACE_HOME'] = '~/ifh';
    try {
      const { code, out } = await run(['swap', '--models', detectorOnly, '--source-embedding', embedding, '--backend', 'cpu', '--det-size', '320', '--target-face', '0', '--no-paste-back', '--out', path.join(dir, 'home.png'), t1Path]);
      assert.equal(code, 0, out);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('says what is missing on bad usage', async () => {
    writeFileSync(path.join(dir, 'bad.json'), '{"something": 1}');
    assert.match((await run(['swap', '--models', detectorOnly, '--out', 'x.png', t1Path])).out, /give either --source IMG or --source-embedding/);
    const bad = await run(['swap', '--models', detectorOnly, '--swapper', replicaPath, '--source-embedding', path.join(dir, 'bad.json'), '--out', path.join(dir, 'x.png'), t1Path]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /bad\.json holds no embedding/);
    const help = await run(['swap', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--no-paste-back/);
  });
});
