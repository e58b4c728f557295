import { PASTE_KERNEL_PRELUDE, PASTE_STATS_WORDS } from './paste-prelude-gpu.js';

/**
 * The first paste-back stage, per full-size pixel (x, y): pasteMask's `warpAffineFloat32(white, …)` of the 128×128
 * crop of 255s by the inverse transform — OpenCV's 1/32-pixel taps, the float32 weights of in-image taps — then
 * `img_white[img_white > 20] = 255`, into bufA. Every weight is a multiple of 1/1024 and 255·Σw exact in float32, so
 * the value is f32(255·Σ integer weights)·2⁻¹⁰, the CPU path's bits. The bounding boxes that size the erosion and
 * the blur go to `stats`: reduced per workgroup, then one global atomic per word.
 */
export const PASTE_MASK_WGSL = /* wgsl */ `
${PASTE_KERNEL_PRELUDE}
var<workgroup> boxes: array<atomic<u32>, ${PASTE_STATS_WORDS}>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let W = params[0];
  let H = params[1];
  let S = i32(params[2]);
  if (li < ${PASTE_STATS_WORDS}u) {
    // Empty boxes, as initialStats: minima at the far side, maxima at 0.
    var init = 0u;
    if (li == 0u || li == 5u) { init = W; }
    if (li == 1u || li == 4u) { init = H; }
    atomicStore(&boxes[li], init);
  }
  workgroupBarrier();
  let q = boxPixel(gid);
  if (q.x >= 0) {
    let x = u32(q.x);
    let y = u32(q.y);
    let XY = warpXY(x, y);
    let sx = XY.x >> 5u;
    let sy = XY.y >> 5u;
    var v = 0.0;
    if (!(sx >= S || sx + 1 < 0 || sy >= S || sy + 1 < 0)) {
      let fx = XY.x & 31;
      let fy = XY.y & 31;
      var w = 0;
      if (sy >= 0 && sx >= 0) { w += (32 - fx) * (32 - fy); }
      if (sy >= 0 && sx + 1 < S) { w += fx * (32 - fy); }
      if (sy + 1 < S && sx >= 0) { w += (32 - fx) * fy; }
      if (sy + 1 < S && sx + 1 < S) { w += fx * fy; }
      v = f32(255 * w) * ${1 / 1024};
    }
    if (v > 20.0) { v = 255.0; }
    bufA[planeIndex(q.x, q.y)] = v;
    if (v != 0.0) {
      atomicMin(&boxes[0], x);
      atomicMin(&boxes[1], y);
      atomicMax(&boxes[2], x + 1u);
      atomicMax(&boxes[3], y + 1u);
    }
    if (v == 255.0) {
      atomicMin(&boxes[4], y);
      atomicMin(&boxes[5], x);
      atomicMax(&boxes[6], y + 1u);
      atomicMax(&boxes[7], x + 1u);
    }
  }
  workgroupBarrier();
  if (li < ${PASTE_STATS_WORDS}u) {
    let v = atomicLoad(&boxes[li]);
    if (li == 0u || li == 1u || li == 4u || li == 5u) { atomicMin(&stats[li], v); } else { atomicMax(&stats[li], v); }
  }
}
`;

/** Threads per workgroup of the blend kernel (one output word of four bytes each). */
export const BLEND_WORKGROUP = 256;

/**
 * The blend's float32 arithmetic in integers, exact whatever the GPU's division and multiply-add do: `times(v, n)`
 * is f32(v·n) for a byte n, `div255(v)` is f32(v / 255), both rounded to nearest-even by hand (v ≥ 0).
 */
export const BLEND_ARITHMETIC_WGSL = /* wgsl */ `
// m · 2^e for an integer m in [2^23, 2^24] (2^24 carries into the exponent), as float32 bits.
fn pack(m: u32, e: i32) -> f32 {
  var mm = m;
  var ee = e;
  if (mm == 0x1000000u) { mm = 0x800000u; ee += 1; }
  return bitcast<f32>((u32(ee + 150) << 23u) | (mm & 0x7fffffu));
}

// Round-to-nearest-even of the integer p times 2^e (p < 2^32), as float32.
fn fromInt(p: u32, e: i32) -> f32 {
  if (p == 0u) { return 0.0; }
  let len = 32 - i32(countLeadingZeros(p));
  if (len <= 24) { return pack(p << u32(24 - len), e - (24 - len)); }
  let sh = u32(len - 24);
  var m = p >> sh;
  let rest = p & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  if (rest > half || (rest == half && (m & 1u) == 1u)) { m += 1u; }
  return pack(m, e + i32(sh));
}

// Mantissa (24-bit integer) and exponent of a normal positive float32: v = m · 2^e.
fn split(v: f32) -> vec2<i32> {
  let bits = bitcast<u32>(v);
  return vec2<i32>(i32((bits & 0x7fffffu) | 0x800000u), i32(bits >> 23u) - 150);
}

// f32(v · n) for 0 ≤ v and a byte n, correctly rounded.
fn times(v: f32, n: u32) -> f32 {
  if (v == 0.0 || n == 0u) { return 0.0; }
  let me = split(v);
  return fromInt(u32(me.x) * n, me.y);
}

// f32(v / 255) for 0 ≤ v, correctly rounded: n = m·2^8, q = n / 255 (q ≥ 2^23); 25-bit quotients drop one bit.
fn div255(v: f32) -> f32 {
  if (v == 0.0) { return 0.0; }
  let me = split(v);
  let n = u32(me.x) << 8u;
  let q = n / 255u;
  let rest = n % 255u;
  if (q < 0x1000000u) {
    // 255 is odd: never a tie.
    return pack(q + select(0u, 1u, 2u * rest > 255u), me.y - 8);
  }
  let q1 = q >> 1u;
  let rest1 = (q & 1u) * 255u + rest;
  let up = rest1 > 255u || (rest1 == 255u && (q1 & 1u) == 1u);
  return pack(q1 + select(0u, 1u, up), me.y - 7);
}
`;

/**
 * The last stage, per word of the work box's BGR bytes (row by row, four per word): inside the region where the
 * blurred mask (bufA) may be non-zero, `a = mask/255`, the crop's uint8 inverse warp at that pixel (OpenCV's
 * fixed-point taps, as warpAffine), and `merged = a·fake + (1 − a)·image` in float32, truncated; elsewhere the image
 * byte. Division and products go through BLEND_ARITHMETIC_WGSL, so neither a GPU division's 2.5-ULP error nor a
 * fused multiply-add can make a bit differ from the CPU path's float32 results.
 */
export const PASTE_BLEND_WGSL = /* wgsl */ `
${PASTE_KERNEL_PRELUDE}
${BLEND_ARITHMETIC_WGSL}

fn imageByte(i: u32) -> u32 {
  return (image[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

fn cropByte(i: u32) -> u32 {
  return (crop[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// warpAffine(crop, IM, (W, H)) at (x, y), channel c: OpenCV's fixed-point bilinear taps, border 0.
fn fake(x: u32, y: u32, c: u32) -> u32 {
  let S = i32(params[2]);
  let XY = warpXY(x, y);
  let sx = XY.x >> 5u;
  let sy = XY.y >> 5u;
  if (sx >= S || sx + 1 < 0 || sy >= S || sy + 1 < 0) { return 0u; }
  let fx = XY.x & 31;
  let fy = XY.y & 31;
  var sum = 0;
  if (sy >= 0 && sx >= 0) { sum += i32(cropByte(u32((sy * S + sx) * 3) + c)) * (32 - fx) * (32 - fy) * 32; }
  if (sy >= 0 && sx + 1 < S) { sum += i32(cropByte(u32((sy * S + sx + 1) * 3) + c)) * fx * (32 - fy) * 32; }
  if (sy + 1 < S && sx >= 0) { sum += i32(cropByte(u32(((sy + 1) * S + sx) * 3) + c)) * (32 - fx) * fy * 32; }
  if (sy + 1 < S && sx + 1 < S) { sum += i32(cropByte(u32(((sy + 1) * S + sx + 1) * 3) + c)) * fx * fy * 32; }
  return u32(min((sum + 16384) >> 15u, 255));
}

@compute @workgroup_size(${BLEND_WORKGROUP}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let W = params[0];
  let bx = box();
  let rowBytes = 3u * u32(bx.z);
  let bytes = rowBytes * u32(bx.w);
  let w = gid.y * groups.x * ${BLEND_WORKGROUP}u + gid.x;
  if (4u * w >= bytes) { return; }
  let g = geometry();
  var packed = 0u;
  for (var b = 0u; b < 4u; b++) {
    let i = 4u * w + b;
    if (i >= bytes) { break; }
    // Byte i of the box's rows: pixel (x, y) of the image, channel c.
    let j = i / rowBytes;
    let k = i - j * rowBytes;
    let x = u32(bx.x) + k / 3u;
    let y = u32(bx.y) + j;
    let c = k % 3u;
    var v = imageByte(3u * (y * W + x) + c);
    if (g.ok && i32(x) >= g.rx0 && i32(x) < g.rx1 && i32(y) >= g.ry0 && i32(y) < g.ry1) {
      let a = div255(readA(i32(x), i32(y)));
      // f32(f32(a·fake) + f32(f32(1 − a)·image)): one subtraction and one addition in float32 (correctly rounded).
      let t = times(a, fake(x, y, c)) + times(1.0 - a, v);
      if (t >= 255.0) { v = 255u; } else if (t <= 0.0) { v = 0u; } else { v = u32(t); }
    }
    packed |= v << (8u * b);
  }
  outWords[w] = packed;
}
`;
