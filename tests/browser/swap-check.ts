/** Geometry and pixel helpers for the Swap mode test: where a swap may change the photo, and a pixel checksum. */
import type { Affine2x3 } from '../../src/pipeline/index.js';

export type Point = readonly [number, number];

/**
 * The image-space quadrilateral a swap can touch: the 128×128 crop's square (one pixel beyond it, for the bilinear
 * warp's reach) mapped back into the image by IM, the inverse of the crop transform.
 */
export function swapRegion(im: Affine2x3, size: number): Point[] {
  const map = (x: number, y: number): Point => [im[0] * x + im[1] * y + im[2], im[3] * x + im[4] * y + im[5]];
  return [map(-1, -1), map(size, -1), map(size, size), map(-1, size)];
}

/** Whether (x, y) lies in the convex polygon, or within `margin` pixels of it. */
export function insidePolygon(polygon: readonly Point[], x: number, y: number, margin = 0): boolean {
  // The winding (sign of the area) says which side of each edge is inside.
  let area = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    area += ax * by - bx * ay;
  }
  const winding = Math.sign(area);
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    // Signed distance from the edge's line, positive on the inside.
    const d = winding * ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / Math.hypot(bx - ax, by - ay);
    if (d < -margin) return false;
  }
  return true;
}

/** FNV-1a over the bytes; the page computes the same over its canvas's RGBA. */
export function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}
