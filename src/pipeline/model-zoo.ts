import type { BackendName } from '../backends/options.js';
import { checkSessionOptionsBag, optionsObject } from './call-options.js';
import { parseModel } from '../parser/decode-model.js';
import { InferenceSession, type SessionOptions } from '../session/session.js';
import { ArcFaceModel } from './arcface.js';
import { AttributeModel } from './attribute.js';
import { LandmarkModel } from './landmark.js';
import { probeNormalisation, routeGraph } from './model-router.js';
import { ScrfdDetector } from './scrfd.js';
import { INSwapper } from './swap/inswapper.js';

/** The classes `getModel` returns, one per ModelRouter task. */
export type ZooModel = ScrfdDetector | LandmarkModel | AttributeModel | ArcFaceModel | INSwapper;

/** How `getModel` compiles the file. */
export interface GetModelOptions {
  /** 'auto' (default): WebGPU on a real GPU adapter when one exists, else the CPU backend. */
  readonly backend?: BackendName;
  /** Passed to the session (e.g. a WebGPU device to share). */
  readonly sessionOptions?: Omit<SessionOptions, 'backend'>;
}

/**
 * InsightFace's `model_zoo.get_model` for one ONNX file: routes it by ModelRouter's rules (≥ 5 outputs → SCRFD
 * detector; 192² input → Landmark; 96² → Attribute; 2 inputs, the first N×3×128×128 → INSwapper; square ≥ 112, a
 * multiple of 16 → ArcFace) and returns that task's class over a new session, normalisation probed as FaceAnalysis
 * does. Each class works on its own with InsightFace's methods: ScrfdDetector `prepare` / `detect`, ArcFaceModel
 * `get` / `getFeat` / `computeSim`, LandmarkModel and AttributeModel `get`, INSwapper `get`; all have `release`.
 * Returns undefined for a file no rule recognises (Python's `None`), without compiling it. Throws ModelFormatError
 * for bytes that are not ONNX, ModelContractError when the file does not fit its class (e.g. an INSwapper-shaped
 * file without emap). The model works on its own copy of the bytes: the caller may reuse, overwrite or transfer its
 * buffer afterwards.
 */
export async function getModel(bytes: Uint8Array | ArrayBuffer, getModelOptions?: GetModelOptions): Promise<ZooModel | undefined> {
  const options = optionsObject(getModelOptions, 'getModel', { backend: 'string', sessionOptions: 'object' });
  checkSessionOptionsBag(options.sessionOptions, 'getModel');
  // The model's tensors are copies of their own, as InferenceSession.create's are, so a caller that refills or
  // transfers its buffer afterwards changes no weight.
  const model = parseModel(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes, { copyWeights: true });
  const cls = routeGraph(model.graph);
  if (cls === undefined) return undefined;
  const session = await InferenceSession.fromModel(model, { ...options.sessionOptions, backend: options.backend ?? 'auto' });
  try {
    switch (cls) {
      case 'detection': return new ScrfdDetector(session);
      case 'inswapper': return INSwapper.fromSession(session);
      case 'landmark': return new LandmarkModel(session, probeNormalisation(model.graph.nodes, cls));
      case 'attribute': return new AttributeModel(session, probeNormalisation(model.graph.nodes, cls));
      case 'recognition': return new ArcFaceModel(session, probeNormalisation(model.graph.nodes, cls));
    }
  } catch (error) {
    await session.release();
    throw error;
  }
}
