// The package check's Node bundle: the Node entry bundled by the app's vite (ssr), then run under plain node. With a
// root that holds no pack and a mirror folder without the zip, `download` must reach the fetcher the Node entry
// registers on load (a bundler that took that registration for dead code would drop it, and the call would fail
// for want of a downloader instead). Prints the error's name and message.
import { FaceAnalysis } from 'insightgpu';

const [root, mirror] = process.argv.slice(2);
try {
  await FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu', download: { root, baseUrl: mirror } });
  process.stdout.write('created');
} catch (error) {
  process.stdout.write(`${error.name}: ${error.message}`);
}
