import { PipelineOptionError } from '../errors.js';
import { describeValue, optionsObject } from '../call-options.js';
import type { FaceAnalysis } from '../face-analysis.js';
import type { FaceIndex } from '../identity/face-index.js';
import { Face, computeSim } from '../face.js';
import { carrierBounds, copyIdentityFields, copyLandmarks, movedFace, partition } from './face-fields.js';
import { landmarkAge, planLandmarks, runEveryFrameHeads, runWithRecognitionHeads, settleLandmarks, type LandmarkPlan } from './landmark-cadence.js';
import type { FaceModel } from '../face-model.js';
import { holdInput, loadImage, type ImageInput } from '../image-source.js';
import { CpuPreprocessor, type Preprocessor } from '../preprocess/preprocessor.js';
import type { TrackerDetector, TrackerModels, TrackerStats, TrackOptions } from './tracker-types.js';
import { boxFromBounds, boxInBounds, iou, isUsableBox, relativeMotion, type Box } from './box-geometry.js';
import { headAngles, keypointAngles, turnBetween } from './head-angles.js';
import { analysisModels, timedModels, withPreprocessedFrame, type FrameModels } from './frame-models.js';
import { Track } from './track.js';
import { TrackedFace, type TrackIdentity } from './tracked-face.js';
import { assignGreedy, bestBySimilarity, contestedDetections, gateCandidates } from './track-matching.js';
import { resolveTrackerOptions, TRACKER_SHAPE, type CarryMode, type FaceTrackerOptions, type ResolvedTrackerOptions } from './tracker-options.js';

/** What an ended track leaves for re-identification. */
interface EndedTrack {
  readonly id: number;
  readonly embedding: Float32Array | undefined;
  readonly identity: string | undefined;
}

/**
 * Face tracking over a frame sequence: stable track ids by IoU with each track's constant-velocity prediction (the
 * embedding breaking near-ties), recognition and attributes re-run only every N frames or on a large move or turn,
 * the detector every K frames with landmarks carrying the boxes in between, the landmark heads every frame or only
 * with recognition (the carrier every frame), one-euro smoothing, and re-identification of lost and ended tracks.
 * Deterministic given the frames (and their timestamps).
 */
export class FaceTracker {
  private readonly options: ResolvedTrackerOptions;
  private readonly detector: TrackerDetector;
  private readonly landmarks: LandmarkPlan;
  private readonly identityHeads: readonly FaceModel[];
  private readonly carrier: FaceModel | undefined;
  private readonly carryBy: CarryMode;
  /** Whether landmark_3d_68 runs on every frame, so that its pose can drive the turn bound (see turnThreshold). */
  private readonly poseEveryFrame: boolean;
  private readonly pre: Preprocessor;
  /** Set when the source is a FaceAnalysis: frames then run through its `withFrame`. */
  private readonly analysis: FaceAnalysis | undefined;
  private tracks: Track[] = [];
  private endedNow: TrackedFace[] = [];
  /** Ended tracks that a returning face may take the id of (by embedding or identity), oldest first. */
  private endedTracks: EndedTrack[] = [];
  private nextId = 1;
  private frame = 0;
  private counts = { frames: 0, detectorRuns: 0, recognitions: 0, landmarkRuns: 0, tracksStarted: 0, tracksEnded: 0, reidentified: 0 };
  private headRuns = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The last frame's width and height: a frame of another size runs the detector (old boxes are in old coordinates). */
  private lastSize: readonly [number, number] | undefined;
  /** Moves on with every reset, so that a frame in flight across a reset leaves the new state alone. */
  private generation = 0;

  /**
   * A tracker over a FaceAnalysis (its detection as prepared, its models and its pre-processing: on WebGPU a frame
   * is uploaded once and never read back) or over a detector plus heads (pre-processing: `options.preprocessor`).
   * PipelineOptionError for bad options.
   */
  constructor(source: FaceAnalysis | TrackerModels, trackerOptions?: FaceTrackerOptions) {
    if (source === null || typeof source !== 'object') {
      throw new PipelineOptionError('source', `FaceTracker takes a FaceAnalysis or { detector, heads }, got ${describeValue(source)}`);
    }
    const options = optionsObject(trackerOptions, 'FaceTracker', TRACKER_SHAPE);
    this.options = resolveTrackerOptions(options);
    const analysis = 'faceModels' in source ? source : undefined;
    if (analysis && options.preprocessor) {
      throw new PipelineOptionError('preprocessor', "a FaceAnalysis runs the tracker's frames through its own pre-processing (FaceAnalysisOptions.preprocessor)");
    }
    this.analysis = analysis;
    const heads = analysis ? analysis.faceModels : (source as TrackerModels).heads ?? [];
    if (typeof source.detector?.detect !== 'function') {
      throw new PipelineOptionError('detector', `FaceTracker needs a detector with a detect method, got ${describeValue(source.detector)}`);
    }
    if (!Array.isArray(heads)) throw new PipelineOptionError('heads', `FaceTracker takes an array of heads, got ${describeValue(heads)}`);
    // Each head is read for its taskname right away and annotated later: a hole or a plain object in the list was
    // otherwise a TypeError here, or at the first frame that ran it.
    heads.forEach((h: unknown, i) => {
      const head = h as Partial<FaceModel> | null;
      if (head === null || typeof head !== 'object' || typeof head.taskname !== 'string' || typeof head.annotate !== 'function') {
        throw new PipelineOptionError('heads', `heads[${i}] is ${describeValue(h)}, not a model (getModel's classes or FaceAnalysis.faceModels: a taskname and annotate)`);
      }
    });
    this.detector = source.detector;
    this.identityHeads = heads.filter((h) => !h.taskname.startsWith('landmark_'));
    const has = (name: string): boolean => heads.some((h) => h.taskname === name);
    this.carryBy = this.options.carryBy ?? (has('landmark_2d_106') ? 'landmark_2d_106' : has('landmark_3d_68') ? 'landmark_3d_68' : 'kps');
    if (this.carryBy !== 'kps' && !has(this.carryBy)) {
      throw new PipelineOptionError('carryBy', `no ${this.carryBy} model among the heads (${heads.map((h) => h.taskname).join(', ') || 'none'})`);
    }
    checkIndexFits(this.options.index, heads, analysis);
    this.carrier = heads.find((h) => h.taskname === this.carryBy);
    this.landmarks = planLandmarks(heads.filter((h) => h.taskname.startsWith('landmark_')), this.carrier, this.options.landmarksEvery);
    this.poseEveryFrame = this.landmarks.everyFrame.some((h) => h.taskname === 'landmark_3d_68');
    this.pre = options.preprocessor ?? new CpuPreprocessor();
  }

  /**
   * Tracks the faces of one frame; calls take turns. Returns the visible tracks (and lost ones with `includeLost`) by
   * trackId. An image in memory is copied at the call (as FaceAnalysis.get does), so the caller may reuse its buffer at once.
   */
  async track(frame: ImageInput, options?: TrackOptions): Promise<TrackedFace[]> {
    this.analysis?.checkOutsideFrame('FaceTracker.track');
    const checked = trackOptions(options);
    // Taken now, as FaceAnalysis.get does: the frame runs at its turn, and a caller that refills its buffer for the
    // next frame at once would otherwise have this frame tracked on the next one's pixels.
    const held = holdInput(frame);
    const run = this.queue.then(() => this.runFrame(held, checked));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The tracks that ended in the last `track` call (lost for more than maxLost frames), as last seen. */
  ended(): readonly TrackedFace[] {
    return this.endedNow;
  }

  /** Counters since construction or the last reset. */
  get stats(): TrackerStats {
    const lost = this.tracks.filter((t) => t.lostFrames > 0).length;
    return { ...this.counts, landmarkHeadRuns: Object.fromEntries(this.headRuns), visible: this.tracks.length - lost, lost };
  }

  /** Forgets every track and counter: the next frame starts again at trackId 1. */
  reset(): void {
    this.generation++;
    this.clearState();
  }

  private clearState(): void {
    this.tracks = [];
    this.endedNow = [];
    this.endedTracks = [];
    this.nextId = 1;
    this.frame = 0;
    for (const key of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[key] = 0;
    this.headRuns.clear();
    this.lastSize = undefined;
  }

  /** One frame through the models: a FaceAnalysis's frame, or the detector and heads over `this.pre`. */
  private async runFrame(input: ImageInput, options: TrackOptions): Promise<TrackedFace[]> {
    const sink = options.timings;
    const start = performance.now(), first = sink?.length ?? 0;
    const step = (models: FrameModels): Promise<TrackedFace[]> => this.step(sink ? timedModels(models, sink) : models, options);
    const out = this.analysis
      ? await this.analysis.withHeldFrame(input, (frame) => step(analysisModels(frame)))
      : await withPreprocessedFrame(this.detector, this.pre, await loadImage(input), step);
    if (sink) sink.push({ stage: 'tracker.rest', kind: 'post', ms: performance.now() - start - sink.slice(first).reduce((a, t) => a + t.ms, 0) });
    return out;
  }

  private async step(models: FrameModels, options: TrackOptions): Promise<TrackedFace[]> {
    const n = this.frame;
    const generation = this.generation;
    const time = options.timestamp !== undefined ? options.timestamp / 1000 : n / this.options.fps;
    this.endedNow = [];
    const fresh = new Set<Face>();
    const carried = new Set<Face>();
    // Each track's face before this frame (a lost track's as last seen): the source of the fields of the heads that do not run now.
    const before = new Map(this.tracks.map((t) => [t, t.face] as const));
    try {
      const resized = this.lastSize !== undefined && (this.lastSize[0] !== models.size[0] || this.lastSize[1] !== models.size[1]);
      this.lastSize = models.size;
      // Matching still compares the old boxes (the best guess there is), but no motion or smoothing crosses the change.
      if (resized) for (const t of this.tracks) t.restartCoordinates(n);
      const detectNow = resized || n % this.options.detectEvery === 0 || !this.tracks.some((t) => t.lostFrames === 0);
      if (detectNow) await this.detectFrame(models, n, fresh);
      else await this.carryFrame(models, n, carried);
      const shown = this.tracks.filter((t) => t.lostFrames === 0);
      await runEveryFrameHeads(models, this.landmarks.everyFrame, this.carrier, shown.map((t) => t.face), carried, this.countLandmarks);
      // Due: recognised in this frame's matching, new in this frame, or due by the schedule.
      const due = new Set(shown.filter((t) => fresh.has(t.face) || !before.has(t) || this.isDue(t, n)));
      await runWithRecognitionHeads(models, this.landmarks.withRecognition, [...due].map((t) => t.face), this.countLandmarks);
      settleLandmarks(this.landmarks, shown, due, before, n);
      if (this.carrier) for (const t of shown) if (t.source === 'detected') t.carryRelation = this.relation(t);
      await this.runIdentity(models, shown, due, n, fresh);
      this.endLostTracks(n);
      this.counts.frames++;
      return this.output(n, time, fresh);
    } finally {
      // A reset during this frame's awaits: what the frame wrote since goes too, so the next frame starts at trackId 1.
      if (generation !== this.generation) this.clearState();
      else this.frame++;
    }
  }

  /** A detector frame: match detections to tracks, lose the unmatched tracks, start (or re-identify) the rest. */
  private async detectFrame(models: FrameModels, n: number, fresh: Set<Face>): Promise<void> {
    const dets = await models.detect(this.options.maxNum);
    this.counts.detectorRuns++;
    const tracks = this.tracks;
    const ious = tracks.map((t) => { const p = t.predict(n); return dets.map((d) => iou(p, d.bbox)); });
    const candidates = gateCandidates(ious, this.options.iouThreshold);
    const contested = contestedDetections(candidates, this.options.tieMargin).map((d) => dets[d]!);
    if (contested.length > 0 && tracks.some((t) => t.face.embedding)) await this.runIdentityHeads(models, contested, fresh);
    const similarity = (t: number, d: number): number | undefined => {
      const a = tracks[t]!.face.embedding, b = dets[d]!.embedding;
      return a && b ? computeSim(a, b) : undefined;
    };
    const match = assignGreedy(candidates, tracks.length, dets.length, this.options.tieMargin, similarity);
    for (const [t, d] of match.pairs) tracks[t]!.moveTo(dets[d]!, n, 'detected');
    for (const t of match.unmatchedTracks) tracks[t]!.lostFrames++;
    const newcomers = match.unmatchedDetections.map((d) => dets[d]!);
    const unrecognized = newcomers.filter((f) => !fresh.has(f));
    if (unrecognized.length > 0) await this.runIdentityHeads(models, unrecognized, fresh);
    for (const face of newcomers) this.startOrReidentify(face, n);
    this.tracks.sort((a, b) => a.id - b.id);
  }

  /** Between detector frames: each visible track's predicted box, refined by the carrying landmark head when there is one. */
  private async carryFrame(models: FrameModels, n: number, carried: Set<Face>): Promise<void> {
    const visible = this.tracks.filter((t) => t.lostFrames === 0);
    const moved = visible.map((t) => movedFace(t.face, t.box, t.predict(n)));
    const carrier = this.carrier;
    const refine = carrier ? visible.flatMap((t, i) => (t.carryRelation ? [i] : [])) : [];
    if (carrier && refine.length > 0) {
      const probes = refine.map((i) => moved[i]!);
      await models.annotate([carrier], probes);
      this.countLandmarks([carrier], probes.length);
      refine.forEach((i, k) => {
        const bounds = carrierBounds(probes[k]!, this.carryBy);
        if (!bounds) return;
        const box = boxFromBounds(bounds, visible[i]!.carryRelation!);
        if (!isUsableBox(box)) return;
        const face = movedFace(probes[k]!, visible[i]!.box, box, visible[i]!.face.kps);
        copyLandmarks(probes[k]!, face);
        moved[i] = face;
        carried.add(face);
      });
    }
    visible.forEach((t, i) => t.moveTo(moved[i]!, n, 'carried'));
    for (const t of this.tracks) if (t.lostFrames > 0) t.lostFrames++;
  }

  /**
   * An unmatched detection: takes back the id of a lost track whose embedding (or identity) agrees, else of an ended
   * one, else starts a track.
   */
  private startOrReidentify(face: Face, n: number): void {
    const identity = this.identify(face);
    let revived = bestBySimilarity(face, this.tracks.filter((t) => t.lostFrames > 0), (t) => t.face.embedding, this.options.reidThreshold);
    if (!revived && identity) revived = this.tracks.find((t) => t.lostFrames > 0 && t.identity?.id === identity.id);
    if (revived) {
      // Unmatched only in this frame, it moved faster than the gate: its motion still holds. A re-entry after
      // frames away may be anywhere, so its motion and its smoothing start again (smoothing across the gap
      // would return a box between where the face left and where it came back).
      const reentry = revived.lostFrames > 1;
      revived.moveTo(face, n, 'detected');
      if (reentry) {
        revived.restartCoordinates(n);
        revived.carryRelation = undefined;
      }
      this.counts.reidentified++;
      return;
    }
    const alive = new Set(this.tracks.map((t) => t.id));
    const ended = this.endedTracks.filter((e) => !alive.has(e.id));
    const back = bestBySimilarity(face, ended, (e) => e.embedding, this.options.reidThreshold)
      ?? (identity ? ended.find((e) => e.identity === identity.id) : undefined);
    if (back) {
      this.endedTracks = this.endedTracks.filter((e) => e !== back);
      this.counts.reidentified++;
    } else {
      this.counts.tracksStarted++;
    }
    this.tracks.push(new Track(back?.id ?? this.nextId++, n, face, n));
  }

  private readonly countLandmarks = (heads: readonly FaceModel[], faces: number): void => {
    this.counts.landmarkRuns += faces * heads.length;
    for (const h of heads) this.headRuns.set(h.taskname, (this.headRuns.get(h.taskname) ?? 0) + faces);
  };

  /** Recognition and attributes on the faces that are due; the others take their track's last values. */
  private async runIdentity(models: FrameModels, shown: readonly Track[], due: ReadonlySet<Track>, n: number, fresh: Set<Face>): Promise<void> {
    const faces = shown.filter((t) => due.has(t) && !fresh.has(t.face)).map((t) => t.face);
    if (faces.length > 0) await this.runIdentityHeads(models, faces, fresh);
    for (const t of shown) {
      // The schedule's mark moves with every due run, landmark heads alone included.
      if (due.has(t)) t.recognized = { frame: n, box: t.box, angles: this.turnAngles(t.face) };
      if (fresh.has(t.face)) {
        if (this.identityHeads.length > 0) t.recognizedFace = t.face;
        if (this.options.index) t.identity = this.identify(t.face);
      } else if (t.recognizedFace && t.recognizedFace !== t.face) {
        copyIdentityFields(t.recognizedFace, t.face);
      }
    }
  }

  private isDue(t: Track, n: number): boolean {
    const last = t.recognized;
    if (!last || n - last.frame >= this.options.recognizeEvery) return true;
    if (relativeMotion(last.box, t.box) > this.options.moveThreshold) return true;
    const now = this.turnAngles(t.face);
    return last.angles !== undefined && now !== undefined && turnBetween(last.angles, now) > this.options.turnThreshold;
  }

  /** The turn bound's angles: the pose when it is this frame's on every frame, else the keypoints' (see turnThreshold). */
  private turnAngles(face: Face): readonly [number, number, number] | undefined {
    return this.poseEveryFrame ? headAngles(face) : keypointAngles(face);
  }

  private async runIdentityHeads(models: FrameModels, faces: readonly Face[], fresh: Set<Face>): Promise<void> {
    if (this.identityHeads.length === 0) return;
    await models.annotate(this.identityHeads, faces);
    this.counts.recognitions += faces.length;
    for (const f of faces) fresh.add(f);
  }

  private identify(face: Face): TrackIdentity | undefined {
    const index = this.options.index;
    if (!index || !face.embedding || index.size === 0) return undefined;
    const [hit] = index.search(face.embedding, { k: 1, threshold: this.options.identifyThreshold });
    return hit ? { id: hit.id, score: hit.score } : undefined;
  }

  private relation(t: Track): Box | undefined {
    const bounds = carrierBounds(t.face, this.carryBy);
    return bounds ? boxInBounds(t.box, bounds) : undefined;
  }

  private endLostTracks(n: number): void {
    const [ending, kept] = partition(this.tracks, (t) => t.lostFrames > this.options.maxLost);
    this.tracks = kept;
    for (const t of ending) {
      this.endedNow.push(new TrackedFace(t.face, { trackId: t.id, trackAge: n - t.startFrame, lostFrames: t.lostFrames, identity: t.identity, source: 'predicted', recognized: false, landmarkAge: landmarkAge(t, n) }));
      const embedding = t.recognizedFace?.embedding;
      if (embedding || t.identity) this.endedTracks.push({ id: t.id, embedding, identity: t.identity?.id });
      if (this.endedTracks.length > this.options.endedMemory) this.endedTracks.splice(0, this.endedTracks.length - this.options.endedMemory);
      this.counts.tracksEnded++;
    }
  }

  private output(n: number, time: number, fresh: ReadonlySet<Face>): TrackedFace[] {
    const out: TrackedFace[] = [];
    const params = this.options.smoothing;
    for (const t of this.tracks) {
      const info = { trackId: t.id, trackAge: n - t.startFrame, lostFrames: t.lostFrames, identity: t.identity, recognized: fresh.has(t.face), landmarkAge: landmarkAge(t, n) };
      if (t.lostFrames > 0) {
        if (this.options.includeLost) out.push(new TrackedFace(movedFace(t.face, t.box, t.predict(n)), { ...info, source: 'predicted' }));
        continue;
      }
      out.push(new TrackedFace(t.smoothedFace(time, params), { ...info, source: t.source }));
    }
    return out;
  }
}

/**
 * An index names tracks by their embeddings, so it needs a recognition head, and (over a FaceAnalysis, whose
 * recognizer declares its output) one whose embedding length is the index's: otherwise the index was either
 * silently never used or failed as a dimension mismatch only at the first face, however far into the video.
 */
function checkIndexFits(index: FaceIndex | undefined, heads: readonly FaceModel[], analysis: FaceAnalysis | undefined): void {
  if (!index) return;
  if (!heads.some((h) => h.taskname === 'recognition')) {
    throw new PipelineOptionError('index', `names tracks by their embeddings, but there is no recognition model among the heads (${heads.map((h) => h.taskname).join(', ') || 'none'})`);
  }
  const last = analysis?.models.get('recognition')?.session.outputMetadata[0]?.shape.at(-1);
  if (index.dim !== undefined && typeof last === 'number' && last > 0 && last !== index.dim) {
    throw new PipelineOptionError('index', `holds ${index.dim}-d embeddings, but the recognizer makes ${last}-d ones (the index was made with another recognizer)`);
  }
}

/**
 * `track`'s options as a plain-JS caller may pass them, checked before the frame runs: a bag that is not an object,
 * a timestamp that is not a finite number, or timings that is not an array is a PipelineOptionError (timings was
 * otherwise found only after the frame's models had run).
 */
function trackOptions(value: TrackOptions | undefined): TrackOptions {
  const options = optionsObject(value, 'track', { timestamp: 'number', timings: 'array' });
  if (options.timestamp !== undefined && !Number.isFinite(options.timestamp)) {
    throw new PipelineOptionError('timestamp', `${describeValue(options.timestamp)} is not a finite number of milliseconds`);
  }
  if (options.timings !== undefined && !Array.isArray(options.timings)) {
    throw new PipelineOptionError('timings', `takes an array that receives the frame's stage times, got ${describeValue(options.timings)}`);
  }
  return options;
}
