// The package check's second page, built in the same vite app as examples/browser (so minified, as users ship it):
// what README promises of the browser side beyond the example. The worker runs from the bundle vite emits for it;
// errors keep their names and classes across the minified page and worker bundles; Node-only calls given in a
// browser fail with the engine's typed errors. Each check writes one line of #checks; check.ts reads them.
//   ?models=URL&files=a,b&image=URL   as examples/browser
import {
  FaceAnalysis, FaceIndex, FaceIndexError, ImageError, ModelPackError, PipelineOptionError, VideoError, createFaceAnalysisWorker, readVideoFrames,
} from 'insightgpu';
import { loadModelFiles } from 'insightgpu/models';

const params = new URLSearchParams(location.search);
const status = document.querySelector('#status');
const results = {};

/** The error a call throws, as what check.ts compares: its name, whether it is an instance of `cls`, its code. */
async function refusal(call, cls) {
  try {
    await call();
    return { thrown: false };
  } catch (error) {
    return { thrown: true, name: error?.name, instance: error instanceof cls, code: error?.code, message: String(error?.message) };
  }
}

async function main() {
  const files = params.get('files').split(',');
  const models = params.get('models');
  const photo = await createImageBitmap(await (await fetch(params.get('image'))).blob());

  // The Map loadModelFiles resolves to, given as it is (README's examples spread it with Object.fromEntries).
  const worker = await createFaceAnalysisWorker({ models: { files: await loadModelFiles(models, files) }, backend: 'cpu' });
  await worker.prepare({ detSize: [640, 640] });
  results.workerFaces = (await worker.get(photo, { transfer: false })).length;
  // Relative, as a page names its images: the page's address resolves it, not the worker script's.
  results.workerUrlFaces = (await worker.get(params.get('image').replace(/^\//, ''))).length;
  results.workerImageError = await refusal(() => worker.get({ data: new Uint8Array(5), width: 10, height: 10, format: 'rgb' }), ImageError);
  results.workerOptionError = await refusal(() => worker.prepare({ detSize: '640' }), PipelineOptionError);
  await worker.release();

  const app = await FaceAnalysis.create({ models: { files: await loadModelFiles(models, files) }, backend: 'cpu' });
  app.prepare({ detSize: [640, 640] });
  results.mapFaces = (await app.get(photo)).length;
  results.optionError = await refusal(() => app.prepare({ detSize: '640' }), PipelineOptionError);
  await app.release();
  results.folderModels = await refusal(() => FaceAnalysis.create({ models }), ModelPackError);
  results.indexSave = await refusal(() => new FaceIndex({ dim: 4 }).save('faces.igfx'), FaceIndexError);
  results.indexLoad = await refusal(() => FaceIndex.load('faces.igfx'), FaceIndexError);
  results.videoFile = await refusal(() => readVideoFrames('clip.mp4').next(), VideoError);
}

main().then(
  () => { status.textContent = 'checks done'; },
  (error) => { status.textContent = `error: ${error?.name}: ${error?.message}`; },
).finally(() => { document.querySelector('#checks').textContent = JSON.stringify(results); });
