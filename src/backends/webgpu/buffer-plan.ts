/**
 * Assigns activations to a pool of reusable buffers by liveness: a value occupies a slot from the step that
 * writes it to its last reader; a step's outputs are placed before its inputs are released, so no dispatch ever
 * binds one buffer as both input and output. Greedy best fit: the smallest free slot that is large enough, else
 * the largest free slot grown to size, else a new slot.
 */
export interface BufferRequest {
  /** Step index that produces the value. */
  readonly def: number;
  /** Last step index that reads it (Infinity for graph outputs, which stay readable after the run). */
  readonly lastUse: number;
  readonly bytes: number;
}

export interface BufferAssignment {
  /** Slot index per request, in request order. */
  readonly slotOf: readonly number[];
  /** Final byte size of each slot. */
  readonly slotBytes: readonly number[];
  /** Sum of the slot sizes: the activation memory the plan holds. */
  readonly peakBytes: number;
}

export function planBuffers(requests: readonly BufferRequest[], stepCount: number): BufferAssignment {
  const slotOf = new Array<number>(requests.length).fill(-1);
  const slotBytes: number[] = [];
  const free = new Set<number>();
  const byDef = new Map<number, number[]>();
  const byRelease = new Map<number, number[]>();
  requests.forEach((r, i) => {
    (byDef.get(r.def) ?? byDef.set(r.def, []).get(r.def)!).push(i);
    // A value nobody reads is released right after the step that wrote it.
    const release = Math.max(r.def, r.lastUse);
    if (Number.isFinite(release)) (byRelease.get(release) ?? byRelease.set(release, []).get(release)!).push(i);
  });
  for (let step = -1; step < stepCount; step++) {
    for (const i of byDef.get(step) ?? []) {
      const need = requests[i]!.bytes;
      let best = -1;
      for (const s of free) {
        const size = slotBytes[s]!;
        if (best < 0) { best = s; continue; }
        const current = slotBytes[best]!;
        const better = size >= need ? current < need || size < current : current < need && size > current;
        if (better) best = s;
      }
      if (best < 0) {
        best = slotBytes.length;
        slotBytes.push(need);
      } else {
        free.delete(best);
        slotBytes[best] = Math.max(slotBytes[best]!, need);
      }
      slotOf[i] = best;
    }
    for (const i of byRelease.get(step) ?? []) free.add(slotOf[i]!);
  }
  return { slotOf, slotBytes, peakBytes: slotBytes.reduce((a, b) => a + b, 0) };
}
