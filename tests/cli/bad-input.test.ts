/**
 * What a user who gets an option, a path or a file wrong sees: one line naming the option or path, exit code 1 (2 for compare), no
 * stack trace, and nothing written or changed. Checks that must come before the models load are run with a models
 * folder that does not exist, so a check made too late shows up as the models error instead.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { GOLDEN_320, packAFolder } from './collection.js';
import { runAndKill } from './kill-after-lines.js';

const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-bad-input-'));
const noModels = path.join(work, 'no-such-models');
const t1 = sharedPath('images', 't1.jpg');
const aFile = path.join(work, 'a-file.txt');
const aFolder = path.join(work, 'a-folder');
writeFileSync(aFile, 'not a folder\n');
mkdirSync(aFolder);

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}

/** Exit code 1 with exactly one line on the output, `insightgpu COMMAND: …` (`insightgpu index SUB: …`) matching `pattern`. */
async function assertOneLineError(argv: string[], pattern: RegExp): Promise<void> {
  const { code, out } = await run(argv);
  // compare keeps 1 for files that differ; every other command exits 1 on an error.
  assert.equal(code, argv[0] === 'compare' ? 2 : 1, `${argv.join(' ')}:\n${out}`);
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected for ${argv.join(' ')}:\n${out}`);
  assert.match(lines[0]!, new RegExp(`^insightgpu ${argv[0] === 'index' ? `index ${argv[1]}` : argv[0]}: `));
  assert.match(lines[0]!, pattern);
}

describe('analyze: a bad option fails before the models load', () => {
  const analyze = (...args: string[]): string[] => ['analyze', '--models', noModels, '--backend', 'cpu', ...args, t1];
  const cases: [string[], RegExp][] = [
    [['--workers', '0'], /--workers: 0 is less than 1/],
    [['--max-num', '-1'], /--max-num: -1 is less than 0/],
    [['--det-thresh', '2'], /--det-thresh: 2 is not in \[0, 1\]/],
    [['--det-thresh', 'nan'], /--det-thresh: 'nan' is not a number/],
    [['--batch', '0'], /--batch: 0 is less than 1/],
    // Number() reads these as 1, 3 and 2: a run at det_thresh 1 (no face) or max_num 3, unsaid.
    [['--det-thresh', '0x1'], /--det-thresh: '0x1' is not a number/],
    [['--max-num', '0b11'], /--max-num: '0b11' is not an integer/],
    [['--batch', ' 2 '], /--batch: ' 2 ' is not an integer/],
    [['--det-size', '0x'], /--det-size: '0x' is not N or WxH/],
    [['--det-size', '0x5'], /--det-size: '0x5' has one zero side/],
    [['-x'], /-x: unknown option/],
    [['--det-sise', '320'], /--det-sise: unknown option/],
    [['--quiet=yes'], /--quiet: takes no value/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' '), () => assertOneLineError(analyze(...args), pattern));
  }
});

describe('a det size the detector refuses at prepare names the flag', () => {
  // FaceAnalysis.prepare says 'option detSize', its API name; on the command line that is --det-size.
  it('analyze --det-size 7', async () => {
    const { code, out } = await run(['analyze', '--models', packAFolder(), '--backend', 'cpu', '--det-size', '7', t1]);
    assert.equal(code, 1, out);
    assert.match(out, /^insightgpu analyze: option --det-size: 7×7 does not suit this detector/m);
    assert.doesNotMatch(out, /option detSize/);
  });
});

describe('an option whose value was left out takes no option word as its value', () => {
  // `--models --quiet photo.jpg` used to load a pack named '--quiet' and advise `insightgpu fetch-models --quiet`.
  it('analyze --models --quiet IMG', () => assertOneLineError(['analyze', '--models', '--quiet', t1], /option --models: needs a value \(got the option --quiet; a value that starts with -- goes as --models=VALUE\)/));
  it('analyze --json --det-size 320 IMG', () => assertOneLineError(['analyze', '--models', noModels, '--json', '--det-size', '320', t1], /option --json: needs a value \(got the option --det-size/));
  it('index add --index --models DIR IMG', () => assertOneLineError(['index', 'add', '--index', '--models', noModels, t1], /option --index: needs a value \(got the option --models/));
  it('a value that starts with -- still goes with =', async () => {
    const { code, out } = await run(['analyze', '--models=--not-a-pack', '--backend', 'cpu', t1]);
    assert.equal(code, 1);
    assert.match(out, /model pack '--not-a-pack'/);
  });
  it("a lone '-' (stdout) and a negative number stay values", () => assertOneLineError(['analyze', '--models', noModels, '--json', '-', '--max-num', '-1', t1], /--max-num: -1 is less than 0/));
});

describe('analyze --workers above the core count', () => {
  it('runs one worker per core, says so on one line, and goes on to the models', async () => {
    const { code, out } = await run(['analyze', '--models', noModels, '--backend', 'cpu', '--workers', '999', t1]);
    const lines = out.trim().split('\n');
    // The notice first, then the models error: the option did not stop the run, the missing models did.
    assert.match(lines[0]!, /^insightgpu analyze: --workers 999 is more than this machine's (\d+) core\(s\); running \1 /, out);
    assert.equal(lines.length, 2, out);
    assert.match(lines[1]!, /^insightgpu analyze: .*no-such-models/, out);
    assert.equal(code, 1, out);
  });
});

describe('analyze: an output that cannot be written fails before the models load', () => {
  const analyze = (...args: string[]): string[] => ['analyze', '--models', noModels, '--backend', 'cpu', ...args, t1];
  it('--json naming a folder', () => assertOneLineError(analyze('--json', aFolder), /cannot write '.*a-folder': it is a folder/));
  it('--json under a file', () => assertOneLineError(analyze('--json', path.join(aFile, 'out.json')), /cannot write '.*out\.json': its folder cannot be made/));
  it('--ndjson naming a folder', () => assertOneLineError(analyze('--ndjson', aFolder), /cannot write '.*a-folder': it is a folder/));
  it('--draw naming a file', () => assertOneLineError(analyze('--draw', aFile), /cannot write '.*a-file\.txt': it is a file, not a folder/));
  it("--draw - (stdout for --json and --ndjson): refused, no folder named '-' made", async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(path.join(work, 'draw-dash-'));
    process.chdir(dir);
    try {
      await assertOneLineError(analyze('--draw', '-'), /option --draw: takes a folder .*not stdout/);
      assert.equal(existsSync(path.join(dir, '-')), false, "a folder named '-' was made");
    } finally {
      process.chdir(cwd);
    }
  });
  it('--draw whose subfolder for an image is a file (checked for every image\'s subfolder, not at the first drawing)', async () => {
    const dir = mkdtempSync(path.join(work, 'draw-sub-'));
    mkdirSync(path.join(dir, 'photos', 'trip'), { recursive: true });
    writeFileSync(path.join(dir, 'photos', 'trip', 't1.jpg'), readFileSync(t1));
    mkdirSync(path.join(dir, 'drawn'));
    writeFileSync(path.join(dir, 'drawn', 'trip'), 'a file where the drawing folder goes');
    const trip = path.join(dir, 'drawn', 'trip').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await assertOneLineError(['analyze', '--models', noModels, '--backend', 'cpu', '--draw', path.join(dir, 'drawn'), path.join(dir, 'photos')],
      new RegExp(`cannot write '${trip}': it is a file, not a folder$`));
  });
  it('a folder with no images in it', async () => {
    const empty = mkdtempSync(path.join(work, 'empty-'));
    writeFileSync(path.join(empty, 'notes.txt'), 'no image here\n');
    await assertOneLineError(['analyze', '--models', noModels, '--backend', 'cpu', empty], /images '.*empty-.*': no image files there \(.*\.jpg/);
  });
});

describe('analyze --resume with a file that is not this run\'s (pack A, cpu, det 160)', () => {
  let models = '';
  before(() => { models = packAFolder(); });
  const analyze = (...args: string[]): string[] => ['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', ...args, t1];

  it('refuses a --json results file and leaves it byte for byte as it was', async () => {
    // A --json file ends without a newline: read as NDJSON it would be one torn line, which a resume cuts off.
    const json = path.join(work, 'results.json');
    const text = JSON.stringify(GOLDEN_320);
    writeFileSync(json, text);
    await assertOneLineError(analyze('--ndjson', json, '--resume'), /results file '.*results\.json': is not an NDJSON results file of analyze/);
    assert.equal(readFileSync(json, 'utf8'), text);
  });

  it('index cluster reads what analyze --ndjson wrote, settings line first', async () => {
    // t1.jpg and a second copy of it: each of its six people twice, so six clusters of two.
    const copy = path.join(work, 't1-copy.jpg');
    writeFileSync(copy, readFileSync(t1));
    const ndjson = path.join(work, 'for-cluster.ndjson');
    const { code, out } = await run(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--ndjson', ndjson, t1, copy]);
    assert.equal(code, 0, out);
    const clustered = await run(['index', 'cluster', ndjson]);
    assert.equal(clustered.code, 0, clustered.out);
    const result = JSON.parse(clustered.out) as { faces: number; clusters: { size: number }[] };
    assert.equal(result.faces, 12);
    assert.deepEqual(result.clusters.map((c) => c.size), [2, 2, 2, 2, 2, 2]);
    await assertOneLineError(['index', 'cluster', ndjson, '--eps', '-1'], /--eps: -1 is not in \(0, 2\]/);
  });

  it('Ctrl-C (SIGINT) in the middle of --ndjson: exit 130, a line saying how to resume, only complete lines, and the resume finishes', async () => {
    const photos = mkdtempSync(path.join(work, 'photos-'));
    for (let k = 0; k < 6; k++) writeFileSync(path.join(photos, `p${k}.jpg`), readFileSync(t1));
    const ndjson = path.join(work, 'interrupted.ndjson');
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    // Header + one image of six: the signal lands while later images are analysed.
    const stopped = await runAndKill(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--ndjson', ndjson, photos], ndjson, 2, repo, 'SIGINT');
    assert.equal(stopped.code, 130, `the run ended before the signal: ${stopped.stderr}`);
    assert.match(stopped.stderr, /interrupted; every complete line of .*interrupted\.ndjson stays valid: run the same command with --resume/);
    assert.doesNotMatch(stopped.stderr, /\n\s+at /);
    const text = readFileSync(ndjson, 'utf8');
    assert.ok(text.endsWith('\n'), 'no torn line');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { image?: string });
    assert.ok(lines.length >= 2 && lines.length < 7, `${lines.length} lines at the signal`);
    const resumed = await run(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', '--ndjson', ndjson, '--resume', photos]);
    assert.equal(resumed.code, 0, resumed.out);
    const images = readFileSync(ndjson, 'utf8').trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { image: string }).image);
    assert.deepEqual(images, ['p0.jpg', 'p1.jpg', 'p2.jpg', 'p3.jpg', 'p4.jpg', 'p5.jpg']);
  });

  it('refuses an NDJSON file of other settings, naming the setting and both values, and leaves it as it was', async () => {
    const ndjson = path.join(work, 'det320.ndjson');
    const { results, ...header } = GOLDEN_320;
    const text = `${JSON.stringify(header)}\n${JSON.stringify(results[0])}\n`;
    writeFileSync(ndjson, text);
    await assertOneLineError(analyze('--ndjson', ndjson, '--resume'), /det_size: \[320,320\] in the file, \[160,160\] now/);
    assert.equal(readFileSync(ndjson, 'utf8'), text);
  });
});

describe('swap, video, index and doctor: bad input is one line before any model loads', () => {
  const embedding = sharedPath('swap', 'golden_t1', 'golden.json');
  it('swap --swapper naming no file', () =>
    assertOneLineError(['swap', '--models', noModels, '--swapper', path.join(work, 'none.onnx'), '--source-embedding', embedding, '--out', path.join(work, 's.png'), t1], /none\.onnx'?: --swapper: no such file/));
  it('swap --out naming a folder', () =>
    assertOneLineError(['swap', '--models', noModels, '--source-embedding', embedding, '--out', aFolder, t1], /cannot write '.*a-folder': it is a folder/));
  it('video --every 0', () =>
    assertOneLineError(['video', path.join(work, 'clip.mp4'), '--models', noModels, '--ndjson', path.join(work, 'v.ndjson'), '--every', '0'], /--every: 0 is less than 1/));
  it('video --ndjson naming a folder', () =>
    assertOneLineError(['video', path.join(work, 'clip.mp4'), '--models', noModels, '--ndjson', aFolder], /cannot write '.*a-folder': it is a folder/));
  it('video --ndjson naming an earlier run\'s file: refused, the file unchanged', async () => {
    const earlier = path.join(work, 'earlier.ndjson');
    const text = '{"frame":0,"time":0,"faces":[]}\n';
    writeFileSync(earlier, text);
    await assertOneLineError(['video', path.join(work, 'clip.mp4'), '--models', noModels, '--ndjson', earlier], /results file '.*earlier\.ndjson': exists and is not empty; remove it/);
    assert.equal(readFileSync(earlier, 'utf8'), text);
  });
  it('index search --threshold outside a cosine\'s range', () =>
    assertOneLineError(['index', 'search', '--index', path.join(work, 'none.igfx'), '--models', noModels, '--threshold', '5', t1], /--threshold: 5 is not in \[-1, 1\]/));
  it('index add --index naming a folder', () =>
    assertOneLineError(['index', 'add', '--index', aFolder, '--models', noModels, t1], /cannot write '.*a-folder': it is a folder/));
  it("index add --index - (stdout to analyze and video): refused, no file named '-' made", async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(path.join(work, 'index-dash-'));
    process.chdir(dir);
    try {
      await assertOneLineError(['index', 'add', '--index', '-', '--models', noModels, t1], /option --index: is a file .*not stdout/);
      assert.equal(existsSync(path.join(dir, '-')), false, "a file named '-' was made");
    } finally {
      process.chdir(cwd);
    }
  });
  it('index info on a folder', () => assertOneLineError(['index', 'info', aFolder], /a-folder: is a folder, not an index file/));
  it('doctor with an unknown option', () => assertOneLineError(['doctor', '--frob'], /--frob: unknown option/));
});

describe('swap with a models folder (scrfd_2.5g and the INSwapper replica, cpu, det 160)', () => {
  it('an --source-embedding file that is not JSON is one line, the quoted text\'s newline included', async () => {
    const detector = mkdtempSync(path.join(work, 'detector-'));
    symlinkSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx'), path.join(detector, 'scrfd_2.5g_bnkps.onnx'));
    const out = path.join(work, 'never.png');
    await assertOneLineError(['swap', '--models', detector, '--swapper', sharedPath('swap', 'inswapper_w128_seed1.onnx'), '--source-embedding', aFile,
      '--backend', 'cpu', '--det-size', '160', '--quiet', '--out', out, t1], /--source-embedding: cannot read .*a-file\.txt: .*not valid JSON/);
    assert.equal(existsSync(out), false);
  });
});

describe('compare', () => {
  it('reads an analyze --ndjson file: the golden as NDJSON lines matches the golden', async () => {
    const { results, ...header } = GOLDEN_320;
    const ndjson = path.join(work, 'golden.ndjson');
    const failed = { image: 'broken.jpg', error: { type: 'ImageError', message: 'bad image' } };
    writeFileSync(ndjson, [header, ...results, failed].map((l) => `${JSON.stringify(l)}\n`).join(''));
    const { code, out } = await run(['compare', ndjson, sharedPath('golden', 'packA_det320.json')]);
    assert.equal(code, 0, out);
    assert.match(out, /6 face\(s\) compared: within tolerance/);
    assert.doesNotMatch(out, /note:/);
  });

  it('says why an image is missing when the run recorded its failure (--ndjson error line, --json "errors")', async () => {
    const { results, ...header } = GOLDEN_320;
    const failure = { image: results[0]!.image, error: { type: 'ImageError', message: "bad image 't1.jpg': VipsJpeg: premature end of JPEG image" } };
    const ndjson = path.join(work, 'failed.ndjson');
    writeFileSync(ndjson, [header, ...results.slice(1), failure].map((l) => `${JSON.stringify(l)}\n`).join(''));
    const json = path.join(work, 'failed.json');
    writeFileSync(json, JSON.stringify({ ...header, results: results.slice(1), errors: [failure] }));
    for (const file of [ndjson, json]) {
      const { code, out } = await run(['compare', file, sharedPath('golden', 'packA_det320.json')]);
      assert.equal(code, 1, out);
      assert.match(out, /FAIL t1\.jpg: missing \(the actual run failed on it: ImageError: bad image 't1\.jpg': VipsJpeg: premature end/);
      const reverse = await run(['compare', sharedPath('golden', 'packA_det320.json'), file]);
      assert.match(reverse.out, /FAIL t1\.jpg: not in the expected results \(the expected run failed on it: ImageError/);
    }
  });

  it('notes settings the two files were made with differently', async () => {
    const other = path.join(work, 'det640.json');
    writeFileSync(other, JSON.stringify({ ...GOLDEN_320, det_size: [640, 640] }));
    const { out } = await run(['compare', other, sharedPath('golden', 'packA_det320.json')]);
    assert.match(out, /^note: the files were made with different det_size: \[640,640\] and \[320,320\]$/m);
  });

  it('reads a run with no image done yet and a BOM-led JSON file; names a torn last line and how to complete it', async () => {
    const { results, ...header } = GOLDEN_320;
    // A run stopped before its first image: the settings line alone (it read as no results file at all).
    const settingsOnly = path.join(work, 'settings-only.ndjson');
    writeFileSync(settingsOnly, `${JSON.stringify(header)}\n`);
    const none = await run(['compare', settingsOnly, sharedPath('golden', 'packA_det320.json')]);
    assert.equal(none.code, 1, none.out);
    assert.match(none.out, /0 face\(s\) compared: OUTSIDE tolerance/);
    assert.match(none.out, /FAIL t1\.jpg: missing/);
    const bom = path.join(work, 'bom.json');
    writeFileSync(bom, `\ufeff${JSON.stringify(GOLDEN_320)}`);
    assert.equal((await run(['compare', bom, sharedPath('golden', 'packA_det320.json')])).code, 0);
    // A killed run's file: every complete line, then part of one.
    const torn = path.join(work, 'torn.ndjson');
    const lines = [header, ...results].map((l) => JSON.stringify(l));
    writeFileSync(torn, `${lines.join('\n')}\n${lines[1]!.slice(0, 40)}`);
    await assertOneLineError(['compare', torn, sharedPath('golden', 'packA_det320.json')], new RegExp(`torn\\.ndjson': line ${lines.length + 1} is not JSON \\(the torn last line .*analyze --resume\\)`));
  });

  it('refuses a file that is not results, and an unknown option', async () => {
    await assertOneLineError(['compare', aFile, sharedPath('golden', 'packA_det320.json')], /results file '.*a-file\.txt': is not a results file/);
    await assertOneLineError(['compare', '--tolerance', '3', aFile], /--tolerance: unknown option/);
    await assertOneLineError(['compare', '-t', aFile], /-t: unknown option/);
  });

  it('exits 2 when it compares nothing, so a script tells a missing file from files that differ (1)', async () => {
    await assertOneLineError(['compare', path.join(work, 'never-written.json'), sharedPath('golden', 'packA_det320.json')], /never-written\.json/);
    await assertOneLineError(['compare', aFile], /give exactly two results files, got 1/);
    const differ = path.join(work, 'one-fewer.json');
    writeFileSync(differ, JSON.stringify({ ...GOLDEN_320, results: GOLDEN_320.results.slice(1) }));
    assert.equal((await run(['compare', differ, sharedPath('golden', 'packA_det320.json')])).code, 1);
  });

  it('reads files named --help and --verbose after --: there they are operands, not help or debug output', async () => {
    const here = process.cwd();
    const debug = process.env['INSIGHTGPU_DEBUG'];
    delete process.env['INSIGHTGPU_DEBUG'];
    const folder = path.join(work, 'option-named');
    mkdirSync(folder);
    for (const name of ['--help', '--verbose']) writeFileSync(path.join(folder, name), JSON.stringify(GOLDEN_320));
    process.chdir(folder);
    try {
      const { code, out } = await run(['compare', '--', '--help', '--verbose']);
      assert.equal(code, 0, out);
      assert.match(out, /face\(s\) compared: within tolerance/);
      assert.equal(process.env['INSIGHTGPU_DEBUG'], undefined);
      // Before `--` both keep their meaning.
      const help = await run(['compare', '--help', '--', '--verbose']);
      assert.equal(help.code, 0);
      assert.match(help.out, /^usage: insightgpu compare/);
      const video = await run(['video', '--', '--help']);
      assert.doesNotMatch(video.out, /^usage/, 'video -- --help printed its help');
    } finally {
      process.chdir(here);
      if (debug === undefined) delete process.env['INSIGHTGPU_DEBUG']; else process.env['INSIGHTGPU_DEBUG'] = debug;
    }
  });

  it('takes a file named like an option after --, as the other commands do', async () => {
    // '--' itself was refused as an unknown option, so such a file could not be compared at all.
    const dashed = path.join(work, '-run.json');
    writeFileSync(dashed, JSON.stringify(GOLDEN_320));
    const { code, out } = await run(['compare', '--', dashed, sharedPath('golden', 'packA_det320.json')]);
    assert.equal(code, 0, out);
    assert.match(out, /within tolerance/);
  });
});

describe('operands: a missing sub-command and a wrong count of words are named as such', () => {
  it('a bare `insightgpu index` is no command, as a bare `insightgpu` is: its usage, exit 2 (help stays 0)', async () => {
    const bare = await run(['index']);
    assert.equal(bare.code, 2, bare.out);
    assert.match(bare.out, /^usage: insightgpu index add\|remove\|search\|info\|cluster/);
    assert.equal((await run([])).code, 2);
    for (const help of ['--help', '-h', 'help']) assert.equal((await run(['index', help])).code, 0, help);
  });
  it('compare with one file names its two operands, not an option called compare', () =>
    assertOneLineError(['compare', aFile], /^insightgpu compare: option ACTUAL EXPECTED: give exactly two results files, got 1 \(usage: insightgpu compare /));
  it('doctor with a stray word calls it an argument, not an option', () =>
    assertOneLineError(['doctor', 'extra'], /^insightgpu doctor: unexpected argument 'extra' \(doctor takes only --root DIR and --no-hash\)$/));
});

describe('insightgpu help COMMAND', () => {
  it('is that command\'s --help, a sub-command\'s too; an unknown one is exit 2', async () => {
    for (const words of [['analyze'], ['index', 'add'], ['fetch-models']]) {
      const asked = await run(['help', ...words]);
      const own = await run([...words, '--help']);
      assert.equal(asked.code, 0, asked.out);
      assert.equal(asked.out, own.out, words.join(' '));
    }
    const unknown = await run(['help', 'frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /^unknown command 'frobnicate'/);
  });
});

describe('video --ffmpeg that is a folder', () => {
  it('names the flag typed, --ffmpeg, not the decoder option ffmpeg', () =>
    assertOneLineError(['video', path.join(work, 'clip.mp4'), '--models', noModels, '--ndjson', path.join(work, 'ff.ndjson'), '--ffmpeg', aFolder],
      /^insightgpu video: option --ffmpeg: '.*a-folder' is a folder; give the program itself/));
});

describe('doctor', () => {
  it('reports a pack folder named after an Object member (constructor) as any other, not with a stack trace', async () => {
    const root = path.join(work, 'doctor-root');
    mkdirSync(path.join(root, 'models', 'constructor'), { recursive: true });
    writeFileSync(path.join(root, 'models', 'constructor', 'genderage.onnx'), readFileSync(sharedPath('models', 'tiny_genderage.onnx')));
    writeFileSync(path.join(root, 'models', 'digests.json'), JSON.stringify({ format: 'insightgpu-digests/1', packs: {} }));
    const { code, out } = await run(['doctor', '--root', root, '--no-hash']);
    assert.equal(code, 0, out);
    assert.match(out, /^ {2}constructor: 1 \.onnx file\(s\)\n {4}held to: nothing \(no digests recorded at install/m);
  });
});
