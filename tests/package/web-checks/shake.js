// The package check's tree-shaking page: an app that uses only computeSim and FaceIndex, built alone, so check.ts
// can hold its bundle to what those two need (no ONNX parser, no kernels, no Worker chunk).
import { FaceIndex, computeSim } from 'insightgpu';

const index = new FaceIndex();
index.add('a', new Float32Array(4).fill(1));
document.querySelector('#status').textContent = `${index.size} ${computeSim([1, 0], [1, 0])}`;
