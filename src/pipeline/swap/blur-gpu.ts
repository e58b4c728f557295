import { PASTE_KERNEL_PRELUDE } from './paste-prelude-gpu.js';

/**
 * `Math.fround(a·b + c)` of the CPU blur, for a, b, c ≥ 0 (the mask, the weights and the partial sums are), in
 * integers: the exact product of the 24-bit mantissas (48 bits) plus c, both placed in a 64-bit window with the
 * larger one's top bit at 61 and whatever the smaller one loses to the right kept as a sticky bit, is rounded to
 * nearest-even at 53 bits (the float64 sum) and then at 24 (fround). A GPU's own fma may or may not be fused (it is
 * not on SwiftShader) and plain a·b + c may be contracted into one; neither can be made to give these bits.
 */
export const FMA_F64_ROUNDED_WGSL = /* wgsl */ `
fn shl64(v: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) { return v; }
  if (n >= 64u) { return vec2<u32>(0u, 0u); }
  if (n >= 32u) { return vec2<u32>(v.y << (n - 32u), 0u); }
  return vec2<u32>((v.x << n) | (v.y >> (32u - n)), v.y << n);
}

fn shr64(v: vec2<u32>, n: u32) -> vec2<u32> {
  if (n == 0u) { return v; }
  if (n >= 64u) { return vec2<u32>(0u, 0u); }
  if (n >= 32u) { return vec2<u32>(0u, v.x >> (n - 32u)); }
  return vec2<u32>(v.x >> n, (v.y >> n) | (v.x << (32u - n)));
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.y + b.y;
  return vec2<u32>(a.x + b.x + select(0u, 1u, lo < a.y), lo);
}

fn bitLength64(v: vec2<u32>) -> u32 {
  if (v.x != 0u) { return 64u - countLeadingZeros(v.x); }
  return 32u - countLeadingZeros(v.y);
}

// v with its low n bits (1 ≤ n ≤ 63) rounded off to nearest, ties to even; sticky: non-zero bits below v's own.
fn roundOff64(v: vec2<u32>, n: u32, sticky: bool) -> vec2<u32> {
  let kept = shl64(shr64(v, n), n);
  let rest = vec2<u32>(v.x - kept.x - select(0u, 1u, v.y < kept.y), v.y - kept.y);
  let half = shl64(vec2<u32>(0u, 1u), n - 1u);
  var up = rest.x > half.x || (rest.x == half.x && rest.y > half.y);
  if (all(rest == half)) { up = sticky || (shr64(v, n).y & 1u) == 1u; }
  if (up) { return add64(kept, shl64(vec2<u32>(0u, 1u), n)); }
  return kept;
}

// Mantissa and exponent of a finite f32 ≥ 0: v = m · 2^e (subnormals included).
fn mantissa(v: f32) -> vec2<i32> {
  let bits = bitcast<u32>(v);
  let E = i32(bits >> 23u);
  if (E == 0) { return vec2<i32>(i32(bits & 0x7fffffu), -149); }
  return vec2<i32>(i32((bits & 0x7fffffu) | 0x800000u), E - 150);
}

fn fmaF64Rounded(a: f32, b: f32, c: f32) -> f32 {
  if (a == 0.0 || b == 0.0) { return c; }
  let A = mantissa(a);
  let B = mantissa(b);
  // The 48-bit product of the mantissas from 16-bit halves.
  let a0 = u32(A.x) & 0xffffu;
  let a1 = u32(A.x) >> 16u;
  let b0 = u32(B.x) & 0xffffu;
  let b1 = u32(B.x) >> 16u;
  let mid = a1 * b0 + a0 * b1;
  let low = a0 * b0;
  let lo = low + (mid << 16u);
  let P = vec2<u32>(a1 * b1 + (mid >> 16u) + select(0u, 1u, lo < low), lo);
  let pe = A.y + B.y;
  let pTop = pe + i32(bitLength64(P)) - 1;
  var sum: vec2<u32>;
  var sticky = false;
  var unit: i32;
  if (c == 0.0) {
    unit = pTop - 61;
    sum = shl64(P, u32(61 - (pTop - pe)));
  } else {
    let C = mantissa(c);
    let cv = vec2<u32>(0u, u32(C.x));
    let cTop = C.y + i32(bitLength64(cv)) - 1;
    let top = max(pTop, cTop);
    unit = top - 61;
    // Each operand's bit 0 sits at its exponent; place it relative to the window's unit 2^unit.
    var terms = array<vec2<u32>, 2>(P, cv);
    var exps = array<i32, 2>(pe, C.y);
    sum = vec2<u32>(0u, 0u);
    for (var t = 0; t < 2; t++) {
      let d = exps[t] - unit;
      if (d >= 0) {
        sum = add64(sum, shl64(terms[t], u32(d)));
      } else {
        let n = u32(-d);
        let shifted = shr64(terms[t], n);
        if (any(shl64(shifted, n) != terms[t]) || n >= 64u) { sticky = true; }
        sum = add64(sum, shifted);
      }
    }
  }
  // Round to the float64 sum (53 bits), then to float32 (24 bits).
  var len = bitLength64(sum);
  sum = roundOff64(sum, len - 53u, sticky);
  len = bitLength64(sum);
  let drop = len - 24u;
  sum = roundOff64(sum, drop, false);
  let m = shr64(sum, drop).y;
  let e = unit + i32(drop);
  if (m == 0x1000000u) { return bitcast<f32>((u32(e + 151) << 23u)); }
  return bitcast<f32>((u32(e + 150) << 23u) | (m & 0x7fffffu));
}
`;

/**
 * gaussianBlur's row pass on the GPU: bufA (the eroded mask) → bufB. For the covered rows and the columns of the
 * covered box grown by r: s = f32(k₀·v₀), then s = fround(vⱼ·kⱼ + s) (fmaF64Rounded) over the reflected
 * (BORDER_REFLECT_101) row, the CPU path's steps bit for bit; 0 elsewhere. A window of 255s only (the mask's inside)
 * takes the result the CPU computed for one.
 */
export const BLUR_ROWS_WGSL = /* wgsl */ `
${PASTE_KERNEL_PRELUDE}
${FMA_F64_ROUNDED_WGSL}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = boxPixel(gid);
  if (q.x < 0) { return; }
  let g = geometry();
  let o = planeIndex(q.x, q.y);
  if (!g.ok || q.y < g.y0 || q.y >= g.y1 || q.x < g.rx0 || q.x >= g.rx1) { bufB[o] = 0.0; return; }
  let W = i32(params[0]);
  // Inside the mask every window is 255: the result is the table's (the same steps, done once on the CPU).
  var constant = true;
  for (var j = 0; j <= 2 * g.r; j++) {
    if (readA(reflect101(q.x + j - g.r, W), q.y) != 255.0) { constant = false; break; }
  }
  if (constant) { bufB[o] = gauss(g.r, 2 * g.r + 1); return; }
  var s = gauss(g.r, 0) * readA(reflect101(q.x - g.r, W), q.y);
  for (var j = 1; j <= 2 * g.r; j++) {
    s = fmaF64Rounded(readA(reflect101(q.x + j - g.r, W), q.y), gauss(g.r, j), s);
  }
  bufB[o] = s;
}
`;

/**
 * gaussianBlur's column pass, the symmetric form: bufB → bufA. Over the covered box grown by r: s = k_c·v_c, then
 * s = fround(f32(v₊ⱼ + v₋ⱼ)·k_c+ⱼ + s) (fmaF64Rounded) over reflected rows; 0 elsewhere. A window holding only the
 * row pass's all-255 result takes the CPU's result for that. The result is the blurred mask before `/ 255`.
 */
export const BLUR_COLUMNS_WGSL = /* wgsl */ `
${PASTE_KERNEL_PRELUDE}
${FMA_F64_ROUNDED_WGSL}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = boxPixel(gid);
  if (q.x < 0) { return; }
  let g = geometry();
  let o = planeIndex(q.x, q.y);
  if (!g.ok || q.y < g.ry0 || q.y >= g.ry1 || q.x < g.rx0 || q.x >= g.rx1) { bufA[o] = 0.0; return; }
  let H = i32(params[1]);
  let inner = gauss(g.r, 2 * g.r + 1);
  var constant = true;
  for (var j = -g.r; j <= g.r; j++) {
    if (readB(q.x, reflect101(q.y + j, H)) != inner) { constant = false; break; }
  }
  if (constant) { bufA[o] = gauss(g.r, 2 * g.r + 2); return; }
  var s = gauss(g.r, g.r) * readB(q.x, q.y);
  for (var j = 1; j <= g.r; j++) {
    let pair = readB(q.x, reflect101(q.y + j, H)) + readB(q.x, reflect101(q.y - j, H));
    s = fmaF64Rounded(pair, gauss(g.r, g.r + j), s);
  }
  bufA[o] = s;
}
`;
