/** A rectangle of pixels, columns x0 … x1 − 1 and rows y0 … y1 − 1. */
export interface PixelRegion {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The whole width×height image. */
export function fullRegion(width: number, height: number): PixelRegion {
  return { x0: 0, y0: 0, x1: width, y1: height };
}

/** `r` grown by `by` pixels on every side, clipped to the image. */
export function growRegion(r: PixelRegion, by: number, width: number, height: number): PixelRegion {
  return { x0: Math.max(0, r.x0 - by), y0: Math.max(0, r.y0 - by), x1: Math.min(width, r.x1 + by), y1: Math.min(height, r.y1 + by) };
}
