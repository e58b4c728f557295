/**
 * Identification and clustering on the real recognizer (pack A: scrfd_2.5g + mobilefacenet, CPU backend): t1.jpg's
 * six faces are enrolled; the faces of a horizontally flipped copy and of a noisy copy each find their own identity
 * first; the six faces and their flipped copies cluster into six pairs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceAnalysis, FaceIndex, clusterFaces, loadImage, type BgrImage, type Face } from '../../../src/pipeline/index.js';
import { flippedCopy, noisyCopy } from './image-variants.js';
import { sharedPath } from '../helpers.js';

let app: FaceAnalysis;
let original: Face[], flipped: Face[], noisy: Face[];
let width = 0;

const byX1 = (faces: readonly Face[]): Face[] => [...faces].sort((a, b) => a.bbox[0]! - b.bbox[0]!);

before(async () => {
  app = await FaceAnalysis.create({ models: sharedPath('models'), backend: 'cpu', allowedModules: ['detection', 'recognition'] });
  app.prepare({ detSize: [320, 320] }); // the golden det320 run finds all six faces; 320 keeps the test quick
  const t1: BgrImage = await loadImage(sharedPath('images', 't1.jpg'));
  width = t1.width;
  original = byX1(await app.get(t1));
  flipped = byX1(await app.get(flippedCopy(t1)));
  noisy = byX1(await app.get(noisyCopy(t1, 12, 15)));
});
after(() => app?.release());

/** The original face whose box, mirrored when `mirror`, overlaps f's the most: which person f is. */
function ownFace(f: Face, mirror: boolean): number {
  const box = (g: Face): number[] => (mirror ? [width - g.bbox[2]!, g.bbox[1]!, width - g.bbox[0]!, g.bbox[3]!] : Array.from(g.bbox));
  const iou = (a: number[], b: ArrayLike<number>): number => {
    const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
    const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
    const area = (r: ArrayLike<number>): number => (r[2]! - r[0]!) * (r[3]! - r[1]!);
    return (w * h) / (area(a) + area(b) - w * h);
  };
  let best = -1, bestIou = 0.5; // a real match overlaps far more than half; anything less is no match
  original.forEach((g, i) => { const v = iou(box(g), f.bbox); if (v > bestIou) { bestIou = v; best = i; } });
  return best;
}

test('six t1.jpg faces found in the original, flipped and noisy copies', () => {
  assert.equal(original.length, 6);
  assert.equal(flipped.length, 6);
  assert.equal(noisy.length, 6);
});

test('flipped and noisy faces each find their own enrolled identity first (searchAsync on the CPU backend agrees)', async () => {
  const index = new FaceIndex();
  original.forEach((f, i) => index.add(`person${i}`, f, { bbox: Array.from(f.bbox) }));
  for (const [name, faces, mirror] of [['flipped', flipped, true], ['noisy', noisy, false]] as const) {
    for (const f of faces) {
      const own = ownFace(f, mirror);
      assert.ok(own >= 0, `${name} face at ${Array.from(f.bbox).map(Math.round)} matches an original box`);
      const hits = index.search(f, { k: 2 });
      console.log(`${name} face of person${own}: ${hits.map((h) => `${h.id}=${h.score.toFixed(4)}`).join(' ')}`);
      assert.equal(hits[0]!.id, `person${own}`);
      // Identity is decided by rank; the margin is printed and only required to be positive (rank 1 is strict).
      assert.ok(hits[0]!.score > hits[1]!.score);
      assert.deepEqual(await index.searchAsync(f, { k: 2 }), hits);
    }
  }
});

test('clusterFaces: the six faces and their flipped copies give six clusters of two', () => {
  const labels = clusterFaces([...original, ...flipped]);
  console.log('labels', labels.join(' '));
  const pairs = new Map<number, number[]>();
  labels.forEach((l, i) => pairs.set(l, [...(pairs.get(l) ?? []), i]));
  assert.equal(pairs.size, 6, 'six clusters, no noise');
  assert.ok(!pairs.has(-1));
  for (const [, members] of pairs) {
    assert.equal(members.length, 2);
    const [a, b] = members as [number, number];
    assert.ok(a < 6 && b >= 6, 'one original and one flipped face');
    assert.equal(ownFace(flipped[b - 6]!, true), a, 'the flipped face of the same person');
  }
});
