/**
 * The InsightFace model packs this engine knows how to fetch: where each pack's zip lives, which files it
 * unpacks to, which task each file serves, and the sizes and sha256 digests that are known for certain.
 *
 * Sources: ../shared/spec/models.md §1. buffalo_l's zip and its five files are confirmed by several independent
 * manifests; antelopev2 reuses some of those files byte for byte (same size and sha256 per the spec). Where no
 * digest is known it is left undefined, and the fetcher records it on the first download (trust on first use)
 * and holds every later download to it. Besides the packs it lists the models InsightFace publishes as one
 * bare .onnx file (inswapper_128, the face swapper, in no pack). This file is browser-safe: no Node imports.
 */
import { fileUnderBase } from './fetch/file-url.js';

/** InsightFace's taskname for each model (what its ModelRouter assigns). */
export type ModelTask = 'detection' | 'recognition' | 'landmark_2d_106' | 'landmark_3d_68' | 'genderage';

/** What is known about one blob's identity; undefined fields are simply not known yet. */
export interface KnownDigest {
  /** Size in bytes. */
  readonly bytes?: number;
  /** Lower-case hex. */
  readonly sha256?: string;
}

/** One model file of a pack, with the task InsightFace's router gives it. */
export interface PackFile extends KnownDigest {
  /** File name inside the pack folder, e.g. `det_10g.onnx`. */
  readonly name: string;
  /** What the file does in FaceAnalysis. */
  readonly task: ModelTask;
}

/** A model pack: where its zip is, what it unpacks to, and the digests known for both. */
export interface PackSpec {
  /** The pack's name, which is also its folder under `<root>/models/`. */
  readonly name: string;
  /** Official download location of the zip. */
  readonly url: string;
  /** The zip's size and digest, where known. */
  readonly zip: KnownDigest;
  /** The files the zip unpacks to. */
  readonly files: readonly PackFile[];
  /**
   * False when the pack's contents are hearsay (buffalo_m). The fetcher then accepts whatever the zip holds
   * instead of requiring every listed file.
   */
  readonly confirmed: boolean;
  /** A remark for people (e.g. how the zip is laid out). */
  readonly note?: string;
}

/** InsightFace's `BASE_REPO_URL` for the v0.7 model packs (utils/storage.py). */
export const RELEASE_BASE_URL = 'https://github.com/deepinsight/insightface/releases/download/v0.7';

/** The pack FaceAnalysis loads when no name is given (`DEFAULT_MP_NAME`). */
export const DEFAULT_PACK = 'buffalo_l';

// Files shared between packs are declared once so their digests cannot drift apart.
const landmark3d68: PackFile = {
  name: '1k3d68.onnx',
  task: 'landmark_3d_68',
  bytes: 143_607_619,
  sha256: 'df5c06b8a0c12e422b2ed8947b8869faa4105387f199c477af038aa01f9a45cc',
};
const landmark2d106: PackFile = {
  name: '2d106det.onnx',
  task: 'landmark_2d_106',
  bytes: 5_030_888,
  sha256: 'f001b856447c413801ef5c42091ed0cd516fcd21f2d6b79635b1e733a7109dbf',
};
const genderAge: PackFile = {
  name: 'genderage.onnx',
  task: 'genderage',
  bytes: 1_322_532,
  sha256: '4fde69b1c810857b88c64a335084f1c3fe8f01246c9a191b48c7bb756d6652fb',
};
const scrfd10gDigest: KnownDigest = {
  bytes: 16_923_827,
  sha256: '5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91',
};
const arcfaceR50: PackFile = {
  name: 'w600k_r50.onnx',
  task: 'recognition',
  bytes: 174_383_860,
  sha256: '4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43',
};
// Only the size of w600k_mbf.onnx is known; its digest is recorded on first download.
const arcfaceMbf: PackFile = { name: 'w600k_mbf.onnx', task: 'recognition', bytes: 13_613_018 };
const scrfd500m: PackFile = { name: 'det_500m.onnx', task: 'detection' };

function releaseUrl(pack: string): string {
  return `${RELEASE_BASE_URL}/${pack}.zip`;
}

/** Names of the packs in the built-in manifest. */
export type PackName = 'buffalo_l' | 'buffalo_m' | 'buffalo_s' | 'buffalo_sc' | 'antelopev2';

/** The built-in manifest's packs, by name. */
export const PACKS: { readonly [name in PackName]: PackSpec } = {
  buffalo_l: {
    name: 'buffalo_l',
    url: releaseUrl('buffalo_l'),
    zip: { bytes: 288_621_354, sha256: '80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f' },
    files: [landmark3d68, landmark2d106, { name: 'det_10g.onnx', task: 'detection', ...scrfd10gDigest }, genderAge, arcfaceR50],
    confirmed: true,
  },
  buffalo_m: {
    name: 'buffalo_m',
    url: releaseUrl('buffalo_m'),
    zip: {},
    files: [landmark3d68, landmark2d106, { name: 'det_2.5g.onnx', task: 'detection' }, genderAge, arcfaceR50],
    confirmed: false,
    note: 'file list reported by one third-party installer; det_2.5g.onnx is unconfirmed',
  },
  buffalo_s: {
    name: 'buffalo_s',
    url: releaseUrl('buffalo_s'),
    zip: {},
    files: [landmark3d68, landmark2d106, scrfd500m, genderAge, arcfaceMbf],
    confirmed: true,
  },
  buffalo_sc: {
    name: 'buffalo_sc',
    url: releaseUrl('buffalo_sc'),
    zip: {},
    files: [scrfd500m, arcfaceMbf],
    confirmed: true,
    note: 'detection and recognition only',
  },
  antelopev2: {
    name: 'antelopev2',
    url: releaseUrl('antelopev2'),
    zip: {},
    files: [
      landmark3d68,
      landmark2d106,
      genderAge,
      { name: 'glintr100.onnx', task: 'recognition', bytes: 260_665_334 },
      { name: 'scrfd_10g_bnkps.onnx', task: 'detection', ...scrfd10gDigest },
    ],
    confirmed: true,
    note: 'the zip may unpack into a nested antelopev2/ folder; the fetcher flattens a single top folder',
  },
};

/** Whether `name` is a pack of the built-in manifest. */
export function isPackName(name: string): name is PackName {
  return Object.hasOwn(PACKS, name);
}

/** The zip's URL for `pack`, at the official release or under a mirror's base URL (its query kept last). */
export function packZipUrl(pack: PackSpec, baseUrl?: string): string {
  if (baseUrl === undefined) return pack.url;
  return fileUnderBase(baseUrl, `${pack.name}.zip`);
}

/** The model file of a single-file model: its name, which is also its path under `<root>/models/`. */
export interface ModelFile extends KnownDigest {
  /** e.g. `inswapper_128.onnx`. */
  readonly name: string;
}

/**
 * A model published as one .onnx file at the release, not inside a pack zip. InsightFace's
 * `model_zoo.get_model('<file>', download=True)` fetches `<release>/<file>` into `<root>/models/<file>`.
 */
export interface SingleModelSpec {
  /** The model's name in the manifest (`inswapper_128`). */
  readonly name: string;
  /** Official download location of the file. */
  readonly url: string;
  /** The file, its size and digest where known. */
  readonly file: ModelFile;
  /** A remark for people. */
  readonly note?: string;
}

/** Names of the single-file models in the built-in manifest. */
export type SingleModelName = 'inswapper_128';

/** The built-in manifest's single-file models, by name. */
export const MODELS: { readonly [name in SingleModelName]: SingleModelSpec } = {
  inswapper_128: {
    name: 'inswapper_128',
    url: `${RELEASE_BASE_URL}/inswapper_128.onnx`,
    // The public size; no digest is known for certain, so it is recorded on the first download.
    file: { name: 'inswapper_128.onnx', bytes: 554_253_681 },
    note: 'face swapper (INSwapper), not part of any pack',
  },
};

/** Whether `name` is a single-file model of the built-in manifest. */
export function isSingleModelName(name: string): name is SingleModelName {
  return Object.hasOwn(MODELS, name);
}

/** The file's URL for `model`, at the official release or under a mirror's base URL (its query kept last). */
export function modelFileUrl(model: SingleModelSpec, baseUrl?: string): string {
  if (baseUrl === undefined) return model.url;
  return fileUnderBase(baseUrl, model.file.name);
}
