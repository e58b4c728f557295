import { PASTE_KERNEL_PRELUDE } from './paste-prelude-gpu.js';

/**
 * erodeRect on the GPU, one pass per direction (the rectangle's minimum is separable, exact in any order), each
 * writing every pixel of the work box: inside the covered box the minimum over the k-window clipped to the image (OpenCV's +∞
 * border), elsewhere 0, as the CPU path leaves it. Rows: bufA (the thresholded mask) → bufB; columns: bufB → bufA.
 */
function erodePass(direction: 'rows' | 'columns'): string {
  const [from, to] = direction === 'rows' ? ['readA', 'bufB'] : ['readB', 'bufA'];
  const [pos, n, at] = direction === 'rows' ? ['q.x', 'i32(params[0])', (j: string) => `${j}, q.y`] : ['q.y', 'i32(params[1])', (j: string) => `q.x, ${j}`];
  return /* wgsl */ `
${PASTE_KERNEL_PRELUDE}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = boxPixel(gid);
  if (q.x < 0) { return; }
  let g = geometry();
  let o = planeIndex(q.x, q.y);
  if (!g.ok || q.x < g.x0 || q.x >= g.x1 || q.y < g.y0 || q.y >= g.y1) { ${to}[o] = 0.0; return; }
  // Anchor k / 2: the window is [i − k/2, i − k/2 + k − 1] ∩ [0, n − 1], never empty.
  let lo = max(0, ${pos} - g.k / 2);
  let hi = min(${n} - 1, ${pos} - g.k / 2 + g.k - 1);
  var m = ${from}(${at('lo')});
  for (var j = lo + 1; j <= hi; j++) { m = min(m, ${from}(${at('j')})); }
  ${to}[o] = m;
}
`;
}

/** The erosion's row pass: bufA → bufB. */
export const ERODE_ROWS_WGSL = erodePass('rows');
/** The erosion's column pass: bufB → bufA. */
export const ERODE_COLUMNS_WGSL = erodePass('columns');
