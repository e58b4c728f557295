/**
 * Where packs live on disk: `<root>/models/<pack>/`, exactly where InsightFace Python's FaceAnalysis keeps
 * them (root defaults to ~/.insightface), so one copy serves both; single-file models (inswapper_128.onnx)
 * sit directly in `<root>/models/`, where its model_zoo.get_model looks for them. Node only.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { insightFaceRootPath } from '../../src/pipeline/insightface-root.js';

/** The text of /etc/passwd, where `~user` is looked up; undefined where the system has none (Windows). */
export function readPasswd(): string | undefined {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Root for packs: explicit option, else $INSIGHTFACE_HOME (empty: unset), else ~/.insightface; a leading `~` or
 * `~user` is expanded (insightFaceRootPath's rule; an unknown user is a PipelineOptionError).
 */
export function resolveInsightFaceRoot(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(insightFaceRootPath(root, env.INSIGHTFACE_HOME, homedir(), readPasswd));
}

/** `<root>/models`, the folder holding every pack folder and digests.json. */
export function modelsDirOf(root: string): string {
  return join(root, 'models');
}

/** `<root>/models/<pack>`, the folder FaceAnalysis(name=pack, root=root) reads. */
export function packDirOf(root: string, pack: string): string {
  return join(modelsDirOf(root), pack);
}

/** `<root>/models/<file>`, where `model_zoo.get_model('<file>', root=root)` finds a single-file model. */
export function modelFileOf(root: string, fileName: string): string {
  return join(modelsDirOf(root), fileName);
}
