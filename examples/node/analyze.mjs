// FaceAnalysis in Node, as a user of the installed package writes it (plain `node`, ESM, no bundler).
//   node analyze.mjs [models] [image]    models: a folder of .onnx files or an installed pack (default buffalo_l)
// Prints InsightFace's JSON of the faces (the goldens' format) on stdout; the loading messages go to stderr.
import { FaceAnalysis, ImageError } from 'insightgpu';

const [models = 'buffalo_l', image = 'photo.jpg'] = process.argv.slice(2);
// download: true fetches a missing installed pack first, as InsightFace's ensure_available does.
const app = await FaceAnalysis.create({ models, backend: 'auto', download: true, log: (m) => console.error(m) });
try {
  app.prepare({ detSize: [640, 640], detThresh: 0.5 });
  const faces = await app.get(image);
  console.log(JSON.stringify(faces));
} catch (error) {
  // A missing or undecodable photo is an ImageError; the analysis stays usable for the next one.
  if (!(error instanceof ImageError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await app.release();
}
