// FaceAnalysis in a browser page (built by a bundler such as vite). The models come from a URL through the cache
// loader: the first visit downloads them with progress, later visits read them from the Cache API.
//   ?models=URL   folder serving the pack's .onnx files (default /models/buffalo_l, e.g. a copy of ~/.insightface/models/buffalo_l)
//   ?files=a,b    their names (default buffalo_l's five, whose sizes and sha256 digests are then checked)
//   ?image=URL    the photo (default photo.jpg)
import { FaceAnalysis } from 'insightgpu';
import { PACKS, loadModelFiles } from 'insightgpu/models';

const params = new URLSearchParams(location.search);
const status = document.querySelector('#status');

async function main() {
  const files = params.get('files')?.split(',') ?? PACKS.buffalo_l.files;
  const bytes = await loadModelFiles(params.get('models') ?? '/models/buffalo_l', files, {
    onProgress: (p) => { status.textContent = `${p.file}: ${p.receivedBytes} bytes${p.fromCache ? ' (from the cache)' : ''}`; },
  });
  // 'auto': WebGPU on a hardware adapter, else the CPU backend (WebAssembly SIMD); `log` says which, and why.
  const app = await FaceAnalysis.create({ models: { files: Object.fromEntries(bytes) }, backend: 'auto', log: console.log });
  app.prepare({ detSize: [640, 640] });
  const faces = await app.get(params.get('image') ?? 'photo.jpg'); // a URL, an <img>, an ImageBitmap, a canvas…
  document.querySelector('#faces').textContent = JSON.stringify(faces);
  status.textContent = `${faces.length} faces`;
  await app.release();
}

main().catch((error) => { status.textContent = `error: ${error.message}`; });
