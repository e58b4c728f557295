/**
 * Track ↔ detection assignment: a deterministic greedy assignment on IoU with the embedding as the tie-breaker.
 *
 * Greedy rather than Hungarian: pairs are gated by an IoU threshold, so the few faces of a frame rarely compete, and
 * where they do (crossing faces) the IoU order alone is the wrong signal anyway: the embedding decides between pairs
 * whose IoUs are within a margin of each other. Greedy keeps that rule local and explainable, and its order is fixed
 * (IoU, then track index, then detection index), so the same frames always give the same tracks.
 */
import { computeSim, type Face } from '../face.js';

/** One possible pairing of a track (index into the caller's tracks) and a detection (index into the frame's). */
export interface MatchCandidate {
  readonly track: number;
  readonly detection: number;
  readonly iou: number;
}

/** The outcome: matched pairs and what is left on either side, each in ascending index order. */
export interface MatchResult {
  readonly pairs: readonly (readonly [track: number, detection: number])[];
  readonly unmatchedTracks: readonly number[];
  readonly unmatchedDetections: readonly number[];
}

/** Every track × detection pair whose IoU reaches the threshold, in the assignment's order (IoU desc, track, detection). */
export function gateCandidates(ious: readonly (readonly number[])[], iouThreshold: number): MatchCandidate[] {
  const out: MatchCandidate[] = [];
  ious.forEach((row, track) => row.forEach((v, detection) => { if (v >= iouThreshold && v > 0) out.push({ track, detection, iou: v }); }));
  return out.sort((a, b) => b.iou - a.iou || a.track - b.track || a.detection - b.detection);
}

const rivals = (a: MatchCandidate, b: MatchCandidate, margin: number): boolean =>
  a !== b && (a.track === b.track || a.detection === b.detection) && Math.abs(a.iou - b.iou) <= margin;

/** The detections that take part in a near-tie (another candidate shares their track or detection within `margin` IoU): only these need an embedding to match. */
export function contestedDetections(candidates: readonly MatchCandidate[], margin: number): number[] {
  const out = new Set<number>();
  for (const a of candidates) for (const b of candidates) if (rivals(a, b, margin)) { out.add(a.detection); out.add(b.detection); }
  return [...out].sort((x, y) => x - y);
}

/**
 * Greedy assignment: repeatedly takes the best remaining pair by IoU; when rivals (sharing its track or detection)
 * lie within `margin` IoU of it, the one of them with the highest `similarity` (cosine of the track's and the
 * detection's embeddings; undefined when either has none) wins instead, IoU order breaking equal similarities.
 */
export function assignGreedy(
  candidates: readonly MatchCandidate[], tracks: number, detections: number, margin: number,
  similarity: (track: number, detection: number) => number | undefined,
): MatchResult {
  let remaining = [...candidates];
  const pairs: [number, number][] = [];
  while (remaining.length > 0) {
    const best = remaining[0]!;
    let chosen = best;
    const group = remaining.filter((c) => c === best || rivals(best, c, margin));
    if (group.length > 1) {
      let chosenSim = similarity(best.track, best.detection) ?? -Infinity;
      for (const c of group) {
        const s = similarity(c.track, c.detection) ?? -Infinity;
        if (s > chosenSim) { chosen = c; chosenSim = s; }
      }
    }
    pairs.push([chosen.track, chosen.detection]);
    remaining = remaining.filter((c) => c.track !== chosen.track && c.detection !== chosen.detection);
  }
  const usedTracks = new Set(pairs.map((p) => p[0]));
  const usedDets = new Set(pairs.map((p) => p[1]));
  return {
    pairs: pairs.sort((a, b) => a[0] - b[0]),
    unmatchedTracks: range(tracks).filter((t) => !usedTracks.has(t)),
    unmatchedDetections: range(detections).filter((d) => !usedDets.has(d)),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The candidate whose embedding is most similar to the face's, at least `threshold`; the first of equals wins. */
export function bestBySimilarity<T>(face: Face, candidates: readonly T[], embedding: (c: T) => Float32Array | undefined, threshold: number): T | undefined {
  if (!face.embedding) return undefined;
  let best: T | undefined, bestSim = threshold;
  for (const c of candidates) {
    const e = embedding(c);
    if (!e) continue;
    const s = computeSim(e, face.embedding);
    if (s > bestSim || (s === bestSim && best === undefined)) { best = c; bestSim = s; }
  }
  return best;
}
