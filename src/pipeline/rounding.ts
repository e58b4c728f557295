/** float32 rounding of a double, as NumPy/C++ do when a float32 result is stored. */
export const f32 = Math.fround;

/** Round half to even (C's `rint`/`lrint` in the default mode; OpenCV's `cvRound`, NumPy's `round`). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round sends .5 up; move it back down when that landed on an odd integer.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
