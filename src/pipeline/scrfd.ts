import type { InferenceSession } from '../session/session.js';
import type { Normalisation } from './preprocess/blob.js';
import { concatDetections, emptyDetections, takeRows, type Detections } from './detections.js';
import { ModelContractError } from './errors.js';
import type { BgrImage } from './image.js';
import type { Size } from './preprocess/letterbox.js';
import { selectMaxNum, type MaxNumMetric } from './max-num.js';
import { nms } from './nms.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import { decodeScrfd, rescaleDetections, scrfdLayout, type ScrfdLayout } from './scrfd-decode.js';
import { argsortDescending } from './sort-order.js';
import { NO_TIMER, type StageTimer } from './stage-timer.js';

export interface DetectOptions {
  /** Input sizes (W, H) for a dynamic-input model; ignored when the model's input size is fixed. */
  readonly sizes: readonly Size[];
  readonly threshold: number;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  readonly nmsThreshold?: number;
  /** Stage timings (off by default). */
  readonly timer?: StageTimer;
}

/** InsightFace 1.0.1's SCRFD class (RetinaFace in 0.7.3 decodes the same way), including multi-size detection. */
export class ScrfdDetector {
  readonly taskname = 'detection';
  readonly layout: ScrfdLayout;
  readonly norm: Normalisation = { mean: 127.5, std: 128 };
  /** The model's own (W, H) when its input is static. */
  readonly fixedSize: Size | undefined;
  private readonly inputName: string;

  constructor(private readonly session: InferenceSession) {
    const layout = scrfdLayout(session.outputNames.length);
    if (!layout) throw new ModelContractError('detection', `${session.outputNames.length} outputs; SCRFD/RetinaFace exports have 6, 9, 10 or 15`);
    this.layout = layout;
    const input = session.inputMetadata[0];
    if (!input) throw new ModelContractError('detection', 'the model has no input');
    this.inputName = input.name;
    const [, , h, w] = input.shape;
    this.fixedSize = typeof h === 'number' && typeof w === 'number' ? [w, h] : undefined;
  }

  /**
   * Boxes, scores and keypoints in image coordinates: per size letterbox → forward → decode → ÷ det_scale →
   * score sort; all sizes concatenated and re-sorted; one NMS (0.4); then max_num.
   */
  async detect(image: BgrImage, pre: Preprocessor, options: DetectOptions): Promise<Detections> {
    const sizes = this.fixedSize ? [this.fixedSize] : options.sizes;
    const timer = options.timer ?? NO_TIMER;
    const perSize: Detections[] = [];
    for (const size of sizes) {
      const { tensor, detScale } = await timer.time('detection.pre', 'pre', () => pre.detectionInput(image, size, this.norm, { session: this.session, name: this.inputName }));
      const results = await timer.time('detection.forward', 'forward', () => this.session.run({ [this.inputName]: tensor }));
      const decoded = await timer.time('detection.decode', 'post', async () => {
        // Outputs by name in graph order: numeric names would reorder a plain object's keys.
        const outputs = this.session.outputNames.map((n) => results[n]!);
        return rescaleDetections(decodeScrfd(outputs, this.layout, size[0], size[1], options.threshold), detScale);
      });
      if (decoded.count === 0) continue;
      perSize.push(takeRows(decoded, argsortDescending(decoded.scores)));
    }
    if (perSize.length === 0) return emptyDetections(this.layout.useKps);
    return timer.time('detection.nms', 'post', async () => {
      const all = concatDetections(perSize, this.layout.useKps);
      const sorted = takeRows(all, argsortDescending(all.scores));
      let det = takeRows(sorted, nms(sorted.boxes, sorted.scores, options.nmsThreshold ?? 0.4));
      if (options.maxNum > 0 && det.count > options.maxNum) {
        det = takeRows(det, selectMaxNum(det.boxes, image.width, image.height, options.maxNum, options.metric));
      }
      return det;
    });
  }
}
